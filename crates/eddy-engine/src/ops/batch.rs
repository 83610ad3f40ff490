//! BatchGetItem and BatchWriteItem. Every request of a batch is validated before any is
//! applied; each write then commits on its own, as in DynamoDB.

use std::collections::HashSet;

use eddy_expr::{Path, project};
use eddy_storage::{Ticket, WriteBatch};
use eddy_types::{Item, item_size};

use crate::model::capacity::Consumed;
use crate::model::error::Result;
use crate::model::invalid::Invalid;
use crate::state::engine::Engine;
use crate::write::rules::{self, PutOrder};
use crate::write::stage::{Cause, account};

/// The most data one BatchGetItem returns; the rest comes back as UnprocessedKeys.
const MAX_BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

/// The keys to read from one table.
#[derive(Clone, Debug, Default)]
pub struct BatchGetRequest {
    /// Table name.
    pub table_name: String,
    /// Keys.
    pub keys: Vec<Item>,
    /// ProjectionExpression (or AttributesToGet).
    pub projection: Option<Vec<Path>>,
    /// ConsistentRead.
    pub consistent: bool,
}

/// BatchGetItem's answer.
#[derive(Clone, Debug, Default)]
pub struct BatchGetOutput {
    /// Items found, per table, in request order of tables.
    pub responses: Vec<(String, Vec<Item>)>,
    /// Keys not read because the response reached 16 MB.
    pub unprocessed: Vec<BatchGetRequest>,
    /// Capacity per table.
    pub consumed: Vec<(String, Consumed)>,
}

/// One write of a BatchWriteItem.
#[derive(Clone, Debug)]
pub enum WriteRequest {
    /// PutRequest with its item.
    Put(Item),
    /// DeleteRequest with its key.
    Delete(Item),
}

/// The writes to one table.
#[derive(Clone, Debug, Default)]
pub struct BatchWriteRequest {
    /// Table name.
    pub table_name: String,
    /// Writes.
    pub requests: Vec<WriteRequest>,
}

impl Engine {
    /// BatchGetItem.
    ///
    /// # Errors
    /// ResourceNotFoundException when any table is missing; ValidationException for a bad or
    /// duplicate key.
    pub fn batch_get_item(&self, requests: Vec<BatchGetRequest>) -> Result<BatchGetOutput> {
        // DynamoDB refuses a repeated key before it looks the table up.
        for req in &requests {
            if req
                .keys
                .iter()
                .enumerate()
                .any(|(i, k)| req.keys[..i].contains(k))
            {
                return Err(Invalid::DuplicateBatchKeys.into());
            }
        }
        let mut plans = Vec::with_capacity(requests.len());
        for req in &requests {
            let table = self.table(&req.table_name)?;
            let def = table.def();
            let mut seen = HashSet::with_capacity(req.keys.len());
            let mut skeys = Vec::with_capacity(req.keys.len());
            for key in &req.keys {
                let skey = rules::key_target(&def, key, None)?;
                if !seen.insert(skey.clone()) {
                    return Err(Invalid::DuplicateBatchKeys.into());
                }
                skeys.push(skey);
            }
            plans.push(skeys);
        }
        let mut out = BatchGetOutput::default();
        let mut total = 0usize;
        for (req, skeys) in requests.into_iter().zip(plans) {
            let mut items = Vec::new();
            let mut consumed = Consumed::default();
            let mut left = Vec::new();
            for (key, skey) in req.keys.iter().zip(&skeys) {
                if total >= MAX_BATCH_GET_BYTES {
                    left.push(key.clone());
                    continue;
                }
                let item = self.read_item(skey)?;
                let size = item.as_ref().map_or(0, item_size);
                total += size;
                consumed += Consumed::read(size, req.consistent);
                if let Some(item) = item {
                    items.push(match &req.projection {
                        Some(paths) => project(&item, paths),
                        None => item,
                    });
                }
            }
            if !left.is_empty() {
                out.unprocessed.push(BatchGetRequest {
                    table_name: req.table_name.clone(),
                    keys: left,
                    projection: req.projection.clone(),
                    consistent: req.consistent,
                });
            }
            out.consumed.push((req.table_name.clone(), consumed));
            out.responses.push((req.table_name, items));
        }
        Ok(out)
    }

    /// BatchWriteItem. Returns the capacity consumed per table.
    ///
    /// # Errors
    /// ResourceNotFoundException when any table is missing; ValidationException for a bad item,
    /// key or duplicate, before anything is written.
    pub fn batch_write_item(
        &self,
        requests: Vec<BatchWriteRequest>,
    ) -> Result<Vec<(String, Consumed)>> {
        let mut plans = Vec::with_capacity(requests.len());
        for req in &requests {
            let table = self.table(&req.table_name)?;
            let def = table.def();
            let mut seen = HashSet::with_capacity(req.requests.len());
            let mut skeys = Vec::with_capacity(req.requests.len());
            for write in &req.requests {
                let skey = match write {
                    WriteRequest::Put(item) => {
                        rules::put_target(&def, item, PutOrder::BatchWrite)?.skey
                    }
                    WriteRequest::Delete(key) => rules::key_target(&def, key, None)?,
                };
                if !seen.insert(skey.clone()) {
                    return Err(Invalid::DuplicateBatchKeys.into());
                }
                skeys.push(skey);
            }
            plans.push((table, skeys));
        }
        let mut consumed = Vec::with_capacity(requests.len());
        let mut last = Ticket::default();
        for (req, (table, skeys)) in requests.into_iter().zip(plans) {
            let mut units = Consumed::default();
            // One storage batch per table: the keys are distinct, so no change reads another's
            // result, and one journal write replaces up to 25.
            let mut batch = WriteBatch::new();
            let mut staged = Vec::with_capacity(skeys.len());
            let guard = self.lock_table(&table)?;
            for (write, skey) in req.requests.into_iter().zip(skeys) {
                let old = self.read_item(&skey)?;
                let old_size = old.as_ref().map_or(0, item_size);
                // A put is billed as PutItem bills it: the larger of the old and new item.
                let new = match write {
                    WriteRequest::Put(item) => {
                        units += Consumed::write(item_size(&item).max(old_size));
                        Some(item)
                    }
                    WriteRequest::Delete(_) => {
                        units += Consumed::write(old_size);
                        None
                    }
                };
                staged.extend(self.stage_change(
                    &guard,
                    &mut batch,
                    skey,
                    old.as_ref(),
                    new.as_ref(),
                    Cause::Request,
                )?);
            }
            if !staged.is_empty() {
                last = last.max(self.storage().apply(batch)?);
                let def = table.def();
                for s in &staged {
                    account(&table, s);
                    s.bill_indexes(&def, &mut units);
                }
            }
            drop(guard);
            consumed.push((req.table_name, units));
        }
        self.durable(last)?;
        Ok(consumed)
    }
}
