//! The one place an item change becomes storage mutations: the item itself, its index entries
//! and its stream record, staged into a batch that commits atomically. Single-item writes
//! commit one change per batch; BatchWriteItem stages its changes to one table into one batch,
//! and a transaction all of its changes.

use eddy_storage::{Ticket, WriteBatch};
use eddy_types::{Item, encode_item, item_size};

use crate::model::capacity::{Consumed, IndexConsumed};
use crate::model::error::Result;
use crate::model::indexes::IndexKind;
use crate::model::schema::TableDef;
use crate::state::catalog::{Table, TableWriteGuard};
use crate::state::engine::Engine;
use crate::write::index_entries::{self, EntryChange};

/// Why an item changes: stream records of TTL deletions carry a service identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// A client's request.
    Request,
    /// Time to live expired.
    Ttl,
}

/// What a staged change does to the table's counters once committed.
#[derive(Debug)]
pub(crate) struct Staged {
    old_size: Option<usize>,
    new_size: Option<usize>,
    /// (index id, how its entry changed) of each index entry that changed.
    index: Vec<(u32, EntryChange)>,
}

impl Staged {
    /// What the change costs the table's indexes, added to `consumed`.
    pub(crate) fn bill_indexes(&self, def: &TableDef, consumed: &mut Consumed) {
        for (id, change) in &self.index {
            if let Some(index) = def.indexes.iter().find(|i| i.id == *id) {
                consumed.add_index(IndexConsumed {
                    name: index.name.clone(),
                    global: index.kind == IndexKind::Global,
                    read: 0.0,
                    write: change.write_units(),
                });
            }
        }
    }
}

impl Engine {
    /// Adds the mutations of one item change (`new` None = delete) to `batch`; None when the
    /// change changes nothing. Fails only when a stream's state cannot be encoded. The guard is held until the batch commits.
    pub(crate) fn stage_change(
        &self,
        guard: &TableWriteGuard<'_>,
        batch: &mut WriteBatch,
        skey: Vec<u8>,
        old: Option<&Item>,
        new: Option<&Item>,
        cause: Cause,
    ) -> Result<Option<Staged>> {
        if old == new {
            return Ok(None);
        }
        let table = guard.table();
        table.note_write(self.clock().now_ms());
        let def = table.def();
        let index = if def.indexes.is_empty() {
            Vec::new()
        } else {
            index_entries::maintain(batch, def.id, &def.key_schema, &def.indexes, old, new)
                .into_iter()
                .zip(&def.indexes)
                .filter_map(|(change, index)| change.map(|c| (index.id, c)))
                .collect()
        };
        if let Some(stream) = table.stream().filter(|_| self.makes_stream_records()) {
            stream.append(
                batch,
                old,
                new,
                self.clock().now_ms(),
                cause == Cause::Ttl,
                self.is_shared(),
            )?;
        }
        match new {
            Some(item) => {
                let mut bytes = Vec::with_capacity(256);
                encode_item(item, &mut bytes);
                batch.put(skey, bytes);
            }
            None => batch.delete(skey),
        }
        Ok(Some(Staged {
            old_size: old.map(item_size),
            new_size: new.map(item_size),
            index,
        }))
    }

    /// Applies one item change as one atomic batch, accounts it, and bills its index writes
    /// to `consumed`. The caller releases the guard and only then waits for the returned
    /// ticket ([`Engine::durable`]), so that the writes queued behind the lock share a journal
    /// sync. A change that changes nothing writes nothing.
    pub(crate) fn commit_change(
        &self,
        guard: &TableWriteGuard<'_>,
        skey: Vec<u8>,
        old: Option<&Item>,
        new: Option<&Item>,
        consumed: &mut Consumed,
    ) -> Result<Ticket> {
        let mut batch = WriteBatch::new();
        let Some(staged) = self.stage_change(guard, &mut batch, skey, old, new, Cause::Request)?
        else {
            return Ok(Ticket::default());
        };
        let ticket = self.storage().apply(batch)?;
        account(guard.table(), &staged);
        if !staged.index.is_empty() {
            staged.bill_indexes(&guard.table().def(), consumed);
        }
        Ok(ticket)
    }

    /// Waits until the writes up to `ticket` are durable: the last step of a write, after its
    /// table's write lock is released.
    pub(crate) fn durable(&self, ticket: Ticket) -> Result<()> {
        Ok(self.storage().wait_durable(ticket)?)
    }
}

/// Applies a committed change to the table's counters.
pub(crate) fn account(table: &Table, staged: &Staged) {
    table.account(staged.old_size, staged.new_size);
    for (id, change) in &staged.index {
        table.account_index(*id, change.old, change.new);
    }
}
