//! One shard of a stream: its id, hash range, sequence number range, what it has seen of its
//! records, and how an iterator position reads it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StreamsError;
use crate::sequence_number::SequenceNumber;
use crate::shard_iterator::Position;

/// A shard id: `shardId-<20-digit zero-padded creation epoch-ms>-<8 hex>`, 37 characters.
///
/// The 8 hex digits count the shards the stream has made, and the map never lets the
/// millisecond go backwards, so comparing ids as text orders shards by creation, which
/// DescribeStream and KCL rely on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShardId(String);

impl ShardId {
    /// Length of every id eddy makes.
    pub const LEN: usize = 37;

    pub(crate) fn new(created_ms: u64, ordinal: u32) -> ShardId {
        ShardId(format!("shardId-{created_ms:020}-{ordinal:08x}"))
    }

    /// Wraps text from an authenticated iterator, which only eddy can have written.
    pub(crate) fn from_authenticated(text: String) -> ShardId {
        ShardId(text)
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the text has the shape of an id eddy makes.
    pub(crate) fn is_well_formed(text: &str) -> bool {
        let b = text.as_bytes();
        b.len() == Self::LEN
            && text.starts_with("shardId-")
            && b[8..28].iter().all(u8::is_ascii_digit)
            && b[28] == b'-'
            && b[29..]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ShardId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The hash that places an item in a shard (not the engine's item-order hash, which orders
/// stored keys and must stay cheap): the first 4 bytes (big-endian) of the SHA-256 of
/// its partition key's encoding (`eddy_types::encode_key_value`). Stable across versions and
/// restarts, which a stored shard map needs, and uniform, so even hash ranges get even load.
pub fn shard_hash(encoded_partition_key: &[u8]) -> u32 {
    let digest = Sha256::digest(encoded_partition_key);
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A contiguous, inclusive range of the 32-bit partition-key hash space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HashRange {
    /// Lowest hash in the range.
    pub first: u32,
    /// Highest hash in the range.
    pub last: u32,
}

impl HashRange {
    /// The whole hash space.
    pub const ALL: HashRange = HashRange {
        first: 0,
        last: u32::MAX,
    };

    /// True when `hash` is in the range.
    pub fn contains(self, hash: u32) -> bool {
        self.first <= hash && hash <= self.last
    }

    /// The two halves of the range, or `None` for a range of one value.
    pub fn halves(self) -> Option<(HashRange, HashRange)> {
        if self.first >= self.last {
            return None;
        }
        let mid = self.first + (self.last - self.first) / 2;
        Some((
            HashRange {
                first: self.first,
                last: mid,
            },
            HashRange {
                first: mid + 1,
                last: self.last,
            },
        ))
    }

    /// Part `index` of `parts` equal parts of the whole hash space (the last ones one hash
    /// larger when 2^32 doesn't divide evenly). `parts` must be at least 1 and `index` below it.
    pub(crate) fn nth_of(index: u32, parts: u32) -> HashRange {
        let space = 1u64 << 32;
        let bound = |i: u64| space * i / u64::from(parts.max(1));
        let first = bound(u64::from(index));
        let end = bound(u64::from(index) + 1);
        HashRange {
            first: u32::try_from(first).unwrap_or(u32::MAX),
            last: u32::try_from(end.saturating_sub(1)).unwrap_or(u32::MAX),
        }
    }
}

/// One shard of a stream.
///
/// Sequence numbers: an open shard has only a starting number; closing it sets the ending
/// number to its last record's (or, if it never had one, to its starting number). The
/// starting number may precede the shard's first record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub(crate) shard_id: ShardId,
    pub(crate) parent_shard_id: Option<ShardId>,
    pub(crate) hash_range: HashRange,
    pub(crate) starting_sequence_number: SequenceNumber,
    pub(crate) ending_sequence_number: Option<SequenceNumber>,
    pub(crate) created_ms: u64,
    pub(crate) closed_ms: Option<u64>,
    /// Sequence number of the newest record written to the shard.
    pub(crate) last_record_sequence_number: Option<SequenceNumber>,
    /// When the newest record was written; what retention of a closed shard is measured from.
    pub(crate) last_record_ms: Option<u64>,
    /// Highest sequence number whose record has been trimmed: the trim horizon is just above.
    pub(crate) trimmed_through: Option<SequenceNumber>,
}

impl Shard {
    /// The shard's id.
    pub fn shard_id(&self) -> &ShardId {
        &self.shard_id
    }

    /// The shard this one continues (rollover) or was split from.
    pub fn parent_shard_id(&self) -> Option<&ShardId> {
        self.parent_shard_id.as_ref()
    }

    /// The hashes whose records the shard takes while open.
    pub fn hash_range(&self) -> HashRange {
        self.hash_range
    }

    /// `SequenceNumberRange.StartingSequenceNumber`.
    pub fn starting_sequence_number(&self) -> SequenceNumber {
        self.starting_sequence_number
    }

    /// `SequenceNumberRange.EndingSequenceNumber`: present once the shard is closed.
    pub fn ending_sequence_number(&self) -> Option<SequenceNumber> {
        self.ending_sequence_number
    }

    /// True until the shard is closed.
    pub fn is_open(&self) -> bool {
        self.ending_sequence_number.is_none()
    }

    /// When the shard was created, in epoch ms (its id's timestamp).
    pub fn created_ms(&self) -> u64 {
        self.created_ms
    }

    /// When the shard was closed, in epoch ms.
    pub fn closed_ms(&self) -> Option<u64> {
        self.closed_ms
    }

    /// Sequence number of the newest record written to the shard.
    pub fn last_record_sequence_number(&self) -> Option<SequenceNumber> {
        self.last_record_sequence_number
    }

    /// When the newest record was written to the shard, in epoch ms.
    pub fn last_record_ms(&self) -> Option<u64> {
        self.last_record_ms
    }

    /// Highest trimmed sequence number: records at or below it are gone.
    pub fn trimmed_through(&self) -> Option<SequenceNumber> {
        self.trimmed_through
    }

    /// The position a LATEST iterator stands at: just after the newest record, or the
    /// shard's start if it has none yet. Resolving LATEST when the iterator is issued is
    /// what makes a LATEST iterator read the same records each time it is used.
    pub fn latest_position(&self) -> Position {
        match self.last_record_sequence_number {
            Some(seq) => Position::AfterSequence(seq),
            None => Position::AtSequence(self.starting_sequence_number),
        }
    }

    /// The lowest sequence number a read at `position` may return: scan the shard's stored
    /// records from here (inclusive). TRIM_HORIZON is the first number above the trim
    /// horizon; AT a number before the shard's start reads from the start.
    ///
    /// # Errors
    /// [`StreamsError::TrimmedDataAccess`] when records the position asks for have been
    /// trimmed: AT a trimmed number, or AFTER a number below the horizon. Raise it both
    /// from GetShardIterator and from GetRecords.
    pub fn read_start(&self, position: &Position) -> Result<SequenceNumber, StreamsError> {
        let horizon = match self.trimmed_through {
            Some(t) => t.next().max(self.starting_sequence_number),
            None => self.starting_sequence_number,
        };
        match *position {
            Position::TrimHorizon => Ok(horizon),
            Position::AtSequence(seq) => {
                if self.trimmed_through.is_some_and(|t| seq <= t) {
                    Err(StreamsError::TrimmedDataAccess)
                } else {
                    Ok(seq.max(self.starting_sequence_number))
                }
            }
            Position::AfterSequence(seq) => {
                if self.trimmed_through.is_some_and(|t| seq < t) {
                    Err(StreamsError::TrimmedDataAccess)
                } else {
                    Ok(seq.next().max(self.starting_sequence_number))
                }
            }
        }
    }

    /// Where the next iterator of a GetRecords page stands, or `None` when the page read a
    /// closed shard to its end (the response then has no `NextShardIterator`).
    ///
    /// `read_from` is the page's position, `last_returned` the sequence number of the page's
    /// last record, and `reached_end` whether the read found no further stored record (it
    /// stopped at the end of the shard's records, not at the record or size limit). An open
    /// shard always gets a next position, even after an empty page.
    pub fn next_position(
        &self,
        read_from: &Position,
        last_returned: Option<SequenceNumber>,
        reached_end: bool,
    ) -> Option<Position> {
        if reached_end && !self.is_open() {
            return None;
        }
        Some(match last_returned {
            Some(seq) => Position::AfterSequence(seq),
            None => read_from.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(v: u128) -> SequenceNumber {
        SequenceNumber::FIRST
            .value()
            .checked_add(v)
            .map(SequenceNumber::new)
            .unwrap()
    }

    fn shard(start: u128) -> Shard {
        Shard {
            shard_id: ShardId::new(1, 0),
            parent_shard_id: None,
            hash_range: HashRange::ALL,
            starting_sequence_number: seq(start),
            ending_sequence_number: None,
            created_ms: 1,
            closed_ms: None,
            last_record_sequence_number: None,
            last_record_ms: None,
            trimmed_through: None,
        }
    }

    #[test]
    fn shard_id_format_and_order() {
        let id = ShardId::new(1_700_000_000_123, 10);
        assert_eq!(id.as_str(), "shardId-00000001700000000123-0000000a");
        assert_eq!(id.as_str().len(), ShardId::LEN);
        assert!((28..=65).contains(&ShardId::LEN));
        assert!(ShardId::is_well_formed(id.as_str()));
        // Same millisecond: the counter orders them, as text too (fixed-width hex).
        let ids: Vec<ShardId> = [(5, 9), (5, 10), (5, 255), (6, 0), (1_000_000, 1)]
            .into_iter()
            .map(|(ms, n)| ShardId::new(ms, n))
            .collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
            assert!(pair[0].as_str() < pair[1].as_str());
        }
        assert_eq!(
            ShardId::new(u64::MAX, u32::MAX).as_str().len(),
            ShardId::LEN
        );
        for bad in ["", "shardId-1-1", "shardId-0000000170000000012a-0000000a"] {
            assert!(!ShardId::is_well_formed(bad), "{bad}");
        }
        assert!(!ShardId::is_well_formed(
            "shardId-00000001700000000123-0000000A"
        ));
    }

    #[test]
    fn shard_hash_is_stable_and_spreads() {
        // Fixed forever: stored shard maps depend on it.
        assert_eq!(shard_hash(b""), 0xe3b0_c442);
        assert_eq!(shard_hash(b"Fred"), shard_hash(b"Fred"));
        let mut halves = [0u32; 2];
        for i in 0..1000u32 {
            halves[(shard_hash(&i.to_be_bytes()) >> 31) as usize] += 1;
        }
        assert!(halves.iter().all(|&n| n > 400), "{halves:?}");
    }

    #[test]
    fn hash_ranges_split_evenly_and_cover_the_space() {
        for parts in [1u32, 2, 3, 7, 64] {
            let ranges: Vec<HashRange> = (0..parts).map(|i| HashRange::nth_of(i, parts)).collect();
            assert_eq!(ranges[0].first, 0);
            assert_eq!(ranges[ranges.len() - 1].last, u32::MAX);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].last + 1, pair[1].first);
            }
        }
        let (lo, hi) = HashRange::ALL.halves().unwrap();
        assert_eq!(
            (lo.first, lo.last, hi.first, hi.last),
            (0, u32::MAX / 2, u32::MAX / 2 + 1, u32::MAX)
        );
        let single = HashRange { first: 7, last: 7 };
        assert_eq!(single.halves(), None);
        let pair = HashRange { first: 7, last: 8 };
        assert_eq!(
            pair.halves(),
            Some((
                HashRange { first: 7, last: 7 },
                HashRange { first: 8, last: 8 }
            ))
        );
        assert!(pair.contains(8) && !pair.contains(9) && !pair.contains(6));
    }

    #[test]
    fn read_start_without_trimming() {
        let s = shard(10);
        assert_eq!(s.read_start(&Position::TrimHorizon), Ok(seq(10)));
        assert_eq!(s.read_start(&Position::AtSequence(seq(12))), Ok(seq(12)));
        // AT the starting number (or before it) behaves like TRIM_HORIZON.
        assert_eq!(s.read_start(&Position::AtSequence(seq(10))), Ok(seq(10)));
        assert_eq!(s.read_start(&Position::AtSequence(seq(3))), Ok(seq(10)));
        assert_eq!(s.read_start(&Position::AfterSequence(seq(12))), Ok(seq(13)));
    }

    #[test]
    fn read_start_respects_the_trim_horizon() {
        let mut s = shard(10);
        s.trimmed_through = Some(seq(20));
        assert_eq!(s.read_start(&Position::TrimHorizon), Ok(seq(21)));
        assert_eq!(
            s.read_start(&Position::AtSequence(seq(20))),
            Err(StreamsError::TrimmedDataAccess)
        );
        assert_eq!(s.read_start(&Position::AtSequence(seq(21))), Ok(seq(21)));
        assert_eq!(
            s.read_start(&Position::AfterSequence(seq(19))),
            Err(StreamsError::TrimmedDataAccess)
        );
        // After the last trimmed record nothing is missing.
        assert_eq!(s.read_start(&Position::AfterSequence(seq(20))), Ok(seq(21)));
        assert_eq!(
            StreamsError::TrimmedDataAccess.to_string(),
            "The data you are trying to access has been trimmed."
        );
    }

    #[test]
    fn latest_and_next_positions() {
        let mut s = shard(10);
        assert_eq!(s.latest_position(), Position::AtSequence(seq(10)));
        s.last_record_sequence_number = Some(seq(14));
        assert_eq!(s.latest_position(), Position::AfterSequence(seq(14)));

        let from = Position::TrimHorizon;
        // Open shard: always a next position; an empty page keeps the position.
        assert_eq!(
            s.next_position(&from, None, true),
            Some(Position::TrimHorizon)
        );
        assert_eq!(
            s.next_position(&from, Some(seq(14)), true),
            Some(Position::AfterSequence(seq(14)))
        );
        // Closed shard read to its end: no next iterator; stopped by a limit: continue.
        s.ending_sequence_number = Some(seq(14));
        assert_eq!(s.next_position(&from, Some(seq(14)), true), None);
        assert_eq!(s.next_position(&from, None, true), None);
        assert_eq!(
            s.next_position(&from, Some(seq(12)), false),
            Some(Position::AfterSequence(seq(12)))
        );
    }
}
