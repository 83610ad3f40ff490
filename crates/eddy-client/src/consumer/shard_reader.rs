//! Reading one shard: from its checkpoint to its end (or its tip), handing each page to the
//! handler and checkpointing it only once the handler succeeded, recovering from expired
//! iterators, trimmed positions and throttling on the way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsInput;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorInput;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use rand::Rng;

use aws_sdk_dynamodbstreams::types::Record;

use super::{Batch, ConsumerEvent, Context, Handled, retry};
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};

/// How a shard's reading ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// The shard is closed and was read to its end; checkpointed as finished.
    Ended,
    /// The open shard has nothing more for now (only when the consumer stops at the tip).
    AtTip,
    /// Another worker holds the shard's lease now.
    LeaseLost,
    /// The consumer is shutting down.
    Stopped,
    /// The shard (or its stream) no longer exists: retention removed it.
    Gone,
}

/// Where to take an iterator.
#[derive(Clone, Debug)]
enum Position {
    TrimHorizon,
    Latest,
    After(String),
}

impl Position {
    fn describe(&self) -> String {
        match self {
            Self::TrimHorizon => "TRIM_HORIZON".into(),
            Self::Latest => "LATEST".into(),
            Self::After(s) => format!("AFTER_SEQUENCE_NUMBER {s}"),
        }
    }
}

/// Sleeps `delay`, or less if the consumer shuts down meanwhile; true if it is shutting down.
pub(crate) async fn pause(ctx: &Context, delay: Duration) -> bool {
    let mut shutdown = ctx.shutdown.clone();
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        () = ctx.clock.sleep(delay) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

/// Exponential backoff with full jitter: a random delay up to `base * 2^attempt`, capped.
pub(crate) fn backoff(ctx: &Context, attempt: u32) -> Duration {
    let ceiling = ctx
        .config
        .backoff_base
        .saturating_mul(1u32 << attempt.min(16))
        .min(ctx.config.backoff_max);
    let millis = ceiling.as_millis().max(1) as u64;
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

pub(crate) struct ShardReader {
    ctx: Arc<Context>,
    shard_id: String,
    /// Last sequence number handled and checkpointed.
    last: Option<String>,
    lease_renewed: Instant,
    failures: u32,
}

impl ShardReader {
    pub(crate) fn new(ctx: Arc<Context>, shard_id: String) -> Self {
        Self {
            ctx,
            shard_id,
            last: None,
            lease_renewed: Instant::now(),
            failures: 0,
        }
    }

    /// Reads the shard; `latest` starts a shard without checkpoint at LATEST instead of
    /// TRIM_HORIZON. A `closed` shard is read to its end even through empty pages.
    pub(crate) async fn run(mut self, latest: bool, closed: bool) -> Result<Exit> {
        let ctx = Arc::clone(&self.ctx);
        let position = match ctx.store.get(&ctx.stream_arn, &self.shard_id).await? {
            Some(Checkpoint::ShardEnd) => return Ok(Exit::Ended),
            Some(Checkpoint::Sequence(s)) => {
                self.last = Some(s.clone());
                Position::After(s)
            }
            None if latest => Position::Latest,
            None => Position::TrimHorizon,
        };
        let described = position.describe();
        let Some(mut iterator) = self.iterator(position).await? else {
            return Ok(self.gone_or_stopped());
        };
        ctx.emit(ConsumerEvent::ShardStarted {
            shard_id: self.shard_id.clone(),
            position: described,
        });
        let max_batch = ctx.config.max_batch_records.max(1);
        // Records read but not yet handed over, while a batch gathers; and when its batching
        // window (started by its first record) ends, on the consumer's clock.
        let mut pending: Vec<Record> = Vec::new();
        let mut pending_bytes = 0usize;
        let mut window_ends: Option<u64> = None;
        loop {
            if *ctx.shutdown.borrow() {
                return Ok(Exit::Stopped);
            }
            if !self.renew_lease().await? {
                return Ok(Exit::LeaseLost);
            }
            let limit =
                (max_batch - pending.len()).clamp(1, ctx.config.records_per_call.max(1) as usize);
            let page = ctx
                .client
                .get_records(
                    GetRecordsInput::builder()
                        .shard_iterator(&iterator)
                        .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                        .build()
                        .map_err(|e| Error::InvalidArgument(e.to_string()))?,
                )
                .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    let position = match e {
                        // A fresh iterator after the last checkpoint: never LATEST, which
                        // would skip what arrived meanwhile.
                        Error::ExpiredIterator(_) => {
                            ctx.emit(ConsumerEvent::IteratorExpired {
                                shard_id: self.shard_id.clone(),
                                after: self.last.clone(),
                            });
                            self.resume_position()
                        }
                        Error::TrimmedDataAccess(_) => {
                            ctx.emit(ConsumerEvent::Gap {
                                shard_id: self.shard_id.clone(),
                                after: self.last.clone(),
                            });
                            Position::TrimHorizon
                        }
                        Error::ResourceNotFound(_) => return Ok(Exit::Gone),
                        e if e.is_retryable() => {
                            if self.back_off(&e).await {
                                return Ok(Exit::Stopped);
                            }
                            continue;
                        }
                        e => return Err(e),
                    };
                    // The fresh iterator reads the gathered records again.
                    pending.clear();
                    pending_bytes = 0;
                    window_ends = None;
                    match self.iterator(position).await? {
                        Some(it) => iterator = it,
                        None => return Ok(self.gone_or_stopped()),
                    }
                    continue;
                }
            };
            self.failures = 0;
            let records = page.records.unwrap_or_default();
            let empty = records.is_empty();
            if !empty && pending.is_empty() {
                window_ends = Some(
                    ctx.clock
                        .now_ms()
                        .saturating_add(millis(ctx.config.batching_window)),
                );
            }
            if ctx.config.max_batch_bytes.is_some() {
                pending_bytes += records
                    .iter()
                    .map(|r| crate::record_json::record_to_json(r).to_string().len() + 1)
                    .sum::<usize>();
            }
            pending.extend(records);
            let ended = page.next_shard_iterator.is_none();
            // A closed shard may answer an empty page before its end; only an open one has a
            // tip to wait at.
            let at_tip = empty && !closed;
            let window_over = window_ends.is_some_and(|t| ctx.clock.now_ms() >= t);
            if !pending.is_empty()
                && (pending.len() >= max_batch
                    || ctx
                        .config
                        .max_batch_bytes
                        .is_some_and(|max| pending_bytes >= max)
                    || ended
                    || window_over
                    || (at_tip && ctx.config.stop_at_tip))
            {
                window_ends = None;
                pending_bytes = 0;
                if !self.deliver(std::mem::take(&mut pending)).await? {
                    return Ok(Exit::LeaseLost);
                }
            } else if !empty {
                ctx.emit(ConsumerEvent::Gathering {
                    shard_id: self.shard_id.clone(),
                    records: pending.len(),
                });
            }
            match page.next_shard_iterator {
                None => {
                    if !self.save(Checkpoint::ShardEnd).await? {
                        return Ok(Exit::LeaseLost);
                    }
                    ctx.emit(ConsumerEvent::ShardEnded {
                        shard_id: self.shard_id.clone(),
                    });
                    return Ok(Exit::Ended);
                }
                Some(next) => iterator = next,
            }
            if at_tip {
                if ctx.config.stop_at_tip {
                    return Ok(Exit::AtTip);
                }
                let now = ctx.clock.now_ms();
                let wait = match window_ends {
                    Some(t) => ctx
                        .config
                        .idle_poll
                        .min(Duration::from_millis(t.saturating_sub(now))),
                    None => ctx.config.idle_poll,
                };
                if pause(&ctx, wait).await {
                    return Ok(Exit::Stopped);
                }
            }
        }
    }

    /// Why no iterator could be had: the consumer is stopping, or the shard is gone.
    fn gone_or_stopped(&self) -> Exit {
        if *self.ctx.shutdown.borrow() {
            Exit::Stopped
        } else {
            Exit::Gone
        }
    }

    fn resume_position(&self) -> Position {
        match &self.last {
            Some(s) => Position::After(s.clone()),
            None => Position::TrimHorizon,
        }
    }

    /// An iterator at `position`, retrying throttling; None when the shard is gone.
    async fn iterator(&mut self, mut position: Position) -> Result<Option<String>> {
        let ctx = Arc::clone(&self.ctx);
        loop {
            let (kind, seq) = match &position {
                Position::TrimHorizon => (ShardIteratorType::TrimHorizon, None),
                Position::Latest => (ShardIteratorType::Latest, None),
                Position::After(s) => (ShardIteratorType::AfterSequenceNumber, Some(s.clone())),
            };
            let input = GetShardIteratorInput::builder()
                .stream_arn(&ctx.stream_arn)
                .shard_id(&self.shard_id)
                .shard_iterator_type(kind)
                .set_sequence_number(seq)
                .build()
                .map_err(|e| Error::InvalidArgument(e.to_string()))?;
            match ctx.client.get_shard_iterator(input).await {
                Ok(out) => {
                    self.failures = 0;
                    return Ok(out.shard_iterator);
                }
                Err(Error::TrimmedDataAccess(_)) => {
                    ctx.emit(ConsumerEvent::Gap {
                        shard_id: self.shard_id.clone(),
                        after: self.last.clone(),
                    });
                    position = Position::TrimHorizon;
                }
                Err(Error::ResourceNotFound(_)) => return Ok(None),
                Err(e) if e.is_retryable() => {
                    if self.back_off(&e).await {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Hands the records to the handler as one batch and checkpoints what it handled; when it
    /// handled only a part, the rest goes to it again as the next batch. False when the lease
    /// was lost.
    async fn deliver(&mut self, mut records: Vec<Record>) -> Result<bool> {
        loop {
            let batch = Batch {
                stream_arn: self.ctx.stream_arn.clone(),
                shard_id: self.shard_id.clone(),
                records: records.into(),
            };
            let through = match self.handle(batch.clone()).await? {
                Handled::All => batch.last_sequence_number().map(str::to_owned),
                Handled::Through(seq) => Some(seq),
            };
            let Some(through) = through else {
                return Ok(true);
            };
            if !self.save(Checkpoint::Sequence(through.clone())).await? {
                return Ok(false);
            }
            records = batch
                .records
                .iter()
                .filter(|r| {
                    r.dynamodb()
                        .and_then(|d| d.sequence_number())
                        .is_some_and(|s| sequence_after(s, &through))
                })
                .cloned()
                .collect();
            self.last = Some(through);
            if records.is_empty() {
                return Ok(true);
            }
        }
    }

    /// Calls the handler with the batch, retrying it after a failure.
    async fn handle(&mut self, batch: Batch) -> Result<Handled> {
        let ctx = Arc::clone(&self.ctx);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut call = (ctx.handler)(batch.clone());
            // The lease is renewed while the handler runs, so a slow handler does not let
            // another worker take the shard and deliver the same records beside it.
            let outcome = loop {
                let renew_in =
                    (ctx.config.lease_duration / 3).saturating_sub(self.lease_renewed.elapsed());
                tokio::select! {
                    outcome = &mut call => break outcome,
                    () = tokio::time::sleep(renew_in) => {
                        self.renew_lease().await?;
                    }
                }
            };
            match outcome {
                Ok(handled) => return Ok(handled),
                Err(e) => {
                    ctx.emit(ConsumerEvent::HandlerFailed {
                        shard_id: self.shard_id.clone(),
                        attempt,
                        error: e.to_string(),
                    });
                    if attempt > ctx.config.handler_retries {
                        return Err(Error::Handler(e));
                    }
                    ctx.clock.sleep(backoff(&ctx, attempt)).await;
                }
            }
        }
    }

    /// Saves a checkpoint; false when the lease was lost.
    async fn save(&self, checkpoint: Checkpoint) -> Result<bool> {
        let ctx = &self.ctx;
        let saved = retry(ctx, || {
            ctx.store.put(
                &ctx.stream_arn,
                &self.shard_id,
                &ctx.config.worker_id,
                &checkpoint,
            )
        })
        .await;
        match saved {
            Ok(()) => Ok(true),
            Err(Error::LeaseLost { .. }) => {
                ctx.emit(ConsumerEvent::LeaseLost {
                    shard_id: self.shard_id.clone(),
                });
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Renews the lease once a third of its duration has passed; false when it was lost.
    async fn renew_lease(&mut self) -> Result<bool> {
        let ctx = &self.ctx;
        if self.lease_renewed.elapsed() < ctx.config.lease_duration / 3 {
            return Ok(true);
        }
        let held = retry(ctx, || {
            ctx.store.renew(
                &ctx.stream_arn,
                &self.shard_id,
                &ctx.config.worker_id,
                ctx.config.lease_duration,
            )
        })
        .await?;
        self.lease_renewed = Instant::now();
        if !held {
            ctx.emit(ConsumerEvent::LeaseLost {
                shard_id: self.shard_id.clone(),
            });
        }
        Ok(held)
    }

    /// Waits out a retryable error; true if the consumer is shutting down.
    async fn back_off(&mut self, e: &Error) -> bool {
        self.ctx.emit(ConsumerEvent::Backoff {
            shard_id: Some(self.shard_id.clone()),
            error: e.to_string(),
        });
        self.failures += 1;
        pause(&self.ctx, backoff(&self.ctx, self.failures)).await
    }
}

/// Whether sequence number `a` comes after `b`: both are decimal, so the longer is the larger,
/// and text order decides between equal lengths.
fn sequence_after(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_after("100", "99"));
        assert!(sequence_after("000200", "000199"));
        assert!(!sequence_after("99", "100"));
        assert!(!sequence_after("42", "42"));
    }
}
