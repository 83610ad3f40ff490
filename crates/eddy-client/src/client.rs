//! The client: the four Streams operations, and the DynamoDB calls a stream consumer needs.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_dynamodbstreams::operation::describe_stream::{
    DescribeStreamInput, DescribeStreamOutput,
};
use aws_sdk_dynamodbstreams::operation::get_records::{GetRecordsInput, GetRecordsOutput};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::{
    GetShardIteratorInput, GetShardIteratorOutput,
};
use aws_sdk_dynamodbstreams::operation::list_streams::{ListStreamsInput, ListStreamsOutput};
use aws_types::SdkConfig;

use crate::error::{Error, Result};

/// A DynamoDB Streams client, with a DynamoDB client beside it for the table calls (waiters,
/// finding a table's stream, lease tables).
///
/// Configuration, credentials, retries and endpoint resolution all come from the AWS SDK's
/// [`SdkConfig`], so the same client works against AWS and against eddy.
#[derive(Clone, Debug)]
pub struct StreamsClient {
    streams: aws_sdk_dynamodbstreams::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) signing: SigningContext,
}

/// What a presigned request needs from the configuration.
#[derive(Clone, Debug)]
pub(crate) struct SigningContext {
    pub(crate) region: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) credentials: Option<SharedCredentialsProvider>,
}

/// Operations that have a paginator, in both the API's spelling and boto3's.
const PAGINATED: [(&str, &str); 3] = [
    ("ListStreams", "list_streams"),
    ("DescribeStream", "describe_stream"),
    ("GetRecords", "get_records"),
];

/// Whether `operation` (`DescribeStream` or `describe_stream`) has a paginator.
pub fn can_paginate(operation: &str) -> bool {
    PAGINATED
        .iter()
        .any(|(api, snake)| operation == *api || operation == *snake)
}

impl StreamsClient {
    /// A client for the services `config` points at.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            streams: aws_sdk_dynamodbstreams::Client::new(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            signing: SigningContext {
                region: config.region().map(ToString::to_string),
                endpoint_url: config.endpoint_url().map(str::to_owned),
                credentials: config.credentials_provider(),
            },
        }
    }

    /// The underlying DynamoDB Streams client.
    pub fn streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        &self.streams
    }

    /// The underlying DynamoDB client.
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.dynamodb
    }

    /// Whether `operation` has a paginator; see [`can_paginate`].
    pub fn can_paginate(&self, operation: &str) -> bool {
        can_paginate(operation)
    }

    /// ListStreams: one page of the streams of the account, or of one table.
    ///
    /// # Errors
    /// The service's error (e.g. [`Error::Validation`] for a bad `Limit`), or
    /// [`Error::Transport`] when no answer came.
    pub async fn list_streams(&self, input: ListStreamsInput) -> Result<ListStreamsOutput> {
        Ok(self
            .streams
            .list_streams()
            .set_table_name(input.table_name)
            .set_limit(input.limit)
            .set_exclusive_start_stream_arn(input.exclusive_start_stream_arn)
            .send()
            .await?)
    }

    /// DescribeStream: one page of a stream's shards, optionally only the children of one
    /// shard (`ShardFilter` CHILD_SHARDS).
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] for an unknown stream; the service's other errors, or
    /// [`Error::Transport`].
    pub async fn describe_stream(
        &self,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput> {
        Ok(self
            .streams
            .describe_stream()
            .set_stream_arn(input.stream_arn)
            .set_limit(input.limit)
            .set_exclusive_start_shard_id(input.exclusive_start_shard_id)
            .set_shard_filter(input.shard_filter)
            .send()
            .await?)
    }

    /// GetShardIterator: a position in a shard.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] for an unknown stream or shard, [`Error::TrimmedDataAccess`]
    /// for a sequence number that retention removed, [`Error::Validation`]; or
    /// [`Error::Transport`].
    pub async fn get_shard_iterator(
        &self,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput> {
        Ok(self
            .streams
            .get_shard_iterator()
            .set_stream_arn(input.stream_arn)
            .set_shard_id(input.shard_id)
            .set_shard_iterator_type(input.shard_iterator_type)
            .set_sequence_number(input.sequence_number)
            .send()
            .await?)
    }

    /// GetRecords: the records after an iterator's position, and the next iterator (absent
    /// once a closed shard has been read to its end).
    ///
    /// # Errors
    /// [`Error::ExpiredIterator`], [`Error::TrimmedDataAccess`], [`Error::LimitExceeded`], the
    /// service's other errors, or [`Error::Transport`].
    pub async fn get_records(&self, input: GetRecordsInput) -> Result<GetRecordsOutput> {
        Ok(self
            .streams
            .get_records()
            .set_shard_iterator(input.shard_iterator)
            .set_limit(input.limit)
            .send()
            .await?)
    }

    /// The ARN of a table's latest stream, if the table has had one.
    ///
    /// # Errors
    /// [`Error::ResourceNotFound`] when the table does not exist, [`Error::NoStream`] when it
    /// never had a stream; or the service's other errors.
    pub async fn latest_stream_arn(&self, table: &str) -> Result<String> {
        let out = self
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(Error::from)?;
        out.table()
            .and_then(|t| t.latest_stream_arn())
            .map(str::to_owned)
            .ok_or_else(|| Error::NoStream {
                table: table.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paginated_operations_in_both_spellings() {
        for op in [
            "ListStreams",
            "list_streams",
            "DescribeStream",
            "describe_stream",
            "GetRecords",
            "get_records",
        ] {
            assert!(can_paginate(op), "{op}");
        }
        for op in ["GetShardIterator", "get_shard_iterator", "Scan", ""] {
            assert!(!can_paginate(op), "{op}");
        }
    }
}
