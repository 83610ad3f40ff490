//! ExecuteTransaction: every SELECT read through one TransactGetItems, or every write
//! (INSERT, UPDATE, DELETE, EXISTS) through one TransactWriteItems.

use eddy_partiql::{PartiqlError, Select, SingleRead};
use eddy_types::Item;

use crate::model::capacity::{Consumed, PerTable};
use crate::model::error::{CancellationReason, EngineError, Result};
use crate::ops::partiql::Keys;
use crate::ops::partiql::write::{Action, Plan, Write, plan};
use crate::ops::transactions::{TransactGetItem, TransactWriteInput};
use crate::state::engine::Engine;

/// The cancellation reason of one statement's key check.
fn reason(check: std::result::Result<(), PartiqlError>) -> CancellationReason {
    match check {
        Ok(()) => CancellationReason::none(),
        Err(e) => CancellationReason::from_error(e.into()),
    }
}

/// Cancels the transaction when any statement has a reason to.
fn cancel_on(reasons: Vec<CancellationReason>) -> Result<()> {
    if reasons.iter().any(|r| r.code != "None") {
        return Err(EngineError::TransactionCanceled { reasons });
    }
    Ok(())
}

impl Engine {
    /// A read transaction: each SELECT reads one item by its whole table key, all from one
    /// snapshot. Returns the items as the statements shape them (None where missing) and the
    /// capacity per table.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for a SELECT that does not pin a key;
    /// TransactionCanceledException when a key does not fit its table's schema.
    pub fn partiql_transact_reads(
        &self,
        selects: &[Select],
    ) -> Result<(Vec<Option<Item>>, PerTable)> {
        let mut gets = Vec::with_capacity(selects.len());
        let mut reasons = Vec::with_capacity(selects.len());
        for select in selects {
            let keys = Keys::of_table(self, &select.table)?;
            let key = select.single_item_key(SingleRead::Transaction, keys.hash(), keys.range())?;
            reasons.push(reason(keys.check(&key)));
            gets.push(TransactGetItem {
                table_name: select.table.clone(),
                key,
                projection: None,
            });
        }
        cancel_on(reasons)?;
        let (items, consumed) = self.transact_get_items(gets)?;
        let items = items
            .into_iter()
            .zip(selects)
            .map(|(item, select)| item.map(|i| select.project(&i)))
            .collect();
        Ok((items, consumed))
    }

    /// A write transaction: the writes, each with its ReturnValuesOnConditionCheckFailure, as
    /// one TransactWriteItems under `token` (`digest` tells a retry from another request).
    ///
    /// # Errors
    /// As TransactWriteItems; a key that does not fit its table's schema cancels the
    /// transaction, and an INSERT of an existing key is a DuplicateItem reason.
    pub fn partiql_transact_writes(
        &self,
        writes: Vec<(Write, bool)>,
        token: Option<String>,
        digest: u64,
    ) -> Result<Vec<(String, Consumed)>> {
        let mut items = Vec::with_capacity(writes.len());
        let mut inserts = Vec::with_capacity(writes.len());
        let mut reasons = Vec::with_capacity(writes.len());
        for (write, return_old_on_failure) in writes {
            // A key the table's schema refuses cancels the transaction; any other problem
            // with the statement is the request's.
            match plan(self, write)? {
                Plan::Ready(planned) => {
                    reasons.push(reason(Ok(())));
                    inserts.push(matches!(planned.action, Action::Insert(_)));
                    items.push(planned.transact_item(return_old_on_failure));
                }
                Plan::BadKey(e) => reasons.push(reason(Err(e))),
            }
        }
        cancel_on(reasons)?;
        self.transact_write_items(TransactWriteInput {
            items,
            client_request_token: token,
            request_digest: digest,
        })
        .map_err(|e| match e {
            // An INSERT's condition is that the key is new: its failure is a duplicate.
            EngineError::TransactionCanceled { mut reasons } => {
                for (r, insert) in reasons.iter_mut().zip(&inserts) {
                    if *insert && r.code == "ConditionalCheckFailed" {
                        *r = CancellationReason::from_error(EngineError::DuplicateItem);
                    }
                }
                EngineError::TransactionCanceled { reasons }
            }
            other => other,
        })
    }
}
