//! Several eddy processes serving one shared storage (PostgreSQL, [`Storage::shared`]).
//!
//! What a process keeps in memory (tables' definitions, streams' shard maps and sequence
//! counters, the ids to give next, the clock's offset) is then a cache of the database, made
//! exact where exactness matters:
//!
//! - **Writes.** A table's writes serialise under a lock of the storage ([`table_lock`]),
//!   taken after this process's own mutex of the table. A writer that finishes while another
//!   writer of this process waits hands the lock over (up to 16 times in a row, then other
//!   processes get their turn), sparing the release and the next take. Taking it reads, in the same round
//!   trip, the table's catalog record, its stream's stored state and the clock: whatever
//!   another process changed is applied before the write reads the old item. Each write's
//!   batch carries its stream's shard map (`Stream::append`), so the next holder of the lock,
//!   in any process, continues the sequence numbers, and records of a shard commit in
//!   sequence order cluster-wide. Trimming, rollover and splits take the same lock.
//! - **Ids and names.** Creating a table or a stream, or reserving an id, happens under
//!   [`CATALOG_LOCK`], after reading the stored counters and every table record. It is taken
//!   last: a process holding it never waits for a table's lock.
//! - **Reads** use the cache, refreshed when a name or an ARN is not in it, by every control
//!   plane call that names a table, by the Streams API (each call reads its stream's state),
//!   and once a second by [`Engine::refresh`].
//! - **Background duties** (rollover, trimming, the TTL sweep, deleting dropped tables,
//!   unfinished index builds) run on one process: the one holding [`LEADER_LOCK`], which
//!   passes to another within a second of its holder's connection closing.
//!
//! On storage one process serves (memory, fjall) none of this costs anything: the locks are
//! not taken and nothing is read back.

use std::sync::Arc;

use eddy_storage::HeldLock;

use crate::keys::{self, CLOCK, NEXT_STREAM_ID, NEXT_TABLE_ID};
use crate::model::error::{EngineError, Result};
use crate::model::schema::TableDef;
use crate::state::catalog::{Table, TableWriteGuard};
use crate::state::engine::Engine;
use crate::state::streams::Stream;

/// Taken to create tables and streams, reserve ids, and agree on the iterator key.
pub(crate) const CATALOG_LOCK: u64 = 1;
/// Held by the process that runs the background duties.
pub(crate) const LEADER_LOCK: u64 = 2;
/// Taken to move the clock forward.
pub(crate) const CLOCK_LOCK: u64 = 3;
/// Taken to claim a ClientRequestToken.
pub(crate) const TOKEN_LOCK: u64 = 4;

/// The lock of a table's writes (and of its streams' shard maps).
pub(crate) fn table_lock(table_id: u64) -> u64 {
    (1 << 32) + table_id
}

/// Proof that the catalog lock is held: creating a table or a stream takes one.
pub(crate) struct CatalogGuard {
    _held: HeldLock,
}

/// Whether this process leads, and since when it knows.
#[derive(Default)]
pub(crate) struct Leadership {
    held: parking_lot::Mutex<Option<HeldLock>>,
}

/// What [`Engine::lead`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lead {
    /// Another process leads.
    Follower,
    /// This process led already.
    Leading,
    /// This process has just become the leader: it takes over what a previous leader left.
    Elected,
}

impl Engine {
    /// Whether other processes may write to this engine's storage (see [`Storage::shared`]).
    ///
    /// [`Storage::shared`]: eddy_storage::Storage::shared
    pub fn is_shared(&self) -> bool {
        self.storage().shared()
    }

    /// Takes a table's write lock: this process's, and on shared storage the lock every
    /// process's writers of the table take, with the table brought up to date under it.
    ///
    /// # Errors
    /// ResourceNotFoundException when another process deleted the table; storage errors.
    pub(crate) fn lock_table<'t>(&self, table: &'t Table) -> Result<TableWriteGuard<'t>> {
        let mut guard = table.lock_writes();
        if !self.is_shared() || guard.take_handed_over() {
            return Ok(guard);
        }
        let def = table.def();
        let stream = table.stream();
        let record_key = keys::catalog_key(&def.scope, &def.name);
        let stream_key = stream.as_ref().map(|s| keys::stream_key(s.id));
        let mut wanted: Vec<&[u8]> = vec![&record_key, CLOCK];
        wanted.extend(stream_key.as_deref());
        let (held, values) = self.storage().lock(table_lock(def.id), &wanted)?;
        let mut values = values.into_iter();
        let record = values.next().flatten();
        self.clock().catch_up(values.next().flatten().as_deref());
        let stream_state = values.next().flatten();
        // Only a table brought up to date holds the lock: on an error (the table is gone)
        // the lock is released here, never handed over to a writer that would trust it.
        self.adopt_record(table, record)?;
        self.follow_stream(table, stream, stream_state)?;
        guard.hold(held);
        Ok(guard)
    }

    /// Takes the stored catalog record of `table` as its definition; the table is gone when
    /// the record is, or names another table of the same name.
    fn adopt_record(&self, table: &Table, record: Option<Vec<u8>>) -> Result<()> {
        let Some(bytes) = record else {
            return Err(self.forget_table(table));
        };
        if table.is_seen_record(&bytes) {
            return Ok(());
        }
        let def = decode_def(&bytes)?;
        if def.id != table.def().id {
            return Err(self.forget_table(table));
        }
        table.set_def_from_record(bytes, def);
        Ok(())
    }

    /// Forgets a table another process deleted; answers the error the request gets.
    fn forget_table(&self, table: &Table) -> EngineError {
        let def = table.def();
        if let Some(cached) = self.catalog().get(&def.scope, &def.name)
            && std::ptr::eq(Arc::as_ptr(&cached), table)
        {
            self.catalog().forget(&cached);
        }
        table.mark_dropped();
        EngineError::table_not_found()
    }

    /// Points the table at the stream its (just read) definition names, and brings that
    /// stream's state up to date: `stored` is what storage holds for `had`, the stream the
    /// table pointed at before.
    fn follow_stream(
        &self,
        table: &Table,
        had: Option<Arc<Stream>>,
        stored: Option<Vec<u8>>,
    ) -> Result<()> {
        let def = table.def();
        let wanted = def.stream_view_type.and(def.latest_stream_arn.as_deref());
        if let Some(had) = &had {
            had.adopt(stored, true)?;
            if wanted == Some(had.arn.as_str()) {
                return Ok(());
            }
        }
        let now = match wanted {
            Some(arn) => {
                let stream = match self.streams().get(arn) {
                    Some(stream) => stream,
                    None => {
                        self.refresh()?;
                        self.streams().get(arn).ok_or_else(|| {
                            EngineError::Corrupt(format!("the stream {arn} has no record"))
                        })?
                    }
                };
                stream.adopt(self.storage().get(&keys::stream_key(stream.id))?, true)?;
                Some(stream)
            }
            None => None,
        };
        table.set_stream(now);
        Ok(())
    }

    /// Takes the catalog lock; on shared storage, with the stored id counters and every table
    /// and stream read back under it, so names and ids are checked against every process's.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn lock_catalog(&self) -> Result<CatalogGuard> {
        let (held, values) = self
            .storage()
            .lock(CATALOG_LOCK, &[NEXT_TABLE_ID, NEXT_STREAM_ID])?;
        if self.is_shared() {
            let counter = |value: Option<Vec<u8>>| {
                value
                    .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                    .map_or(1, u64::from_be_bytes)
            };
            let mut values = values.into_iter();
            self.catalog()
                .raise_next_id(counter(values.next().flatten()));
            self.streams()
                .raise_next_id(counter(values.next().flatten()));
            self.refresh()?;
        }
        Ok(CatalogGuard { _held: held })
    }

    /// Brings the cached tables and streams to what storage holds (shared storage only):
    /// tables and streams other processes created join, deleted ones leave, changed ones
    /// take their newer version.
    ///
    /// # Errors
    /// Storage errors, corrupt records.
    pub fn refresh(&self) -> Result<()> {
        if !self.is_shared() {
            return Ok(());
        }
        let now = self.clock().now_ms();
        self.catalog().reconcile(
            || {
                let snap = self.storage().snapshot();
                self.streams().reconcile(snap.as_ref())?;
                let start = [keys::CATALOG];
                let end = [keys::CATALOG + 1];
                let mut records = Vec::new();
                for entry in snap.range(
                    std::ops::Bound::Included(&start[..]),
                    std::ops::Bound::Excluded(&end[..]),
                    eddy_storage::Direction::Forward,
                ) {
                    let (_, bytes) = entry?;
                    let def = decode_def(&bytes)?;
                    // Records from before scopes join a scope when a process loads them.
                    if !def.scope.account_id.is_empty() {
                        records.push((bytes, def));
                    }
                }
                Ok(records)
            },
            self.streams(),
            now,
        )?;
        self.sync_clock()
    }

    /// On shared storage, the table called `name` in this view's scope as storage holds it
    /// now: for the control plane, whose answers must show another process's last change.
    /// Elsewhere the cached table.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn current_table(&self, name: &str) -> Result<Option<Arc<Table>>> {
        let cached = self.catalog().get(self.scope(), name);
        if !self.is_shared() {
            return Ok(cached);
        }
        let Some(table) = cached else {
            self.refresh()?;
            return Ok(self.catalog().get(self.scope(), name));
        };
        let record = self.storage().get(&keys::catalog_key(self.scope(), name))?;
        match record {
            Some(bytes) if table.is_seen_record(&bytes) => Ok(Some(table)),
            Some(bytes) => {
                let def = decode_def(&bytes)?;
                if def.id == table.def().id {
                    let stream = self.streams().for_def(&def);
                    if table.set_def_if_newer(bytes, def) {
                        table.set_stream(stream);
                    }
                    Ok(Some(table))
                } else {
                    self.refresh()?;
                    Ok(self.catalog().get(self.scope(), name))
                }
            }
            None => {
                self.catalog().forget(&table);
                Ok(None)
            }
        }
    }

    /// On shared storage, brings a stream's state to what storage holds now, before the
    /// Streams API answers from it.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn current_stream(&self, stream: &Stream) -> Result<()> {
        if self.is_shared() {
            stream.adopt(self.storage().get(&keys::stream_key(stream.id))?, false)?;
        }
        Ok(())
    }

    /// The stream with this ARN, looked for in storage too when this process does not know
    /// it (shared storage), and brought up to date.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn find_stream(&self, arn: &str) -> Result<Option<Arc<Stream>>> {
        let stream = match self.streams().get(arn) {
            Some(stream) => stream,
            None if self.is_shared() => {
                self.refresh()?;
                match self.streams().get(arn) {
                    Some(stream) => stream,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        self.current_stream(&stream)?;
        Ok(Some(stream))
    }

    /// Takes the clock offset storage holds, when another process moved it further.
    ///
    /// # Errors
    /// Storage errors.
    pub fn sync_clock(&self) -> Result<()> {
        if self.is_shared() {
            self.clock().catch_up(self.storage().get(CLOCK)?.as_deref());
        }
        Ok(())
    }

    /// Takes the leadership if no process holds it; says whether this process leads.
    pub(crate) fn lead(&self) -> Result<Lead> {
        let mut held = self.leadership().held.lock();
        if held.as_ref().is_some_and(|lock| lock.is_held()) {
            return Ok(Lead::Leading);
        }
        *held = self.storage().try_lock(LEADER_LOCK)?;
        Ok(if held.is_some() {
            Lead::Elected
        } else {
            Lead::Follower
        })
    }

    /// Gives the leadership up: another process, or this one at its next tick, takes it.
    pub(crate) fn resign(&self) {
        *self.leadership().held.lock() = None;
    }

    /// Whether this process runs the background duties (see [`Engine::lead`]).
    pub fn is_leader(&self) -> bool {
        self.leadership()
            .held
            .lock()
            .as_ref()
            .is_some_and(|lock| lock.is_held())
    }
}

/// A catalog record.
fn decode_def(bytes: &[u8]) -> Result<TableDef> {
    serde_json::from_slice(bytes).map_err(|e| EngineError::Corrupt(format!("catalog record: {e}")))
}
