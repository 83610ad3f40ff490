//! The state layer: what a running engine holds (the `Engine` itself, the catalog of tables,
//! the streams registry, the backups, the remembered ClientRequestTokens, what several processes on shared storage agree on) and its background threads (the
//! janitor, the index backfills). Uses the model, `keys` and other state files.

pub(crate) mod backfills;
pub(crate) mod backups;
pub(crate) mod catalog;
pub(crate) mod cluster;
pub(crate) mod engine;
pub(crate) mod janitor;
pub(crate) mod streams;
pub(crate) mod tokens;
