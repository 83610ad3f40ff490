//! The ARNs resource calls take (tags, resource policies): what they name, and DynamoDB's
//! messages for those that name nothing they accept.

use crate::model::invalid::Invalid;
use crate::model::scope::Scope;

/// What a DynamoDB resource ARN names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `table/<name>`.
    Table(&'a str),
    /// `table/<name>/stream/<label>`: the stream of a table.
    Stream(&'a str),
}

/// A resource ARN, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceArn<'a> {
    /// The region field.
    pub region: &'a str,
    /// The account field.
    pub account: &'a str,
    /// What it names.
    pub resource: Resource<'a>,
}

impl<'a> ResourceArn<'a> {
    /// Parses an ARN a tag or resource-policy call was given.
    ///
    /// # Errors
    /// ValidationException: not an ARN, not DynamoDB's, or naming something that is neither a
    /// table nor a stream (an index, a backup).
    pub fn parse(arn: &'a str) -> Result<Self, Invalid> {
        if !arn.starts_with("arn:") {
            return Err(Invalid::NotAnArn {
                arn: arn.to_owned(),
            });
        }
        let mut fields = arn.splitn(6, ':');
        let (_, partition, service) = (fields.next(), fields.next(), fields.next());
        let (region, account, resource) = (fields.next(), fields.next(), fields.next());
        let (Some(region), Some(account), Some(resource)) = (region, account, resource) else {
            return Err(Invalid::NotADynamoDbArn {
                arn: arn.to_owned(),
            });
        };
        if partition.is_none_or(str::is_empty) || service != Some("dynamodb") {
            return Err(Invalid::NotADynamoDbArn {
                arn: arn.to_owned(),
            });
        }
        let parts: Vec<&str> = resource.split('/').collect();
        let resource = match parts.as_slice() {
            ["table", name] if !name.is_empty() => Resource::Table(name),
            ["table", name, "stream", label] if !name.is_empty() && !label.is_empty() => {
                Resource::Stream(name)
            }
            ["table", ..] => {
                return Err(Invalid::NotTableOrStreamArn {
                    arn: arn.to_owned(),
                });
            }
            _ => {
                return Err(Invalid::NotADynamoDbArn {
                    arn: arn.to_owned(),
                });
            }
        };
        Ok(Self {
            region,
            account,
            resource,
        })
    }

    /// True when the ARN belongs to `scope`.
    pub fn in_scope(&self, scope: &Scope) -> bool {
        self.region == scope.region && self.account == scope.account_id
    }

    /// The table the resource belongs to.
    pub fn table(&self) -> &'a str {
        match self.resource {
            Resource::Table(t) | Resource::Stream(t) => t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arns_name_tables_and_streams_only() {
        let table =
            ResourceArn::parse("arn:aws:dynamodb:eu-west-1:123456789012:table/t1").expect("table");
        assert_eq!(table.resource, Resource::Table("t1"));
        assert!(table.in_scope(&Scope::new("123456789012", "eu-west-1")));
        let stream = ResourceArn::parse(
            "arn:aws:dynamodb:eu-west-1:123456789012:table/t1/stream/2026-01-01T00:00:00.000",
        )
        .expect("stream");
        assert_eq!(stream.table(), "t1");
        for (arn, message) in [
            (
                "t1",
                "One or more parameter values were invalid: ARNs must start with 'arn:': t1",
            ),
            (
                "arn:aws:s3:::bucket",
                "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: arn:aws:s3:::bucket",
            ),
            (
                "arn:aws:dynamodb:us-east-1:1:table/t1/index/g",
                "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: arn:aws:dynamodb:us-east-1:1:table/t1/index/g",
            ),
        ] {
            assert_eq!(ResourceArn::parse(arn).expect_err(arn).to_string(), message);
        }
    }
}
