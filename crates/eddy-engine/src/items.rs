//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//!
//! Every write reads the item's current version and commits its new one under the table's
//! write lock, through [`Engine::commit_change`], the one place an item change becomes a
//! storage batch.

use eddy_expr::{Condition, Path, Update, project};
use eddy_storage::Ticket;
use eddy_types::{Item, MAX_ITEM_SIZE, decode_item, item_size};

use crate::capacity::Consumed;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::invalid::Invalid;
use crate::keys;
use crate::schema::KeySchema;

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

/// The ItemCollectionKey of a write on a table with local secondary indexes.
fn collection_key(def: &crate::schema::TableDef, key: &Item) -> Option<Item> {
    def.indexes
        .iter()
        .any(|i| i.kind == crate::indexes::IndexKind::Local)
        .then(|| {
            key.get(&def.key_schema.hash.name)
                .map(|v| Item::from([(def.key_schema.hash.name.clone(), v.clone())]))
        })
        .flatten()
}

impl Engine {
    /// PutItem.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException, ConditionalCheckFailedException.
    pub fn put_item(&self, input: PutItemInput) -> Result<ItemOutput> {
        let table = self.table(&input.table_name)?;
        let def = table.def();
        let key = def.key_schema.key_of_item(&input.item)?;
        let new_size = item_size(&input.item);
        if new_size > MAX_ITEM_SIZE {
            return Err(Invalid::ItemTooLarge.into());
        }
        for index in &def.indexes {
            index.check_item(&input.item)?;
        }
        let skey = keys::item_key(def.id, &def.key_schema, &key)?;
        let guard = table.lock_writes();
        let old = self.read_item(&skey)?;
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let consumed = Consumed::write(new_size.max(old.as_ref().map_or(0, item_size)));
        let new = input.item;
        let ticket = self.commit_change(&guard, skey, old.as_ref(), Some(&new))?;
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
        def.key_schema.check_key(&input.key)?;
        let skey = keys::item_key(def.id, &def.key_schema, &input.key)?;
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
        def.key_schema.check_key(&input.key)?;
        if let Some(update) = &input.update {
            check_key_untouched(&def.key_schema, update)?;
        }
        let skey = keys::item_key(def.id, &def.key_schema, &input.key)?;
        let guard = table.lock_writes();
        let old = self.read_item(&skey)?;
        let old_size = old.as_ref().map_or(0, item_size);
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let mut new = old.clone().unwrap_or_else(|| input.key.clone());
        if let Some(update) = &input.update {
            update.apply(&mut new)?;
        }
        let new_size = item_size(&new);
        if new_size > MAX_ITEM_SIZE {
            return Err(Invalid::UpdatedItemTooLarge.into());
        }
        for index in &def.indexes {
            index.check_item(&new)?;
        }
        // An update that only removes things from a missing item must not create it.
        let creates_nothing = old.is_none() && input.update.is_some() && new == input.key;
        let ticket = if creates_nothing {
            Ticket::default()
        } else {
            self.commit_change(&guard, skey, old.as_ref(), Some(&new))?
        };
        drop(guard);
        self.durable(ticket)?;
        let consumed = Consumed::write(old_size.max(new_size));
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
        def.key_schema.check_key(&input.key)?;
        let skey = keys::item_key(def.id, &def.key_schema, &input.key)?;
        let guard = table.lock_writes();
        let old = self.read_item(&skey)?;
        check_condition(
            input.condition.as_ref(),
            old.as_ref(),
            input.return_old_on_failure,
        )?;
        let consumed = Consumed::write(old.as_ref().map_or(0, item_size));
        let ticket = if old.is_some() {
            self.commit_change(&guard, skey, old.as_ref(), None)?
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

    /// The latest committed version of the item under `skey`.
    pub(crate) fn read_item(&self, skey: &[u8]) -> Result<Option<Item>> {
        match self.storage().get(skey)? {
            Some(bytes) => Ok(Some(
                decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }
}

/// Evaluates a write's condition against the current item (an absent item is an empty one).
fn check_condition(
    condition: Option<&Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<()> {
    let Some(condition) = condition else {
        return Ok(());
    };
    let empty = Item::new();
    if condition.evaluate(old.unwrap_or(&empty)) {
        Ok(())
    } else {
        Err(EngineError::ConditionalCheckFailed {
            item: if return_old { old.cloned() } else { None },
        })
    }
}

/// UpdateItem may not touch key attributes.
pub(crate) fn check_key_untouched(schema: &KeySchema, update: &Update) -> Result<()> {
    for path in update.target_paths() {
        let top = path.top();
        if schema.is_key(top) {
            if path.0.len() > 1 {
                return Err(Invalid::NestedKeyPath {
                    attribute: top.to_string(),
                }
                .into());
            }
            return Err(Invalid::KeyAttributeUpdated {
                attribute: top.to_string(),
            }
            .into());
        }
    }
    Ok(())
}
