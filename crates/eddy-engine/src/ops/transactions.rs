//! TransactWriteItems and TransactGetItems: all-or-nothing, isolated from single-item writes.
//!
//! A write transaction takes the write locks of every table it touches (in name order, so two
//! transactions can't deadlock), reads every item, checks every condition, and then stages all
//! changes into one storage batch: items, index entries and stream records commit together or
//! not at all. A read transaction reads every item from one snapshot.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use eddy_expr::{Condition, Path, Update, project};
use eddy_storage::{Ticket, WriteBatch};
use eddy_types::{Item, decode_item, item_size};

use crate::model::capacity::{Consumed, PerTable};
use crate::model::error::{CancellationReason, EngineError, Result};
use crate::model::invalid::Invalid;
use crate::state::catalog::{Table, TableWriteGuard};
use crate::state::engine::Engine;
use crate::state::tokens::Claimed;
use crate::write::rules::{self, PutOrder, Refusal};
use crate::write::stage::{Cause, account};

/// One action of TransactWriteItems.
#[derive(Clone, Debug)]
pub enum TransactWriteAction {
    /// Put.
    Put {
        /// Table name.
        table_name: String,
        /// The item.
        item: Item,
    },
    /// Update.
    Update {
        /// Table name.
        table_name: String,
        /// The key.
        key: Item,
        /// UpdateExpression.
        update: Update,
    },
    /// Delete.
    Delete {
        /// Table name.
        table_name: String,
        /// The key.
        key: Item,
    },
    /// ConditionCheck.
    ConditionCheck {
        /// Table name.
        table_name: String,
        /// The key.
        key: Item,
    },
}

impl TransactWriteAction {
    fn table_name(&self) -> &str {
        match self {
            Self::Put { table_name, .. }
            | Self::Update { table_name, .. }
            | Self::Delete { table_name, .. }
            | Self::ConditionCheck { table_name, .. } => table_name,
        }
    }
}

/// An action with its condition.
#[derive(Clone, Debug)]
pub struct TransactWriteItem {
    /// What to do.
    pub action: TransactWriteAction,
    /// ConditionExpression (required for ConditionCheck).
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure = ALL_OLD.
    pub return_old_on_failure: bool,
}

/// TransactWriteItems.
#[derive(Clone, Debug, Default)]
pub struct TransactWriteInput {
    /// The actions, in order.
    pub items: Vec<TransactWriteItem>,
    /// ClientRequestToken.
    pub client_request_token: Option<String>,
    /// A digest of the whole request, to tell a retry from another request with the token.
    pub request_digest: u64,
}

/// One Get of TransactGetItems.
#[derive(Clone, Debug)]
pub struct TransactGetItem {
    /// Table name.
    pub table_name: String,
    /// The key.
    pub key: Item,
    /// ProjectionExpression.
    pub projection: Option<Vec<Path>>,
}

/// What a transaction touches of one action once its key is known.
struct Target {
    table: Arc<Table>,
    skey: Vec<u8>,
}

impl Engine {
    /// TransactWriteItems. Returns the capacity consumed per table.
    ///
    /// # Errors
    /// ResourceNotFoundException for a missing table; ValidationException for a request-level
    /// problem (the same item twice, a Put over 400 KB); TransactionCanceledException with a
    /// reason per action; IdempotentParameterMismatchException.
    pub fn transact_write_items(
        &self,
        input: TransactWriteInput,
    ) -> Result<Vec<(String, Consumed)>> {
        rules::transaction_size(input.items.iter().filter_map(|i| match &i.action {
            TransactWriteAction::Put { item, .. } => Some(item),
            _ => None,
        }))?;
        let now = self.clock().now_ms();
        let claim = match &input.client_request_token {
            Some(token) => {
                match self
                    .tokens()
                    .claim(self.storage(), token, input.request_digest, now)?
                {
                    Claimed::Before(consumed) => return Ok(consumed),
                    Claimed::Now(claim) => Some(claim),
                }
            }
            None => None,
        };
        let mut tables: HashMap<String, Arc<Table>> = HashMap::new();
        for item in &input.items {
            let name = item.action.table_name();
            if !tables.contains_key(name) {
                tables.insert(name.to_owned(), self.table(name)?);
            }
        }
        // Keys first: a malformed key is that action's ValidationError; the same item twice
        // is a request-level error.
        let mut reasons = vec![CancellationReason::none(); input.items.len()];
        let mut targets: Vec<Option<Target>> = Vec::with_capacity(input.items.len());
        let mut seen = HashSet::new();
        for (i, item) in input.items.iter().enumerate() {
            let table = tables[item.action.table_name()].clone();
            let def = table.def();
            let skey = match &item.action {
                TransactWriteAction::Put { item: it, .. } => {
                    rules::put_target(&def, it, PutOrder::Transact).map(|t| t.skey)
                }
                TransactWriteAction::Update { key, update, .. } => {
                    rules::key_target(&def, key, Some(update)).map_err(rules::transaction_refusal)
                }
                TransactWriteAction::Delete { key, .. }
                | TransactWriteAction::ConditionCheck { key, .. } => {
                    rules::key_target(&def, key, None).map_err(rules::transaction_refusal)
                }
            };
            let skey = match skey {
                Err(Refusal::Request(e)) => return Err(e),
                Err(Refusal::Action(e)) => Err(e),
                Ok(skey) => Ok(skey),
            };
            match skey {
                Ok(skey) => {
                    if !seen.insert((def.id, skey.clone())) {
                        return Err(Invalid::TransactionItemRepeated.into());
                    }
                    targets.push(Some(Target { table, skey }));
                }
                Err(e) => {
                    // The first action a rule refuses cancels the transaction alone: no other
                    // action's rules or condition are reported.
                    if reasons.iter().all(|r| r.code == "None") {
                        reasons[i] = CancellationReason::from_error(e);
                    }
                    targets.push(None);
                }
            }
        }
        if reasons.iter().any(|r| r.code != "None") {
            return Err(EngineError::TransactionCanceled { reasons });
        }
        let mut names: Vec<&String> = tables.keys().collect();
        names.sort();
        let guards: HashMap<&str, TableWriteGuard<'_>> = names
            .iter()
            .map(|n| Ok((n.as_str(), self.lock_table(&tables[*n])?)))
            .collect::<Result<_>>()?;
        let mut changes = Vec::with_capacity(input.items.len());
        for (i, (item, target)) in input.items.iter().zip(&targets).enumerate() {
            let Some(target) = target else {
                changes.push(None);
                continue;
            };
            let old = self.read_item(&target.skey)?;
            if let Err(e) = rules::check_condition(
                item.condition.as_ref(),
                old.as_ref(),
                item.return_old_on_failure,
            ) {
                reasons[i] = CancellationReason::from_error(e);
                changes.push(None);
                continue;
            }
            let new = match &item.action {
                TransactWriteAction::Put { item, .. } => Some(item.clone()),
                TransactWriteAction::Delete { .. } => None,
                TransactWriteAction::ConditionCheck { .. } => {
                    changes.push(None);
                    continue;
                }
                TransactWriteAction::Update { key, update, .. } => {
                    let def = target.table.def();
                    match rules::updated_item(&def, key, old.as_ref(), Some(update)) {
                        Ok(updated) if updated.creates_nothing => None,
                        Ok(updated) => Some(updated.new),
                        Err(e) => {
                            reasons[i] = CancellationReason::from_error(e);
                            changes.push(None);
                            continue;
                        }
                    }
                }
            };
            changes.push(Some((old, new)));
        }
        if reasons.iter().any(|r| r.code != "None") {
            return Err(EngineError::TransactionCanceled { reasons });
        }
        let mut batch = WriteBatch::new();
        let mut staged = Vec::new();
        let mut consumed: Vec<(String, Consumed)> = Vec::new();
        for ((item, target), change) in input.items.iter().zip(&targets).zip(changes) {
            let Some(target) = target else { continue };
            let (old_size, new_size) = match &change {
                Some((old, new)) => (
                    old.as_ref().map_or(0, item_size),
                    new.as_ref().map_or(0, item_size),
                ),
                None => (0, 0),
            };
            // Transactional writes cost twice a standard write.
            let mut units = Consumed::write(old_size.max(new_size));
            units.write *= 2.0;
            let name = item.action.table_name();
            if let Some((old, new)) = change
                && let Some(s) = self.stage_change(
                    &guards[name],
                    &mut batch,
                    target.skey.clone(),
                    old.as_ref(),
                    new.as_ref(),
                    Cause::Request,
                )?
            {
                let mut index_units = Consumed::default();
                s.bill_indexes(&target.table.def(), &mut index_units);
                for mut i in index_units.indexes {
                    i.write *= 2.0;
                    units.add_index(i);
                }
                staged.push((target.table.clone(), s));
            }
            match consumed.iter_mut().find(|(t, _)| t == name) {
                Some((_, c)) => *c += units,
                None => consumed.push((name.to_owned(), units)),
            }
        }
        let ticket = if batch.is_empty() {
            Ticket::default()
        } else {
            self.storage().apply(batch)?
        };
        for (table, s) in &staged {
            account(table, s);
        }
        drop(guards);
        self.durable(ticket)?;
        if let Some(claim) = claim {
            // The transaction committed: a failure to remember its token only means a retry
            // with the token meets TransactionInProgressException until the token expires.
            if let Err(e) = claim.complete(self.clock().now_ms(), consumed.clone()) {
                tracing::warn!(error = %e, "a transaction's ClientRequestToken was not kept");
            }
        }
        Ok(consumed)
    }

    /// TransactGetItems: every item read from one snapshot. Returns the items in request
    /// order (None for a missing item) and the capacity per table.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for the same item twice;
    /// TransactionCanceledException for a malformed key.
    pub fn transact_get_items(
        &self,
        gets: Vec<TransactGetItem>,
    ) -> Result<(Vec<Option<Item>>, PerTable)> {
        let mut skeys = Vec::with_capacity(gets.len());
        let mut reasons = vec![CancellationReason::none(); gets.len()];
        let mut seen = HashSet::new();
        for (i, get) in gets.iter().enumerate() {
            let def = self.table(&get.table_name)?.def();
            let skey =
                match rules::key_target(&def, &get.key, None).map_err(rules::transaction_refusal) {
                    Err(Refusal::Request(e)) => return Err(e),
                    Err(Refusal::Action(e)) => Err(e),
                    Ok(k) => Ok(k),
                };
            match skey {
                Ok(k) => {
                    if !seen.insert(k.clone()) {
                        return Err(Invalid::TransactionItemRepeated.into());
                    }
                    skeys.push(k);
                }
                Err(e) => {
                    reasons[i] = CancellationReason::from_error(e);
                    skeys.push(Vec::new());
                }
            }
        }
        if reasons.iter().any(|r| r.code != "None") {
            return Err(EngineError::TransactionCanceled { reasons });
        }
        let snap = self.storage().snapshot();
        let mut items = Vec::with_capacity(gets.len());
        let mut consumed: Vec<(String, Consumed)> = Vec::new();
        for (get, skey) in gets.iter().zip(&skeys) {
            let item = match snap.get(skey)? {
                Some(bytes) => {
                    Some(decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?)
                }
                None => None,
            };
            // Transactional reads cost twice a strongly consistent read.
            let mut units = Consumed::read(item.as_ref().map_or(0, item_size), true);
            units.read *= 2.0;
            match consumed.iter_mut().find(|(t, _)| *t == get.table_name) {
                Some((_, c)) => *c += units,
                None => consumed.push((get.table_name.clone(), units)),
            }
            items.push(item.map(|i| match &get.projection {
                Some(paths) => project(&i, paths),
                None => i,
            }));
        }
        Ok((items, consumed))
    }
}
