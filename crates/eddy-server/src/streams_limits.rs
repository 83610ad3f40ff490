//! DynamoDB Streams' published request rates, enforced when `--streams-rate-limits` is on so
//! that consumers' throttling paths can be exercised: DescribeStream 10 and ListStreams 5
//! calls a second (Streams API reference), GetRecords 5 calls a second per shard (the figure
//! Streams shares with Kinesis; the Streams docs publish none). GetShardIterator has no
//! published Streams rate, so it is not limited.
//!
//! A limit means "at most N admitted calls in any one-second window" of the engine's clock,
//! so tests can move past a window with the clock-advance endpoint.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::input::Input;
use eddy_engine::Engine;

use crate::error::{ApiError, ErrorKind};
use crate::protocol::Operation;

const DESCRIBE_STREAM_PER_SECOND: usize = 10;
const LIST_STREAMS_PER_SECOND: usize = 5;
const GET_RECORDS_PER_SHARD_PER_SECOND: usize = 5;
const WINDOW_MS: u64 = 1000;
/// Shards tracked before idle ones are forgotten, so the map stays small on long runs.
const PRUNE_AT: usize = 1024;

/// The times of the calls admitted in the last window, oldest first.
#[derive(Debug, Default)]
struct Window(VecDeque<u64>);

impl Window {
    /// Admits a call at `now_ms` unless `limit` calls were admitted in the window before it.
    fn admit(&mut self, now_ms: u64, limit: usize) -> bool {
        while self
            .0
            .front()
            .is_some_and(|&t| t.saturating_add(WINDOW_MS) <= now_ms)
        {
            self.0.pop_front();
        }
        if self.0.len() >= limit {
            return false;
        }
        self.0.push_back(now_ms);
        true
    }

    fn is_idle(&self, now_ms: u64) -> bool {
        self.0
            .back()
            .is_none_or(|&t| t.saturating_add(WINDOW_MS) <= now_ms)
    }
}

/// Rate limits of the Streams API, for the whole server.
#[derive(Debug, Default)]
pub(crate) struct StreamsLimits {
    describe_stream: Mutex<Window>,
    list_streams: Mutex<Window>,
    shards: Mutex<HashMap<(String, String), Window>>,
}

impl StreamsLimits {
    /// Admits or refuses one call of `op`.
    ///
    /// # Errors
    /// LimitExceededException when the operation's rate is used up.
    pub(crate) fn check(
        &self,
        engine: &Engine,
        op: Operation,
        input: &Input<'_>,
    ) -> Result<(), ApiError> {
        let now = engine.clock().now_ms();
        let admitted = match op {
            Operation::DescribeStream => {
                admit(&self.describe_stream, now, DESCRIBE_STREAM_PER_SECOND)
            }
            Operation::ListStreams => admit(&self.list_streams, now, LIST_STREAMS_PER_SECOND),
            Operation::GetRecords => {
                // An iterator eddy did not issue is the engine's to refuse, not the limiter's.
                let Some(shard) = input
                    .string("ShardIterator")
                    .ok()
                    .flatten()
                    .and_then(|it| engine.iterator_shard(it))
                else {
                    return Ok(());
                };
                if self.admit_shard(shard.clone(), now) {
                    return Ok(());
                }
                let (arn, shard_id) = shard;
                // Kinesis's wording for a shard's read rate, which Streams follows.
                return Err(limit_exceeded(format!(
                    "Rate exceeded for shard {shard_id} in stream {arn} under account {}.",
                    engine.scope().account_id
                )));
            }
            _ => true,
        };
        if admitted {
            Ok(())
        } else {
            // What DynamoDB Streams answers a caller over DescribeStream's or ListStreams' rate.
            Err(limit_exceeded("Rate exceeded"))
        }
    }

    fn admit_shard(&self, shard: (String, String), now_ms: u64) -> bool {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        if shards.len() >= PRUNE_AT {
            shards.retain(|_, w| !w.is_idle(now_ms));
        }
        shards
            .entry(shard)
            .or_default()
            .admit(now_ms, GET_RECORDS_PER_SHARD_PER_SECOND)
    }
}

fn admit(window: &Mutex<Window>, now_ms: u64, limit: usize) -> bool {
    // A poisoned lock only means another request panicked mid-admit; the window is still valid.
    window
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .admit(now_ms, limit)
}

fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::LimitExceeded, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_limit_per_second() {
        let mut w = Window::default();
        for i in 0..10 {
            assert!(w.admit(1_000 + i * 10, 10), "call {i}");
        }
        assert!(!w.admit(1_500, 10));
        // Refused calls do not count: once the first call is a second old, one more fits.
        assert!(!w.admit(1_999, 10));
        assert!(w.admit(2_000, 10));
        assert!(!w.admit(2_001, 10));
        for i in 0..10 {
            assert!(w.admit(3_100 + i, 10), "call {i} a second later");
        }
    }

    #[test]
    fn shards_have_their_own_windows_and_idle_ones_are_forgotten() {
        let limits = StreamsLimits::default();
        let shard = |n: usize| ("arn".to_owned(), format!("shard-{n}"));
        for _ in 0..GET_RECORDS_PER_SHARD_PER_SECOND {
            assert!(limits.admit_shard(shard(0), 0));
        }
        assert!(!limits.admit_shard(shard(0), 10));
        assert!(limits.admit_shard(shard(1), 10));
        for n in 2..PRUNE_AT + 1 {
            limits.admit_shard(shard(n), 20);
        }
        assert!(limits.admit_shard(shard(0), 1_500));
        assert_eq!(limits.shards.lock().unwrap().len(), 1);
    }
}
