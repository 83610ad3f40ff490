//! INSERT, UPDATE, DELETE and EXISTS: the single item each addresses, with the condition
//! DynamoDB's PartiQL adds, as engine item operations.

use eddy_expr::Condition;
use eddy_partiql::{Delete, Insert, PartiqlError, Select, Update};
use eddy_types::Item;

use crate::model::capacity::Consumed;
use crate::model::error::{EngineError, Result};
use crate::ops::items::{DeleteItemInput, PutItemInput, ReturnValues, UpdateItemInput};
use crate::ops::partiql::{Keys, exists_outside_transaction};
use crate::ops::transactions::{TransactWriteAction, TransactWriteItem};
use crate::state::engine::Engine;

/// A write statement, bound.
#[derive(Debug)]
pub enum Write {
    /// INSERT.
    Insert(Insert),
    /// UPDATE.
    Update(Update),
    /// DELETE.
    Delete(Delete),
    /// `EXISTS(SELECT ...)`, a condition check (ExecuteTransaction only).
    Check(Select),
}

impl Write {
    /// The table the statement writes.
    pub fn table(&self) -> &str {
        match self {
            Write::Insert(i) => &i.table,
            Write::Update(u) => &u.table,
            Write::Delete(d) => &d.table,
            Write::Check(s) => &s.table,
        }
    }
}

/// What a write does to its item once its key is known.
#[derive(Debug)]
pub(crate) enum Action {
    /// Put the item (its key must be new).
    Insert(Item),
    Update {
        key: Item,
        update: eddy_expr::Update,
    },
    Delete(Item),
    Check(Item),
}

/// A write resolved against its table's key schema.
#[derive(Debug)]
pub struct Planned {
    /// The table written.
    pub table: String,
    /// The key of the item written.
    pub key: Item,
    pub(crate) action: Action,
    /// What the item must satisfy: the WHERE clause beyond the key, and that the item exists
    /// (UPDATE, EXISTS) or does not (INSERT).
    condition: Option<Condition>,
    return_values: ReturnValues,
}

/// The result of one write.
#[derive(Debug)]
pub struct Written {
    /// The table written.
    pub table: String,
    /// The attributes RETURNING asked for.
    pub item: Option<Item>,
    /// The capacity the write used.
    pub consumed: Consumed,
}

/// A write resolved against its table: ready to run, or addressing a key the table's schema
/// refuses (a key attribute missing or of the wrong type), which a transaction reports as a
/// cancellation reason rather than as an error of the request.
#[derive(Debug)]
pub enum Plan {
    /// Ready to run.
    Ready(Planned),
    /// The key the statement addresses does not fit the table's key schema.
    BadKey(PartiqlError),
}

impl Plan {
    /// The planned write, or the key's refusal as the request's error.
    ///
    /// # Errors
    /// The key's refusal.
    pub fn ready(self) -> Result<Planned> {
        match self {
            Self::Ready(planned) => Ok(planned),
            Self::BadKey(e) => Err(e.into()),
        }
    }
}

/// Resolves a write against its table: the key it addresses (every key attribute pinned by
/// `=`) and its condition, and checks the key against the schema.
///
/// # Errors
/// ResourceNotFoundException for a missing table; ValidationException for a WHERE clause that
/// does not pin the key or an update DynamoDB refuses.
pub(crate) fn plan(engine: &Engine, write: Write) -> Result<Plan> {
    let keys = Keys::of_table(engine, write.table())?;
    let (hash, range) = (keys.hash(), keys.range());
    let planned = match write {
        Write::Insert(insert) => Planned {
            key: keys.key_of(&insert.item),
            table: insert.table,
            action: Action::Insert(insert.item),
            condition: Some(keys.item_missing()),
            return_values: ReturnValues::None,
        },
        Write::Update(update) => {
            let target = update.target(hash, range)?;
            let exists = keys.item_exists();
            Planned {
                key: target.key.clone(),
                action: Action::Update {
                    key: target.key,
                    update: update.update_expression()?,
                },
                condition: Some(match target.condition {
                    Some(c) => exists.and(c),
                    None => exists,
                }),
                return_values: return_values(update.returning),
                table: update.table,
            }
        }
        Write::Delete(delete) => {
            let target = delete.target(hash, range)?;
            Planned {
                table: delete.table,
                key: target.key.clone(),
                action: Action::Delete(target.key),
                condition: target.condition,
                return_values: return_values(delete.returning),
            }
        }
        Write::Check(select) => {
            let (key, condition) = select.condition_check(hash, range)?;
            Planned {
                table: select.table,
                key: key.clone(),
                action: Action::Check(key),
                condition: Some(keys.item_exists().and(condition)),
                return_values: ReturnValues::None,
            }
        }
    };
    Ok(match keys.check(&planned.key) {
        Ok(()) => Plan::Ready(planned),
        Err(e) => Plan::BadKey(e),
    })
}

fn return_values(r: Option<eddy_partiql::ReturnValues>) -> ReturnValues {
    match r {
        None => ReturnValues::None,
        Some(eddy_partiql::ReturnValues::AllOld) => ReturnValues::AllOld,
        Some(eddy_partiql::ReturnValues::AllNew) => ReturnValues::AllNew,
        Some(eddy_partiql::ReturnValues::UpdatedOld) => ReturnValues::UpdatedOld,
        Some(eddy_partiql::ReturnValues::UpdatedNew) => ReturnValues::UpdatedNew,
    }
}

impl Planned {
    /// Runs the write on its own (ExecuteStatement, BatchExecuteStatement).
    ///
    /// # Errors
    /// DuplicateItemException for an INSERT of an existing key; ConditionalCheckFailedException
    /// for an UPDATE of a missing item or a WHERE clause the item fails; the engine's errors.
    pub fn execute(self, engine: &Engine, return_old_on_failure: bool) -> Result<Written> {
        let table_name = self.table.clone();
        let out = match self.action {
            Action::Insert(item) => engine
                .put_item(PutItemInput {
                    table_name,
                    item,
                    condition: self.condition,
                    return_values: ReturnValues::None,
                    return_old_on_failure: false,
                })
                .map_err(|e| match e {
                    EngineError::ConditionalCheckFailed { .. } => EngineError::DuplicateItem,
                    other => other,
                })?,
            Action::Update { key, update } => engine.update_item(UpdateItemInput {
                table_name,
                key,
                update: Some(update),
                condition: self.condition,
                return_values: self.return_values,
                return_old_on_failure,
            })?,
            Action::Delete(key) => engine.delete_item(DeleteItemInput {
                table_name,
                key,
                condition: self.condition,
                return_values: self.return_values,
                return_old_on_failure,
            })?,
            Action::Check(_) => return Err(exists_outside_transaction()),
        };
        Ok(Written {
            table: self.table,
            item: out.item,
            consumed: out.consumed,
        })
    }

    /// The write as one action of TransactWriteItems.
    pub(crate) fn transact_item(self, return_old_on_failure: bool) -> TransactWriteItem {
        let table_name = self.table;
        let action = match self.action {
            Action::Insert(item) => TransactWriteAction::Put { table_name, item },
            Action::Update { key, update } => TransactWriteAction::Update {
                table_name,
                key,
                update,
            },
            Action::Delete(key) => TransactWriteAction::Delete { table_name, key },
            Action::Check(key) => TransactWriteAction::ConditionCheck { table_name, key },
        };
        TransactWriteItem {
            action,
            condition: self.condition,
            return_old_on_failure,
        }
    }
}

impl Engine {
    /// Resolves a write statement against its table (see [`plan`]).
    ///
    /// # Errors
    /// As [`plan`].
    pub fn partiql_plan(&self, write: Write) -> Result<Plan> {
        plan(self, write)
    }
}
