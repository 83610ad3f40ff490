//! The operations layer: the engine's public API, one file per group of DynamoDB operations.
//! Uses every layer below; an operation file may use another only where no cycle results.

pub(crate) mod backups;
pub(crate) mod batch;
pub(crate) mod index_admin;
pub(crate) mod items;
pub(crate) mod open;
pub(crate) mod partiql;
pub(crate) mod policies;
pub(crate) mod query;
pub(crate) mod restore;
pub(crate) mod stream_api;
pub(crate) mod tables;
pub(crate) mod transactions;
pub(crate) mod ttl;
