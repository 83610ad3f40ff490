//! What each trigger is doing, for `GET /_eddy/triggers`: its state and last error, and per
//! shard its position, iterator age and batch counts.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// A trigger's state, named as an event source mapping's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum State {
    /// Polling its stream.
    Enabled,
    /// Configured with `enabled=false`: not polling.
    Disabled,
    /// Its table, or the table's stream, does not exist yet.
    WaitingForStream,
}

/// One shard's counters.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatus {
    /// The stream the shard belongs to.
    pub stream_arn: String,
    /// The sequence number of the last record delivered (or discarded, or filtered out).
    pub position: Option<String>,
    /// How old that record was when it was done with, in milliseconds (Lambda's
    /// IteratorAge).
    pub iterator_age_ms: u64,
    /// Invocations that succeeded.
    pub batches_delivered: u64,
    /// Invocations that failed (function errors, partial failures, timeouts).
    pub batches_failed: u64,
    /// Invocations that were retries of a failed batch or of part of one.
    pub batches_retried: u64,
    /// Batches given up on and sent to the on-failure destination.
    pub batches_discarded: u64,
    /// Records delivered to the handler in successful invocations.
    pub records_delivered: u64,
    /// Records skipped by the filter.
    pub records_filtered: u64,
    /// Records read and waiting for the batch to fill or the batching window to end.
    pub gathering: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot<'a> {
    name: &'a str,
    source: &'a str,
    handler: &'a str,
    state: State,
    last_error: Option<String>,
    stream_arn: Option<String>,
    shards: BTreeMap<String, ShardStatus>,
}

/// A trigger's live status.
#[derive(Debug)]
pub struct TriggerStatus {
    name: String,
    source: String,
    handler: String,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: State,
    last_error: Option<String>,
    stream_arn: Option<String>,
    shards: BTreeMap<String, ShardStatus>,
}

impl TriggerStatus {
    /// A trigger's status before it has done anything.
    pub fn new(name: &str, source: &str, handler: &str, state: State) -> Self {
        Self {
            name: name.to_owned(),
            source: source.to_owned(),
            handler: handler.to_owned(),
            inner: Mutex::new(Inner {
                state,
                last_error: None,
                stream_arn: None,
                shards: BTreeMap::new(),
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Sets the state, and the stream followed when there is one.
    pub fn set_state(&self, state: State, stream_arn: Option<&str>) {
        self.with(|i| {
            i.state = state;
            if let Some(arn) = stream_arn {
                i.stream_arn = Some(arn.to_owned());
            }
        });
    }

    /// Records the latest error.
    pub fn set_error(&self, error: String) {
        self.with(|i| i.last_error = Some(error));
    }

    /// Updates one shard's counters.
    pub fn shard(&self, stream_arn: &str, shard_id: &str, f: impl FnOnce(&mut ShardStatus)) {
        self.with(|i| {
            let s = i.shards.entry(shard_id.to_owned()).or_default();
            if s.stream_arn != stream_arn {
                s.stream_arn = stream_arn.to_owned();
            }
            f(s);
        });
    }

    /// The status as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        self.with(|i| {
            serde_json::to_value(Snapshot {
                name: &self.name,
                source: &self.source,
                handler: &self.handler,
                state: i.state,
                last_error: i.last_error.clone(),
                stream_arn: i.stream_arn.clone(),
                shards: i.shards.clone(),
            })
            .unwrap_or_default()
        })
    }
}
