//! The catalog: the live set of tables, persisted as one record per table, and the per-table
//! state every write goes through (the write lock and the item counters).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use eddy_storage::{Direction, Storage, WriteBatch};
use eddy_types::{decode_item, item_size};
use parking_lot::{Mutex, RwLock};

use crate::keys;
use crate::model::error::{EngineError, Result};
use crate::model::schema::TableDef;
use crate::model::scope::Scope;
use crate::state::cluster::CatalogGuard;
use crate::state::streams::{Stream, StreamRegistry};
use eddy_storage::HeldLock;

/// A live table.
#[derive(Debug)]
pub struct Table {
    def: RwLock<Arc<TableDef>>,
    /// Held from the read of an item's old version through the commit of its new one, so writes
    /// to the table serialise and conditional writes are atomic with their check. Taken only
    /// through [`Table::lock_writes`].
    write_lock: Mutex<()>,
    item_count: AtomicI64,
    size_bytes: AtomicI64,
    /// Per index id: (ItemCount, IndexSizeBytes).
    index_counts: Mutex<HashMap<u32, (i64, i64)>>,
    /// The enabled stream, which every write appends to.
    stream: RwLock<Option<Arc<Stream>>>,
    /// Set by DeleteTable: background work (a backfill) on the table stops.
    dropped: AtomicBool,
    /// When an item of the table last changed, epoch ms (since the engine started; a table
    /// loaded at start-up counts as written then). A point-in-time restore to any later time
    /// is the table as it is.
    last_write_ms: std::sync::atomic::AtomicU64,
    /// Under a table status delay: until when (epoch ms) the table, and each new index by
    /// name, still reports CREATING. Kept in memory only: after a restart everything is ACTIVE.
    settling: Mutex<Settling>,
    /// On shared storage: the catalog record `def` was last read from, so reading the same
    /// record again costs no decoding.
    seen_record: Mutex<Vec<u8>>,
    /// Writers of this process waiting for the write lock.
    waiting: std::sync::atomic::AtomicUsize,
    /// On shared storage: the table's lock in the database, handed by a writer to the next
    /// writer of this process waiting (and how many times in a row it was), so that one does
    /// not release it and take it again: no other process can have written meanwhile.
    handed_over: Mutex<Option<(HeldLock, u32)>>,
}

/// How many writers in a row of one process may pass the table's shared lock on, before it
/// is released for other processes' writers.
const MAX_HANDOVERS: u32 = 16;

/// What a table status delay holds back.
#[derive(Debug, Default)]
struct Settling {
    table_until_ms: u64,
    indexes: HashMap<String, u64>,
}

/// Proof that a table's write lock is held: staging a change to the table takes one, so "the
/// caller holds the lock" is checked by the compiler.
pub(crate) struct TableWriteGuard<'a> {
    table: &'a Table,
    /// On shared storage, the lock other processes take for the table, released first (or
    /// handed to this process's next writer), and how many writers had it in a row.
    shared: Option<(HeldLock, u32)>,
    _lock: parking_lot::MutexGuard<'a, ()>,
}

impl Drop for TableWriteGuard<'_> {
    fn drop(&mut self) {
        // Runs before the fields drop: this process's lock is still held.
        let waiting = self.table.waiting.load(Ordering::SeqCst) > 0;
        let mut handed = self.table.handed_over.lock();
        match self.shared.take() {
            // A table this writer dropped is not handed on: the next writer must find it gone.
            Some((held, times))
                if waiting
                    && times < MAX_HANDOVERS
                    && held.is_held()
                    && !self.table.is_dropped() =>
            {
                *handed = Some((held, times + 1));
            }
            _ if !waiting => *handed = None,
            _ => {}
        }
    }
}

impl TableWriteGuard<'_> {
    /// The locked table.
    pub(crate) fn table(&self) -> &Table {
        self.table
    }

    /// Adds the lock that other processes on the same storage take for the table
    /// (`Engine::lock_table`).
    pub(crate) fn hold(&mut self, shared: HeldLock) {
        self.shared = Some((shared, 0));
    }

    /// Takes the shared lock the previous writer of this process handed over, if it did:
    /// then the table is as that writer left it, and nothing needs reading back.
    pub(crate) fn take_handed_over(&mut self) -> bool {
        self.shared = self.table.handed_over.lock().take();
        self.shared.is_some()
    }
}

impl Table {
    /// Takes the table's write lock in this process. Every write takes it through
    /// `Engine::lock_table`, which on shared storage also takes the lock of other processes.
    pub(crate) fn lock_writes(&self) -> TableWriteGuard<'_> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let lock = self.write_lock.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        TableWriteGuard {
            _lock: lock,
            shared: None,
            table: self,
        }
    }

    /// Makes the catalog record `bytes` (this table's, decoded as `def`) the definition.
    pub(crate) fn set_def_from_record(&self, bytes: Vec<u8>, def: TableDef) {
        *self.def.write() = Arc::new(def);
        *self.seen_record.lock() = bytes;
    }

    /// Takes `def`, read from the catalog record `bytes`, if it is a newer revision than the
    /// definition held: compared and set at once, so a record read outside the table's lock
    /// never replaces a newer one a writer adopted meanwhile. Says whether it was taken.
    pub(crate) fn set_def_if_newer(&self, bytes: Vec<u8>, def: TableDef) -> bool {
        let mut held = self.def.write();
        if def.revision <= held.revision {
            return false;
        }
        *held = Arc::new(def);
        *self.seen_record.lock() = bytes;
        true
    }

    /// Whether `bytes` is the catalog record the definition was last read from.
    pub(crate) fn is_seen_record(&self, bytes: &[u8]) -> bool {
        *self.seen_record.lock() == bytes
    }

    fn new(def: TableDef, now_ms: u64) -> Self {
        Self {
            last_write_ms: std::sync::atomic::AtomicU64::new(now_ms),
            def: RwLock::new(Arc::new(def)),
            write_lock: Mutex::new(()),
            item_count: AtomicI64::new(0),
            size_bytes: AtomicI64::new(0),
            index_counts: Mutex::new(HashMap::new()),
            stream: RwLock::new(None),
            dropped: AtomicBool::new(false),
            settling: Mutex::new(Settling::default()),
            seen_record: Mutex::new(Vec::new()),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            handed_over: Mutex::new(None),
        }
    }

    /// Reports the table CREATING until `until_ms`.
    pub(crate) fn settle_at(&self, until_ms: u64) {
        self.settling.lock().table_until_ms = until_ms;
    }

    /// Reports the index CREATING until `until_ms` (or until its backfill ends, if later).
    pub(crate) fn settle_index_at(&self, index: &str, until_ms: u64) {
        self.settling
            .lock()
            .indexes
            .insert(index.to_owned(), until_ms);
    }

    /// Whether the table still reports CREATING at `now_ms`.
    pub(crate) fn is_creating(&self, now_ms: u64) -> bool {
        self.settling.lock().table_until_ms > now_ms
    }

    /// The definition as clients see it at `now_ms`: indexes still settling are CREATING.
    pub(crate) fn def_at(&self, now_ms: u64) -> Arc<TableDef> {
        let def = self.def();
        let mut settling = self.settling.lock();
        settling.indexes.retain(|_, until| *until > now_ms);
        if settling.indexes.is_empty() {
            return def;
        }
        let mut shown = (*def).clone();
        for index in &mut shown.indexes {
            if settling.indexes.contains_key(&index.name) {
                index.status = crate::model::indexes::IndexStatus::Creating;
            }
        }
        Arc::new(shown)
    }

    /// Notes that an item changes at `now_ms`.
    pub(crate) fn note_write(&self, now_ms: u64) {
        self.last_write_ms.fetch_max(now_ms, Ordering::Relaxed);
    }

    /// When an item last changed (or the engine started), epoch ms.
    pub(crate) fn last_write_ms(&self) -> u64 {
        self.last_write_ms.load(Ordering::Relaxed)
    }

    /// The current definition.
    pub fn def(&self) -> Arc<TableDef> {
        self.def.read().clone()
    }

    /// Number of items.
    pub fn item_count(&self) -> i64 {
        self.item_count.load(Ordering::Relaxed).max(0)
    }

    /// Total item bytes.
    pub fn size_bytes(&self) -> i64 {
        self.size_bytes.load(Ordering::Relaxed).max(0)
    }

    /// The enabled stream.
    pub(crate) fn stream(&self) -> Option<Arc<Stream>> {
        self.stream.read().clone()
    }

    /// Sets or clears the enabled stream.
    pub(crate) fn set_stream(&self, stream: Option<Arc<Stream>>) {
        *self.stream.write() = stream;
    }

    /// ItemCount and IndexSizeBytes of an index.
    pub fn index_counts(&self, index_id: u32) -> (i64, i64) {
        let (count, size) = self
            .index_counts
            .lock()
            .get(&index_id)
            .copied()
            .unwrap_or_default();
        (count.max(0), size.max(0))
    }

    /// Accounts one index entry change (sizes of the projected entries; None = absent).
    pub(crate) fn account_index(&self, index_id: u32, old: Option<usize>, new: Option<usize>) {
        let mut counts = self.index_counts.lock();
        let entry = counts.entry(index_id).or_default();
        entry.0 += i64::from(new.is_some()) - i64::from(old.is_some());
        entry.1 += new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64;
    }

    /// Marks the table deleted (under its write lock), so background work on it stops.
    pub(crate) fn mark_dropped(&self) {
        self.dropped.store(true, Ordering::SeqCst);
    }

    /// Whether DeleteTable removed the table.
    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Sets an index's counters to what was counted from its entries.
    pub(crate) fn set_index_counts(&self, index_id: u32, count: i64, bytes: i64) {
        self.index_counts.lock().insert(index_id, (count, bytes));
    }

    /// Forgets the counters of a dropped index.
    pub(crate) fn forget_index(&self, index_id: u32) {
        self.index_counts.lock().remove(&index_id);
    }

    /// Accounts one item change: `old`/`new` are the sizes of the versions (None = absent).
    pub(crate) fn account(&self, old: Option<usize>, new: Option<usize>) {
        let count = i64::from(new.is_some()) - i64::from(old.is_some());
        let bytes = new.unwrap_or(0) as i64 - old.unwrap_or(0) as i64;
        self.item_count.fetch_add(count, Ordering::Relaxed);
        self.size_bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// All tables by name.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Tables by scope, then by name (each scope's names in ListTables order).
    tables: RwLock<BTreeMap<Scope, BTreeMap<String, Arc<Table>>>>,
    next_id: Mutex<u64>,
}

impl Catalog {
    /// Loads every table record. Item counts are not read here, so start-up does not grow
    /// with the data: [`count_items`] fills them in afterwards. Records written before tables
    /// had scopes join `default_scope`, and are rewritten under their scope's key.
    pub fn load(
        storage: &dyn Storage,
        streams: &StreamRegistry,
        default_scope: &Scope,
        now_ms: u64,
    ) -> Result<Self> {
        let snap = storage.snapshot();
        let mut tables: BTreeMap<Scope, BTreeMap<String, Arc<Table>>> = BTreeMap::new();
        let mut migrated = WriteBatch::new();
        let start = [keys::CATALOG];
        let end = [keys::CATALOG + 1];
        for entry in snap.range(
            std::ops::Bound::Included(&start[..]),
            std::ops::Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            let (key, value) = entry?;
            let mut def: TableDef = serde_json::from_slice(&value)
                .map_err(|e| EngineError::Corrupt(format!("catalog record: {e}")))?;
            if def.scope.account_id.is_empty() {
                def.scope = default_scope.clone();
                let scoped = keys::catalog_key(&def.scope, &def.name);
                // A table of that name exists in the default scope already: the newer record
                // stands, and the old one is left as it is.
                if snap.get(&scoped)?.is_some() {
                    continue;
                }
                migrated.delete(key.to_vec());
                migrated.put(scoped, encode_def(&def)?);
            }
            let table = Table::new(def, now_ms);
            let def = table.def();
            table.set_stream(streams.enabled_for(def.id));
            tables
                .entry(def.scope.clone())
                .or_default()
                .insert(def.name.clone(), Arc::new(table));
        }
        if !migrated.is_empty() {
            storage.commit(migrated)?;
        }
        let next_id = match snap.get(keys::NEXT_TABLE_ID)? {
            Some(v) => u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| EngineError::Corrupt("next table id".into()))?,
            ),
            None => 1,
        };
        Ok(Self {
            tables: RwLock::new(tables),
            next_id: Mutex::new(next_id),
        })
    }

    /// Every table, of every scope.
    pub fn all(&self) -> Vec<Arc<Table>> {
        self.tables
            .read()
            .values()
            .flat_map(|t| t.values().cloned())
            .collect()
    }

    /// The table called `name` in `scope`.
    pub fn get(&self, scope: &Scope, name: &str) -> Option<Arc<Table>> {
        self.tables.read().get(scope)?.get(name).cloned()
    }

    /// The names of `scope`'s tables in order, starting after `exclusive_start`, at most
    /// `limit`.
    pub fn names_after(
        &self,
        scope: &Scope,
        exclusive_start: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, bool) {
        let all = self.tables.read();
        let Some(tables) = all.get(scope) else {
            return (Vec::new(), false);
        };
        let mut iter: Box<dyn Iterator<Item = &String>> = match exclusive_start {
            Some(start) => Box::new(
                tables
                    .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
                    .map(|(k, _)| k),
            ),
            None => Box::new(tables.keys()),
        };
        let names: Vec<String> = iter.by_ref().take(limit).cloned().collect();
        let more = iter.next().is_some();
        (names, more)
    }

    /// Number of tables, of every scope.
    pub fn len(&self) -> usize {
        self.tables.read().values().map(BTreeMap::len).sum()
    }

    /// Creates a table in its scope: assigns its id and persists it. `with` completes the
    /// definition once the id is known, adding its own mutations to the same batch (a stream),
    /// and returns the stream the table writes to.
    ///
    /// # Errors
    /// ResourceInUseException when the name is taken in the scope.
    pub(crate) fn create(
        &self,
        _ids: &CatalogGuard,
        storage: &dyn Storage,
        mut def: TableDef,
        with: impl FnOnce(&mut TableDef, &mut WriteBatch) -> Result<Option<Arc<Stream>>>,
    ) -> Result<Arc<Table>> {
        let mut all = self.tables.write();
        let tables = all.entry(def.scope.clone()).or_default();
        if tables.contains_key(&def.name) {
            return Err(EngineError::ResourceInUse(format!(
                "Table already exists: {}",
                def.name
            )));
        }
        let mut next_id = self.next_id.lock();
        def.id = *next_id;
        let mut batch = WriteBatch::new();
        batch.put(
            keys::NEXT_TABLE_ID.to_vec(),
            (def.id + 1).to_be_bytes().to_vec(),
        );
        let stream = with(&mut def, &mut batch)?;
        let record = encode_def(&def)?;
        batch.put(keys::catalog_key(&def.scope, &def.name), record.clone());
        storage.commit(batch)?;
        *next_id += 1;
        let table = Arc::new(Table::new(def.clone(), def.created_ms));
        *table.seen_record.lock() = record;
        table.set_stream(stream);
        tables.insert(def.name, table.clone());
        Ok(table)
    }

    /// Takes a fresh id from the sequence table ids come from (backups use it too), persisted
    /// before it is handed out so it is never given twice.
    ///
    /// # Errors
    /// A storage error.
    pub(crate) fn reserve_id(&self, _ids: &CatalogGuard, storage: &dyn Storage) -> Result<u64> {
        let mut next_id = self.next_id.lock();
        let id = *next_id;
        let mut batch = WriteBatch::new();
        batch.put(
            keys::NEXT_TABLE_ID.to_vec(),
            (id + 1).to_be_bytes().to_vec(),
        );
        storage.commit(batch)?;
        *next_id += 1;
        Ok(id)
    }

    /// Moves the next table id up to `stored` (what storage holds), under the catalog lock
    /// of shared storage: another process may have created tables since.
    pub(crate) fn raise_next_id(&self, stored: u64) {
        let mut next_id = self.next_id.lock();
        *next_id = (*next_id).max(stored);
    }

    /// Makes the cached tables those of the records `read` gives (every table record in
    /// storage, with its bytes), on shared storage, where other processes create, change and delete tables.
    /// A table still there keeps its state; its definition is replaced only by a later
    /// revision (a writer holding the table's lock may have read a newer one than these
    /// records), and its stream pointer follows its definition.
    ///
    /// `read` gives the records and runs under the catalog's own lock, which creations and
    /// removals commit under: what it reads and what this process holds are in step.
    pub(crate) fn reconcile(
        &self,
        read: impl FnOnce() -> Result<Vec<(Vec<u8>, TableDef)>>,
        streams: &StreamRegistry,
        now_ms: u64,
    ) -> Result<()> {
        let mut all = self.tables.write();
        let records = read()?;
        let mut kept: BTreeMap<Scope, BTreeMap<String, Arc<Table>>> = BTreeMap::new();
        for (bytes, def) in records {
            let existing = all
                .get(&def.scope)
                .and_then(|tables| tables.get(&def.name))
                .filter(|table| table.def().id == def.id)
                .cloned();
            let table = match existing {
                Some(table) => {
                    if table.set_def_if_newer(bytes, def.clone()) {
                        table.set_stream(streams.for_def(&def));
                    }
                    table
                }
                None => {
                    let table = Table::new(def.clone(), now_ms);
                    *table.seen_record.lock() = bytes;
                    table.set_stream(streams.for_def(&def));
                    Arc::new(table)
                }
            };
            kept.entry(def.scope.clone())
                .or_default()
                .insert(def.name.clone(), table);
        }
        for table in all.values().flat_map(BTreeMap::values) {
            let def = table.def();
            let still = kept
                .get(&def.scope)
                .and_then(|tables| tables.get(&def.name))
                .is_some_and(|kept| Arc::ptr_eq(kept, table));
            if !still {
                table.mark_dropped();
            }
        }
        *all = kept;
        Ok(())
    }

    /// Forgets a table another process deleted (on shared storage), unless its name was
    /// taken again here since.
    pub(crate) fn forget(&self, table: &Arc<Table>) {
        table.mark_dropped();
        let def = table.def();
        let mut all = self.tables.write();
        if let Some(tables) = all.get_mut(&def.scope)
            && tables.get(&def.name).is_some_and(|t| Arc::ptr_eq(t, table))
        {
            tables.remove(&def.name);
        }
    }

    /// Persists a changed definition of an existing table.
    pub fn update(&self, storage: &dyn Storage, table: &Table, def: TableDef) -> Result<()> {
        self.update_with(storage, table, def, WriteBatch::new())
    }

    /// Persists a changed definition together with `batch`'s other mutations, atomically.
    pub fn update_with(
        &self,
        storage: &dyn Storage,
        table: &Table,
        def: TableDef,
        batch: WriteBatch,
    ) -> Result<()> {
        persist_def(storage, table, def, batch)
    }

    /// Removes a table from the catalog and storage, items included; `batch`'s mutations (its
    /// stream's disabling) commit with the catalog record's removal.
    pub fn remove(
        &self,
        storage: &dyn Storage,
        scope: &Scope,
        name: &str,
        mut batch: WriteBatch,
    ) -> Result<Arc<Table>> {
        // The commit happens under the catalog's lock, as a creation's does, so that a
        // reconciliation (which reads storage under it) never sees the one without the other.
        let mut all = self.tables.write();
        let tables = all.get_mut(scope);
        let table = tables
            .as_ref()
            .and_then(|tables| tables.get(name))
            .cloned()
            .ok_or_else(|| {
                EngineError::ResourceNotFound(format!(
                    "Requested resource not found: Table: {name} not found"
                ))
            })?;
        batch.delete(keys::catalog_key(scope, name));
        storage.commit(batch)?;
        if let Some(tables) = tables {
            tables.remove(name);
        }
        Ok(table)
    }
}

/// Persists a table's changed definition with `batch`, atomically, and makes it current. The
/// caller holds the table's write lock.
pub(crate) fn persist_def(
    storage: &dyn Storage,
    table: &Table,
    mut def: TableDef,
    mut batch: WriteBatch,
) -> Result<()> {
    def.revision = table.def().revision + 1;
    let record = encode_def(&def)?;
    batch.put(keys::catalog_key(&def.scope, &def.name), record.clone());
    storage.commit(batch)?;
    table.set_def_from_record(record, def);
    Ok(())
}

pub(crate) fn encode_def(def: &TableDef) -> Result<Vec<u8>> {
    serde_json::to_vec(def).map_err(|e| EngineError::Corrupt(e.to_string()))
}

/// Counts the items and index entries of `tables` (ItemCount, TableSizeBytes, IndexSizeBytes)
/// on a thread of its own, so that start-up does not read the whole database. Writes keep
/// adjusting the counters meanwhile: each table is read from a snapshot taken under its write
/// lock, and what the snapshot holds is added to what has changed since it was taken. DynamoDB
/// itself refreshes these figures only every few hours.
pub(crate) fn count_items(storage: Arc<dyn Storage>, tables: Vec<Arc<Table>>) {
    if tables.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("eddy-count".into())
        .spawn(move || {
            for table in tables {
                if let Err(e) = count_table(storage.as_ref(), &table) {
                    tracing::error!(error = %e, "counting a table's items failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the item counter");
    }
}

fn count_table(storage: &dyn Storage, table: &Table) -> Result<()> {
    let (snap, def, before_count, before_size, before_index) = {
        let _guard = table.lock_writes();
        let def = table.def();
        let index: HashMap<u32, (i64, i64)> = table.index_counts.lock().clone();
        (
            storage.snapshot(),
            def,
            table.item_count.load(Ordering::Relaxed),
            table.size_bytes.load(Ordering::Relaxed),
            index,
        )
    };
    let (count, size) = sum_sizes(
        snap.as_ref(),
        &keys::table_prefix(def.id),
        &keys::table_end(def.id),
    )?;
    table
        .item_count
        .fetch_add(count - before_count, Ordering::Relaxed);
    table
        .size_bytes
        .fetch_add(size - before_size, Ordering::Relaxed);
    for index in &def.indexes {
        let prefix = crate::keys::index_prefix(def.id, index.id);
        let (count, size) = sum_sizes(snap.as_ref(), &prefix, &keys::prefix_end(&prefix))?;
        let (bc, bs) = before_index.get(&index.id).copied().unwrap_or_default();
        let mut counts = table.index_counts.lock();
        let entry = counts.entry(index.id).or_default();
        entry.0 += count - bc;
        entry.1 += size - bs;
    }
    Ok(())
}

/// The number of items in `[start, end)` and the sum of their sizes.
fn sum_sizes(snap: &dyn eddy_storage::Snapshot, start: &[u8], end: &[u8]) -> Result<(i64, i64)> {
    let (mut count, mut size) = (0i64, 0i64);
    for entry in snap.range(
        std::ops::Bound::Included(start),
        std::ops::Bound::Excluded(end),
        Direction::Forward,
    ) {
        let (_, bytes) = entry?;
        let item = decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        count += 1;
        size += item_size(&item) as i64;
    }
    Ok((count, size))
}
