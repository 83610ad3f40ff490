//! What a trigger does with the records the consumer hands it, by Lambda's rules for stream
//! event sources: filter them; split them into lanes by partition key (parallelization);
//! cut each lane into invocations (batch size, 6 MB); invoke; and after a failure retry with
//! backoff, bisect, resume after the records a partial batch response reports done, or
//! discard to the on-failure destination once retries or record age run out.
//!
//! With one lane, a partial success is handed back to the consumer as progress
//! ([`Handled::Through`]), so its checkpoint survives a restart in the middle of the retries.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eddy_client::{Batch, Clock, Handled};
use futures_util::future::join_all;
use serde_json::Value;

use crate::deliver::{HttpClient, Invoke, Reply};
use crate::event::{EventRecord, chunks, payload};
use crate::on_failure::{self, Condition, Discarded};
use crate::spec::TriggerSpec;
use crate::status::TriggerStatus;

/// The longest wait between retries of a failed batch.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// A failing invocation handed back to the consumer so that what came before it is
/// checkpointed: when the consumer hands the rest over again, the same records are retried
/// with the retries counted so far.
#[derive(Clone, Debug)]
struct RetryState {
    first_sequence: String,
    records: usize,
    attempts: u32,
}

/// What a trigger's delivery is given.
pub struct Parts {
    /// The trigger's settings.
    pub spec: TriggerSpec,
    /// Its handler.
    pub invoker: Box<dyn Invoke>,
    /// The client of on-failure URLs.
    pub http: HttpClient,
    /// The clock retries wait by and record age is measured on.
    pub clock: Arc<dyn Clock>,
    /// Where its counts go.
    pub status: Arc<TriggerStatus>,
    /// The function's ARN, for on-failure records.
    pub function_arn: String,
    /// Records never outlive this in the stream: with no max-record-age, failing records are
    /// retried until then.
    pub record_expiry: Duration,
    /// With `starting-position=latest`: records made before this (epoch ms) are skipped.
    pub start_ms: Option<u64>,
}

/// A trigger's delivery: everything one batch needs.
pub struct Delivery {
    parts: Parts,
    /// The partition key attribute of the stream's table: parallel lanes are by its value.
    partition_key: Mutex<Option<String>>,
    retries: Mutex<HashMap<String, RetryState>>,
}

/// How one invocation's answer is read.
enum Outcome {
    Success,
    /// The records from this index on failed; those before it succeeded.
    FailedFrom(usize, String),
    Failed(String),
}

impl Delivery {
    /// A delivery of these parts.
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            parts,
            partition_key: Mutex::new(None),
            retries: Mutex::new(HashMap::new()),
        }
    }

    /// The trigger's settings.
    pub(crate) fn spec(&self) -> &TriggerSpec {
        &self.parts.spec
    }

    /// Names the partition key attribute of the table whose stream is read now.
    pub(crate) fn set_partition_key(&self, name: Option<String>) {
        *self.partition_key.lock().unwrap_or_else(|e| e.into_inner()) = name;
    }

    /// Delivers a consumer batch; returns how much of it is done with.
    pub async fn handle(&self, batch: Batch) -> Handled {
        self.parts
            .status
            .shard(&batch.stream_arn, &batch.shard_id, |s| s.gathering = 0);
        let records: Vec<EventRecord> = batch
            .records
            .iter()
            .map(|r| EventRecord::new(r, &batch.stream_arn))
            // A record's time has whole seconds: one made in the second the trigger started is
            // kept, so none made after the start is skipped.
            .filter(|r| {
                self.parts
                    .start_ms
                    .is_none_or(|start| r.created_ms + 999 >= start)
            })
            .collect();
        let total = records.len();
        let matching: Vec<EventRecord> = match &self.parts.spec.filter {
            Some(filter) => records
                .into_iter()
                .filter(|r| filter.matches(&r.json))
                .collect(),
            None => records,
        };
        let filtered = total - matching.len();
        let last = batch.last_sequence_number().map(str::to_owned);
        self.parts
            .status
            .shard(&batch.stream_arn, &batch.shard_id, |s| {
                s.records_filtered += filtered as u64;
                if matching.is_empty() {
                    s.position = last;
                }
            });
        if matching.is_empty() {
            return Handled::All;
        }
        let factor = self.parts.spec.parallelization_factor;
        if factor <= 1 {
            return self.lane(&batch, matching, true).await;
        }
        let partition_key = self
            .partition_key
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut lanes: Vec<Vec<EventRecord>> = vec![Vec::new(); factor];
        for r in matching {
            let keys = &r.json["dynamodb"]["Keys"];
            let value = match &partition_key {
                Some(name) => &keys[name.as_str()],
                None => keys,
            };
            let mut h = DefaultHasher::new();
            value.to_string().hash(&mut h);
            lanes[(h.finish() % factor as u64) as usize].push(r);
        }
        join_all(
            lanes
                .into_iter()
                .filter(|l| !l.is_empty())
                .map(|l| self.lane(&batch, l, false)),
        )
        .await;
        Handled::All
    }

    /// Delivers one lane's records in order. With `progress`, a retry's wait is preceded by
    /// handing back what is done so far, for the consumer to checkpoint; the failing records
    /// come back and are retried from where they were.
    async fn lane(&self, batch: &Batch, mut records: Vec<EventRecord>, progress: bool) -> Handled {
        let shard = &batch.shard_id;
        let mut queue: VecDeque<Vec<EventRecord>> = VecDeque::new();
        let mut attempts = 0;
        let resumed = self.retry_state(shard).filter(|s| {
            progress
                && records
                    .first()
                    .is_some_and(|r| r.sequence_number == s.first_sequence)
        });
        if let Some(state) = resumed {
            let rest = records.split_off(state.records.min(records.len()));
            queue.push_back(records);
            records = rest;
            attempts = state.attempts;
        }
        queue.extend(chunks(records, self.parts.spec.batch_size));
        // The last record of the lane's leading run of records done with: delivered, reported
        // done by a partial batch response, or discarded.
        let mut done: Option<String> = None;
        while let Some(mut chunk) = queue.pop_front() {
            if attempts > 0 {
                if progress && let Some(through) = done.take() {
                    self.save_retry_state(shard, &chunk, attempts);
                    return Handled::Through(through);
                }
                self.parts.clock.sleep(retry_delay(attempts)).await;
            }
            let (rest, discarded) = self.drop_expired(batch, chunk, attempts).await;
            chunk = rest;
            if discarded.is_some() {
                done = discarded;
            }
            if chunk.is_empty() {
                attempts = 0;
                continue;
            }
            if attempts > 0 {
                self.parts
                    .status
                    .shard(&batch.stream_arn, shard, |s| s.batches_retried += 1);
            }
            let reply = self
                .parts
                .invoker
                .invoke(payload(&chunk), self.parts.spec.timeout)
                .await;
            match self.read(reply, &chunk) {
                Outcome::Success => {
                    attempts = 0;
                    self.succeeded(batch, &chunk);
                    done = chunk.last().map(|r| r.sequence_number.clone());
                }
                Outcome::FailedFrom(i, why) => {
                    self.failed(batch, why);
                    if i > 0 {
                        self.succeeded(batch, &chunk[..i]);
                        done = Some(chunk[i - 1].sequence_number.clone());
                    }
                    attempts += 1;
                    let rest = chunk.split_off(i);
                    if self.exhausted(attempts) {
                        self.discard(batch, &rest, Condition::RetryAttemptsExhausted, attempts)
                            .await;
                        done = rest.last().map(|r| r.sequence_number.clone());
                        attempts = 0;
                        continue;
                    }
                    queue.push_front(rest);
                }
                Outcome::Failed(why) => {
                    self.failed(batch, why);
                    if self.parts.spec.bisect_on_error && chunk.len() > 1 {
                        // Splitting does not count as a retry.
                        let second = chunk.split_off(chunk.len() / 2);
                        queue.push_front(second);
                        queue.push_front(chunk);
                        continue;
                    }
                    attempts += 1;
                    if self.exhausted(attempts) {
                        self.discard(batch, &chunk, Condition::RetryAttemptsExhausted, attempts)
                            .await;
                        done = chunk.last().map(|r| r.sequence_number.clone());
                        attempts = 0;
                        continue;
                    }
                    queue.push_front(chunk);
                }
            }
        }
        if progress {
            self.retries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(shard);
        }
        Handled::All
    }

    fn retry_state(&self, shard: &str) -> Option<RetryState> {
        self.retries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(shard)
            .cloned()
    }

    fn save_retry_state(&self, shard: &str, failing: &[EventRecord], attempts: u32) {
        let Some(first) = failing.first() else { return };
        self.retries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                shard.to_owned(),
                RetryState {
                    first_sequence: first.sequence_number.clone(),
                    records: failing.len(),
                    attempts,
                },
            );
    }

    fn exhausted(&self, attempts: u32) -> bool {
        self.parts
            .spec
            .max_retries
            .is_some_and(|max| attempts > max)
    }

    /// Discards the records older than max-record-age (or past the stream's retention), the
    /// oldest first; returns the rest, and the last record discarded.
    async fn drop_expired(
        &self,
        batch: &Batch,
        mut chunk: Vec<EventRecord>,
        attempts: u32,
    ) -> (Vec<EventRecord>, Option<String>) {
        let limit = self
            .parts
            .spec
            .max_record_age
            .unwrap_or(self.parts.record_expiry);
        let limit = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        let now = self.parts.clock.now_ms();
        let expired = chunk
            .iter()
            .take_while(|r| now.saturating_sub(r.created_ms) > limit)
            .count();
        if expired == 0 {
            return (chunk, None);
        }
        let rest = chunk.split_off(expired);
        self.discard(batch, &chunk, Condition::RecordAgeExceeded, attempts)
            .await;
        (rest, chunk.last().map(|r| r.sequence_number.clone()))
    }

    /// Reads the handler's answer. With report-batch-item-failures, a body naming failed
    /// records makes the batch fail from the lowest of them; a body that cannot be read so
    /// fails the whole batch, as Lambda does.
    fn read(&self, reply: Reply, chunk: &[EventRecord]) -> Outcome {
        let body = match reply {
            Reply::FunctionError(why) => return Outcome::Failed(why),
            Reply::Answered(body) => body,
        };
        if !self.parts.spec.report_batch_item_failures {
            return Outcome::Success;
        }
        let text = String::from_utf8_lossy(&body);
        if text.trim().is_empty() {
            return Outcome::Success;
        }
        let Ok(answer) = serde_json::from_str::<Value>(&text) else {
            return Outcome::Failed(format!("the response is not JSON: {text}"));
        };
        let failures = match answer.get("batchItemFailures") {
            None | Some(Value::Null) => return Outcome::Success,
            Some(Value::Array(list)) if list.is_empty() => return Outcome::Success,
            Some(Value::Array(list)) => list,
            Some(_) => return Outcome::Failed("batchItemFailures is not a list".into()),
        };
        let mut lowest = usize::MAX;
        for f in failures {
            let id = f
                .get("itemIdentifier")
                .and_then(Value::as_str)
                .unwrap_or("");
            match chunk.iter().position(|r| r.sequence_number == id) {
                Some(i) => lowest = lowest.min(i),
                None => {
                    return Outcome::Failed(format!(
                        "batchItemFailures names {id:?}, which is not a record of the batch"
                    ));
                }
            }
        }
        Outcome::FailedFrom(
            lowest,
            format!("{} records reported failed", failures.len()),
        )
    }

    fn succeeded(&self, batch: &Batch, records: &[EventRecord]) {
        let now = self.parts.clock.now_ms();
        let last = records.last();
        self.parts
            .status
            .shard(&batch.stream_arn, &batch.shard_id, |s| {
                s.batches_delivered += 1;
                s.records_delivered += records.len() as u64;
                if let Some(last) = last {
                    s.position = Some(last.sequence_number.clone());
                    s.iterator_age_ms = now.saturating_sub(last.created_ms);
                }
            });
    }

    fn failed(&self, batch: &Batch, why: String) {
        self.parts
            .status
            .shard(&batch.stream_arn, &batch.shard_id, |s| {
                s.batches_failed += 1
            });
        self.parts.status.set_error(why);
    }

    /// Gives up on records: describes them to the on-failure destination, if any (retrying
    /// until it takes them, so no discard goes unrecorded).
    async fn discard(
        &self,
        batch: &Batch,
        records: &[EventRecord],
        condition: Condition,
        invocations: u32,
    ) {
        let last = records.last().map(|r| r.sequence_number.clone());
        self.parts
            .status
            .shard(&batch.stream_arn, &batch.shard_id, |s| {
                s.batches_discarded += 1;
                s.position = last;
            });
        let Some(to) = &self.parts.spec.on_failure else {
            return;
        };
        let record = on_failure::record(&Discarded {
            records,
            condition,
            invocations,
            function_arn: &self.parts.function_arn,
            stream_arn: &batch.stream_arn,
            shard_id: &batch.shard_id,
            now_ms: self.parts.clock.now_ms(),
        });
        let mut attempt = 0;
        while let Err(e) = on_failure::send(to, &self.parts.http, &record).await {
            attempt += 1;
            tracing::warn!(trigger = %self.parts.spec.name, error = %e, "on-failure destination failed");
            self.parts.status.set_error(e);
            self.parts.clock.sleep(retry_delay(attempt)).await;
        }
    }
}

/// The wait before the `attempt`th retry: 1 s, doubling, at most a minute.
fn retry_delay(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_minute() {
        let delays: Vec<u64> = (1..=8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
