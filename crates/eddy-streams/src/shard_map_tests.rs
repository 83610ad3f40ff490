use rand::{Rng, SeedableRng};

use super::*;
use crate::shard_iterator::Position;

const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;

fn ids(shards: &[&Shard]) -> Vec<String> {
    shards.iter().map(|s| s.shard_id().to_string()).collect()
}

/// Every invariant the engine relies on.
fn check_invariants(map: &ShardMap) {
    // Ids strictly increasing (creation order = text order).
    for pair in map.shards().windows(2) {
        assert!(pair[0].shard_id() < pair[1].shard_id());
    }
    // Open shards cover the hash space exactly once, when any are open.
    let mut open: Vec<HashRange> = map.open_shards().map(Shard::hash_range).collect();
    if !open.is_empty() {
        open.sort_by_key(|r| r.first);
        assert_eq!(open[0].first, 0);
        assert_eq!(open[open.len() - 1].last, u32::MAX);
        for pair in open.windows(2) {
            assert_eq!(pair[0].last.checked_add(1), Some(pair[1].first), "{open:?}");
        }
    }
    for shard in map.shards() {
        // Closed: both numbers, ending >= starting; all numbers below the counter.
        if let Some(end) = shard.ending_sequence_number() {
            assert!(end >= shard.starting_sequence_number());
            assert!(end < map.next_sequence_number());
        }
        if let Some(last) = shard.last_record_sequence_number() {
            assert!(last >= shard.starting_sequence_number());
        }
        // A child starts above everything its parent holds, and lies within its range.
        if let Some(parent) = shard.parent_shard_id().and_then(|p| map.shard(p.as_str())) {
            let parent_end = parent.ending_sequence_number().expect("a parent is closed");
            assert!(shard.starting_sequence_number() > parent_end);
            assert!(parent.hash_range().first <= shard.hash_range().first);
            assert!(shard.hash_range().last <= parent.hash_range().last);
            assert!(parent.shard_id() < shard.shard_id());
        }
    }
}

#[test]
fn new_map_splits_the_space_evenly() {
    let map = ShardMap::new(T0, 4);
    check_invariants(&map);
    assert_eq!(map.shards().len(), 4);
    assert!(map.is_open());
    for (i, shard) in map.shards().iter().enumerate() {
        assert!(shard.is_open());
        assert_eq!(shard.parent_shard_id(), None);
        assert_eq!(shard.starting_sequence_number(), SequenceNumber::FIRST);
        assert_eq!(
            shard.shard_id().as_str(),
            format!("shardId-{T0:020}-{i:08x}")
        );
        assert_eq!(shard.hash_range().first, (i as u32) << 30);
    }
    assert_eq!(
        map.open_shard_for(0).unwrap().shard_id(),
        map.shards()[0].shard_id()
    );
    assert_eq!(
        map.open_shard_for(u32::MAX).unwrap().shard_id(),
        map.shards()[3].shard_id()
    );
    assert_eq!(
        map.open_shard_for(1 << 30).unwrap().shard_id(),
        map.shards()[1].shard_id()
    );
    assert_eq!(
        map.open_shard_for((1 << 30) - 1).unwrap().shard_id(),
        map.shards()[0].shard_id()
    );
    // Out-of-range partition counts are clamped, never a panic.
    assert_eq!(ShardMap::new(T0, 0).shards().len(), 1);
    assert_eq!(
        ShardMap::new(T0, u32::MAX).shards().len(),
        MAX_PARTITIONS as usize
    );
    check_invariants(&ShardMap::new(T0, 3));
}

#[test]
fn assign_numbers_increase_and_note_the_shard() {
    let mut map = ShardMap::new(T0, 2);
    let (id, first) = map
        .assign(5, T0 + 10)
        .map(|(id, s)| (id.clone(), s))
        .unwrap();
    let (id2, second) = map
        .assign(u32::MAX, T0 + 20)
        .map(|(id, s)| (id.clone(), s))
        .unwrap();
    let (id3, third) = map
        .assign(6, T0 + 5)
        .map(|(id, s)| (id.clone(), s))
        .unwrap();
    assert_eq!(first, SequenceNumber::FIRST);
    assert!(first < second && second < third);
    assert_eq!(id, id3);
    assert_ne!(id, id2);
    let shard = map.shard(id.as_str()).unwrap();
    assert_eq!(shard.last_record_sequence_number(), Some(third));
    // The clock stepping back does not move the newest record time back.
    assert_eq!(shard.last_record_ms(), Some(T0 + 10));
    assert_eq!(map.next_sequence_number(), third.next());
}

#[test]
fn rollover_closes_the_parent_and_opens_one_child() {
    let mut map = ShardMap::new(T0, 1);
    let parent = map.shards()[0].shard_id().clone();
    let (_, last) = map.assign(1, T0 + 1).unwrap();
    assert_eq!(
        map.due_rollovers(T0 + 4 * HOUR - 1, 4 * HOUR),
        Vec::<ShardId>::new()
    );
    assert_eq!(
        map.due_rollovers(T0 + 4 * HOUR, 4 * HOUR),
        vec![parent.clone()]
    );

    let child = map.rollover(parent.as_str(), T0 + 4 * HOUR).unwrap();
    check_invariants(&map);
    let p = map.shard(parent.as_str()).unwrap();
    assert!(!p.is_open());
    assert_eq!(p.ending_sequence_number(), Some(last));
    assert_eq!(p.closed_ms(), Some(T0 + 4 * HOUR));
    let c = map.shard(child.as_str()).unwrap();
    assert_eq!(c.parent_shard_id(), Some(&parent));
    assert_eq!(c.hash_range(), HashRange::ALL);
    assert_eq!(c.starting_sequence_number(), last.next());
    assert!(child > parent);
    assert_eq!(map.open_shards().count(), 1);
    assert_eq!(map.open_shard_for(12345).unwrap().shard_id(), &child);
    let (id, seq) = map.assign(12345, T0 + 4 * HOUR).unwrap();
    assert_eq!((id, seq), (&child, last.next()));

    // A closed shard can't roll over again; an unknown one is not found.
    assert_eq!(
        map.rollover(parent.as_str(), T0 + 5 * HOUR),
        Err(StreamsError::ShardClosed(parent.clone()))
    );
    assert!(matches!(
        map.rollover("shardId-00000000000000000000-00000000", T0),
        Err(StreamsError::ShardNotFound(_))
    ));
}

#[test]
fn empty_shard_closes_at_its_start_and_children_start_above() {
    let mut map = ShardMap::new(T0, 1);
    let parent = map.shards()[0].shard_id().clone();
    let child = map.rollover(parent.as_str(), T0).unwrap();
    let p = map.shard(parent.as_str()).unwrap();
    assert_eq!(
        p.ending_sequence_number(),
        Some(p.starting_sequence_number())
    );
    let c = map.shard(child.as_str()).unwrap();
    assert!(c.starting_sequence_number() > p.ending_sequence_number().unwrap());
    // Same millisecond: the child's id still sorts after its parent.
    assert!(child > parent);
    check_invariants(&map);
}

#[test]
fn split_opens_two_children_over_the_halves() {
    let mut map = ShardMap::new(T0, 1);
    let parent = map.shards()[0].shard_id().clone();
    map.assign(7, T0).unwrap();
    let (low, high) = map.split(parent.as_str(), T0 + 1).unwrap();
    check_invariants(&map);
    let (l, h) = (
        map.shard(low.as_str()).unwrap(),
        map.shard(high.as_str()).unwrap(),
    );
    assert_eq!(l.parent_shard_id(), Some(&parent));
    assert_eq!(h.parent_shard_id(), Some(&parent));
    assert_eq!(
        l.hash_range(),
        HashRange {
            first: 0,
            last: u32::MAX / 2
        }
    );
    assert_eq!(
        h.hash_range(),
        HashRange {
            first: u32::MAX / 2 + 1,
            last: u32::MAX
        }
    );
    assert!(low < high);
    assert_eq!(map.open_shard_for(0).unwrap().shard_id(), &low);
    assert_eq!(map.open_shard_for(u32::MAX).unwrap().shard_id(), &high);
    assert_eq!(
        map.split(parent.as_str(), T0 + 2),
        Err(StreamsError::ShardClosed(parent.clone()))
    );
}

#[test]
fn a_one_hash_shard_cannot_split() {
    let mut map = ShardMap::new(T0, 1);
    let mut target = map.shards()[0].shard_id().clone();
    // Keep splitting the lower half down to the single hash 0.
    for _ in 0..32 {
        target = map.split(target.as_str(), T0).unwrap().0;
    }
    assert_eq!(
        map.shard(target.as_str()).unwrap().hash_range(),
        HashRange { first: 0, last: 0 }
    );
    assert_eq!(
        map.split(target.as_str(), T0),
        Err(StreamsError::ShardTooSmallToSplit(target.clone()))
    );
    check_invariants(&map);
    assert_eq!(map.open_shards().count(), 33);
}

#[test]
fn random_lineage_keeps_every_invariant() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut map = ShardMap::new(T0, 3);
    let mut now = T0;
    let mut written: Vec<(ShardId, SequenceNumber, u32)> = Vec::new();
    for _ in 0..2000 {
        now += rng.random_range(0..3);
        match rng.random_range(0..20) {
            0 => {
                let open: Vec<ShardId> = map.open_shards().map(|s| s.shard_id().clone()).collect();
                let pick = &open[rng.random_range(0..open.len())];
                map.rollover(pick.as_str(), now).unwrap();
            }
            1 => {
                let open: Vec<ShardId> = map.open_shards().map(|s| s.shard_id().clone()).collect();
                let pick = &open[rng.random_range(0..open.len())];
                map.split(pick.as_str(), now).unwrap();
            }
            _ => {
                let hash: u32 = rng.random();
                let (id, seq) = map.assign(hash, now).unwrap();
                written.push((id.clone(), seq, hash));
            }
        }
        check_invariants(&map);
    }
    // Every record sits inside its shard's range and sequence numbers.
    for (id, seq, hash) in &written {
        let shard = map.shard(id.as_str()).unwrap();
        assert!(shard.hash_range().contains(*hash));
        assert!(*seq >= shard.starting_sequence_number());
        assert!(shard.ending_sequence_number().is_none_or(|e| *seq <= e));
    }
    // Numbers strictly increase overall, hence within each shard and along each lineage.
    for pair in written.windows(2) {
        assert!(pair[0].1 < pair[1].1);
    }
}

#[test]
fn shard_ids_keep_creation_order_when_the_clock_steps_back() {
    let mut map = ShardMap::new(T0, 1);
    let first = map.shards()[0].shard_id().clone();
    let child = map.rollover(first.as_str(), T0 - 10 * HOUR).unwrap();
    assert!(child > first);
    assert_eq!(map.shard(child.as_str()).unwrap().created_ms(), T0);
    check_invariants(&map);
}

#[test]
fn close_all_closes_every_shard_and_stops_records() {
    let mut map = ShardMap::new(T0, 3);
    map.assign(0, T0).unwrap();
    map.close_all(T0 + 5);
    assert!(!map.is_open());
    assert!(
        map.shards()
            .iter()
            .all(|s| !s.is_open() && s.ending_sequence_number().is_some())
    );
    assert_eq!(map.assign(0, T0 + 6), None);
    assert!(map.open_shard_for(0).is_none());
    assert!(map.due_rollovers(T0 + 100 * HOUR, HOUR).is_empty());
    check_invariants(&map);
}

/// 1 partition rolled over `n - 1` times: `n` shards, a chain of parents.
fn chain(n: usize) -> ShardMap {
    let mut map = ShardMap::new(T0, 1);
    for i in 1..n {
        let open = map.open_shards().next().unwrap().shard_id().clone();
        map.rollover(open.as_str(), T0 + i as u64).unwrap();
    }
    map
}

#[test]
fn describe_pages_in_id_order() {
    let map = chain(5);
    let all = ids(&map.describe(None, 100, None).0);
    assert_eq!(all.len(), 5);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);

    // Pages of 2: cookie on full pages that have more after them.
    let (page, cookie) = map.describe(None, 2, None);
    assert_eq!(ids(&page), all[0..2]);
    assert_eq!(cookie.as_ref().map(ShardId::as_str), Some(all[1].as_str()));
    let (page, cookie) = map.describe(Some(&all[1]), 2, None);
    assert_eq!(ids(&page), all[2..4]);
    assert_eq!(cookie.as_ref().map(ShardId::as_str), Some(all[3].as_str()));
    let (page, cookie) = map.describe(Some(&all[3]), 2, None);
    assert_eq!(ids(&page), all[4..5]);
    assert_eq!(cookie, None);

    // A full page that is also the last has no cookie.
    let (page, cookie) = map.describe(None, 5, None);
    assert_eq!(page.len(), 5);
    assert_eq!(cookie, None);
    let (page, cookie) = map.describe(Some(&all[2]), 2, None);
    assert_eq!(ids(&page), all[3..5]);
    assert_eq!(cookie, None);

    // Starting after the last shard: empty, no cookie.
    assert_eq!(map.describe(Some(&all[4]), 2, None), (Vec::new(), None));
    // Unknown exclusive start: empty, no error.
    let unknown = "shardId-00000000000000000001-00000000";
    assert_eq!(map.describe(Some(unknown), 100, None), (Vec::new(), None));
    assert_eq!(map.describe(Some("garbage"), 100, None), (Vec::new(), None));
    // Limit 0 never panics.
    assert_eq!(map.describe(None, 0, None), (Vec::new(), None));
}

#[test]
fn describe_child_shards_filter() {
    let mut map = chain(2);
    let root = map.shards()[0].shard_id().clone();
    let open = map.shards()[1].shard_id().clone();
    let (low, high) = map.split(open.as_str(), T0 + 10).unwrap();
    let (page, cookie) = map.describe(None, 100, Some(open.as_str()));
    assert_eq!(ids(&page), vec![low.to_string(), high.to_string()]);
    assert_eq!(cookie, None);
    let (page, _) = map.describe(None, 100, Some(root.as_str()));
    assert_eq!(ids(&page), vec![open.to_string()]);
    // Paging applies within the filter.
    let (page, cookie) = map.describe(None, 1, Some(open.as_str()));
    assert_eq!(ids(&page), vec![low.to_string()]);
    assert_eq!(cookie, Some(low.clone()));
    let (page, cookie) = map.describe(Some(low.as_str()), 1, Some(open.as_str()));
    assert_eq!(ids(&page), vec![high.to_string()]);
    assert_eq!(cookie, None);
    // A shard with no children, or unknown: empty.
    assert!(map.describe(None, 100, Some(low.as_str())).0.is_empty());
    assert!(map.describe(None, 100, Some("nope")).0.is_empty());
}

#[test]
fn retention_removes_closed_shards_whose_records_are_all_old() {
    let retention = 24 * HOUR;
    let mut map = ShardMap::new(T0, 1);
    let old = map.shards()[0].shard_id().clone();
    map.assign(1, T0 + HOUR).unwrap();
    let child = map.rollover(old.as_str(), T0 + 4 * HOUR).unwrap();
    // The child is open: never removed, however old.
    // The parent's newest record is at T0 + 1h: removed once that is more than 24 h ago.
    assert!(
        map.remove_trimmed(T0 + HOUR + retention, retention)
            .is_empty()
    );
    let removed = map.remove_trimmed(T0 + HOUR + retention + 1, retention);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].shard_id(), &old);
    assert!(map.shard(old.as_str()).is_none());
    assert_eq!(map.shards().len(), 1);
    // The child still names its (gone) parent, and writes still find it.
    assert_eq!(map.shards()[0].parent_shard_id(), Some(&old));
    assert_eq!(map.open_shard_for(9).unwrap().shard_id(), &child);
    assert!(map.remove_trimmed(u64::MAX, retention).is_empty());

    // A closed shard that never had a record is kept for retention after closing.
    let empty_child = map.rollover(child.as_str(), T0 + 30 * HOUR).unwrap();
    map.close_all(T0 + 31 * HOUR);
    assert!(
        map.remove_trimmed(T0 + 30 * HOUR + retention, retention)
            .is_empty()
    );
    let removed = map.remove_trimmed(T0 + 31 * HOUR + retention, retention);
    assert_eq!(
        ids(&removed.iter().collect::<Vec<_>>()),
        vec![child.to_string()]
    );
    let removed = map.remove_trimmed(T0 + 31 * HOUR + retention + 1, retention);
    assert_eq!(
        ids(&removed.iter().collect::<Vec<_>>()),
        vec![empty_child.to_string()]
    );
    assert!(map.is_empty());
}

#[test]
fn trimming_moves_the_horizon_forward_only() {
    let mut map = ShardMap::new(T0, 1);
    let id = map.shards()[0].shard_id().clone();
    let seqs: Vec<SequenceNumber> = (0..5).map(|i| map.assign(0, T0 + i).unwrap().1).collect();
    map.note_trimmed(id.as_str(), seqs[2]).unwrap();
    map.note_trimmed(id.as_str(), seqs[1]).unwrap();
    let shard = map.shard(id.as_str()).unwrap();
    assert_eq!(shard.trimmed_through(), Some(seqs[2]));
    assert_eq!(shard.read_start(&Position::TrimHorizon), Ok(seqs[3]));
    assert_eq!(
        shard.read_start(&Position::AtSequence(seqs[1])),
        Err(StreamsError::TrimmedDataAccess)
    );
    assert!(matches!(
        map.note_trimmed("x", seqs[0]),
        Err(StreamsError::ShardNotFound(_))
    ));
}

#[test]
fn note_record_rebuilds_state_after_a_reload() {
    let mut map = ShardMap::new(T0, 1);
    let id = map.shards()[0].shard_id().clone();
    let saved = serde_json::to_string(&map).unwrap();
    let (_, a) = map.assign(0, T0 + 1).unwrap();
    let (_, b) = map.assign(0, T0 + 2).unwrap();

    // The saved map predates both writes; the newest stored record brings it up to date.
    let mut reloaded: ShardMap = serde_json::from_str(&saved).unwrap();
    reloaded.note_record(id.as_str(), b, T0 + 2).unwrap();
    reloaded.note_record(id.as_str(), a, T0 + 1).unwrap();
    assert_eq!(reloaded, map);
    assert!(matches!(
        reloaded.note_record("x", a, T0),
        Err(StreamsError::ShardNotFound(_))
    ));
}

#[test]
fn serde_round_trip_and_corrupt_maps() {
    let mut map = chain(3);
    let open = map.open_shards().next().unwrap().shard_id().clone();
    map.split(open.as_str(), T0 + 9).unwrap();
    map.assign(77, T0 + 10).unwrap();
    let json = serde_json::to_value(&map).unwrap();
    assert!(
        json.get("open").is_none(),
        "the index is derived, not stored"
    );
    let back: ShardMap = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, map);
    assert_eq!(
        back.open_shard_for(77).unwrap().shard_id(),
        map.open_shard_for(77).unwrap().shard_id()
    );

    // Shards out of order.
    let mut bad = json.clone();
    bad["shards"].as_array_mut().unwrap().swap(0, 1);
    assert!(serde_json::from_value::<ShardMap>(bad).is_err());
    // Overlapping open shards.
    let mut bad = json.clone();
    let shards = bad["shards"].as_array_mut().unwrap();
    let n = shards.len();
    shards[n - 1]["hash_range"]["first"] = 0.into();
    assert!(serde_json::from_value::<ShardMap>(bad).is_err());
    // A counter below issued numbers.
    let mut bad = json.clone();
    bad["next_sequence_number"] = "100000000000000000000".into();
    assert!(serde_json::from_value::<ShardMap>(bad).is_err());
    // A malformed id.
    let mut bad = json;
    bad["shards"][0]["shard_id"] = "shard-1".into();
    assert!(serde_json::from_value::<ShardMap>(bad).is_err());
}
