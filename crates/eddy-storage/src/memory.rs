//! The in-memory engine: a multi-version skiplist.
//!
//! # Structure, and why
//!
//! Every committed value is a *version* in one lock-free ordered map
//! ([`crossbeam_skiplist::SkipMap`]) keyed by `(key ascending, sequence number descending)`.
//! A commit takes the next sequence number, inserts one version per key (a delete inserts a
//! tombstone) and then publishes the number; a snapshot is just the number published when it was
//! taken, and reads the newest version at or below it. So:
//!
//! - snapshots cost one mutex-guarded counter increment, not a copy of the map;
//! - readers never lock: they walk the skiplist while a writer inserts into it, and versions with
//!   a higher sequence number than theirs are skipped, so later commits stay invisible;
//! - a commit is atomic for readers because the sequence number is published after its last
//!   insert.
//!
//! Old versions are garbage once no live snapshot can see them. When a commit shadows a version
//! (or writes a tombstone) it queues the key; queued keys whose commit is at or below the oldest
//! live snapshot (the *watermark*) are pruned during later commits, a bounded amount per commit.
//!
//! The alternative considered was a persistent B-tree (`imbl::OrdMap`) swapped behind a lock:
//! equally cheap snapshots, but every commit copies a root-to-leaf path of 64-entry nodes, and
//! values must be reference counted to keep those copies cheap. With the skiplist a key costs one
//! node (value, key, a tower of on average two pointers: about 70 bytes) plus the key and value
//! allocations, and writes copy nothing. Measured RSS for 1M items of a 20-byte key and a
//! 200-byte value is in the crate's README-level docs in `lib.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_skiplist::SkipMap;
use crossbeam_skiplist::map::{Entry, Range};
use parking_lot::Mutex;

use crate::storage::{RangeIter, normalize_range};
use crate::{Direction, Snapshot, Storage, StorageError, WriteBatch};

/// Sequence number that sorts after every real version of a key (real ones start at 1).
const AFTER_ALL_VERSIONS: u64 = 0;
/// Sequence number that sorts before every real version of a key.
const BEFORE_ALL_VERSIONS: u64 = u64::MAX;
/// Queued keys pruned per commit beyond twice the batch size, so garbage left behind by a long
/// snapshot drains over a few commits instead of stalling one.
const GC_BASE_BUDGET: usize = 64;

/// One version of one key. Orders by key ascending, then newest version first, so the version a
/// snapshot reads is the first at or after `(key, snapshot)`.
#[derive(Debug, PartialEq, Eq)]
struct VersionKey {
    key: Box<[u8]>,
    seq: u64,
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// `None` is a tombstone.
type Versions = SkipMap<VersionKey, Option<Box<[u8]>>>;
type VersionEntry<'a> = Entry<'a, VersionKey, Option<Box<[u8]>>>;
type VersionRange<'a> =
    Range<'a, VersionKey, (Bound<VersionKey>, Bound<VersionKey>), VersionKey, Option<Box<[u8]>>>;

struct Shared {
    versions: Versions,
    /// Sequence number of the newest commit whose versions are all inserted.
    visible: AtomicU64,
    /// Sequence numbers of live snapshots, with how many snapshots hold each.
    live: Mutex<BTreeMap<u64, usize>>,
    /// Serialises commits, which keeps sequence numbers published in order.
    writer: Mutex<Writer>,
}

struct Writer {
    last_seq: u64,
    /// Keys with versions that may become garbage, by the commit that shadowed them.
    garbage: VecDeque<(u64, Box<[u8]>)>,
}

/// A storage engine held entirely in memory; data is lost when it is dropped.
///
/// Cloning is not offered: share it as `Arc<dyn Storage>`.
pub struct MemoryStorage {
    shared: Arc<Shared>,
}

impl MemoryStorage {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                versions: SkipMap::new(),
                visible: AtomicU64::new(0),
                live: Mutex::new(BTreeMap::new()),
                writer: Mutex::new(Writer {
                    last_seq: 0,
                    garbage: VecDeque::new(),
                }),
            }),
        }
    }
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl Storage for MemoryStorage {
    fn snapshot(&self) -> Box<dyn Snapshot> {
        Box::new(self.shared.open_snapshot())
    }

    fn commit(&self, batch: WriteBatch) -> Result<(), StorageError> {
        let ops = batch.into_final_ops()?;
        if ops.is_empty() {
            return Ok(());
        }
        let budget = GC_BASE_BUDGET + 2 * ops.len();
        let shared = &*self.shared;
        let mut writer = shared.writer.lock();
        let seq = writer.last_seq + 1;
        for (key, value) in ops {
            let tombstone = value.is_none();
            let entry = shared.versions.insert(
                VersionKey {
                    key: key.into_boxed_slice(),
                    seq,
                },
                value.map(Vec::into_boxed_slice),
            );
            let shadows_older = entry
                .next()
                .is_some_and(|next| next.key().key == entry.key().key);
            if tombstone || shadows_older {
                writer.garbage.push_back((seq, entry.key().key.clone()));
            }
        }
        writer.last_seq = seq;
        shared.visible.store(seq, Ordering::Release);
        shared.collect_garbage(&mut writer, budget);
        Ok(())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        // Registered like any snapshot, so garbage collection cannot prune the version read.
        self.shared.open_snapshot().get(key)
    }
}

impl Shared {
    fn open_snapshot(self: &Arc<Self>) -> MemorySnapshot {
        let mut live = self.live.lock();
        // Read under the lock that the garbage collector's watermark is computed under, so a
        // snapshot is either counted in the watermark or newer than it.
        let seq = self.visible.load(Ordering::Acquire);
        *live.entry(seq).or_insert(0) += 1;
        drop(live);
        MemorySnapshot {
            shared: Arc::clone(self),
            seq,
        }
    }

    fn close_snapshot(&self, seq: u64) {
        let mut live = self.live.lock();
        if let Some(count) = live.get_mut(&seq) {
            *count -= 1;
            if *count == 0 {
                live.remove(&seq);
            }
        }
    }

    /// Prunes up to `budget` queued keys whose shadowing commit every live snapshot can see.
    fn collect_garbage(&self, writer: &mut Writer, budget: usize) {
        let watermark = {
            let live = self.live.lock();
            live.keys()
                .next()
                .copied()
                .unwrap_or_else(|| self.visible.load(Ordering::Acquire))
        };
        for _ in 0..budget {
            if writer
                .garbage
                .front()
                .is_none_or(|(seq, _)| *seq > watermark)
            {
                break;
            }
            if let Some((_, key)) = writer.garbage.pop_front() {
                self.prune(key, watermark);
            }
        }
    }

    /// Removes the versions of `key` that no snapshot at or above `watermark` reads.
    ///
    /// Such snapshots read the newest version at or below the watermark (`kept`) or a newer one,
    /// so everything older than `kept` goes, and `kept` too if it is a tombstone. Older versions
    /// are removed before the tombstone: a concurrent reader that finds the tombstone gone must
    /// not find a value it shadowed.
    fn prune(&self, key: Box<[u8]>, watermark: u64) {
        let probe = VersionKey {
            key,
            seq: watermark,
        };
        let Some(kept) = self.versions.lower_bound(Bound::Included(&probe)) else {
            return;
        };
        if kept.key().key != probe.key {
            return;
        }
        let mut older = kept.next();
        while let Some(entry) = older {
            if entry.key().key != probe.key {
                break;
            }
            older = entry.next();
            entry.remove();
        }
        if kept.value().is_none() {
            kept.remove();
        }
    }

    /// The value of `key` at `seq`, or `None` if absent or deleted.
    fn read(&self, key: &[u8], seq: u64) -> Option<Vec<u8>> {
        let probe = VersionKey {
            key: key.into(),
            seq,
        };
        let entry = self.versions.lower_bound(Bound::Included(&probe))?;
        if entry.key().key != probe.key {
            return None;
        }
        entry.value().as_deref().map(<[u8]>::to_vec)
    }
}

/// A [`Snapshot`] of a [`MemoryStorage`]: the sequence number of the last commit it sees.
struct MemorySnapshot {
    shared: Arc<Shared>,
    seq: u64,
}

impl Drop for MemorySnapshot {
    fn drop(&mut self) {
        self.shared.close_snapshot(self.seq);
    }
}

impl Snapshot for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.shared.read(key, self.seq))
    }

    fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> RangeIter<'a> {
        let Some((start, end)) = normalize_range(start, end) else {
            return Box::new(std::iter::empty());
        };
        let version_bound = |bound: Bound<&[u8]>, first_seq: u64, last_seq: u64| match bound {
            Bound::Included(key) => Bound::Included(VersionKey {
                key: key.into(),
                seq: first_seq,
            }),
            Bound::Excluded(key) => Bound::Excluded(VersionKey {
                key: key.into(),
                seq: last_seq,
            }),
            Bound::Unbounded => Bound::Unbounded,
        };
        // A start bound includes or excludes every version of its key, so it is placed before
        // or after all of them; an end bound the other way round.
        let versions = self.shared.versions.range((
            version_bound(start, BEFORE_ALL_VERSIONS, AFTER_ALL_VERSIONS),
            version_bound(end, AFTER_ALL_VERSIONS, BEFORE_ALL_VERSIONS),
        ));
        match direction {
            Direction::Forward => Box::new(ForwardRange {
                versions,
                seq: self.seq,
                decided: None,
            }),
            Direction::Reverse => Box::new(ReverseRange {
                versions,
                shared: &self.shared,
                seq: self.seq,
                decided: None,
            }),
        }
    }
}

/// Ascending scan: versions of a key arrive newest first, so the first at or below the
/// snapshot decides the key and the rest of its versions are skipped.
struct ForwardRange<'a> {
    versions: VersionRange<'a>,
    seq: u64,
    /// The entry that decided the current key.
    decided: Option<VersionEntry<'a>>,
}

impl Iterator for ForwardRange<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = self.versions.next()?;
            if entry.key().seq > self.seq
                || self
                    .decided
                    .as_ref()
                    .is_some_and(|decided| decided.key().key == entry.key().key)
            {
                continue;
            }
            let pair = entry
                .value()
                .as_deref()
                .map(|value| (entry.key().key.to_vec(), value.to_vec()));
            self.decided = Some(entry);
            if let Some(pair) = pair {
                return Some(Ok(pair));
            }
        }
    }
}

/// Descending scan: versions of a key arrive oldest first, so the scan only discovers keys and
/// reads each one with a point lookup. That lookup sees the versions in the order the garbage
/// collector's removal order protects, which a backwards walk would not.
struct ReverseRange<'a> {
    versions: VersionRange<'a>,
    shared: &'a Shared,
    seq: u64,
    /// The entry through which the current key was discovered.
    decided: Option<VersionEntry<'a>>,
}

impl Iterator for ReverseRange<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = self.versions.next_back()?;
            if self
                .decided
                .as_ref()
                .is_some_and(|decided| decided.key().key == entry.key().key)
            {
                continue;
            }
            let value = self.shared.read(&entry.key().key, self.seq);
            let key = entry.key().key.to_vec();
            self.decided = Some(entry);
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
        }
    }
}
