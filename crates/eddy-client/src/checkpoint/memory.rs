//! Checkpoints and leases in this process's memory: for tests, and for several consumers in
//! one process sharing the shards of a stream.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Checkpoint, CheckpointStore};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct Entry {
    checkpoint: Option<Checkpoint>,
    lease: Option<(String, Instant)>,
}

/// Checkpoints and leases kept in memory; gone when the process ends.
#[derive(Debug, Default)]
pub struct MemoryCheckpointStore {
    shards: Mutex<HashMap<(String, String), Entry>>,
}

impl MemoryCheckpointStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, stream_arn: &str, shard_id: &str, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let entry = shards
            .entry((stream_arn.to_owned(), shard_id.to_owned()))
            .or_default();
        f(entry)
    }
}

fn held_by_other(entry: &Entry, owner: &str) -> bool {
    entry
        .lease
        .as_ref()
        .is_some_and(|(o, until)| o != owner && *until > Instant::now())
}

#[async_trait]
impl CheckpointStore for MemoryCheckpointStore {
    async fn get(&self, stream_arn: &str, shard_id: &str) -> Result<Option<Checkpoint>> {
        Ok(self.with(stream_arn, shard_id, |e| e.checkpoint.clone()))
    }

    async fn put(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        checkpoint: &Checkpoint,
    ) -> Result<()> {
        self.with(stream_arn, shard_id, |e| {
            // Only the lease's holder moves the checkpoint, even after its lease expired: a
            // worker whose lease was taken, used and released must not write over what the
            // other worker saved.
            if e.lease.as_ref().is_none_or(|(o, _)| o != owner) {
                return Err(Error::LeaseLost {
                    shard_id: shard_id.to_owned(),
                });
            }
            e.checkpoint = Some(checkpoint.clone());
            Ok(())
        })
    }

    async fn acquire(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        duration: Duration,
    ) -> Result<bool> {
        Ok(self.with(stream_arn, shard_id, |e| {
            if held_by_other(e, owner) || e.checkpoint == Some(Checkpoint::ShardEnd) {
                return false;
            }
            e.lease = Some((owner.to_owned(), Instant::now() + duration));
            true
        }))
    }

    async fn renew(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        duration: Duration,
    ) -> Result<bool> {
        Ok(self.with(stream_arn, shard_id, |e| match &mut e.lease {
            Some((o, until)) if o == owner => {
                *until = Instant::now() + duration;
                true
            }
            _ => false,
        }))
    }

    async fn release(&self, stream_arn: &str, shard_id: &str, owner: &str) -> Result<()> {
        self.with(stream_arn, shard_id, |e| {
            if e.lease.as_ref().is_some_and(|(o, _)| o == owner) {
                e.lease = None;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_owner_at_a_time_until_the_lease_expires() {
        let store = MemoryCheckpointStore::new();
        let long = Duration::from_secs(60);
        assert!(store.acquire("s", "a", "w1", long).await.expect("acquire"));
        assert!(!store.acquire("s", "a", "w2", long).await.expect("acquire"));
        let c = Checkpoint::Sequence("1".into());
        assert!(matches!(
            store.put("s", "a", "w2", &c).await,
            Err(Error::LeaseLost { .. })
        ));
        store.put("s", "a", "w1", &c).await.expect("put");
        assert_eq!(store.get("s", "a").await.expect("get"), Some(c));
        store.release("s", "a", "w1").await.expect("release");
        assert!(
            store
                .acquire("s", "a", "w2", Duration::ZERO)
                .await
                .expect("acquire")
        );
        // w2's lease has already expired: w1 may take it back.
        assert!(store.acquire("s", "a", "w1", long).await.expect("acquire"));
        assert!(!store.renew("s", "a", "w2", long).await.expect("renew"));
        store
            .put("s", "a", "w1", &Checkpoint::ShardEnd)
            .await
            .expect("put");
        store.release("s", "a", "w1").await.expect("release");
        assert!(
            !store
                .acquire("s", "a", "w2", long)
                .await
                .expect("finished shard")
        );
    }
}
