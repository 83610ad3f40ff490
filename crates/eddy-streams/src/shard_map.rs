//! One stream's shards and their lineage, and the stream's sequence number counter.
//!
//! While the stream is enabled the open shards' hash ranges cover the 32-bit hash space
//! exactly once, so each item (by the hash of its partition key) has one open shard, and all
//! of one item's records land in one lineage in order. The map also owns the stream's
//! sequence number counter, so a child shard always starts above everything its parent holds.
//!
//! What the engine calls, always under the table's write lock:
//! - each write that changes an item: [`ShardMap::assign`] for the item's
//!   [`shard_hash`](crate::shard_hash), then
//!   [`build_record`](crate::build_record) with the number it returns (skip both when
//!   [`EventName::for_change`](crate::EventName::for_change) says nothing changed);
//! - periodically: [`ShardMap::due_rollovers`] and [`ShardMap::rollover`] for each;
//!   [`ShardMap::note_trimmed`] after deleting a shard's expired records, then
//!   [`ShardMap::remove_trimmed`] (and delete what is left of the shards it returns);
//! - admin split: [`ShardMap::split`]; stream disabled or table deleted:
//!   [`ShardMap::close_all`];
//! - after loading a map saved before its last writes: [`ShardMap::note_record`] with the
//!   newest stored record of each open shard, so the counter never reissues a number.
//!
//! Persistence: the map is serde-serialisable. Saving it in the same batch as every write
//! is simplest; the cheaper choice is to save it after every call except `assign` (those
//! change shards or the trim horizon and are rare) and rebuild what `assign` changed with
//! `note_record` on load. Records written after such a save can only be in shards that were
//! open at the save, so the newest record of each open shard is all that is needed.
//!
//! A write costs one binary search over the open shards and allocates nothing; structural
//! changes (rollover, split, trim) rebuild the small open-shard index.

use serde::{Deserialize, Serialize};

use crate::error::StreamsError;
use crate::sequence_number::SequenceNumber;
use crate::shard::{HashRange, Shard, ShardId};

/// Most partitions (open shards) a stream starts with; [`ShardMap::new`] clamps to it.
pub const MAX_PARTITIONS: u32 = 4096;

/// Default page size of DescribeStream.
pub const DEFAULT_DESCRIBE_LIMIT: usize = 100;

/// A stream's shards, in creation (= shard id) order, and its sequence number counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredShardMap", into = "StoredShardMap")]
pub struct ShardMap {
    /// Every shard not yet removed by retention, sorted by id. New ids are always greater
    /// than existing ones, so creating a shard is a push.
    shards: Vec<Shard>,
    /// Indices into `shards` of the open shards, sorted by hash range.
    open: Vec<usize>,
    /// The number the next record (or the next shard's start) gets.
    next_sequence_number: SequenceNumber,
    /// Shards created so far: the hex suffix of the next id.
    shards_created: u32,
    /// Timestamp of the newest shard id: new ids never go below it, even if the clock does.
    last_shard_ms: u64,
}

/// The serialised form: the map without its derived open-shard index.
#[derive(Serialize, Deserialize)]
struct StoredShardMap {
    shards: Vec<Shard>,
    next_sequence_number: SequenceNumber,
    shards_created: u32,
    last_shard_ms: u64,
}

impl From<ShardMap> for StoredShardMap {
    fn from(map: ShardMap) -> Self {
        StoredShardMap {
            shards: map.shards,
            next_sequence_number: map.next_sequence_number,
            shards_created: map.shards_created,
            last_shard_ms: map.last_shard_ms,
        }
    }
}

impl TryFrom<StoredShardMap> for ShardMap {
    type Error = StreamsError;

    /// Checks what the map's methods rely on: ids well formed and strictly increasing,
    /// open shards' ranges disjoint, numbers below the counter.
    fn try_from(stored: StoredShardMap) -> Result<Self, StreamsError> {
        let ids_ok = stored
            .shards
            .iter()
            .all(|s| ShardId::is_well_formed(s.shard_id.as_str()))
            && stored
                .shards
                .windows(2)
                .all(|w| w[0].shard_id < w[1].shard_id);
        if !ids_ok {
            return Err(StreamsError::Corrupt("shard ids out of order"));
        }
        let numbers_ok = stored.shards.iter().all(|s| {
            s.starting_sequence_number <= stored.next_sequence_number
                && s.ending_sequence_number
                    .is_none_or(|e| e < stored.next_sequence_number)
                && s.last_record_sequence_number
                    .is_none_or(|l| l < stored.next_sequence_number)
        });
        if !numbers_ok {
            return Err(StreamsError::Corrupt("sequence numbers above the counter"));
        }
        let mut map = ShardMap {
            shards: stored.shards,
            open: Vec::new(),
            next_sequence_number: stored.next_sequence_number,
            shards_created: stored.shards_created,
            last_shard_ms: stored.last_shard_ms,
        };
        map.reindex_open();
        let disjoint = map
            .open
            .windows(2)
            .all(|w| map.shards[w[0]].hash_range.last < map.shards[w[1]].hash_range.first);
        if !disjoint {
            return Err(StreamsError::Corrupt("open shards overlap"));
        }
        Ok(map)
    }
}

impl ShardMap {
    /// A new stream's map: `partitions` open shards (clamped to 1..=[`MAX_PARTITIONS`])
    /// splitting the hash space evenly, its counter at [`SequenceNumber::FIRST`].
    pub fn new(now_ms: u64, partitions: u32) -> ShardMap {
        let partitions = partitions.clamp(1, MAX_PARTITIONS);
        let mut map = ShardMap {
            shards: Vec::with_capacity(partitions as usize),
            open: Vec::new(),
            next_sequence_number: SequenceNumber::FIRST,
            shards_created: 0,
            last_shard_ms: now_ms,
        };
        for i in 0..partitions {
            map.open_shard(now_ms, None, HashRange::nth_of(i, partitions));
        }
        map.reindex_open();
        map
    }

    /// Every shard still retained, in shard id (= creation) order.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// The shard with this id.
    pub fn shard(&self, shard_id: &str) -> Option<&Shard> {
        self.index_of(shard_id).map(|i| &self.shards[i])
    }

    /// The open shards, in hash range order.
    pub fn open_shards(&self) -> impl Iterator<Item = &Shard> {
        self.open.iter().filter_map(|&i| self.shards.get(i))
    }

    /// True while the stream has open shards (it is enabled).
    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    /// True when retention has removed every shard: the stream can be forgotten.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// The number the next record will get.
    pub fn next_sequence_number(&self) -> SequenceNumber {
        self.next_sequence_number
    }

    /// The open shard whose range holds `hash`; `None` once the stream is closed.
    pub fn open_shard_for(&self, hash: u32) -> Option<&Shard> {
        self.open_index_for(hash).map(|i| &self.shards[i])
    }

    /// Takes the next sequence number for a record of an item with partition-key hash
    /// `hash`, written at `now_ms`, and notes it as that shard's newest record. Returns the
    /// shard and the number; `None` when the stream is closed (no record is written then).
    ///
    /// Call it only for a write that changes the item. If the write's commit then fails,
    /// nothing needs undoing: sequence numbers may have gaps.
    pub fn assign(&mut self, hash: u32, now_ms: u64) -> Option<(&ShardId, SequenceNumber)> {
        let i = self.open_index_for(hash)?;
        let seq = self.next_sequence_number;
        self.next_sequence_number = seq.next();
        let shard = &mut self.shards[i];
        shard.last_record_sequence_number = Some(seq);
        shard.last_record_ms = Some(shard.last_record_ms.map_or(now_ms, |t| t.max(now_ms)));
        Some((&shard.shard_id, seq))
    }

    /// Records that the shard holds a record `seq` written at `now_ms`, and moves the counter
    /// above it. For rebuilding state after loading a map saved before its last writes;
    /// calling it again for a record already known changes nothing.
    ///
    /// # Errors
    /// [`StreamsError::ShardNotFound`] for an unknown shard.
    pub fn note_record(
        &mut self,
        shard_id: &str,
        seq: SequenceNumber,
        now_ms: u64,
    ) -> Result<(), StreamsError> {
        let i = self.index_or_not_found(shard_id)?;
        let shard = &mut self.shards[i];
        shard.last_record_sequence_number = shard.last_record_sequence_number.max(Some(seq));
        shard.last_record_ms = shard.last_record_ms.max(Some(now_ms));
        self.next_sequence_number = self.next_sequence_number.max(seq.next());
        Ok(())
    }

    /// Records that every record of the shard up to `through` has been trimmed (deleted for
    /// age): reads before it fail with TrimmedDataAccessException and TRIM_HORIZON starts
    /// after it. The horizon never moves back.
    ///
    /// # Errors
    /// [`StreamsError::ShardNotFound`] for an unknown shard.
    pub fn note_trimmed(
        &mut self,
        shard_id: &str,
        through: SequenceNumber,
    ) -> Result<(), StreamsError> {
        let i = self.index_or_not_found(shard_id)?;
        let shard = &mut self.shards[i];
        shard.trimmed_through = shard.trimmed_through.max(Some(through));
        Ok(())
    }

    /// Open shards that have lived at least `lifetime_ms` by `now_ms`, in id order.
    pub fn due_rollovers(&self, now_ms: u64, lifetime_ms: u64) -> Vec<ShardId> {
        let mut due: Vec<ShardId> = self
            .open_shards()
            .filter(|s| now_ms.saturating_sub(s.created_ms) >= lifetime_ms)
            .map(|s| s.shard_id.clone())
            .collect();
        due.sort();
        due
    }

    /// Closes an open shard and opens its one child (parent = the closed shard, same hash
    /// range). Returns the child's id.
    ///
    /// # Errors
    /// [`StreamsError::ShardNotFound`] for an unknown shard, [`StreamsError::ShardClosed`]
    /// for a closed one.
    pub fn rollover(&mut self, shard_id: &str, now_ms: u64) -> Result<ShardId, StreamsError> {
        let i = self.open_or_error(shard_id)?;
        let range = self.shards[i].hash_range;
        let parent = self.close_shard(i, now_ms);
        let child = self.open_shard(now_ms, Some(parent), range);
        self.reindex_open();
        Ok(child)
    }

    /// Closes an open shard and opens two children with it as parent, covering the lower
    /// and upper halves of its hash range. Returns the children's ids, lower half first.
    ///
    /// # Errors
    /// [`StreamsError::ShardNotFound`] for an unknown shard, [`StreamsError::ShardClosed`]
    /// for a closed one, [`StreamsError::ShardTooSmallToSplit`] for a one-hash range.
    pub fn split(
        &mut self,
        shard_id: &str,
        now_ms: u64,
    ) -> Result<(ShardId, ShardId), StreamsError> {
        let i = self.open_or_error(shard_id)?;
        let shard = &self.shards[i];
        let (low, high) = shard
            .hash_range
            .halves()
            .ok_or_else(|| StreamsError::ShardTooSmallToSplit(shard.shard_id.clone()))?;
        let parent = self.close_shard(i, now_ms);
        let first = self.open_shard(now_ms, Some(parent.clone()), low);
        let second = self.open_shard(now_ms, Some(parent), high);
        self.reindex_open();
        Ok((first, second))
    }

    /// Closes every open shard (stream disabled, table deleted). The shards stay readable
    /// until retention removes them.
    pub fn close_all(&mut self, now_ms: u64) {
        for i in std::mem::take(&mut self.open) {
            self.close_shard(i, now_ms);
        }
    }

    /// Removes closed shards whose newest record (or, with none, whose closing) is more than
    /// `retention_ms` before `now_ms`, and returns them so the engine can delete any records
    /// they still hold. Open shards are never removed.
    pub fn remove_trimmed(&mut self, now_ms: u64, retention_ms: u64) -> Vec<Shard> {
        let expired = |s: &Shard| {
            !s.is_open()
                && s.last_record_ms
                    .or(s.closed_ms)
                    .is_some_and(|t| t.saturating_add(retention_ms) < now_ms)
        };
        if !self.shards.iter().any(expired) {
            return Vec::new();
        }
        let (removed, kept) = std::mem::take(&mut self.shards)
            .into_iter()
            .partition(expired);
        self.shards = kept;
        self.reindex_open();
        removed
    }

    /// One DescribeStream page: shards in id order, after `exclusive_start_shard_id`, at most
    /// `limit` of them, only children of `children_of` when given (ShardFilter CHILD_SHARDS).
    /// Returns the page and LastEvaluatedShardId: the page's last id when the page is full
    /// and more shards follow, `None` otherwise. An exclusive start id the map doesn't hold
    /// (never existed, or trimmed) gives an empty page and no error.
    pub fn describe(
        &self,
        exclusive_start_shard_id: Option<&str>,
        limit: usize,
        children_of: Option<&str>,
    ) -> (Vec<&Shard>, Option<ShardId>) {
        let start = match exclusive_start_shard_id {
            None => 0,
            Some(id) => match self.index_of(id) {
                Some(i) => i + 1,
                None => return (Vec::new(), None),
            },
        };
        let mut matching = self.shards[start..].iter().filter(|s| match children_of {
            Some(parent) => s
                .parent_shard_id
                .as_ref()
                .is_some_and(|p| p.as_str() == parent),
            None => true,
        });
        let page: Vec<&Shard> = matching.by_ref().take(limit).collect();
        let more = page.len() == limit && matching.next().is_some();
        let last_evaluated = match page.last() {
            Some(last) if more => Some(last.shard_id.clone()),
            _ => None,
        };
        (page, last_evaluated)
    }

    fn index_of(&self, shard_id: &str) -> Option<usize> {
        self.shards
            .binary_search_by(|s| s.shard_id.as_str().cmp(shard_id))
            .ok()
    }

    fn index_or_not_found(&self, shard_id: &str) -> Result<usize, StreamsError> {
        self.index_of(shard_id)
            .ok_or_else(|| StreamsError::ShardNotFound(shard_id.to_owned()))
    }

    fn open_or_error(&self, shard_id: &str) -> Result<usize, StreamsError> {
        let i = self.index_or_not_found(shard_id)?;
        if self.shards[i].is_open() {
            Ok(i)
        } else {
            Err(StreamsError::ShardClosed(self.shards[i].shard_id.clone()))
        }
    }

    fn open_index_for(&self, hash: u32) -> Option<usize> {
        let pos = self
            .open
            .partition_point(|&i| self.shards[i].hash_range.last < hash);
        let &i = self.open.get(pos)?;
        self.shards[i].hash_range.contains(hash).then_some(i)
    }

    /// Appends a new open shard starting at the counter; the caller reindexes.
    fn open_shard(&mut self, now_ms: u64, parent: Option<ShardId>, range: HashRange) -> ShardId {
        let created_ms = now_ms.max(self.last_shard_ms);
        self.last_shard_ms = created_ms;
        let id = ShardId::new(created_ms, self.shards_created);
        self.shards_created = self.shards_created.saturating_add(1);
        self.shards.push(Shard {
            shard_id: id.clone(),
            parent_shard_id: parent,
            hash_range: range,
            starting_sequence_number: self.next_sequence_number,
            ending_sequence_number: None,
            created_ms,
            closed_ms: None,
            last_record_sequence_number: None,
            last_record_ms: None,
            trimmed_through: None,
        });
        id
    }

    /// Closes shard `i`: its ending number is its last record's, or its starting number if
    /// it had none, and the counter moves past it so children start above it. Returns its
    /// id; the caller reindexes.
    fn close_shard(&mut self, i: usize, now_ms: u64) -> ShardId {
        let shard = &mut self.shards[i];
        let ending = shard
            .last_record_sequence_number
            .unwrap_or(shard.starting_sequence_number);
        shard.ending_sequence_number = Some(ending);
        shard.closed_ms = Some(now_ms.max(shard.created_ms));
        let id = shard.shard_id.clone();
        self.next_sequence_number = self.next_sequence_number.max(ending.next());
        id
    }

    fn reindex_open(&mut self) {
        self.open = (0..self.shards.len())
            .filter(|&i| self.shards[i].is_open())
            .collect();
        self.open.sort_by_key(|&i| self.shards[i].hash_range.first);
    }
}

#[cfg(test)]
#[path = "shard_map_tests.rs"]
mod tests;
