//! Measures the resident memory of the memory engine holding N items (default 1,000,000) of a
//! 20-byte key and a 200-byte value, against the raw bytes stored. Linux only (reads
//! `/proc/self/status`).
//!
//! `cargo run --release -p eddy-storage --example memory_footprint -- [ITEMS]`

use eddy_storage::{MemoryStorage, Storage, WriteBatch};

fn resident_bytes() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .ok_or("no VmRSS in /proc/self/status")?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib * 1024)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let items: u64 = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |s| s.parse())?;
    let before = resident_bytes()?;
    let storage = MemoryStorage::new();
    let value = vec![b'v'; 200];
    let mut raw = 0u64;
    // Committed 25 at a time, like BatchWriteItem, and overwritten once each so memory held by
    // superseded versions would show.
    for round in 0..2 {
        for chunk in 0..items.div_ceil(25) {
            let mut batch = WriteBatch::new();
            for i in chunk * 25..((chunk + 1) * 25).min(items) {
                let key = format!("I{i:019}");
                if round == 0 {
                    raw += (key.len() + value.len()) as u64;
                }
                batch.put(key, value.clone());
            }
            storage.commit(batch)?;
        }
    }
    let used = resident_bytes()?.saturating_sub(before);
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{items} items: raw {:.1} MiB, resident {:.1} MiB, ratio {:.2}",
        mib(raw),
        mib(used),
        used as f64 / raw as f64
    );
    Ok(())
}
