//! Group commit: concurrent committers share journal syncs.
//!
//! A committer announces its write ([`GroupCommit::begin_write`]), writes its batch to the
//! journal (handed to the OS, not synced), takes a ticket ([`PendingWrite::written`]), and then
//! (possibly after releasing its own locks) waits for a sync that covers it
//! ([`GroupCommit::wait_durable`]). If no sync is running it becomes the leader: it lets the
//! writes already announced finish (they take microseconds, a sync takes far longer), then syncs
//! once for all of them. Whoever arrives during a sync waits and is covered by the next one. So
//! N concurrent writers need about one sync per round instead of N syncs one after another.
//!
//! Waiting for announced writes matters with fjall, whose sync holds the journal lock: writers
//! queue behind a running sync and finish their writes one by one after it, and a leader that
//! synced at once would cover only the first of them.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::StorageError;

/// Longest a leader waits for announced writes before syncing without them, so a stalled
/// writer delays the others by no more than this.
const MAX_GATHER: Duration = Duration::from_millis(2);

/// Tracks which journal writes a completed sync covers.
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    /// Writes announced so far.
    started: u64,
    /// Writes finished (or abandoned) so far; a finished write's ticket is this count right
    /// after it finished.
    finished: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// Whether a leader is gathering or syncing right now.
    leading: bool,
}

/// A write announced to a [`GroupCommit`]; dropping it without waiting abandons it (a failed
/// write), so no leader waits for it.
pub(crate) struct PendingWrite<'a> {
    group: &'a GroupCommit,
    finished: bool,
}

impl GroupCommit {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                started: 0,
                finished: 0,
                durable: 0,
                leading: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// Announces a write that is about to start, so a leader can wait for it.
    pub(crate) fn begin_write(&self) -> PendingWrite<'_> {
        self.state.lock().started += 1;
        PendingWrite {
            group: self,
            finished: false,
        }
    }

    fn finish(&self) -> u64 {
        let mut state = self.state.lock();
        state.finished += 1;
        let ticket = state.finished;
        drop(state);
        self.changed.notify_all();
        ticket
    }

    /// Returns once a call of `sync` that started after the write of `ticket` finished covers
    /// it. Waiting may happen after the writer released its own locks: a later ticket's sync
    /// covers every earlier write.
    ///
    /// # Errors
    ///
    /// The error of the sync this caller led. A waiter whose leader failed leads a sync of its
    /// own (which fails again if the engine is poisoned), so every error reaches a caller.
    pub(crate) fn wait_durable(
        &self,
        ticket: u64,
        sync: impl Fn() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut state = self.state.lock();
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.leading {
                self.changed.wait(&mut state);
                continue;
            }
            state.leading = true;
            let announced = state.started;
            let deadline = Instant::now() + MAX_GATHER;
            while state.finished < announced {
                if self.changed.wait_until(&mut state, deadline).timed_out() {
                    break;
                }
            }
            // Every write finished so far is in the OS, so one sync covers them all.
            let covers = state.finished;
            let result = parking_lot::MutexGuard::unlocked(&mut state, &sync);
            state.leading = false;
            if result.is_ok() {
                state.durable = state.durable.max(covers);
            }
            self.changed.notify_all();
            result?;
        }
    }
}

impl PendingWrite<'_> {
    /// Marks the write as handed to the OS and returns its ticket for
    /// [`GroupCommit::wait_durable`].
    pub(crate) fn written(mut self) -> u64 {
        self.finished = true;
        self.group.finish()
    }
}

impl Drop for PendingWrite<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.group.finish();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Every caller returns only after a sync that started after its write, and concurrent
    /// callers share syncs.
    #[test]
    fn syncs_cover_earlier_writes_and_are_shared() {
        const THREADS: u64 = 8;
        const COMMITS: u64 = 20;
        let group = GroupCommit::new();
        let writes = AtomicU64::new(0);
        let durable_writes = AtomicU64::new(0);
        let syncs = AtomicU64::new(0);
        let sync = || {
            let covered = writes.load(Ordering::SeqCst);
            syncs.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            durable_writes.fetch_max(covered, Ordering::SeqCst);
            Ok(())
        };
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..COMMITS {
                        let pending = group.begin_write();
                        let write = writes.fetch_add(1, Ordering::SeqCst) + 1;
                        let ticket = pending.written();
                        group.wait_durable(ticket, sync).unwrap();
                        assert!(durable_writes.load(Ordering::SeqCst) >= write);
                    }
                });
            }
        });
        let syncs = syncs.load(Ordering::SeqCst);
        assert!(
            syncs <= THREADS * COMMITS / 2,
            "{syncs} syncs for {} commits",
            THREADS * COMMITS
        );
    }

    /// A failed sync fails its leader; the next commit leads a new sync; an abandoned write
    /// does not hold a leader up.
    #[test]
    fn failed_sync_reaches_the_caller_and_abandoned_writes_are_not_awaited() {
        let group = GroupCommit::new();
        let failing = || Err(StorageError::Poisoned);
        let ticket = group.begin_write().written();
        let result = group.wait_durable(ticket, failing);
        assert!(matches!(result, Err(StorageError::Poisoned)));

        let abandoned = group.begin_write();
        drop(abandoned);
        let state = group.state.lock();
        assert_eq!(
            state.finished, state.started,
            "a leader would wait for the abandoned write"
        );
        drop(state);
        let ticket = group.begin_write().written();
        group.wait_durable(ticket, || Ok(())).unwrap();
    }
}
