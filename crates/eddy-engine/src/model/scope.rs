//! Scopes: the account and region a table belongs to. AWS keeps each account's tables in each
//! region apart, so a table's name is unique only within its scope, and its ARNs (and its
//! stream's) name both.

use serde::{Deserialize, Serialize};

/// An account in a region.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// The 12-digit account id.
    pub account_id: String,
    /// The region name, e.g. `eu-west-1`.
    pub region: String,
}

impl Scope {
    /// The scope `account_id` in `region`.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
        }
    }

    /// The ARN of the table `name` in this scope.
    pub fn table_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{name}",
            self.region, self.account_id
        )
    }

    /// True when `arn` (a table's, an index's or a stream's) belongs to this scope.
    pub fn owns_arn(&self, arn: &str) -> bool {
        let mut fields = arn.splitn(6, ':');
        fields.nth(3) == Some(self.region.as_str()) && fields.next() == Some(&self.account_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_the_scope() {
        let scope = Scope::new("123456789012", "eu-west-1");
        let arn = scope.table_arn("t");
        assert_eq!(arn, "arn:aws:dynamodb:eu-west-1:123456789012:table/t");
        assert!(scope.owns_arn(&arn));
        assert!(scope.owns_arn(&format!("{arn}/stream/2026-01-01T00:00:00.000")));
        assert!(!Scope::new("123456789012", "us-east-1").owns_arn(&arn));
        assert!(!Scope::new("000000000000", "eu-west-1").owns_arn(&arn));
        assert!(!scope.owns_arn("t"));
    }
}
