//! The eddy database engine: tables, items, queries and batches over a byte-level
//! [`eddy_storage::Storage`]. Synchronous and usable as a library without HTTP; it never sees
//! request JSON.
//!
//! ```
//! use std::sync::Arc;
//! use eddy_engine::{Engine, EngineConfig};
//! let engine = Engine::open(Arc::new(eddy_storage::MemoryStorage::new()), EngineConfig::default()).unwrap();
//! assert!(engine.list_tables(None, 100)?.0.is_empty());
//! # Ok::<(), eddy_engine::EngineError>(())
//! ```
//!
//! This crate must never depend on `eddy-server` (HTTP, JSON shapes) or name a concrete storage
//! engine outside tests.

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

// Layers, lowest first: each uses only the layers before it (the test in `layers.rs` checks).
// model: errors, schemas, index definitions, capacity, clock; uses only other model files.
mod model;
// keys: the storage key layout; uses model.
mod keys;
// state: the Engine, catalog, streams, tokens, janitor and backfill threads; uses model, keys.
mod state;
// write: the write rules, index entries and staging; uses model, keys, state.
mod write;
// ops: the public operations; uses every layer before it.
mod ops;

#[cfg(test)]
mod layers;

pub use model::backup::{BackupRecord, RestoreSummary};
pub use model::capacity::{Consumed, PerTable};
pub use model::clock::Clock;
pub use model::description::{TableDescription, TableStatus};
pub use model::error::{CancellationReason, EngineError, Result};
pub use model::indexes::{
    IndexDef, IndexInput, IndexKey, IndexKind, IndexStatus, Projection, ProjectionType,
};
pub use model::invalid::Invalid;
pub use model::schema::{
    AttributeDefinition, BillingMode, KeyAttribute, KeySchema, KeySchemaElement, KeyType,
    PointInTimeRecovery, ResourcePolicy, ScalarType, TableDef, Tag, Throughput,
};
pub use model::scope::Scope;
pub use ops::backups::{ContinuousBackups, DEFAULT_RECOVERY_PERIOD_DAYS};
pub use ops::batch::{BatchGetOutput, BatchGetRequest, BatchWriteRequest, WriteRequest};
pub use ops::items::{
    DeleteItemInput, GetItemInput, ItemCollection, ItemOutput, PutItemInput, ReturnValues,
    UpdateItemInput,
};
pub use ops::query::{QueryInput, QueryOutput, ScanInput};
pub use ops::restore::{BackupStatus, ListBackupsInput, RestoreOverrides};
pub use ops::stream_api::{
    IteratorType, RecordsPage, ShardDescription, StreamDescription, StreamGauge, StreamSummary,
};
pub use ops::tables::{CreateTableInput, IndexUpdate, StreamChange, UpdateTableInput};
pub use ops::transactions::{
    TransactGetItem, TransactWriteAction, TransactWriteInput, TransactWriteItem,
};
pub use ops::ttl::TimeToLiveDescription;
pub use state::engine::{Engine, EngineConfig};
pub use state::streams::StreamsConfig;

/// PartiQL statements run as engine operations: which read answers a SELECT, what a write
/// statement does to its item, and ExecuteTransaction's reads and writes.
pub mod partiql {
    pub use crate::ops::partiql::Statement;
    pub use crate::ops::partiql::read::{Page, Paging};
    pub use crate::ops::partiql::write::{Plan, Planned, Write, Written};
}
