//! Group commit: concurrent committers share journal syncs.
//!
//! Each committer writes its batch to the journal (handed to the OS, not synced), then calls
//! [`GroupCommit::sync_written`]. If no sync is running it becomes the leader and syncs; whoever
//! arrives meanwhile waits, and the next leader's single sync covers all of them. So with N
//! writers one sync acknowledges up to N commits instead of N syncs running one after another.

use parking_lot::{Condvar, Mutex};

use crate::StorageError;

/// Tracks which journal writes a completed sync covers.
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    synced: Condvar,
}

struct State {
    /// Tickets handed out so far; ticket `n` is the `n`-th write registered.
    written: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// Whether a leader is syncing right now.
    syncing: bool,
}

impl GroupCommit {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                written: 0,
                durable: 0,
                syncing: false,
            }),
            synced: Condvar::new(),
        }
    }

    /// Returns once a call of `sync` that started after this call covers the caller's write.
    ///
    /// Call it after the write has reached the OS: the ticket taken on entry then orders the
    /// write before any sync that claims to cover it.
    ///
    /// # Errors
    ///
    /// The error of the sync this caller led. A waiter whose leader failed leads a sync of its
    /// own (which fails again if the engine is poisoned), so every error reaches a caller.
    pub(crate) fn sync_written(
        &self,
        sync: impl Fn() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut state = self.state.lock();
        state.written += 1;
        let ticket = state.written;
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.syncing {
                self.synced.wait(&mut state);
                continue;
            }
            // Lead: everything written so far is in the OS, so one sync covers it all.
            state.syncing = true;
            let covers = state.written;
            let result = parking_lot::MutexGuard::unlocked(&mut state, &sync);
            state.syncing = false;
            if result.is_ok() {
                state.durable = state.durable.max(covers);
            }
            self.synced.notify_all();
            result?;
        }
    }
}
