//! Byte-level storage for eddy: an ordered key space with snapshot reads and atomic batch
//! writes, and the engines that provide it.
//!
//! - [`MemoryStorage`]: everything in memory, for tests and `--storage memory`.
//! - [`FjallStorage`]: on disk in fjall, the default.
//! - [`PostgresStorage`]: in a PostgreSQL database (`--storage postgres://…`).
//! - [`conformance`]: the properties every engine must pass, run against each.
//!
//! This crate knows nothing about tables, items or DynamoDB: keys and values are bytes, and the
//! key layout belongs to `eddy-engine`. It must never depend on another eddy crate. It is
//! synchronous; the PostgreSQL engine keeps its client's runtime to itself.
//!
//! ```
//! use std::ops::Bound;
//! use eddy_storage::{Direction, MemoryStorage, Storage, WriteBatch};
//!
//! let storage = MemoryStorage::new();
//! let mut batch = WriteBatch::new();
//! batch.put(b"a".to_vec(), b"1".to_vec());
//! batch.put(b"b".to_vec(), b"2".to_vec());
//! storage.commit(batch)?;
//!
//! let snapshot = storage.snapshot();
//! let mut later = WriteBatch::new();
//! later.delete(b"a".to_vec());
//! storage.commit(later)?;
//!
//! // The snapshot still sees both keys; the store no longer has "a".
//! let keys: Vec<Vec<u8>> = snapshot
//!     .range(Bound::Unbounded, Bound::Unbounded, Direction::Reverse)
//!     .map(|pair| pair.map(|(key, _)| key))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(keys, [b"b".to_vec(), b"a".to_vec()]);
//! assert_eq!(storage.get(b"a")?, None);
//! # Ok::<(), eddy_storage::StorageError>(())
//! ```
#![deny(unsafe_code, missing_docs)]
#![warn(clippy::unwrap_used)]

mod batch;
pub mod conformance;
mod disk_space;
mod durability;
mod error;
mod fjall_engine;
mod group_commit;
mod journal_sync;
mod locks;
mod memory;
mod postgres_engine;
mod postgres_schema;
mod storage;

pub use crate::{
    batch::WriteBatch,
    durability::Durability,
    error::StorageError,
    fjall_engine::{FjallOptions, FjallStorage},
    locks::{Held, HeldLock, MAX_LOCK_ID},
    memory::MemoryStorage,
    postgres_engine::{DEFAULT_POOL_SIZE as POSTGRES_DEFAULT_POOL_SIZE, PostgresStorage},
    postgres_schema::SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION,
    storage::{Direction, RangeIter, Snapshot, Storage, Ticket},
};
