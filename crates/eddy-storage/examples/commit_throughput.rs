//! Measures commits per second of small batches (one 200-byte item), by engine, durability
//! and number of committing threads.
//!
//! `cargo run --release -p eddy-storage --example commit_throughput -- [SECONDS] [memory|buffered|fsync]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use eddy_storage::{Durability, FjallStorage, MemoryStorage, Storage, StorageError, WriteBatch};

fn measure(
    storage: Arc<dyn Storage>,
    threads: u64,
    run_for: Duration,
) -> Result<f64, StorageError> {
    let stop = Arc::new(AtomicBool::new(false));
    let commits = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let (storage, stop, commits) = (storage.clone(), stop.clone(), commits.clone());
            std::thread::spawn(move || -> Result<(), StorageError> {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let mut batch = WriteBatch::new();
                    batch.put(format!("item/{thread:02}/{i:010}"), vec![b'v'; 200]);
                    storage.commit(batch)?;
                    commits.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                Ok(())
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(run_for);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker
            .join()
            .map_err(|_| StorageError::Engine("worker panicked".to_owned()))??;
    }
    Ok(commits.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args().nth(1).map_or(Ok(3), |s| s.parse())?;
    let only = std::env::args().nth(2);
    let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let run_for = Duration::from_secs(seconds);
    println!("engine  durability  threads  commits/s");
    for threads in [1, 8] {
        if wanted("memory") {
            let rate = measure(Arc::new(MemoryStorage::new()), threads, run_for)?;
            println!("memory  -           {threads:>7}  {rate:>9.0}");
        }
    }
    for (name, durability) in [
        ("buffered", Durability::Buffered),
        ("fsync", Durability::Fsync),
    ] {
        for threads in [1, 8] {
            if !wanted(name) {
                continue;
            }
            let dir = tempfile::tempdir()?;
            let storage = Arc::new(FjallStorage::open(dir.path(), durability)?);
            let rate = measure(storage, threads, run_for)?;
            println!("fjall   {durability:<10?}  {threads:>7}  {rate:>9.0}");
        }
    }
    Ok(())
}
