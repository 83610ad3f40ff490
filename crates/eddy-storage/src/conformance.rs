//! Properties every [`Storage`] engine must have, as functions to call from each engine's tests.
//!
//! Each function takes a fresh, empty store (unless it says otherwise), checks one property
//! with assertions, and returns storage errors unchanged.
//!
//! ```
//! use eddy_storage::{conformance, MemoryStorage};
//! conformance::get_put_delete(&MemoryStorage::new())?;
//! # Ok::<(), eddy_storage::StorageError>(())
//! ```
//!
//! # Panics
//!
//! Every function panics when the store breaks the property it checks.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::{Direction, Snapshot, Storage, StorageError, Ticket, WriteBatch};

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn put(storage: &dyn Storage, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
    let mut batch = WriteBatch::new();
    batch.put(key, value);
    storage.commit(batch)
}

fn delete(storage: &dyn Storage, key: &[u8]) -> Result<(), StorageError> {
    let mut batch = WriteBatch::new();
    batch.delete(key);
    storage.commit(batch)
}

fn collect(
    snapshot: &dyn Snapshot,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    direction: Direction,
) -> Result<Pairs, StorageError> {
    snapshot.range(start, end, direction).collect()
}

fn all(snapshot: &dyn Snapshot) -> Result<Pairs, StorageError> {
    collect(
        snapshot,
        Bound::Unbounded,
        Bound::Unbounded,
        Direction::Forward,
    )
}

fn pairs(items: &[(&[u8], &[u8])]) -> Pairs {
    items
        .iter()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

/// A lock excludes every other holder until it is dropped, and whoever takes it next reads
/// what its holder committed; other ids are free meanwhile.
pub fn locks_exclude_and_hand_over(storage: &dyn Storage) -> Result<(), StorageError> {
    let (held, values) = storage.lock(1, &[b"lock/k", b"lock/absent"])?;
    assert_eq!(values, [None, None]);
    assert!(held.is_held());
    assert!(
        storage.try_lock(1)?.is_none(),
        "a held lock was taken twice"
    );
    assert!(storage.try_lock(2)?.is_some(), "another id is free");
    assert!(storage.lock(crate::MAX_LOCK_ID + 1, &[]).is_err());
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| storage.lock(1, &[b"lock/k"]).map(|(_, values)| values));
        put(storage, b"lock/k", b"committed while held")?;
        drop(held);
        let seen = waiter.join().expect("the waiter panicked")?;
        assert_eq!(seen, [Some(b"committed while held".to_vec())]);
        Ok(())
    })
}

/// Two stores on one database (two processes) share its locks: what one holds, the other
/// cannot take, and waits for; what one committed under it, the other reads once it has it.
pub fn locks_hold_across_stores(a: &dyn Storage, b: &dyn Storage) -> Result<(), StorageError> {
    assert!(a.shared() && b.shared());
    let (held, _) = a.lock(3, &[])?;
    assert!(b.try_lock(3)?.is_none(), "another process took a held lock");
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| b.lock(3, &[b"lock/across"]).map(|(_, values)| values));
        put(a, b"lock/across", b"from a")?;
        drop(held);
        let seen = waiter.join().expect("the waiter panicked")?;
        assert_eq!(seen, [Some(b"from a".to_vec())]);
        Ok(())
    })
}

/// Single puts, overwrites and deletes are read back by `get` on the store and on snapshots;
/// deleting an absent key is not an error; an empty batch changes nothing.
///
/// # Errors
///
/// Any error of the store.
pub fn get_put_delete(storage: &dyn Storage) -> Result<(), StorageError> {
    assert_eq!(storage.get(b"k")?, None);
    put(storage, b"k", b"v1")?;
    assert_eq!(storage.get(b"k")?, Some(b"v1".to_vec()));
    assert_eq!(storage.snapshot().get(b"k")?, Some(b"v1".to_vec()));
    put(storage, b"k", b"v2")?;
    assert_eq!(storage.get(b"k")?, Some(b"v2".to_vec()));
    put(storage, b"empty value", b"")?;
    assert_eq!(storage.get(b"empty value")?, Some(Vec::new()));
    delete(storage, b"k")?;
    assert_eq!(storage.get(b"k")?, None);
    assert_eq!(storage.snapshot().get(b"k")?, None);
    delete(storage, b"never written")?;
    storage.commit(WriteBatch::new())?;
    assert_eq!(all(&*storage.snapshot())?, pairs(&[(b"empty value", b"")]));
    put(storage, b"k", b"v3")?;
    assert_eq!(storage.get(b"k")?, Some(b"v3".to_vec()));
    // Reading the empty key is fine: it is simply never there.
    assert_eq!(storage.get(b"")?, None);
    Ok(())
}

/// Within one batch the last operation on a key wins, in every order of puts and deletes.
///
/// # Errors
///
/// Any error of the store.
pub fn batch_last_op_wins(storage: &dyn Storage) -> Result<(), StorageError> {
    put(storage, b"existing", b"old")?;
    let mut batch = WriteBatch::new();
    batch.put(b"a".as_slice(), b"1".as_slice());
    batch.put(b"a".as_slice(), b"2".as_slice());
    batch.put(b"b".as_slice(), b"1".as_slice());
    batch.delete(b"b".as_slice());
    batch.delete(b"c".as_slice());
    batch.put(b"c".as_slice(), b"3".as_slice());
    batch.delete(b"existing".as_slice());
    batch.put(b"existing".as_slice(), b"new".as_slice());
    batch.delete(b"existing".as_slice());
    assert_eq!(batch.len(), 9);
    assert!(!batch.is_empty());
    storage.commit(batch)?;
    assert_eq!(storage.get(b"a")?, Some(b"2".to_vec()));
    assert_eq!(storage.get(b"b")?, None);
    assert_eq!(storage.get(b"c")?, Some(b"3".to_vec()));
    assert_eq!(storage.get(b"existing")?, None);
    assert_eq!(
        all(&*storage.snapshot())?,
        pairs(&[(b"a", b"2"), (b"c", b"3")])
    );
    Ok(())
}

/// A batch with an empty or over-long key is rejected with [`StorageError::InvalidKey`] and
/// applies none of its operations; keys at the length limit work.
///
/// # Errors
///
/// Any error of the store other than the expected rejections.
pub fn invalid_keys_reject_whole_batch(storage: &dyn Storage) -> Result<(), StorageError> {
    let longest = vec![b'x'; usize::from(u16::MAX)];
    for bad in [Vec::new(), vec![b'x'; usize::from(u16::MAX) + 1]] {
        let mut batch = WriteBatch::new();
        batch.put(b"good", b"1");
        batch.put(bad, b"2");
        let result = storage.commit(batch);
        assert!(
            matches!(result, Err(StorageError::InvalidKey { .. })),
            "expected InvalidKey, got {result:?}"
        );
        assert_eq!(storage.get(b"good")?, None);
    }
    put(storage, &longest, b"long")?;
    assert_eq!(storage.get(&longest)?, Some(b"long".to_vec()));
    Ok(())
}

/// Every combination of bounds (included, excluded, unbounded; on stored keys, between them,
/// before and after all of them, the empty key, start after end) in both directions returns
/// exactly the keys a `BTreeMap` returns, in order.
///
/// # Errors
///
/// Any error of the store.
pub fn range_bounds(storage: &dyn Storage) -> Result<(), StorageError> {
    // Keys chosen for byte-order edge cases: a prefix of another key, 0x00 and 0xFF bytes.
    let stored: [&[u8]; 7] = [b"b", b"b\x00", b"ba", b"c", b"d\xff", b"e", b"\xff\xff"];
    let mut model = BTreeMap::new();
    let mut batch = WriteBatch::new();
    for (i, key) in stored.iter().enumerate() {
        let value = format!("value {i}").into_bytes();
        batch.put(*key, value.clone());
        model.insert(key.to_vec(), value);
    }
    storage.commit(batch)?;
    // A deleted key must not appear in ranges either.
    delete(storage, b"c")?;
    model.remove(b"c".as_slice());

    let probes: [&[u8]; 11] = [
        b"",
        b"a",
        b"b",
        b"b\x00",
        b"b\x01",
        b"ba",
        b"c",
        b"cc",
        b"d\xff",
        b"e",
        b"\xff\xff\xff",
    ];
    let mut bounds = vec![Bound::Unbounded];
    for probe in probes {
        bounds.push(Bound::Included(probe));
        bounds.push(Bound::Excluded(probe));
    }
    let snapshot = storage.snapshot();
    for start in &bounds {
        for end in &bounds {
            let expected: Pairs = model
                .iter()
                .filter(|(key, _)| {
                    let key = key.as_slice();
                    let after_start = match *start {
                        Bound::Included(s) => key >= s,
                        Bound::Excluded(s) => key > s,
                        Bound::Unbounded => true,
                    };
                    let before_end = match *end {
                        Bound::Included(e) => key <= e,
                        Bound::Excluded(e) => key < e,
                        Bound::Unbounded => true,
                    };
                    after_start && before_end
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let forward = collect(&*snapshot, *start, *end, Direction::Forward)?;
            assert_eq!(forward, expected, "forward range {start:?}..{end:?}");
            let mut reverse = collect(&*snapshot, *start, *end, Direction::Reverse)?;
            reverse.reverse();
            assert_eq!(reverse, expected, "reverse range {start:?}..{end:?}");
        }
    }
    Ok(())
}

/// Ranges are lazy and can stop early: taking the first few pairs of a large range in either
/// direction returns the smallest or largest keys.
///
/// # Errors
///
/// Any error of the store.
pub fn range_stops_early(storage: &dyn Storage) -> Result<(), StorageError> {
    let mut batch = WriteBatch::new();
    for i in 0..2_000u32 {
        batch.put(i.to_be_bytes(), i.to_le_bytes());
    }
    storage.commit(batch)?;
    let snapshot = storage.snapshot();
    let first: Pairs = snapshot
        .range(Bound::Unbounded, Bound::Unbounded, Direction::Forward)
        .take(3)
        .collect::<Result<_, _>>()?;
    let expected: Pairs = (0..3u32)
        .map(|i| (i.to_be_bytes().to_vec(), i.to_le_bytes().to_vec()))
        .collect();
    assert_eq!(first, expected);
    let last: Pairs = snapshot
        .range(Bound::Unbounded, Bound::Unbounded, Direction::Reverse)
        .take(2)
        .collect::<Result<_, _>>()?;
    let expected: Pairs = [1999u32, 1998]
        .iter()
        .map(|i| (i.to_be_bytes().to_vec(), i.to_le_bytes().to_vec()))
        .collect();
    assert_eq!(last, expected);
    Ok(())
}

/// A snapshot sees neither later puts, overwrites nor deletes, through `get` or ranges in
/// either direction; a new snapshot sees all of them.
///
/// # Errors
///
/// Any error of the store.
pub fn snapshot_isolation(storage: &dyn Storage) -> Result<(), StorageError> {
    let mut batch = WriteBatch::new();
    batch.put(b"a".as_slice(), b"1".as_slice());
    batch.put(b"b".as_slice(), b"1".as_slice());
    batch.put(b"c".as_slice(), b"1".as_slice());
    storage.commit(batch)?;
    let before = storage.snapshot();
    let expected_before = pairs(&[(b"a", b"1"), (b"b", b"1"), (b"c", b"1")]);

    let mut batch = WriteBatch::new();
    batch.put(b"a".as_slice(), b"2".as_slice());
    batch.delete(b"b".as_slice());
    batch.put(b"d".as_slice(), b"2".as_slice());
    storage.commit(batch)?;
    // Deleted and then written again: the snapshot still reads its own version.
    delete(storage, b"c")?;
    put(storage, b"c", b"3")?;

    assert_eq!(before.get(b"a")?, Some(b"1".to_vec()));
    assert_eq!(before.get(b"b")?, Some(b"1".to_vec()));
    assert_eq!(before.get(b"c")?, Some(b"1".to_vec()));
    assert_eq!(before.get(b"d")?, None);
    assert_eq!(all(&*before)?, expected_before);
    let mut reverse = collect(
        &*before,
        Bound::Unbounded,
        Bound::Unbounded,
        Direction::Reverse,
    )?;
    reverse.reverse();
    assert_eq!(reverse, expected_before);

    let after = storage.snapshot();
    assert_eq!(
        all(&*after)?,
        pairs(&[(b"a", b"2"), (b"c", b"3"), (b"d", b"2")])
    );
    assert_eq!(storage.get(b"b")?, None);
    Ok(())
}

/// An open range iterator on a snapshot keeps returning the snapshot's data while commits
/// insert, overwrite and delete keys ahead of it, in both directions.
///
/// # Errors
///
/// Any error of the store.
pub fn range_stable_during_commits(storage: &dyn Storage) -> Result<(), StorageError> {
    let keys: Vec<[u8; 2]> = (0..20u8).map(|i| [b'k', i * 2]).collect();
    let mut batch = WriteBatch::new();
    for key in &keys {
        batch.put(key.as_slice(), b"old".as_slice());
    }
    storage.commit(batch)?;
    for direction in [Direction::Forward, Direction::Reverse] {
        let snapshot = storage.snapshot();
        let mut range = snapshot.range(Bound::Unbounded, Bound::Unbounded, direction);
        let mut seen = Vec::new();
        for step in 0..keys.len() {
            let Some(pair) = range.next() else { break };
            seen.push(pair?);
            // Every step rewrites the whole key space: new keys between the old ones,
            // overwrites and deletes.
            let mut batch = WriteBatch::new();
            for (i, key) in keys.iter().enumerate() {
                batch.put([b'k', key[1] + 1], b"new".as_slice());
                if (i + step) % 2 == 0 {
                    batch.delete(key.as_slice());
                } else {
                    batch.put(key.as_slice(), format!("new {step}").into_bytes());
                }
            }
            storage.commit(batch)?;
        }
        seen.extend(range.collect::<Result<Pairs, _>>()?);
        let mut expected: Pairs = keys
            .iter()
            .map(|key| (key.to_vec(), b"old".to_vec()))
            .collect();
        if direction == Direction::Reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{direction:?}");
        // Restore the original contents for the next direction.
        drop(snapshot);
        let mut batch = WriteBatch::new();
        for key in &keys {
            batch.delete([b'k', key[1] + 1]);
            batch.put(key.as_slice(), b"old".as_slice());
        }
        storage.commit(batch)?;
    }
    Ok(())
}

/// Many snapshots taken between many overwrites each keep their own version, including after
/// older and newer snapshots are dropped and the store has had the chance to discard versions
/// no snapshot needs.
///
/// # Errors
///
/// Any error of the store.
pub fn snapshots_keep_their_versions(storage: &dyn Storage) -> Result<(), StorageError> {
    let mut snapshots = Vec::new();
    for version in 0..200u32 {
        let mut batch = WriteBatch::new();
        if version % 7 == 3 {
            batch.delete(b"key".as_slice());
        } else {
            batch.put(b"key".as_slice(), version.to_be_bytes());
        }
        batch.put(b"other".as_slice(), version.to_be_bytes());
        storage.commit(batch)?;
        if version % 10 == 3 || version % 10 == 4 {
            snapshots.push((version, storage.snapshot()));
        }
    }
    // Drop every other snapshot, then churn so any garbage collection runs.
    let mut kept = Vec::new();
    for (i, snapshot) in snapshots.into_iter().enumerate() {
        if i % 2 == 0 {
            kept.push(snapshot);
        }
    }
    for churn in 0..500u32 {
        put(storage, b"key", &churn.to_le_bytes())?;
    }
    for (version, snapshot) in &kept {
        let expected = (version % 7 != 3).then(|| version.to_be_bytes().to_vec());
        assert_eq!(snapshot.get(b"key")?, expected, "snapshot at {version}");
        let mut want = Vec::new();
        if let Some(value) = expected {
            want.push((b"key".to_vec(), value));
        }
        want.push((b"other".to_vec(), version.to_be_bytes().to_vec()));
        assert_eq!(all(&**snapshot)?, want, "snapshot at {version}");
    }
    drop(kept);
    delete(storage, b"key")?;
    assert_eq!(all(&*storage.snapshot())?.len(), 1);
    Ok(())
}

/// Several threads committing at once: every commit is visible afterwards.
///
/// # Errors
///
/// Any error of the store.
pub fn concurrent_commits(storage: &dyn Storage) -> Result<(), StorageError> {
    const THREADS: u32 = 4;
    const COMMITS: u32 = 50;
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                scope.spawn(move || -> Result<(), StorageError> {
                    for i in 0..COMMITS {
                        let mut batch = WriteBatch::new();
                        batch.put(format!("t{thread}/{i:03}/a"), i.to_be_bytes());
                        batch.put(format!("t{thread}/{i:03}/b"), i.to_be_bytes());
                        storage.commit(batch)?;
                    }
                    Ok(())
                })
            })
            .collect();
        writers
            .into_iter()
            .try_for_each(|writer| match writer.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
    })?;
    let stored = all(&*storage.snapshot())?;
    assert_eq!(stored.len(), (THREADS * COMMITS * 2) as usize);
    for thread in 0..THREADS {
        for i in 0..COMMITS {
            let key = format!("t{thread}/{i:03}/b");
            assert_eq!(storage.get(key.as_bytes())?, Some(i.to_be_bytes().to_vec()));
        }
    }
    Ok(())
}

/// [`Storage::apply`] makes a batch visible at once; tickets are ordered; waiting on the
/// default ticket, on an applied one, and on an older one after a newer has been waited for
/// all return. Writers that apply under a shared lock and wait outside it (as the engine's
/// writes do) all end up durable and visible.
///
/// # Errors
///
/// Any error of the store.
pub fn apply_then_wait_durable(storage: &dyn Storage) -> Result<(), StorageError> {
    storage.wait_durable(Ticket::default())?;
    let mut first = WriteBatch::new();
    first.put(b"k1", b"1");
    let t1 = storage.apply(first)?;
    assert_eq!(
        storage.get(b"k1")?,
        Some(b"1".to_vec()),
        "visible once applied"
    );
    let mut second = WriteBatch::new();
    second.put(b"k2", b"2");
    let t2 = storage.apply(second)?;
    assert!(t2 >= t1, "tickets follow the order of application");
    storage.wait_durable(t2)?;
    storage.wait_durable(t1)?;
    assert_eq!(storage.apply(WriteBatch::new())?, Ticket::default());

    const THREADS: u32 = 4;
    const WRITES: u32 = 25;
    let lock = std::sync::Mutex::new(());
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let lock = &lock;
                scope.spawn(move || -> Result<(), StorageError> {
                    for i in 0..WRITES {
                        let mut batch = WriteBatch::new();
                        batch.put(format!("w{thread}/{i:03}"), i.to_be_bytes());
                        let ticket = {
                            let _serialised = lock.lock().unwrap_or_else(|e| e.into_inner());
                            storage.apply(batch)?
                        };
                        storage.wait_durable(ticket)?;
                    }
                    Ok(())
                })
            })
            .collect();
        writers
            .into_iter()
            .try_for_each(|writer| match writer.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
    })?;
    let stored = all(&*storage.snapshot())?;
    assert_eq!(stored.len(), 2 + (THREADS * WRITES) as usize);
    Ok(())
}

/// Readers taking snapshots while a writer commits see each batch whole or not at all: the
/// writer alternates between setting ten keys to one generation and deleting them all.
///
/// # Errors
///
/// Any error of the store.
pub fn concurrent_readers_see_whole_batches(storage: &dyn Storage) -> Result<(), StorageError> {
    const KEYS: u8 = 10;
    const GENERATIONS: u32 = 300;
    let done = std::sync::atomic::AtomicBool::new(false);
    // The writer waits for the reader's first check, so a busy machine that schedules the
    // reader late still has it read while batches commit.
    let started = std::sync::atomic::AtomicBool::new(false);
    let check = |snapshot: &dyn Snapshot| -> Result<(), StorageError> {
        for direction in [Direction::Forward, Direction::Reverse] {
            let seen = collect(snapshot, Bound::Unbounded, Bound::Unbounded, direction)?;
            assert!(
                seen.is_empty() || seen.len() == usize::from(KEYS),
                "partial batch: {} keys",
                seen.len()
            );
            if let Some((_, first)) = seen.first() {
                assert!(
                    seen.iter().all(|(_, value)| value == first),
                    "mixed batches"
                );
                assert_eq!(snapshot.get(&[0])?.as_ref(), Some(first));
            }
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| -> Result<u32, StorageError> {
            let mut checks = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                check(&*storage.snapshot())?;
                checks += 1;
                started.store(true, std::sync::atomic::Ordering::Release);
            }
            Ok(checks)
        });
        let written = (|| -> Result<(), StorageError> {
            while !started.load(std::sync::atomic::Ordering::Acquire) && !reader.is_finished() {
                std::thread::yield_now();
            }
            for generation in 0..GENERATIONS {
                let mut batch = WriteBatch::new();
                for key in 0..KEYS {
                    if generation % 3 == 2 {
                        batch.delete([key]);
                    } else {
                        batch.put([key], generation.to_be_bytes());
                    }
                }
                storage.commit(batch)?;
            }
            Ok(())
        })();
        done.store(true, std::sync::atomic::Ordering::Release);
        let checks = match reader.join() {
            Ok(result) => result?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        written?;
        assert!(checks > 0);
        Ok(())
    })
}

/// Data committed before the store is dropped is there after reopening: puts, overwrites and
/// deletes. `open` opens the same store each time it is called.
///
/// # Errors
///
/// Any error of the store.
pub fn reopen_persists(
    open: &dyn Fn() -> Result<Box<dyn Storage>, StorageError>,
) -> Result<(), StorageError> {
    {
        let storage = open()?;
        let mut batch = WriteBatch::new();
        for i in 0..100u32 {
            batch.put(i.to_be_bytes(), format!("value {i}"));
        }
        storage.commit(batch)?;
        delete(&*storage, &7u32.to_be_bytes())?;
        put(&*storage, &8u32.to_be_bytes(), b"overwritten")?;
    }
    {
        let storage = open()?;
        assert_eq!(storage.get(&7u32.to_be_bytes())?, None);
        assert_eq!(
            storage.get(&8u32.to_be_bytes())?,
            Some(b"overwritten".to_vec())
        );
        assert_eq!(
            storage.get(&99u32.to_be_bytes())?,
            Some(b"value 99".to_vec())
        );
        assert_eq!(all(&*storage.snapshot())?.len(), 99);
        put(&*storage, b"second session", b"yes")?;
    }
    let storage = open()?;
    assert_eq!(storage.get(b"second session")?, Some(b"yes".to_vec()));
    assert_eq!(all(&*storage.snapshot())?.len(), 100);
    Ok(())
}
