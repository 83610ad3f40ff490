//! What a consumer hands to its handler, and what it tells an observer.

use std::sync::Arc;

use aws_sdk_dynamodbstreams::types::Record;

/// Records of one shard, in sequence order, as one GetRecords page returned them.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The stream.
    pub stream_arn: String,
    /// The shard the records come from.
    pub shard_id: String,
    /// The records, oldest first. Shared, so that handing a batch to a handler (again, on a
    /// retry) copies no record.
    pub records: Arc<[Record]>,
}

impl Batch {
    /// The sequence number of the batch's last record.
    pub fn last_sequence_number(&self) -> Option<&str> {
        self.records
            .last()
            .and_then(|r| r.dynamodb())
            .and_then(|d| d.sequence_number())
    }
}

/// Something a consumer did or met, for callers that observe it (see
/// [`crate::StreamConsumer::on_event`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsumerEvent {
    /// A shard's reading started: its first iterator, at `position` (`TRIM_HORIZON`,
    /// `LATEST` or `AFTER_SEQUENCE_NUMBER <n>`), is in hand.
    ShardStarted {
        /// The shard.
        shard_id: String,
        /// Where reading starts.
        position: String,
    },
    /// Records were read and wait, gathered, for the batch to fill or its batching window to
    /// end (see [`crate::ConsumerConfig::batching_window`]).
    Gathering {
        /// The shard.
        shard_id: String,
        /// Records gathered so far.
        records: usize,
    },
    /// A closed shard was read to its end and checkpointed as finished.
    ShardEnded {
        /// The shard.
        shard_id: String,
    },
    /// Records were trimmed before they were read: reading went on from TRIM_HORIZON, and
    /// whatever lay between `after` and the oldest remaining record is lost to this consumer.
    Gap {
        /// The shard.
        shard_id: String,
        /// The last sequence number handled before the gap, if any.
        after: Option<String>,
    },
    /// An iterator expired; a fresh one was taken after the last checkpoint, or at
    /// TRIM_HORIZON when the shard has none yet (even after a LATEST start: records before
    /// the start may then come again, but none after it is skipped).
    IteratorExpired {
        /// The shard.
        shard_id: String,
        /// The checkpoint the fresh iterator starts after (None: from TRIM_HORIZON).
        after: Option<String>,
    },
    /// The service throttled or failed a request; the consumer backs off and retries.
    Backoff {
        /// The shard, when the request was about one.
        shard_id: Option<String>,
        /// The error.
        error: String,
    },
    /// Another worker took this worker's lease on the shard.
    LeaseLost {
        /// The shard.
        shard_id: String,
    },
    /// The handler failed on a batch; it is retried.
    HandlerFailed {
        /// The shard.
        shard_id: String,
        /// Which attempt failed (1 for the first).
        attempt: u32,
        /// The handler's error.
        error: String,
    },
    /// The stream is disabled (or its table deleted) and every shard was read to its end.
    StreamEnded {
        /// The stream.
        stream_arn: String,
    },
}
