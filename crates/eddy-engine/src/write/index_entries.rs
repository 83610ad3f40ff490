//! Index maintenance: the entries an item change adds to, moves in or removes from the table's
//! secondary indexes, staged in the same atomic batch as the item write they follow.

use eddy_storage::WriteBatch;
use eddy_types::{Item, encode_item, item_size};

use crate::keys;
use crate::model::capacity::write_units;
use crate::model::indexes::IndexDef;
use crate::model::schema::KeySchema;

/// How a change moved an item's entry in one index: its sizes before and after (None = no
/// entry), for the counters, and whether the entry moved to another key, which DynamoDB bills
/// as a delete and a put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryChange {
    pub(crate) old: Option<usize>,
    pub(crate) new: Option<usize>,
    pub(crate) moved: bool,
}

impl EntryChange {
    /// The write units the change costs the index.
    pub(crate) fn write_units(&self) -> f64 {
        match (self.old, self.new) {
            (Some(o), Some(n)) if self.moved => write_units(o) + write_units(n),
            (_, Some(n)) => write_units(n),
            (Some(o), None) => write_units(o),
            (None, None) => 0.0,
        }
    }
}

/// Adds the index maintenance of one item change to `batch`. Returns, per index (in the order
/// of `indexes`), how its entry changed, or None where it did not (and nothing was written).
pub(crate) fn maintain(
    batch: &mut WriteBatch,
    table_id: u64,
    table: &KeySchema,
    indexes: &[IndexDef],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<Option<EntryChange>> {
    indexes
        .iter()
        .map(|index| {
            let entry = |item: Option<&Item>| {
                item.and_then(|i| {
                    keys::index_entry_key(index, table_id, table, i)
                        .map(|k| (k, index.project(table, i)))
                })
            };
            let old_entry = entry(old);
            let new_entry = entry(new);
            if old_entry == new_entry {
                return None;
            }
            if let Some((k, _)) = &old_entry
                && new_entry.as_ref().is_none_or(|(nk, _)| nk != k)
            {
                batch.delete(k.clone());
            }
            if let Some((k, projected)) = &new_entry {
                let mut bytes = Vec::with_capacity(128);
                encode_item(projected, &mut bytes);
                batch.put(k.clone(), bytes);
            }
            let moved = matches!((&old_entry, &new_entry), (Some((o, _)), Some((n, _))) if o != n);
            Some(EntryChange {
                old: old_entry.map(|(_, p)| item_size(&p)),
                new: new_entry.map(|(_, p)| item_size(&p)),
                moved,
            })
        })
        .collect()
}
