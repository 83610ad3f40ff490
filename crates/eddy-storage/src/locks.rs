//! Locks every process serving one storage sees: what the engine takes so that two writers,
//! in this process or in another one on the same database, never interleave.
//!
//! An engine only one process opens at a time (memory, fjall) keeps its locks in memory
//! ([`LocalLocks`]); a database several processes serve (PostgreSQL) keeps them in the
//! database, so they are released when their holder's connection ends, crashes included.

use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

/// A lock taken through [`Storage::lock`](crate::Storage::lock) or
/// [`Storage::try_lock`](crate::Storage::try_lock), released when dropped.
pub trait Held: Send + Sync + std::fmt::Debug {
    /// Whether the lock is still held: a database lock is lost with its connection (the
    /// database restarted, or the network between failed), and another process may take it.
    fn is_held(&self) -> bool {
        true
    }
}

/// A held lock.
pub type HeldLock = Box<dyn Held>;

/// The highest lock id: ids are numbers the engine chooses, below 2^48, so an engine can keep
/// them apart from locks of its own.
pub const MAX_LOCK_ID: u64 = (1 << 48) - 1;

/// Locks kept in this process's memory: exclusive per id, waited for on a condition variable.
#[derive(Clone, Default)]
pub(crate) struct LocalLocks {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    held: Mutex<HashSet<u64>>,
    released: Condvar,
}

struct LocalHeld {
    inner: Arc<Inner>,
    id: u64,
}

impl std::fmt::Debug for LocalHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "lock {} in memory", self.id)
    }
}

impl Held for LocalHeld {}

impl Drop for LocalHeld {
    fn drop(&mut self) {
        self.inner.held.lock().remove(&self.id);
        self.inner.released.notify_all();
    }
}

impl LocalLocks {
    /// Takes lock `id`, waiting while another holder has it.
    pub(crate) fn lock(&self, id: u64) -> HeldLock {
        let mut held = self.inner.held.lock();
        while held.contains(&id) {
            self.inner.released.wait(&mut held);
        }
        held.insert(id);
        Box::new(LocalHeld {
            inner: Arc::clone(&self.inner),
            id,
        })
    }

    /// Takes lock `id` unless another holder has it.
    pub(crate) fn try_lock(&self, id: u64) -> Option<HeldLock> {
        let mut held = self.inner.held.lock();
        if !held.insert(id) {
            return None;
        }
        Some(Box::new(LocalHeld {
            inner: Arc::clone(&self.inner),
            id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_until_dropped() {
        let locks = LocalLocks::default();
        let first = locks.lock(7);
        assert!(locks.try_lock(7).is_none());
        assert!(locks.try_lock(8).is_some());
        drop(first);
        assert!(locks.try_lock(7).is_some());
    }
}
