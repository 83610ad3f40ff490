//! Deleting a dropped table's (or index's) keys behind the answer, on a thread of its own.
//!
//! DeleteTable and an index's removal answer at once, as DynamoDB does; the keys they leave
//! are deleted afterwards in bounded batches, so a table of a million items neither holds up
//! the request that dropped it nor the requests to other tables. Each range to delete is
//! recorded by a marker (`keys::drop_marker`) committed in the same batch as the catalog
//! change that orphaned it, and removed once the range is empty, so a restart finishes what
//! a stop or a crash interrupted. Table and index ids are never reused, so an orphaned range
//! is never confused with a live one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use eddy_storage::{Direction, Storage, WriteBatch};

use crate::keys;
use crate::model::error::{EngineError, Result};

/// A key range `[start, end)` to delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DropRange {
    start: Vec<u8>,
    end: Vec<u8>,
}

impl DropRange {
    /// Every key starting with `prefix`.
    pub(crate) fn prefix(prefix: Vec<u8>) -> Self {
        let end = keys::prefix_end(&prefix);
        Self { start: prefix, end }
    }

    /// Records the range in `batch`, to be committed with the change that orphans it.
    pub(crate) fn stage(&self, batch: &mut WriteBatch) {
        batch.put(keys::drop_marker(&self.start), self.end.clone());
    }

    /// Withdraws the range's marker in `batch`: what it covers is kept after all.
    pub(crate) fn unstage(&self, batch: &mut WriteBatch) {
        batch.delete(keys::drop_marker(&self.start));
    }
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<DropRange>>,
    wake: Condvar,
    stop: AtomicBool,
}

/// The background deleter.
pub(crate) struct Janitor {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Janitor {
    /// Starts the thread, with the ranges a previous run left marked when `resume`.
    ///
    /// # Errors
    /// Storage failures while reading the markers.
    pub(crate) fn start(storage: Arc<dyn Storage>, resume: bool) -> Result<Self> {
        let shared = Arc::new(Shared::default());
        if resume {
            let marked = marked_ranges(storage.as_ref())?;
            shared
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(marked);
        }
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("eddy-janitor".into())
            .spawn(move || run(&worker, storage.as_ref()))
            .map_err(|e| EngineError::Corrupt(format!("janitor thread: {e}")))?;
        Ok(Self {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues every range still marked: what another process left when it stopped.
    ///
    /// # Errors
    /// Storage failures while reading the markers.
    pub(crate) fn resume(&self, storage: &dyn Storage) -> Result<()> {
        self.enqueue(marked_ranges(storage)?);
        Ok(())
    }

    /// Queues ranges whose markers were just committed.
    pub(crate) fn enqueue(&self, ranges: Vec<DropRange>) {
        if ranges.is_empty() {
            return;
        }
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(ranges);
        self.shared.wake.notify_one();
    }

    /// Ranges still to delete: the one being deleted stays at the queue's front until it is
    /// done.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.shared
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Stops the thread between two batches; what is left stays marked for the next start.
    pub(crate) fn stop(&self) {
        {
            // Under the queue's lock: between the worker's look at the flag and its wait, a
            // notification sent without it would be lost, and the join below would hang.
            let _queue = self.shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            self.shared.stop.store(true, Ordering::SeqCst);
        }
        self.shared.wake.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Janitor {
    fn drop(&mut self) {
        self.stop();
    }
}

fn marked_ranges(storage: &dyn Storage) -> Result<Vec<DropRange>> {
    let snap = storage.snapshot();
    let end = keys::prefix_end(keys::DROP_PREFIX);
    let mut out = Vec::new();
    for entry in snap.range(
        std::ops::Bound::Included(keys::DROP_PREFIX),
        std::ops::Bound::Excluded(&end[..]),
        Direction::Forward,
    ) {
        let (marker, end) = entry?;
        out.push(DropRange {
            start: marker[keys::DROP_PREFIX.len()..].to_vec(),
            end,
        });
    }
    Ok(out)
}

fn run(shared: &Shared, storage: &dyn Storage) {
    loop {
        let next = {
            let mut queue = shared.queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(range) = queue.front() {
                    break range.clone();
                }
                queue = shared.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        match delete(storage, &next, &shared.stop) {
            Ok(true) => {
                shared
                    .queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front();
            }
            Ok(false) => return,
            Err(e) => {
                tracing::error!(error = %e, "deleting a dropped table's keys failed; retrying");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Deletes the range, then its marker; false if stopped before the end.
fn delete(storage: &dyn Storage, range: &DropRange, stop: &AtomicBool) -> Result<bool> {
    if !delete_until(storage, &range.start, &range.end, stop)? {
        return Ok(false);
    }
    let mut done = WriteBatch::new();
    done.delete(keys::drop_marker(&range.start));
    storage.commit(done)?;
    Ok(true)
}

/// Deletes every key in `[start, end)` in bounded batches, now (stream trimming, which keeps
/// its own order of commits).
pub(crate) fn delete_range(storage: &dyn Storage, start: &[u8], end: &[u8]) -> Result<()> {
    delete_until(storage, start, end, &AtomicBool::new(false)).map(drop)
}

/// Deletes `[start, end)` in batches of 1024 keys; false if `stop` was set before the end.
///
/// Each batch resumes after the last key the one before deleted: restarting from `start`
/// would make an LSM engine step over every tombstone written so far, quadratic in the
/// range's size.
fn delete_until(
    storage: &dyn Storage,
    start: &[u8],
    end: &[u8],
    stop: &AtomicBool,
) -> Result<bool> {
    const CHUNK: usize = 1024;
    let mut after: Option<Vec<u8>> = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let snap = storage.snapshot();
        let from = match &after {
            Some(last) => std::ops::Bound::Excluded(&last[..]),
            None => std::ops::Bound::Included(start),
        };
        let mut batch = WriteBatch::new();
        let mut last = None;
        for entry in snap
            .range(from, std::ops::Bound::Excluded(end), Direction::Forward)
            .take(CHUNK)
        {
            let (k, _) = entry?;
            batch.delete(k.clone());
            last = Some(k);
        }
        let Some(last) = last else {
            return Ok(true);
        };
        storage.commit(batch)?;
        after = Some(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eddy_storage::MemoryStorage;

    fn keys_in(storage: &dyn Storage, start: &[u8], end: &[u8]) -> usize {
        storage
            .snapshot()
            .range(
                std::ops::Bound::Included(start),
                std::ops::Bound::Excluded(end),
                Direction::Forward,
            )
            .count()
    }

    fn wait_idle(janitor: &Janitor) {
        for _ in 0..500 {
            if janitor.pending() == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the janitor did not finish");
    }

    fn fill(storage: &dyn Storage, prefix: &[u8], n: u32) {
        let mut batch = WriteBatch::new();
        for i in 0..n {
            let mut k = prefix.to_vec();
            k.extend_from_slice(&i.to_be_bytes());
            batch.put(k, b"v".to_vec());
        }
        storage.commit(batch).expect("commit");
    }

    #[test]
    fn ranges_marked_before_a_start_and_queued_after_it_are_deleted_with_their_markers() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let (left, dropped, later) = (
            keys::table_prefix(1),
            keys::table_prefix(2),
            keys::table_prefix(3),
        );
        fill(storage.as_ref(), &left, 10);
        fill(storage.as_ref(), &dropped, 5000);
        fill(storage.as_ref(), &later, 3000);
        // Marked by a run that stopped before deleting it.
        let mut batch = WriteBatch::new();
        DropRange::prefix(dropped.clone()).stage(&mut batch);
        storage.commit(batch).expect("commit");

        let janitor = Janitor::start(Arc::clone(&storage), true).expect("start");
        wait_idle(&janitor);
        assert_eq!(
            keys_in(storage.as_ref(), &dropped, &keys::prefix_end(&dropped)),
            0
        );

        let range = DropRange::prefix(later.clone());
        let mut batch = WriteBatch::new();
        range.stage(&mut batch);
        storage.commit(batch).expect("commit");
        janitor.enqueue(vec![range]);
        wait_idle(&janitor);
        assert_eq!(
            keys_in(storage.as_ref(), &later, &keys::prefix_end(&later)),
            0
        );

        assert_eq!(
            keys_in(storage.as_ref(), &left, &keys::prefix_end(&left)),
            10
        );
        let markers_end = keys::prefix_end(keys::DROP_PREFIX);
        assert_eq!(
            keys_in(storage.as_ref(), keys::DROP_PREFIX, &markers_end),
            0
        );
        janitor.stop();
    }
}
