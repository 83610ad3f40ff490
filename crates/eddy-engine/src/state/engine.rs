//! The `Engine`: one database over one storage engine, and what it holds. The operations are
//! `impl Engine` blocks of the ops layer; [`Engine::open`] is among them, since opening
//! restarts unfinished index backfills.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use eddy_storage::{Storage, WriteBatch};
use eddy_types::{Item, decode_item};

use crate::keys::CLOCK;
use crate::model::clock::Clock;
use crate::model::description::TableDescription;
use crate::model::error::{EngineError, Result};
use crate::model::indexes::IndexKey;
use crate::model::invalid::Invalid;
use crate::model::schema::KeySchema;
use crate::model::scope::Scope;
use crate::state::backfills::Backfills;
use crate::state::backups::Backups;
use crate::state::catalog::{Catalog, Table};
use crate::state::cluster::{CLOCK_LOCK, Leadership};
use crate::state::janitor::Janitor;
use crate::state::streams::{StreamRegistry, StreamsConfig};
use crate::state::tokens::Tokens;

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
    /// How long new tables and indexes report CREATING, and deleted tables DELETING, in ms
    /// (DynamoDB Local's `-delayTransientStatuses`); 0 settles them at once.
    pub table_status_delay_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            streams: StreamsConfig::default(),
            ttl_sweep_interval_ms: 60_000,
            table_status_delay_ms: 0,
        }
    }
}

/// When the last TTL sweep ran, epoch ms.
#[derive(Debug, Default)]
pub(crate) struct SweepClock(AtomicU64);

impl SweepClock {
    /// When the last sweep ran (0 before the first).
    pub(crate) fn last_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Records a sweep starting at `now_ms`.
    pub(crate) fn set(&self, now_ms: u64) {
        self.0.store(now_ms, Ordering::Relaxed);
    }
}

/// A DynamoDB database over a [`Storage`], seen from one [`Scope`]: the tables, ARNs and
/// streams of one account in one region. [`Engine::scoped`] gives a view of another scope over
/// the same database, cheaply; the default scope is the configured region and account.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    scope: Scope,
    /// Whether this view's item writes append to their tables' streams (an import's do not).
    stream_records: bool,
}

/// What every scope's view shares.
struct Shared {
    storage: Arc<dyn Storage>,
    catalog: Catalog,
    backups: Backups,
    streams: StreamRegistry,
    tokens: Tokens,
    sweep_clock: SweepClock,
    clock: Clock,
    config: EngineConfig,
    janitor: Janitor,
    backfills: Backfills,
    leadership: Leadership,
    /// Deleted tables still reporting DELETING under a table status delay: (scope, name, what
    /// DescribeTable answers, until when).
    deleting: parking_lot::Mutex<Vec<(Scope, String, TableDescription, u64)>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tables", &self.shared.catalog.len())
            .field("config", &self.shared.config)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Engine {
    /// Loads the database kept in `storage`: its streams and catalog, with the janitor
    /// started on what a previous run left to delete. Index backfills a stopped run left
    /// unfinished are not restarted here; [`Engine::open`] does that once the engine exists.
    ///
    /// # Errors
    /// A storage error, or a corrupt catalog record.
    pub(crate) fn load(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Self> {
        let scope = Scope::new(config.account_id.clone(), config.region.clone());
        let streams = StreamRegistry::load(storage.as_ref(), config.streams.clone())?;
        let clock = Clock::resume(storage.snapshot().get(CLOCK)?.as_deref());
        let catalog = Catalog::load(storage.as_ref(), &streams, &scope, clock.now_ms())?;
        crate::state::catalog::count_items(storage.clone(), catalog.all());
        let backups = Backups::load(storage.as_ref())?;
        // On shared storage the leader resumes what was left marked (`Engine::tick`): every
        // process deleting the same ranges would only repeat each other's work.
        let janitor = Janitor::start(storage.clone(), !storage.shared())?;
        let shared = Shared {
            backups,
            janitor,
            backfills: Backfills::default(),
            leadership: Leadership::default(),
            deleting: Default::default(),
            storage,
            catalog,
            streams,
            tokens: Default::default(),
            sweep_clock: Default::default(),
            clock,
            config,
        };
        Ok(Self {
            shared: Arc::new(shared),
            scope,
            stream_records: true,
        })
    }

    /// The same database seen from `scope`.
    #[must_use]
    pub fn scoped(&self, scope: Scope) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            scope,
            stream_records: self.stream_records,
        }
    }

    /// The same database, but its item writes make no stream records: a bulk import's view,
    /// as DynamoDB's ImportTable loads a table without writing to its stream.
    #[must_use]
    pub fn without_stream_records(&self) -> Self {
        Self {
            stream_records: false,
            ..self.clone()
        }
    }

    /// Whether this view's item writes make stream records.
    pub(crate) fn makes_stream_records(&self) -> bool {
        self.stream_records
    }

    /// The account and region this view serves.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Moves the clock forward (test control) and keeps the offset with the data; returns
    /// the new now.
    ///
    /// # Errors
    /// A storage error.
    pub fn advance_clock(&self, ms: u64) -> Result<u64> {
        // Processes sharing the storage move one clock: the offset is read and saved under a
        // lock, so two advances through two processes add up.
        let (_held, saved) = self.storage().lock(CLOCK_LOCK, &[CLOCK])?;
        if self.is_shared() {
            self.shared
                .clock
                .catch_up(saved.into_iter().next().flatten().as_deref());
        }
        let now = self.shared.clock.advance(ms);
        self.save_clock()?;
        Ok(now)
    }

    fn save_clock(&self) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(CLOCK.to_vec(), self.shared.clock.saved().to_vec());
        Ok(self.shared.storage.commit(batch)?)
    }

    /// A value the host keeps with the data under `name` (triggers' checkpoints): shared by
    /// every process serving the same storage.
    ///
    /// # Errors
    /// A storage error.
    pub fn host_value(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.storage().get(&crate::keys::host_key(name))?)
    }

    /// Keeps `value` under `name` (see [`Engine::host_value`]), durably.
    ///
    /// # Errors
    /// A storage error.
    pub fn set_host_value(&self, name: &str, value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(crate::keys::host_key(name), value.to_vec());
        Ok(self.storage().commit(batch)?)
    }

    /// Settings.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    pub(crate) fn storage(&self) -> &dyn Storage {
        self.shared.storage.as_ref()
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
        self.shared.janitor.stop();
        self.shared.backfills.stop();
        // Storage closes even when the clock cannot be saved: a failing disk must not keep
        // the memtable from its flush, nor the caller from learning why.
        let saved = self.save_clock();
        let closed = self.shared.storage.close();
        saved?;
        Ok(closed?)
    }

    pub(crate) fn janitor(&self) -> &Janitor {
        &self.shared.janitor
    }

    pub(crate) fn leadership(&self) -> &Leadership {
        &self.shared.leadership
    }

    pub(crate) fn backfills(&self) -> &Backfills {
        &self.shared.backfills
    }

    /// Whether a write returns only after a disk sync (`--durability fsync`): such writes
    /// block their thread for milliseconds while concurrent writes share the sync.
    #[must_use]
    pub fn writes_wait_for_sync(&self) -> bool {
        self.shared.storage.waits_for_sync()
    }

    /// Whether every storage call, reads included, waits on another machine (see
    /// [`Storage::remote`]).
    pub fn storage_is_remote(&self) -> bool {
        self.shared.storage.remote()
    }

    pub(crate) fn backups(&self) -> &Backups {
        &self.shared.backups
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }

    pub(crate) fn sweep_clock(&self) -> &SweepClock {
        &self.shared.sweep_clock
    }

    pub(crate) fn tokens(&self) -> &Tokens {
        &self.shared.tokens
    }

    pub(crate) fn streams(&self) -> &StreamRegistry {
        &self.shared.streams
    }

    /// The latest committed version of the item under `skey`.
    pub(crate) fn read_item(&self, skey: &[u8]) -> Result<Option<Item>> {
        match self.shared.storage.get(skey)? {
            Some(bytes) => Ok(Some(
                decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    /// The table for a data-plane request ("Requested resource not found" when missing); the
    /// name may be the table's ARN.
    pub(crate) fn table(&self, name: &str) -> Result<Arc<Table>> {
        let name = self.table_name(name)?;
        let cached = match self.shared.catalog.get(&self.scope, name) {
            // Another process sharing the storage may have created it.
            None if self.is_shared() => {
                self.refresh()?;
                self.shared.catalog.get(&self.scope, name)
            }
            cached => cached,
        };
        cached
            // A table still CREATING takes no item operations, as on AWS.
            .filter(|t| !self.settling() || !t.is_creating(self.clock().now_ms()))
            .ok_or_else(EngineError::table_not_found)
    }

    /// Whether new tables and indexes settle after a delay at all: without one, nothing on a
    /// request's path looks at their settling.
    pub(crate) fn settling(&self) -> bool {
        self.shared.config.table_status_delay_ms > 0
    }

    /// The table's definition as clients see it now: under a status delay, indexes still
    /// settling are CREATING.
    pub(crate) fn visible_def(&self, table: &Table) -> Arc<crate::model::schema::TableDef> {
        if self.settling() {
            table.def_at(self.clock().now_ms())
        } else {
            table.def()
        }
    }

    /// When a table or index created now stops reporting CREATING (a deleted table,
    /// DELETING); None without a table status delay.
    pub(crate) fn settles_at(&self) -> Option<u64> {
        let delay = self.shared.config.table_status_delay_ms;
        (delay > 0).then(|| self.clock().now_ms() + delay)
    }

    /// Keeps a deleted table's description answering DELETING until `until_ms`.
    pub(crate) fn note_deleting(&self, name: &str, description: TableDescription, until_ms: u64) {
        self.shared.deleting.lock().push((
            self.scope.clone(),
            name.to_owned(),
            description,
            until_ms,
        ));
    }

    /// The description of a table of this scope still DELETING, if one is.
    pub(crate) fn still_deleting(&self, name: &str) -> Option<TableDescription> {
        let now = self.clock().now_ms();
        let mut deleting = self.shared.deleting.lock();
        deleting.retain(|(_, _, _, until)| *until > now);
        deleting
            .iter()
            .find(|(scope, n, _, _)| *scope == self.scope && n == name)
            .map(|(_, _, description, _)| description.clone())
    }

    /// The ARN of a table of this scope.
    pub fn table_arn(&self, name: &str) -> String {
        self.scope.table_arn(name)
    }

    /// The table a TableName means: the name itself, or the name in the table's ARN (of this
    /// scope; an index's ARN is not a table's).
    ///
    /// # Errors
    /// ValidationException for the ARN of something else than a table.
    pub(crate) fn table_name<'a>(&self, name: &'a str) -> Result<&'a str> {
        if !name.starts_with("arn:") {
            return Ok(name);
        }
        match name.strip_prefix(self.table_arn("").as_str()) {
            Some(table) if !table.is_empty() && !table.contains('/') => Ok(table),
            Some(_) => Err(Invalid::InvalidTableArn {
                arn: name.to_owned(),
            }
            .into()),
            // Another account's or region's table is not found here.
            None => Ok(name),
        }
    }

    /// A table of this scope by name, without resolving ARNs; on shared storage, as storage
    /// holds it now (the control plane answers with another process's last change).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn table_named(&self, name: &str) -> Result<Option<Arc<Table>>> {
        self.current_table(name)
    }

    /// The key schema of a table, or of one of its indexes, for parsing a key condition
    /// before a Query runs; with the table's own key schema second.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for an unknown index.
    pub fn key_schema(&self, table: &str, index: Option<&str>) -> Result<(IndexKey, KeySchema)> {
        let mut def = self.table(table)?.def();
        // An index another process sharing the storage has just added.
        if self.is_shared()
            && index.is_some_and(|name| def.index(name).is_none())
            && let Some(current) = self.current_table(self.table_name(table)?)?
        {
            def = current.def();
        }
        let source = match index {
            None => IndexKey::from(&def.key_schema),
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
