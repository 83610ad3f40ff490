//! Waiters: poll until a table exists or is gone, a stream is enabled or disabled, or a shard
//! is closed. Each asks up to `max_attempts` times, `delay` apart, and returns
//! [`Error::WaiterExhausted`] naming the last state it saw when it runs out.

use std::time::Duration;

use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;

use crate::client::StreamsClient;
use crate::error::{Error, Result};

/// How often and how many times a waiter asks. The default is botocore's for DynamoDB's
/// waiters: every 20 s, 25 times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaiterConfig {
    /// Time between two attempts.
    pub delay: Duration,
    /// Attempts before giving up (at least 1).
    pub max_attempts: u32,
}

impl Default for WaiterConfig {
    fn default() -> Self {
        Self {
            delay: Duration::from_secs(20),
            max_attempts: 25,
        }
    }
}

impl WaiterConfig {
    /// A waiter that asks every `delay`, `max_attempts` times.
    pub fn new(delay: Duration, max_attempts: u32) -> Self {
        Self {
            delay,
            max_attempts,
        }
    }
}

/// What one attempt found: done, or the state to report if the waiter gives up.
enum Probe {
    Done,
    Pending(String),
}

async fn wait<F, Fut>(name: &'static str, config: WaiterConfig, mut probe: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Probe>>,
{
    let attempts = config.max_attempts.max(1);
    let mut last_state = String::new();
    for attempt in 1..=attempts {
        match probe().await? {
            Probe::Done => return Ok(()),
            Probe::Pending(state) => last_state = state,
        }
        if attempt < attempts {
            tokio::time::sleep(config.delay).await;
        }
    }
    Err(Error::WaiterExhausted {
        waiter: name,
        attempts,
        last_state,
    })
}

impl StreamsClient {
    /// Waits until DescribeTable shows `table` ACTIVE.
    ///
    /// # Errors
    /// [`Error::WaiterExhausted`] with the last status seen (`NOT_FOUND` when the table did
    /// not exist); any error other than ResourceNotFound at once.
    pub async fn wait_table_exists(&self, table: &str, config: WaiterConfig) -> Result<()> {
        wait("table_exists", config, || async {
            match self.table_status(table).await? {
                Some(s) if s == "ACTIVE" => Ok(Probe::Done),
                Some(s) => Ok(Probe::Pending(s)),
                None => Ok(Probe::Pending("NOT_FOUND".into())),
            }
        })
        .await
    }

    /// Waits until DescribeTable answers ResourceNotFoundException for `table`.
    ///
    /// # Errors
    /// [`Error::WaiterExhausted`] with the last status seen; other errors at once.
    pub async fn wait_table_not_exists(&self, table: &str, config: WaiterConfig) -> Result<()> {
        wait("table_not_exists", config, || async {
            match self.table_status(table).await? {
                None => Ok(Probe::Done),
                Some(s) => Ok(Probe::Pending(s)),
            }
        })
        .await
    }

    /// Waits until DescribeStream shows the stream ENABLED.
    ///
    /// # Errors
    /// [`Error::WaiterExhausted`] with the last StreamStatus seen (`NOT_FOUND` for a stream
    /// not found yet); other errors at once.
    pub async fn wait_stream_enabled(&self, stream_arn: &str, config: WaiterConfig) -> Result<()> {
        self.wait_stream_status("stream_enabled", stream_arn, "ENABLED", config)
            .await
    }

    /// Waits until DescribeStream shows the stream DISABLED, or no longer finds it (retention
    /// removed it, which only happens to a disabled stream).
    ///
    /// # Errors
    /// [`Error::WaiterExhausted`] with the last StreamStatus seen; other errors at once.
    pub async fn wait_stream_disabled(&self, stream_arn: &str, config: WaiterConfig) -> Result<()> {
        self.wait_stream_status("stream_disabled", stream_arn, "DISABLED", config)
            .await
    }

    /// Waits until the shard has an `EndingSequenceNumber` (it is closed).
    ///
    /// # Errors
    /// [`Error::WaiterExhausted`] with `OPEN` or `NOT_FOUND`; other errors at once.
    pub async fn wait_shard_closed(
        &self,
        stream_arn: &str,
        shard_id: &str,
        config: WaiterConfig,
    ) -> Result<()> {
        wait("shard_closed", config, || async {
            let description = self
                .describe_stream_paginator(
                    DescribeStreamInput::builder()
                        .stream_arn(stream_arn)
                        .build()
                        .map_err(|e| Error::InvalidArgument(e.to_string()))?,
                )
                .collect()
                .await;
            let description = match description {
                Ok(d) => d,
                Err(Error::ResourceNotFound(_)) => return Ok(Probe::Pending("NOT_FOUND".into())),
                Err(e) => return Err(e),
            };
            let shard = description
                .shards()
                .iter()
                .find(|s| s.shard_id() == Some(shard_id));
            Ok(match shard {
                None => Probe::Pending("NOT_FOUND".into()),
                Some(s)
                    if s.sequence_number_range()
                        .and_then(|r| r.ending_sequence_number())
                        .is_some() =>
                {
                    Probe::Done
                }
                Some(_) => Probe::Pending("OPEN".into()),
            })
        })
        .await
    }

    async fn wait_stream_status(
        &self,
        name: &'static str,
        stream_arn: &str,
        wanted: &str,
        config: WaiterConfig,
    ) -> Result<()> {
        wait(name, config, || async {
            let out = self
                .streams()
                .describe_stream()
                .stream_arn(stream_arn)
                .limit(1)
                .send()
                .await
                .map_err(Error::from);
            let status = match out {
                Ok(o) => o
                    .stream_description()
                    .and_then(|d| d.stream_status())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                Err(Error::ResourceNotFound(_)) => "NOT_FOUND".into(),
                Err(e) => return Err(e),
            };
            Ok(
                if status == wanted || (wanted == "DISABLED" && status == "NOT_FOUND") {
                    Probe::Done
                } else {
                    Probe::Pending(status)
                },
            )
        })
        .await
    }

    /// The table's status, or None when it does not exist.
    async fn table_status(&self, table: &str) -> Result<Option<String>> {
        match self
            .dynamodb()
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(Error::from)
        {
            Ok(out) => Ok(Some(
                out.table()
                    .and_then(|t| t.table_status())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            )),
            Err(Error::ResourceNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
