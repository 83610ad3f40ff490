//! What each trigger is doing, for `GET /_eddy/triggers`: its state and last error, and per
//! shard its position, iterator age and batch counts. The counts are also published through
//! the `metrics` facade (`eddy_trigger_*`, labelled by trigger and shard), for whichever
//! recorder the binary installs.

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
        let now = self.with(|i| {
            let s = i.shards.entry(shard_id.to_owned()).or_default();
            if s.stream_arn != stream_arn {
                s.stream_arn = stream_arn.to_owned();
            }
            f(s);
            s.clone()
        });
        self.publish(shard_id, &now);
    }

    fn publish(&self, shard_id: &str, s: &ShardStatus) {
        let labels = [
            ("trigger", self.name.clone()),
            ("shard", shard_id.to_owned()),
        ];
        metrics::gauge!("eddy_trigger_iterator_age_ms", &labels).set(s.iterator_age_ms as f64);
        metrics::gauge!("eddy_trigger_gathering_records", &labels).set(s.gathering as f64);
        for (name, value) in [
            ("eddy_trigger_batches_delivered_total", s.batches_delivered),
            ("eddy_trigger_batches_failed_total", s.batches_failed),
            ("eddy_trigger_batches_retried_total", s.batches_retried),
            ("eddy_trigger_batches_discarded_total", s.batches_discarded),
            ("eddy_trigger_records_delivered_total", s.records_delivered),
            ("eddy_trigger_records_filtered_total", s.records_filtered),
        ] {
            metrics::counter!(name, &labels).absolute(value);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    #[test]
    fn counts_show_in_the_status_and_as_metrics() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let status = TriggerStatus::new("orders", "table/Orders", "http://h", State::Enabled);
        metrics::with_local_recorder(&recorder, || {
            status.shard("arn", "shard-1", |s| {
                s.batches_delivered += 2;
                s.iterator_age_ms = 1500;
            });
        });
        let json = status.to_json();
        assert_eq!(json["shards"]["shard-1"]["batchesDelivered"], 2);
        assert_eq!(json["shards"]["shard-1"]["streamArn"], "arn");
        assert_eq!(json["state"], "Enabled");
        let metrics: Vec<(String, DebugValue)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| (key.key().name().to_owned(), value))
            .collect();
        assert!(metrics.contains(&(
            "eddy_trigger_batches_delivered_total".to_owned(),
            DebugValue::Counter(2)
        )));
        assert!(
            metrics
                .iter()
                .any(|(name, v)| name == "eddy_trigger_iterator_age_ms"
                    && matches!(v, DebugValue::Gauge(g) if g.into_inner() == 1500.0))
        );
    }
}
