//! The conformance suite against every engine, plus fjall's durability promises and
//! PostgreSQL's migrations.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eddy_storage::{
    Durability, FjallStorage, MemoryStorage, PostgresStorage, Storage, StorageError, WriteBatch,
    conformance,
};
use tempfile::TempDir;

/// A fresh store and the directory it lives in (kept alive as long as the store).
type Fresh = (Option<TempDir>, Box<dyn Storage>);

fn memory() -> Result<Option<Fresh>, StorageError> {
    Ok(Some((None, Box::new(MemoryStorage::new()))))
}

fn fjall_with(durability: Durability) -> Result<Option<Fresh>, StorageError> {
    let dir = tempfile::tempdir()?;
    let storage = FjallStorage::open(dir.path(), durability)?;
    Ok(Some((Some(dir), Box::new(storage))))
}

/// A PostgreSQL engine on a fresh database of the server `EDDY_TEST_POSTGRES_URL` names; None
/// (the test says it skipped) without one.
fn postgres() -> Result<Option<Fresh>, StorageError> {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let Ok(admin) = std::env::var("EDDY_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: EDDY_TEST_POSTGRES_URL names no PostgreSQL server (scripts/test starts one)"
        );
        return Ok(None);
    };
    let name = format!(
        "conformance_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let url = PostgresStorage::create_database(&admin, &name)?;
    Ok(Some((None, Box::new(PostgresStorage::connect(&url, 8)?))))
}

fn fjall() -> Result<Option<Fresh>, StorageError> {
    fjall_with(Durability::Buffered)
}

fn fjall_fsync() -> Result<Option<Fresh>, StorageError> {
    fjall_with(Durability::Fsync)
}

/// One `#[test]` per conformance property for the engine that `$fresh` creates (None: the
/// engine is not available here, and the test says so).
macro_rules! conformance_suite {
    ($engine:ident, $fresh:expr, [$($property:ident),* $(,)?]) => {
        mod $engine {
            use super::*;
            $(
                #[test]
                fn $property() -> Result<(), StorageError> {
                    let Some((_dir, storage)) = $fresh()? else { return Ok(()) };
                    conformance::$property(&*storage)
                }
            )*
        }
    };
}

/// The suite for each engine: every property against each.
macro_rules! conformance_suites {
    ([$($engine:ident: $fresh:expr),* $(,)?], $properties:tt) => {
        $(conformance_suite!($engine, $fresh, $properties);)*
    };
}

conformance_suites!(
    [memory_engine: memory, fjall_engine: fjall, postgres_engine: postgres],
    [
        get_put_delete,
        batch_last_op_wins,
        invalid_keys_reject_whole_batch,
        range_bounds,
        range_stops_early,
        snapshot_isolation,
        range_stable_during_commits,
        snapshots_keep_their_versions,
        concurrent_commits,
        concurrent_readers_see_whole_batches,
        apply_then_wait_durable,
        locks_exclude_and_hand_over,
    ]
);

// Fsync mode goes through group commit; these properties exercise it alone and concurrently.
conformance_suite!(
    fjall_fsync_engine,
    fjall_fsync,
    [
        get_put_delete,
        batch_last_op_wins,
        concurrent_commits,
        apply_then_wait_durable,
    ]
);

#[test]
fn fjall_reopen_persists() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    for durability in [Durability::Buffered, Durability::Fsync] {
        let path = dir.path().join(format!("{durability:?}"));
        conformance::reopen_persists(&|| Ok(Box::new(FjallStorage::open(&path, durability)?)))?;
    }
    Ok(())
}

/// Closing flushes the memtable; what was written before and after it survives a reopen.
#[test]
fn fjall_close_then_reopen_keeps_everything() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    {
        let storage = FjallStorage::open(dir.path(), Durability::Buffered)?;
        for i in 0u32..1000 {
            let mut batch = WriteBatch::new();
            batch.put(format!("before/{i:04}"), i.to_be_bytes());
            storage.commit(batch)?;
        }
        storage.close()?;
        let mut batch = WriteBatch::new();
        batch.put("after", "1");
        storage.commit(batch)?;
    }
    let storage = FjallStorage::open(dir.path(), Durability::Buffered)?;
    assert_eq!(
        storage.get(b"before/0999")?,
        Some(999u32.to_be_bytes().to_vec())
    );
    assert_eq!(storage.get(b"after")?, Some(b"1".to_vec()));
    Ok(())
}

#[test]
fn fjall_second_open_is_locked() -> Result<(), StorageError> {
    let dir = tempfile::tempdir()?;
    let _first = FjallStorage::open(dir.path(), Durability::Buffered)?;
    let second = FjallStorage::open(dir.path(), Durability::Buffered);
    assert!(
        matches!(second, Err(StorageError::Locked)),
        "{:?}",
        second.err()
    );
    Ok(())
}

const KILL_CHILD_DIR: &str = "EDDY_STORAGE_KILL_CHILD_DIR";
const ACK: &str = "acknowledged ";

/// The child half of `buffered_commits_survive_kill`: commits batches forever, printing the
/// index of each one `commit` acknowledged, until the parent kills it.
#[test]
#[ignore = "child process of buffered_commits_survive_kill; does nothing on its own"]
fn kill_child_commit_loop() -> Result<(), StorageError> {
    let Some(dir) = std::env::var_os(KILL_CHILD_DIR) else {
        return Ok(());
    };
    let storage = FjallStorage::open(Path::new(&dir), Durability::Buffered)?;
    let mut out = std::io::stdout().lock();
    for i in 0u32.. {
        let mut batch = WriteBatch::new();
        batch.put(format!("{i:08}/a"), i.to_be_bytes());
        batch.put(format!("{i:08}/b"), i.to_be_bytes());
        storage.commit(batch)?;
        writeln!(out, "{ACK}{i}")?;
        out.flush()?;
    }
    Ok(())
}

/// Durability::Buffered promises that an acknowledged commit survives `kill -9`: a child
/// process commits and reports each acknowledgement, is killed mid-stream with SIGKILL, and
/// the reopened store holds every acknowledged batch, and no batch in part.
#[test]
fn buffered_commits_survive_kill() -> Result<(), Box<dyn std::error::Error>> {
    const ACKS_BEFORE_KILL: usize = 500;
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "kill_child_commit_loop",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(KILL_CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("child has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut acknowledged = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    for line in lines.by_ref() {
        if let Some(index) = line?.strip_prefix(ACK) {
            acknowledged.push(index.parse::<u32>()?);
        }
        if acknowledged.len() >= ACKS_BEFORE_KILL || Instant::now() > deadline {
            break;
        }
    }
    child.kill()?; // SIGKILL on Unix: no destructor, no flush.
    child.wait()?;
    // Acknowledgements printed before the kill that we had not read yet.
    for line in lines {
        if let Some(index) = line?.strip_prefix(ACK) {
            acknowledged.push(index.parse::<u32>()?);
        }
    }
    assert!(
        acknowledged.len() >= ACKS_BEFORE_KILL,
        "child acknowledged only {} commits",
        acknowledged.len()
    );

    let storage = FjallStorage::open(dir.path(), Durability::Buffered)?;
    for i in &acknowledged {
        for half in ["a", "b"] {
            let key = format!("{i:08}/{half}");
            assert_eq!(
                storage.get(key.as_bytes())?,
                Some(i.to_be_bytes().to_vec()),
                "acknowledged batch {i} lost {half}"
            );
        }
    }
    // The batch in flight at the kill, if any, is there whole or not at all.
    let last = acknowledged.iter().max().copied().unwrap_or(0);
    for i in last + 1..last + 3 {
        let a = storage.get(format!("{i:08}/a").as_bytes())?;
        let b = storage.get(format!("{i:08}/b").as_bytes())?;
        assert_eq!(a, b, "batch {i} applied in part");
    }
    Ok(())
}

/// fjall's flush worker dies when the data directory disappears; closing must report that
/// rather than wait forever for a flush that will never come (the server's SIGTERM path).
#[test]
fn close_gives_up_when_the_directory_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let storage = FjallStorage::open_with(
        &path,
        eddy_storage::FjallOptions {
            reserved_disk_bytes: 0,
            ..Default::default()
        },
    )
    .expect("open");
    let mut batch = WriteBatch::new();
    batch.put(b"k".to_vec(), b"v".to_vec());
    storage.apply(batch).expect("write");
    std::fs::remove_dir_all(&path).expect("remove the directory");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(storage.close());
    });
    let closed = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("close returned");
    assert!(closed.is_err(), "the memtable cannot have been flushed");
}

/// What a reconnect to the same PostgreSQL database finds; two stores on one database (two
/// processes) sharing its locks, more of them than the lock pool holds; and the schema's migrations: from an empty database, from the current schema
/// (nothing to do), and a schema newer than this eddy refused.
#[test]
fn postgres_reconnects_and_migrates() -> Result<(), StorageError> {
    let Ok(admin) = std::env::var("EDDY_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: EDDY_TEST_POSTGRES_URL names no PostgreSQL server (scripts/test starts one)"
        );
        return Ok(());
    };
    let url = PostgresStorage::create_database(&admin, &format!("reopen_{}", std::process::id()))?;
    conformance::reopen_persists(&|| Ok(Box::new(PostgresStorage::connect(&url, 4)?)))?;

    let sql = |statement: &str| -> Vec<i32> {
        let url = url.clone();
        let statement = statement.to_owned();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(connection);
                client
                    .query(&statement, &[])
                    .await
                    .expect("statement")
                    .iter()
                    .map(|row| row.get(0))
                    .collect()
            })
        })
        .join()
        .expect("thread")
    };
    assert_eq!(
        sql("SELECT version FROM eddy_schema_version"),
        [eddy_storage::POSTGRES_SCHEMA_VERSION]
    );
    {
        let first = PostgresStorage::connect(&url, 4)?;
        let second = PostgresStorage::connect(&url, 4)?;
        conformance::locks_hold_across_stores(&first, &second)?;
    }
    {
        // One thread holding more locks than the lock pool has connections (a transaction
        // across many tables) gets them all, and dropping them frees them for another store,
        // whichever connection held each.
        let small = PostgresStorage::connect(&url, 2)?;
        let other = PostgresStorage::connect(&url, 2)?;
        let held: Vec<_> = (0..5u64)
            .map(|id| small.lock(900 + id, &[]).map(|(lock, _)| lock))
            .collect::<Result<_, _>>()?;
        for id in 0..5u64 {
            assert!(
                other.try_lock(900 + id)?.is_none(),
                "lock {id} held by one store only"
            );
        }
        drop(held);
        for id in 0..5u64 {
            // Released behind the dropping thread: wait for it.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while other.try_lock(900 + id)?.is_none() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "lock {id} never released"
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
    sql("UPDATE eddy_schema_version SET version = version + 1 RETURNING version");
    match PostgresStorage::connect(&url, 4) {
        Err(StorageError::Engine(message)) => {
            assert!(message.contains("newer than this eddy's"), "{message}")
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
    Ok(())
}
