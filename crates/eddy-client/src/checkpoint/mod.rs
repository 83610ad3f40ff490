//! Where a consumer records how far it has read each shard, and which worker reads it.
//!
//! A store keeps one [`Checkpoint`] per shard and, where several workers share it, one lease
//! per shard: only the lease's owner reads the shard and writes its checkpoint. Three stores
//! ship: [`MemoryCheckpointStore`], [`FileCheckpointStore`] and [`LeaseTableStore`] (a
//! DynamoDB table, the KCL's model).

mod file;
mod lease_table;
mod memory;

use std::time::Duration;

use async_trait::async_trait;

pub use file::FileCheckpointStore;
pub use lease_table::LeaseTableStore;
pub use memory::MemoryCheckpointStore;

use crate::error::Result;

/// How far a shard has been read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// Every record up to and including this sequence number was handled.
    Sequence(String),
    /// The shard was read to its end; its children may be read.
    ShardEnd,
}

/// The text a store keeps for [`Checkpoint::ShardEnd`] (a sequence number is all digits).
const SHARD_END: &str = "SHARD_END";

impl Checkpoint {
    /// The stored text: the sequence number, or `SHARD_END`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sequence(s) => s,
            Self::ShardEnd => SHARD_END,
        }
    }

    /// Reads the stored text back; None for text that is neither.
    pub fn parse(s: &str) -> Option<Self> {
        if s == SHARD_END {
            Some(Self::ShardEnd)
        } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            Some(Self::Sequence(s.to_owned()))
        } else {
            None
        }
    }
}

/// A checkpoint store. Stores that serve one worker keep the default lease methods, which
/// grant every lease.
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The shard's checkpoint, if one was saved.
    ///
    /// # Errors
    /// [`crate::Error::Checkpoint`] or the service's error when the store cannot be read.
    async fn get(&self, stream_arn: &str, shard_id: &str) -> Result<Option<Checkpoint>>;

    /// Saves the shard's checkpoint on behalf of `owner`.
    ///
    /// # Errors
    /// [`crate::Error::LeaseLost`] when another worker holds the shard's lease now;
    /// [`crate::Error::Checkpoint`] or the service's error when the store cannot be written.
    async fn put(
        &self,
        stream_arn: &str,
        shard_id: &str,
        owner: &str,
        checkpoint: &Checkpoint,
    ) -> Result<()>;

    /// Takes the shard's lease for `owner` for `duration`, if it is free, expired, or already
    /// `owner`'s, and the shard is not finished. Returns whether `owner` holds it now.
    ///
    /// # Errors
    /// The store's failure.
    async fn acquire(
        &self,
        _stream_arn: &str,
        _shard_id: &str,
        _owner: &str,
        _duration: Duration,
    ) -> Result<bool> {
        Ok(true)
    }

    /// Extends `owner`'s lease by `duration`; false when the lease was taken over.
    ///
    /// # Errors
    /// The store's failure.
    async fn renew(
        &self,
        _stream_arn: &str,
        _shard_id: &str,
        _owner: &str,
        _duration: Duration,
    ) -> Result<bool> {
        Ok(true)
    }

    /// Gives the lease up, if `owner` still holds it.
    ///
    /// # Errors
    /// The store's failure.
    async fn release(&self, _stream_arn: &str, _shard_id: &str, _owner: &str) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_round_trip_through_their_text() {
        for c in [Checkpoint::ShardEnd, Checkpoint::Sequence("000123".into())] {
            assert_eq!(Checkpoint::parse(c.as_str()), Some(c));
        }
        assert_eq!(Checkpoint::parse("12a"), None);
        assert_eq!(Checkpoint::parse(""), None);
    }
}
