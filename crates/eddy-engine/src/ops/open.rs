//! Opening a database: loading its state, then restarting the index backfills a stopped run
//! left unfinished.

use std::sync::Arc;

use eddy_storage::Storage;

use crate::model::error::Result;
use crate::model::indexes::IndexStatus;
use crate::state::engine::{Engine, EngineConfig};

impl Engine {
    /// Opens the database kept in `storage`, loading its catalog.
    ///
    /// # Errors
    /// A storage error, or a corrupt catalog record.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let engine = Self::load(storage, config)?;
        // Indexes a stopped run left CREATING are built again from the start; the entries it
        // made are found and kept.
        for table in engine.catalog().all() {
            let creating: Vec<String> = table
                .def()
                .indexes
                .iter()
                .filter(|i| i.status == IndexStatus::Creating)
                .map(|i| i.name.clone())
                .collect();
            if !creating.is_empty() {
                engine.start_backfill(table, creating);
            }
        }
        Ok(engine)
    }
}
