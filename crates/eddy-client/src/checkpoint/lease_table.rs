//! Checkpoints and leases in a DynamoDB table, so several workers share a stream's shards,
//! each shard leased to one worker at a time: the KCL's model.
//!
//! One item per shard, keyed by `leaseKey` = `<stream ARN>|<shard id>`, holding `checkpoint`,
//! `leaseOwner`, `leaseExpiresAt` (epoch ms) and `leaseCounter` (bumped on every take and
//! renewal). Every change is a conditional write on the owner, so a worker that lost its lease
//! can neither renew it nor move the checkpoint.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};

use super::{Checkpoint, CheckpointStore};
use crate::client::StreamsClient;
use crate::error::{Error, Result};
use crate::waiter::WaiterConfig;

/// A lease table.
#[derive(Clone, Debug)]
pub struct LeaseTableStore {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
}

fn key(stream_arn: &str, shard_id: &str) -> AttributeValue {
    AttributeValue::S(format!("{stream_arn}|{shard_id}"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl LeaseTableStore {
    /// A store in `table`, which must exist (see [`LeaseTableStore::create_if_missing`]).
    pub fn new(client: &StreamsClient, table: impl Into<String>) -> Self {
        Self {
            dynamodb: client.dynamodb().clone(),
            table: table.into(),
        }
    }

    /// Creates the lease table (on-demand, keyed by `leaseKey`) unless it exists, and waits
    /// until it is ACTIVE.
    ///
    /// # Errors
    /// The service's error, or [`Error::WaiterExhausted`] if the table never turns ACTIVE.
    pub async fn create_if_missing(client: &StreamsClient, table: &str) -> Result<Self> {
        let created = client
            .dynamodb()
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("leaseKey")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| Error::InvalidArgument(e.to_string()))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("leaseKey")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| Error::InvalidArgument(e.to_string()))?,
            )
            .send()
            .await
            .map_err(Error::from);
        match created {
            Ok(_) => {}
            Err(Error::Service(e)) if e.code == "ResourceInUseException" => {}
            Err(e) => return Err(e),
        }
        client
            .wait_table_exists(table, WaiterConfig::new(Duration::from_secs(1), 60))
            .await?;
        Ok(Self::new(client, table))
    }

    /// A conditional UpdateItem; Ok(false) when its condition failed.
    async fn update(
        &self,
        stream_arn: &str,
        shard_id: &str,
        update: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool> {
        let mut req = self
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key("leaseKey", key(stream_arn, shard_id))
            .update_expression(update)
            .condition_expression(condition);
        for (k, v) in values {
            req = req.expression_attribute_values(k, v);
        }
        match req.send().await.map_err(Error::from) {
            Ok(_) => Ok(true),
            Err(Error::ConditionalCheckFailed(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl CheckpointStore for LeaseTableStore {
    async fn get(&self, stream_arn: &str, shard_id: &str) -> Result<Option<Checkpoint>> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key("leaseKey", key(stream_arn, shard_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::from)?;
        match out.item().and_then(|i| i.get("checkpoint")) {
            None => Ok(None),
            Some(AttributeValue::S(s)) => Checkpoint::parse(s).map(Some).ok_or_else(|| {
                Error::Checkpoint(format!("lease {shard_id} has an invalid checkpoint {s:?}"))
            }),
            Some(other) => Err(Error::Checkpoint(format!(
                "lease {shard_id} has a checkpoint that is not a string: {other:?}"
            ))),
        }
    }

    async fn put(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        checkpoint: &Checkpoint,
    ) -> Result<()> {
        let saved = self
            .update(
                stream_arn,
                shard_id,
                "SET checkpoint = :c",
                "leaseOwner = :me",
                vec![
                    (":c", AttributeValue::S(checkpoint.as_str().to_owned())),
                    (":me", AttributeValue::S(owner.to_owned())),
                ],
            )
            .await?;
        if saved {
            Ok(())
        } else {
            Err(Error::LeaseLost {
                shard_id: shard_id.to_owned(),
            })
        }
    }

    async fn acquire(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        duration: Duration,
    ) -> Result<bool> {
        let now = now_ms();
        self.update(
            stream_arn,
            shard_id,
            "SET leaseOwner = :me, leaseExpiresAt = :until ADD leaseCounter :one",
            "(attribute_not_exists(leaseOwner) OR leaseOwner = :me OR leaseExpiresAt < :now) \
             AND (attribute_not_exists(checkpoint) OR checkpoint <> :end)",
            vec![
                (":me", AttributeValue::S(owner.to_owned())),
                (":until", n(now + duration.as_millis() as u64)),
                (":now", n(now)),
                (":one", n(1)),
                (
                    ":end",
                    AttributeValue::S(Checkpoint::ShardEnd.as_str().into()),
                ),
            ],
        )
        .await
    }

    async fn renew(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        duration: Duration,
    ) -> Result<bool> {
        self.update(
            stream_arn,
            shard_id,
            "SET leaseExpiresAt = :until ADD leaseCounter :one",
            "leaseOwner = :me",
            vec![
                (":me", AttributeValue::S(owner.to_owned())),
                (":until", n(now_ms() + duration.as_millis() as u64)),
                (":one", n(1)),
            ],
        )
        .await
    }

    async fn release(&self, stream_arn: &str, shard_id: &str, owner: &str) -> Result<()> {
        self.update(
            stream_arn,
            shard_id,
            "REMOVE leaseOwner, leaseExpiresAt",
            "leaseOwner = :me",
            vec![(":me", AttributeValue::S(owner.to_owned()))],
        )
        .await
        .map(|_| ())
    }
}
