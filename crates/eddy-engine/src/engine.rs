//! The `Engine`: one database over one storage engine.

use std::sync::Arc;

use eddy_storage::Storage;

use crate::catalog::{Catalog, Table};
use crate::clock::Clock;
use crate::error::{EngineError, Result};
use crate::invalid::Invalid;
use crate::streams::{StreamRegistry, StreamsConfig};

/// Server-wide settings the engine reports in ARNs and records.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// AWS region name, e.g. `us-east-1`.
    pub region: String,
    /// 12-digit account id.
    pub account_id: String,
    /// Stream durations and partitions.
    pub streams: StreamsConfig,
    /// How often expired items are swept, in ms.
    pub ttl_sweep_interval_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            streams: StreamsConfig::default(),
            ttl_sweep_interval_ms: 60_000,
        }
    }
}

/// A DynamoDB database over a [`Storage`].
pub struct Engine {
    storage: Arc<dyn Storage>,
    catalog: Catalog,
    streams: StreamRegistry,
    tokens: crate::transactions::Tokens,
    sweep_clock: crate::ttl::SweepClock,
    clock: Clock,
    config: EngineConfig,
    janitor: crate::janitor::Janitor,
    backfills: crate::index_admin::Backfills,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tables", &self.catalog.len())
            .field("config", &self.config)
            .finish()
    }
}

impl Engine {
    /// Opens the database kept in `storage`, loading its catalog.
    ///
    /// # Errors
    /// A storage error, or a corrupt catalog record.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let streams = StreamRegistry::load(storage.as_ref(), config.streams.clone())?;
        let catalog = Catalog::load(storage.as_ref(), &streams)?;
        crate::catalog::count_items(storage.clone(), catalog.all());
        let janitor = crate::janitor::Janitor::start(storage.clone())?;
        let backfills = crate::index_admin::Backfills::default();
        // Indexes a stopped run left CREATING are built again from the start; the entries it
        // made are found and kept.
        for table in catalog.all() {
            let creating: Vec<String> = table
                .def()
                .indexes
                .iter()
                .filter(|i| i.status == crate::indexes::IndexStatus::Creating)
                .map(|i| i.name.clone())
                .collect();
            if !creating.is_empty() {
                backfills.start(storage.clone(), table, creating);
            }
        }
        Ok(Self {
            janitor,
            backfills,
            storage,
            catalog,
            streams,
            tokens: Default::default(),
            sweep_clock: Default::default(),
            clock: Clock::new(),
            config,
        })
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub(crate) fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// Prepares storage for the process to end, so the next start-up is fast (see
    /// [`Storage::close`]).
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn close(&self) -> Result<()> {
        // The janitor stops between two batches; what it had left stays marked for the next
        // start.
        self.janitor.stop();
        self.backfills.stop();
        Ok(self.storage.close()?)
    }

    pub(crate) fn janitor(&self) -> &crate::janitor::Janitor {
        &self.janitor
    }

    pub(crate) fn backfills(&self) -> &crate::index_admin::Backfills {
        &self.backfills
    }

    pub(crate) fn shared_storage(&self) -> Arc<dyn Storage> {
        Arc::clone(&self.storage)
    }

    /// Whether a write returns only after a disk sync (`--durability fsync`): such writes
    /// block their thread for milliseconds while concurrent writes share the sync.
    #[must_use]
    pub fn writes_wait_for_sync(&self) -> bool {
        self.storage.waits_for_sync()
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn sweep_clock(&self) -> &crate::ttl::SweepClock {
        &self.sweep_clock
    }

    pub(crate) fn tokens(&self) -> &crate::transactions::Tokens {
        &self.tokens
    }

    pub(crate) fn streams(&self) -> &StreamRegistry {
        &self.streams
    }

    /// The table for a data-plane request ("Requested resource not found" when missing).
    pub(crate) fn table(&self, name: &str) -> Result<Arc<Table>> {
        self.catalog
            .get(name)
            .ok_or_else(EngineError::table_not_found)
    }

    /// The key schema of a table, or of one of its indexes, for parsing a key condition
    /// before a Query runs; with the table's own key schema second.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for an unknown index.
    pub fn key_schema(
        &self,
        table: &str,
        index: Option<&str>,
    ) -> Result<(crate::schema::KeySchema, crate::schema::KeySchema)> {
        let def = self.table(table)?.def();
        let source = match index {
            None => def.key_schema.clone(),
            Some(name) => def
                .index(name)
                .ok_or_else(|| {
                    EngineError::from(Invalid::NoSuchIndex {
                        index: name.to_owned(),
                    })
                })?
                .key_schema
                .clone(),
        };
        Ok((source, def.key_schema.clone()))
    }
}
