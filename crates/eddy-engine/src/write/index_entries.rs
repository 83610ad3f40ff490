//! Index maintenance: the entries an item change adds to, moves in or removes from the table's
//! secondary indexes, staged in the same atomic batch as the item write they follow.

use eddy_storage::WriteBatch;
use eddy_types::{Item, encode_item, item_size};

use crate::keys;
use crate::model::indexes::IndexDef;
use crate::model::schema::KeySchema;

/// The sizes of an item's index entry before and after a change (None = no entry), for the
/// index counters.
pub(crate) type EntrySizes = (Option<usize>, Option<usize>);

/// Adds the index maintenance of one item change to `batch`. Returns, per index (in the order
/// of `indexes`), the entry sizes before and after, or None where the entry did not change
/// (and nothing was written).
pub(crate) fn maintain(
    batch: &mut WriteBatch,
    table_id: u64,
    table: &KeySchema,
    indexes: &[IndexDef],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<Option<EntrySizes>> {
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
            Some((
                old_entry.map(|(_, p)| item_size(&p)),
                new_entry.map(|(_, p)| item_size(&p)),
            ))
        })
        .collect()
}
