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

/// The retries a lane's first invocation has had, kept across the consumer's calls so that a
/// batch resumed after a partial success keeps counting.
#[derive(Clone, Debug)]
struct RetryState {
    first_sequence: String,
    attempts: u32,
}

/// A trigger's delivery: everything one batch needs.
pub struct Delivery {
    pub(crate) spec: TriggerSpec,
    pub(crate) invoker: Box<dyn Invoke>,
    pub(crate) http: HttpClient,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) status: Arc<TriggerStatus>,
    pub(crate) function_arn: String,
    /// Records never outlive this in the stream: with no max-record-age, failing records are
    /// retried until then.
    pub(crate) record_expiry: Duration,
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
    /// A delivery for `spec` through `invoker`.
    pub(crate) fn new(
        spec: TriggerSpec,
        invoker: Box<dyn Invoke>,
        http: HttpClient,
        clock: Arc<dyn Clock>,
        status: Arc<TriggerStatus>,
        function_arn: String,
        record_expiry: Duration,
    ) -> Self {
        Self {
            spec,
            invoker,
            http,
            clock,
            status,
            function_arn,
            record_expiry,
            retries: Mutex::new(HashMap::new()),
        }
    }

    /// Delivers a consumer batch; returns how much of it is done with.
    pub async fn handle(&self, batch: Batch) -> Handled {
        let records: Vec<EventRecord> = batch
            .records
            .iter()
            .map(|r| EventRecord::new(r, &batch.stream_arn))
            .collect();
        let total = records.len();
        self.status
            .shard(&batch.stream_arn, &batch.shard_id, |s| s.gathering = 0);
        let matching: Vec<EventRecord> = match &self.spec.filter {
            Some(filter) => records
                .into_iter()
                .filter(|r| filter.matches(&r.json))
                .collect(),
            None => records,
        };
        let filtered = total - matching.len();
        if filtered > 0 {
            let last = batch.last_sequence_number().map(str::to_owned);
            self.status.shard(&batch.stream_arn, &batch.shard_id, |s| {
                s.records_filtered += filtered as u64;
                if matching.is_empty() {
                    s.position = last;
                }
            });
        }
        if matching.is_empty() {
            return Handled::All;
        }
        let factor = self.spec.parallelization_factor;
        if factor <= 1 {
            return self.lane(&batch, matching, true).await;
        }
        let mut lanes: Vec<Vec<EventRecord>> = vec![Vec::new(); factor];
        for r in matching {
            let mut h = DefaultHasher::new();
            r.key.hash(&mut h);
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

    /// Delivers one lane's records in order. With `progress`, a partial success returns the
    /// records done so far instead of retrying in place.
    async fn lane(&self, batch: &Batch, records: Vec<EventRecord>, progress: bool) -> Handled {
        let mut queue: VecDeque<Vec<EventRecord>> =
            chunks(records, self.spec.batch_size).into_iter().collect();
        let mut attempts = match (progress, queue.front().and_then(|c| c.first())) {
            (true, Some(first)) => self
                .retry_state(&batch.shard_id)
                .filter(|s| s.first_sequence == first.sequence_number)
                .map_or(0, |s| s.attempts),
            _ => 0,
        };
        while let Some(mut chunk) = queue.pop_front() {
            if attempts > 0 {
                self.clock.sleep(retry_delay(attempts)).await;
            }
            chunk = self.drop_expired(batch, chunk, attempts).await;
            if chunk.is_empty() {
                attempts = 0;
                continue;
            }
            if attempts > 0 {
                self.status.shard(&batch.stream_arn, &batch.shard_id, |s| {
                    s.batches_retried += 1
                });
            }
            let reply = self
                .invoker
                .invoke(payload(&chunk), self.spec.timeout)
                .await;
            match self.read(reply, &chunk) {
                Outcome::Success => {
                    attempts = 0;
                    self.succeeded(batch, &chunk);
                }
                Outcome::FailedFrom(i, why) => {
                    self.failed(batch, why);
                    if i > 0 {
                        self.succeeded(batch, &chunk[..i]);
                    }
                    attempts += 1;
                    let rest = chunk.split_off(i);
                    if self.exhausted(attempts) {
                        self.discard(batch, &rest, Condition::RetryAttemptsExhausted, attempts)
                            .await;
                        attempts = 0;
                        continue;
                    }
                    if progress && i > 0 {
                        self.save_retry_state(&batch.shard_id, &rest[0].sequence_number, attempts);
                        return Handled::Through(chunk[i - 1].sequence_number.clone());
                    }
                    queue.push_front(rest);
                }
                Outcome::Failed(why) => {
                    self.failed(batch, why);
                    if self.spec.bisect_on_error && chunk.len() > 1 {
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
                .remove(&batch.shard_id);
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

    fn save_retry_state(&self, shard: &str, first: &str, attempts: u32) {
        self.retries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                shard.to_owned(),
                RetryState {
                    first_sequence: first.to_owned(),
                    attempts,
                },
            );
    }

    fn exhausted(&self, attempts: u32) -> bool {
        self.spec.max_retries.is_some_and(|max| attempts > max)
    }

    /// Discards the records older than max-record-age (or past the stream's retention), the
    /// oldest first; returns the rest.
    async fn drop_expired(
        &self,
        batch: &Batch,
        mut chunk: Vec<EventRecord>,
        attempts: u32,
    ) -> Vec<EventRecord> {
        let limit = self.spec.max_record_age.unwrap_or(self.record_expiry);
        let limit = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        let now = self.clock.now_ms();
        let expired = chunk
            .iter()
            .take_while(|r| now.saturating_sub(r.created_ms) > limit)
            .count();
        if expired > 0 {
            let rest = chunk.split_off(expired);
            self.discard(batch, &chunk, Condition::RecordAgeExceeded, attempts)
                .await;
            chunk = rest;
        }
        chunk
    }

    /// Reads the handler's answer. With report-batch-item-failures, a body naming failed
    /// records makes the batch fail from the lowest of them; a body that cannot be read so
    /// fails the whole batch, as Lambda does.
    fn read(&self, reply: Reply, chunk: &[EventRecord]) -> Outcome {
        let body = match reply {
            Reply::FunctionError(why) => return Outcome::Failed(why),
            Reply::Answered(body) => body,
        };
        if !self.spec.report_batch_item_failures {
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
        let now = self.clock.now_ms();
        let last = records.last();
        self.status.shard(&batch.stream_arn, &batch.shard_id, |s| {
            s.batches_delivered += 1;
            s.records_delivered += records.len() as u64;
            if let Some(last) = last {
                s.position = Some(last.sequence_number.clone());
                s.iterator_age_ms = now.saturating_sub(last.created_ms);
            }
        });
    }

    fn failed(&self, batch: &Batch, why: String) {
        self.status.shard(&batch.stream_arn, &batch.shard_id, |s| {
            s.batches_failed += 1
        });
        self.status.set_error(why);
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
        self.status.shard(&batch.stream_arn, &batch.shard_id, |s| {
            s.batches_discarded += 1;
            s.position = last;
        });
        let Some(to) = &self.spec.on_failure else {
            return;
        };
        let record = on_failure::record(&Discarded {
            records,
            condition,
            invocations,
            function_arn: &self.function_arn,
            stream_arn: &batch.stream_arn,
            shard_id: &batch.shard_id,
            now_ms: self.clock.now_ms(),
        });
        let mut attempt = 0;
        while let Err(e) = on_failure::send(to, &self.http, &record).await {
            attempt += 1;
            tracing::warn!(trigger = %self.spec.name, error = %e, "on-failure destination failed");
            self.status.set_error(e);
            self.clock.sleep(retry_delay(attempt)).await;
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
