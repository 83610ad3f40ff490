//! The model layer: the engine's vocabulary (errors, schemas, backups, index definitions, capacity
//! units, the clock, scopes). Pure definitions and the checks on them; uses only other model files.

pub(crate) mod arn;
pub(crate) mod backup;
pub(crate) mod capacity;
pub(crate) mod clock;
pub(crate) mod description;
pub(crate) mod error;
pub(crate) mod indexes;
pub(crate) mod invalid;
pub(crate) mod schema;
pub(crate) mod scope;
