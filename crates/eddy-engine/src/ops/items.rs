//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//!
//! Every write reads the item's current version and commits its new one under the table's
//! write lock, through [`Engine::commit_change`], the one place an item change becomes a
//! storage batch.

use eddy_expr::{Condition, Path, Update, project};
use eddy_storage::Ticket;
use eddy_types::{Item, item_size};

use crate::keys;
use crate::model::capacity::Consumed;
use crate::model::error::Result;
use crate::model::indexes::IndexKind;
use crate::model::schema::TableDef;
use crate::state::engine::Engine;
use crate::write::rules::{self, PutOrder, PutTarget, Updated, check_condition};

/// ReturnValues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReturnValues {
    /// Nothing.
    #[default]
    None,
    /// The item as it was.
    AllOld,
    /// The attributes the update touched, as they were.
    UpdatedOld,
    /// The item as it is now.
    AllNew,
    /// The attributes the update touched, as they are now.
    UpdatedNew,
}

/// PutItem.
#[derive(Clone, Debug, Default)]
pub struct PutItemInput {
    /// Table name.
    pub table_name: String,
    /// The item.
    pub item: Item,
    /// ConditionExpression (or lowered Expected).
    pub condition: Option<Condition>,
    /// NONE or ALL_OLD.
    pub return_values: ReturnValues,
    /// ReturnValuesOnConditionCheckFailure = ALL_OLD.
    pub return_old_on_failure: bool,
}

/// GetItem.
#[derive(Clone, Debug, Default)]
pub struct GetItemInput {
    /// Table name.
    pub table_name: String,
    /// The key.
    pub key: Item,
    /// ProjectionExpression (or AttributesToGet).
    pub projection: Option<Vec<Path>>,
    /// ConsistentRead.
    pub consistent: bool,
}

/// UpdateItem.
#[derive(Clone, Debug, Default)]
pub struct UpdateItemInput {
    /// Table name.
    pub table_name: String,
    /// The key.
    pub key: Item,
    /// UpdateExpression (or lowered AttributeUpdates); none just makes sure the item exists.
    pub update: Option<Update>,
    /// ConditionExpression (or lowered Expected).
    pub condition: Option<Condition>,
    /// ReturnValues.
    pub return_values: ReturnValues,
    /// ReturnValuesOnConditionCheckFailure = ALL_OLD.
    pub return_old_on_failure: bool,
}

/// DeleteItem.
#[derive(Clone, Debug, Default)]
pub struct DeleteItemInput {
    /// Table name.
    pub table_name: String,
    /// The key.
    pub key: Item,
    /// ConditionExpression (or lowered Expected).
    pub condition: Option<Condition>,
    /// NONE or ALL_OLD.
    pub return_values: ReturnValues,
    /// ReturnValuesOnConditionCheckFailure = ALL_OLD.
    pub return_old_on_failure: bool,
}

/// The answer of a single-item operation.
#[derive(Clone, Debug, Default)]
pub struct ItemOutput {
    /// The item or attributes to return (GetItem's Item, or the write's Attributes).
    pub item: Option<Item>,
    /// Capacity consumed.
    pub consumed: Consumed,
    /// The item collection written to, on a table with local secondary indexes (the only
    /// tables DynamoDB reports ItemCollectionMetrics for).
    pub item_collection_key: Option<Item>,
}

/// An item collection (the items of one partition key, on a table with local secondary
/// indexes) as ItemCollectionMetrics reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemCollection {
    /// ItemCollectionKey: the partition key.
    pub key: Item,
    /// The collection's items and their local index entries, in bytes.
    pub size_bytes: u64,
}

impl ItemCollection {
    /// SizeEstimateRangeGB: the whole gigabytes the collection holds, and one more.
    pub fn size_estimate_range_gb(&self) -> [f64; 2] {
        let gb = (self.size_bytes / (1 << 30)) as f64;
        [gb, gb + 1.0]
    }
}

/// The ItemCollectionKey of a write on a table with local secondary indexes.
fn collection_key(def: &TableDef, key: &Item) -> Option<Item> {
    def.indexes
        .iter()
        .any(|i| i.kind == IndexKind::Local)
        .then(|| {
            key.get(&def.key_schema.hash.name)
                .map(|v| Item::from([(def.key_schema.hash.name.clone(), v.clone())]))
        })
        .flatten()
}

impl Engine {
    /// ItemCollectionMetrics of the collection `item` (or a key) belongs to: None when the
    /// table has no local secondary index. The size is read from the collection's items and
    /// their local index entries, as they are now.
    ///
    /// # Errors
    /// ResourceNotFoundException; storage errors.
    pub fn item_collection(&self, table: &str, item: &Item) -> Result<Option<ItemCollection>> {
        let def = self.table(table)?.def();
        let Some(key) = collection_key(&def, item) else {
            return Ok(None);
        };
        let Some(pk) = key.values().next() else {
            return Ok(None);
        };
        let snap = self.storage().snapshot();
        let mut prefixes = vec![keys::partition_prefix(def.id, pk)];
        for index in def.indexes.iter().filter(|i| i.kind == IndexKind::Local) {
            prefixes.push(keys::index_partition_prefix(def.id, index.id, [pk]));
        }
        let mut size_bytes = 0u64;
        for prefix in prefixes {
            let end = keys::prefix_end(&prefix);
            for entry in snap.range(
                std::ops::Bound::Included(prefix.as_slice()),
                std::ops::Bound::Excluded(end.as_slice()),
                eddy_storage::Direction::Forward,
            ) {
                let (k, v) = entry?;
                size_bytes += (k.len() + v.len()) as u64;
            }
        }
        Ok(Some(ItemCollection { key, size_bytes }))
    }

    /// PutItem.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException, ConditionalCheckFailedException.
    pub fn put_item(&self, input: PutItemInput) -> Result<ItemOutput> {
        let table = self.table(&input.table_name)?;
        let def = table.def();
        let PutTarget { key, skey, size } =
            rules::put_target(&def, &input.item, PutOrder::PutItem)?;
        let guard = self.lock_table(&table)?;
        let old = self.read_item(&skey)?;
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let mut consumed = Consumed::write(size.max(old.as_ref().map_or(0, item_size)));
        let new = input.item;
        let ticket = self.commit_change(&guard, skey, old.as_ref(), Some(&new), &mut consumed)?;
        drop(guard);
        self.durable(ticket)?;
        Ok(ItemOutput {
            item: if input.return_values == ReturnValues::AllOld {
                old
            } else {
                None
            },
            consumed,
            item_collection_key: collection_key(&def, &key),
        })
    }

    /// GetItem.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException.
    pub fn get_item(&self, input: GetItemInput) -> Result<ItemOutput> {
        let table = self.table(&input.table_name)?;
        let def = table.def();
        let skey = rules::key_target(&def, &input.key, None)?;
        let item = self.read_item(&skey)?;
        let consumed = Consumed::read(item.as_ref().map_or(0, item_size), input.consistent);
        let item = match (item, &input.projection) {
            (Some(item), Some(paths)) => Some(project(&item, paths)),
            (item, _) => item,
        };
        Ok(ItemOutput {
            item,
            consumed,
            item_collection_key: None,
        })
    }

    /// UpdateItem.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException (also for updates that fail at run time),
    /// ConditionalCheckFailedException.
    pub fn update_item(&self, input: UpdateItemInput) -> Result<ItemOutput> {
        let table = self.table(&input.table_name)?;
        let def = table.def();
        let skey = rules::key_target(&def, &input.key, input.update.as_ref())?;
        let guard = self.lock_table(&table)?;
        let old = self.read_item(&skey)?;
        let old_size = old.as_ref().map_or(0, item_size);
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let Updated {
            new,
            size: new_size,
            creates_nothing,
        } = rules::updated_item(&def, &input.key, old.as_ref(), input.update.as_ref())?;
        let mut consumed = Consumed::write(old_size.max(new_size));
        let ticket = if creates_nothing {
            Ticket::default()
        } else {
            self.commit_change(&guard, skey, old.as_ref(), Some(&new), &mut consumed)?
        };
        drop(guard);
        self.durable(ticket)?;
        let touched = || -> Vec<Path> {
            input
                .update
                .as_ref()
                .map(|u| u.target_paths().into_iter().cloned().collect())
                .unwrap_or_default()
        };
        let item = match input.return_values {
            ReturnValues::None => None,
            ReturnValues::AllOld => old,
            ReturnValues::AllNew => (!creates_nothing).then_some(new),
            ReturnValues::UpdatedOld => old.map(|o| project(&o, &touched())),
            ReturnValues::UpdatedNew => (!creates_nothing).then(|| project(&new, &touched())),
        };
        Ok(ItemOutput {
            item: item.filter(|i| !i.is_empty()),
            consumed,
            item_collection_key: collection_key(&def, &input.key),
        })
    }

    /// DeleteItem.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException, ConditionalCheckFailedException.
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<ItemOutput> {
        let table = self.table(&input.table_name)?;
        let def = table.def();
        let skey = rules::key_target(&def, &input.key, None)?;
        let guard = self.lock_table(&table)?;
        let old = self.read_item(&skey)?;
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let mut consumed = Consumed::write(old.as_ref().map_or(0, item_size));
        let ticket = if old.is_some() {
            self.commit_change(&guard, skey, old.as_ref(), None, &mut consumed)?
        } else {
            Ticket::default()
        };
        drop(guard);
        self.durable(ticket)?;
        Ok(ItemOutput {
            item: if input.return_values == ReturnValues::AllOld {
                old
            } else {
                None
            },
            consumed,
            item_collection_key: collection_key(&def, &input.key),
        })
    }
}
