//! The eddy database engine: tables, items, queries and batches over a byte-level
//! [`eddy_storage::Storage`]. Synchronous and usable as a library without HTTP; it never sees
//! request JSON.
//!
//! ```
//! use std::sync::Arc;
//! use eddy_engine::{Engine, EngineConfig};
//! let engine = Engine::open(Arc::new(eddy_storage::MemoryStorage::new()), EngineConfig::default()).unwrap();
//! assert!(engine.list_tables(None, 100).0.is_empty());
//! ```
//!
//! This crate must never depend on `eddy-server` (HTTP, JSON shapes) or name a concrete storage
//! engine outside tests.

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod batch;
mod capacity;
mod catalog;
mod clock;
mod engine;
mod error;
mod index_admin;
mod indexes;
mod invalid;
mod items;
mod janitor;
mod keys;
mod query;
mod schema;
mod stream_api;
mod streams;
mod tables;
mod transactions;
mod ttl;
mod write_path;
mod write_rules;

pub use batch::{BatchGetOutput, BatchGetRequest, BatchWriteRequest, WriteRequest};
pub use capacity::Consumed;
pub use clock::Clock;
pub use engine::{Engine, EngineConfig};
pub use error::{CancellationReason, EngineError, Result};
pub use indexes::{IndexDef, IndexInput, IndexKind, IndexStatus, Projection, ProjectionType};
pub use invalid::Invalid;
pub use items::{
    DeleteItemInput, GetItemInput, ItemOutput, PutItemInput, ReturnValues, UpdateItemInput,
};
pub use query::{QueryInput, QueryOutput, ScanInput};
pub use schema::{
    AttributeDefinition, BillingMode, KeyAttribute, KeySchema, KeySchemaElement, KeyType,
    ScalarType, TableDef, Tag, Throughput,
};
pub use stream_api::{
    IteratorType, RecordsPage, ShardDescription, StreamDescription, StreamSummary,
};
pub use streams::StreamsConfig;
pub use tables::{
    CreateTableInput, IndexUpdate, StreamChange, TableDescription, TableStatus, UpdateTableInput,
};
pub use transactions::{
    TransactGetItem, TransactWriteAction, TransactWriteInput, TransactWriteItem,
};
pub use ttl::TimeToLiveDescription;
