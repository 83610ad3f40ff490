//! The storage trait every engine implements.

use std::ops::Bound;

use crate::locks::{HeldLock, LocalLocks};
use crate::{StorageError, WriteBatch};

/// An ordered byte-key store with snapshot reads and atomic batch writes.
///
/// Keys are 1 to 65,535 bytes; values any length. Engines are shared between threads
/// (`Arc<dyn Storage>`) and every method may block on I/O, so async callers should use a
/// blocking context.
pub trait Storage: Send + Sync + 'static {
    /// A consistent point-in-time view: commits that finish after this call are invisible to
    /// it, however long it is kept.
    fn snapshot(&self) -> Box<dyn Snapshot>;

    /// Applies every operation of `batch` atomically (all or nothing, also across a crash) and
    /// returns once the batch is durable per the engine's [`Durability`](crate::Durability).
    ///
    /// # Errors
    ///
    /// [`StorageError::InvalidKey`] for an empty or over-long key (nothing is applied);
    /// I/O and engine failures otherwise.
    fn commit(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let ticket = self.apply(batch)?;
        self.wait_durable(ticket)
    }

    /// Applies every operation of `batch` atomically, like [`Storage::commit`], but returns as
    /// soon as the batch is visible, with a ticket to wait on for its durability. Batches
    /// become durable in the order they were applied, so waiting for a later ticket covers the
    /// earlier ones.
    ///
    /// This lets a caller that serialises its writes under a lock release the lock before the
    /// wait, so that the writes queued behind it share one journal sync (group commit) instead
    /// of syncing one after another.
    ///
    /// # Errors
    ///
    /// As [`Storage::commit`].
    fn apply(&self, batch: WriteBatch) -> Result<Ticket, StorageError>;

    /// Returns once every batch applied up to `ticket` is durable.
    ///
    /// # Errors
    ///
    /// I/O failures of the sync.
    fn wait_durable(&self, ticket: Ticket) -> Result<(), StorageError>;

    /// Prepares for the process to end: writes out what a restart would otherwise have to
    /// replay from a journal. Writes may still follow; they are as durable as ever.
    ///
    /// # Errors
    ///
    /// I/O failures.
    fn close(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Whether [`Storage::wait_durable`] can block for a disk sync (milliseconds), so that
    /// async callers should wait on a thread of their own rather than on a runtime worker.
    fn waits_for_sync(&self) -> bool {
        false
    }

    /// Whether every call, reads included, waits for another machine (a database server), so
    /// that async callers should make any call on a thread of their own.
    fn remote(&self) -> bool {
        false
    }

    /// The latest committed value of `key`; the same as `snapshot().get(key)`.
    ///
    /// # Errors
    ///
    /// I/O failures and corrupt data on disk.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Whether several processes may serve this storage at once (a database server). The
    /// engine then keeps nothing in its own memory that another process could change without
    /// it knowing: it takes [`Storage::lock`] around its writes and reads back what others
    /// changed.
    fn shared(&self) -> bool {
        false
    }

    /// Takes lock `id` (at most [`MAX_LOCK_ID`](crate::MAX_LOCK_ID)), waiting while any holder
    /// has it, in this process or in another one serving the same storage; then reads the
    /// latest committed values of `keys`, so what the previous holder committed is among them.
    /// The lock is released when the returned guard is dropped, or when its process ends.
    ///
    /// # Errors
    ///
    /// [`StorageError::Engine`] for an id out of range; I/O and database failures.
    #[allow(clippy::type_complexity)]
    fn lock(
        &self,
        id: u64,
        keys: &[&[u8]],
    ) -> Result<(HeldLock, Vec<Option<Vec<u8>>>), StorageError>;

    /// Takes lock `id` unless another holder has it: how one process among several is chosen
    /// for work that must run once.
    ///
    /// # Errors
    ///
    /// As [`Storage::lock`].
    fn try_lock(&self, id: u64) -> Result<Option<HeldLock>, StorageError>;
}

/// [`Storage::lock`] for an engine one process serves: the lock in memory, then the reads.
#[allow(clippy::type_complexity)]
pub(crate) fn lock_locally(
    storage: &dyn Storage,
    locks: &LocalLocks,
    id: u64,
    keys: &[&[u8]],
) -> Result<(HeldLock, Vec<Option<Vec<u8>>>), StorageError> {
    check_lock_id(id)?;
    let held = locks.lock(id);
    let values = keys
        .iter()
        .map(|key| storage.get(key))
        .collect::<Result<_, _>>()?;
    Ok((held, values))
}

/// Refuses lock ids above [`MAX_LOCK_ID`](crate::MAX_LOCK_ID), in every engine alike.
pub(crate) fn check_lock_id(id: u64) -> Result<u64, StorageError> {
    if id > crate::MAX_LOCK_ID {
        return Err(StorageError::Engine(format!(
            "lock id {id} is above the highest, {}",
            crate::MAX_LOCK_ID
        )));
    }
    Ok(id)
}

/// Names an applied batch for [`Storage::wait_durable`]. Tickets are ordered: the larger of two
/// covers both. The default ticket has nothing to wait for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);

/// A point-in-time read view of a [`Storage`].
pub trait Snapshot: Send + Sync {
    /// The value of `key` as of this snapshot.
    ///
    /// # Errors
    ///
    /// I/O failures and corrupt data on disk.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// The pairs whose keys lie between `start` and `end`, ascending for
    /// [`Direction::Forward`], descending for [`Direction::Reverse`].
    ///
    /// The iterator is lazy: it reads as the caller pulls, so stopping early is cheap. A range
    /// whose start lies after its end is empty.
    ///
    /// # Errors
    ///
    /// Items are `Err` on I/O failures and corrupt data; callers should stop at the first.
    fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> RangeIter<'a>;
}

/// What [`Snapshot::range`] returns: `(key, value)` pairs, lazily.
pub type RangeIter<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StorageError>> + 'a>;

/// A start and an end bound.
type KeyBounds<'k> = (Bound<&'k [u8]>, Bound<&'k [u8]>);

/// Order in which [`Snapshot::range`] yields keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Ascending key order.
    Forward,
    /// Descending key order.
    Reverse,
}

/// Range bounds with the edge cases settled once for every engine: `None` if no key can lie in
/// the range, otherwise bounds that never name the empty key (no stored key is empty, and fjall
/// refuses empty keys even in bounds).
pub(crate) fn normalize_range<'k>(
    start: Bound<&'k [u8]>,
    end: Bound<&'k [u8]>,
) -> Option<KeyBounds<'k>> {
    let start = match start {
        Bound::Included([]) | Bound::Excluded([]) => Bound::Unbounded,
        other => other,
    };
    let end = match end {
        Bound::Included([]) | Bound::Excluded([]) => return None,
        other => other,
    };
    let empty = match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
    };
    (!empty).then_some((start, end))
}
