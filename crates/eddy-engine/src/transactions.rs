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
use parking_lot::Mutex;

use crate::capacity::Consumed;
use crate::catalog::{Table, TableWriteGuard};
use crate::engine::Engine;
use crate::error::{CancellationReason, EngineError, Result};
use crate::invalid::Invalid;
use crate::write_path::{Cause, account};
use crate::write_rules::{self, PutOrder, Refusal};

/// How long a ClientRequestToken is remembered.
const TOKEN_LIFETIME_MS: u64 = 10 * 60 * 1000;

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

/// Remembered ClientRequestTokens: digest of the request and when it ran.
#[derive(Debug, Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, TokenEntry>>);

/// A remembered transaction: its request digest, when it started or completed (ms), and what
/// it consumed (None while it runs).
type TokenEntry = (u64, u64, Option<Vec<(String, Consumed)>>);

impl Tokens {
    /// Claims `token` for a transaction about to run, or answers from the one that used it.
    fn claim(&self, token: &str, digest: u64, now_ms: u64) -> Result<Claimed<'_>> {
        let mut tokens = self.0.lock();
        tokens.retain(|_, (_, at, _)| at.saturating_add(TOKEN_LIFETIME_MS) > now_ms);
        match tokens.get(token) {
            Some((known, _, _)) if *known != digest => {
                Err(EngineError::IdempotentParameterMismatch(
                    "The request uses the same client token as a previous, but non-identical request.".into(),
                ))
            }
            Some((_, _, Some(consumed))) => Ok(Claimed::Before(consumed.clone())),
            Some((_, _, None)) => Err(EngineError::TransactionInProgress),
            None => {
                tokens.insert(token.to_owned(), (digest, now_ms, None));
                Ok(Claimed::Now(TokenClaim {
                    tokens: self,
                    token: Some(token.to_owned()),
                }))
            }
        }
    }
}

/// What [`Tokens::claim`] found.
enum Claimed<'a> {
    /// An identical request with the token completed: what it consumed.
    Before(Vec<(String, Consumed)>),
    /// The token is this transaction's now.
    Now(TokenClaim<'a>),
}

/// A ClientRequestToken claimed by a running transaction: a second request with it meanwhile
/// gets TransactionInProgressException rather than running the transaction again. Dropped
/// without [`TokenClaim::complete`] (the transaction failed), it releases the token.
struct TokenClaim<'a> {
    tokens: &'a Tokens,
    /// None once completed.
    token: Option<String>,
}

impl TokenClaim<'_> {
    /// Remembers the outcome for retries; the token is valid for its lifetime from `now_ms`.
    fn complete(mut self, now_ms: u64, consumed: Vec<(String, Consumed)>) {
        if let Some(token) = self.token.take()
            && let Some(entry) = self.tokens.0.lock().get_mut(&token)
        {
            entry.1 = now_ms;
            entry.2 = Some(consumed);
        }
    }
}

impl Drop for TokenClaim<'_> {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            self.tokens.0.lock().remove(token);
        }
    }
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
        let now = self.clock().now_ms();
        let claim = match &input.client_request_token {
            Some(token) => match self.tokens().claim(token, input.request_digest, now)? {
                Claimed::Before(consumed) => return Ok(consumed),
                Claimed::Now(claim) => Some(claim),
            },
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
                    match write_rules::put_target(&def, it, PutOrder::Transact) {
                        Ok(target) => Ok(target.skey),
                        Err(Refusal::Request(e)) => return Err(e),
                        Err(Refusal::Action(e)) => Err(e),
                    }
                }
                TransactWriteAction::Update { key, update, .. } => {
                    write_rules::key_target(&def, key, Some(update))
                }
                TransactWriteAction::Delete { key, .. }
                | TransactWriteAction::ConditionCheck { key, .. } => {
                    write_rules::key_target(&def, key, None)
                }
            };
            match skey {
                Ok(skey) => {
                    if !seen.insert((def.id, skey.clone())) {
                        return Err(Invalid::TransactionItemRepeated.into());
                    }
                    targets.push(Some(Target { table, skey }));
                }
                Err(e) => {
                    reasons[i] = CancellationReason::from_error(e);
                    targets.push(None);
                }
            }
        }
        let mut names: Vec<&String> = tables.keys().collect();
        names.sort();
        let guards: HashMap<&str, TableWriteGuard<'_>> = names
            .iter()
            .map(|n| (n.as_str(), tables[*n].lock_writes()))
            .collect();
        let mut changes = Vec::with_capacity(input.items.len());
        for (i, (item, target)) in input.items.iter().zip(&targets).enumerate() {
            let Some(target) = target else {
                changes.push(None);
                continue;
            };
            let old = self.read_item(&target.skey)?;
            if let Err(e) = write_rules::check_condition(
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
                    match write_rules::updated_item(&def, key, old.as_ref(), Some(update)) {
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
            match consumed.iter_mut().find(|(t, _)| t == name) {
                Some((_, c)) => *c += units,
                None => consumed.push((name.to_owned(), units)),
            }
            if let Some((old, new)) = change
                && let Some(s) = self.stage_change(
                    &guards[name],
                    &mut batch,
                    target.skey.clone(),
                    old.as_ref(),
                    new.as_ref(),
                    Cause::Request,
                )
            {
                staged.push((target.table.clone(), s));
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
            claim.complete(self.clock().now_ms(), consumed.clone());
        }
        Ok(consumed)
    }

    /// TransactGetItems: every item read from one snapshot. Returns the items in request
    /// order (None for a missing item) and the capacity per table.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for the same item twice;
    /// TransactionCanceledException for a malformed key.
    #[allow(clippy::type_complexity)]
    pub fn transact_get_items(
        &self,
        gets: Vec<TransactGetItem>,
    ) -> Result<(Vec<Option<Item>>, Vec<(String, Consumed)>)> {
        let mut skeys = Vec::with_capacity(gets.len());
        let mut reasons = vec![CancellationReason::none(); gets.len()];
        let mut seen = HashSet::new();
        for (i, get) in gets.iter().enumerate() {
            let def = self.table(&get.table_name)?.def();
            match write_rules::key_target(&def, &get.key, None) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_token_is_in_progress_until_completed_or_released() {
        let tokens = Tokens::default();
        let Ok(Claimed::Now(claim)) = tokens.claim("t", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        assert!(matches!(
            tokens.claim("t", 1, 1),
            Err(EngineError::TransactionInProgress)
        ));
        assert!(matches!(
            tokens.claim("t", 2, 1),
            Err(EngineError::IdempotentParameterMismatch(_))
        ));
        claim.complete(5, vec![("table".to_owned(), Consumed::default())]);
        assert!(matches!(tokens.claim("t", 1, 6), Ok(Claimed::Before(c)) if c.len() == 1));
        // Valid for its lifetime from completion, then a new request.
        assert!(matches!(
            tokens.claim("t", 1, 5 + TOKEN_LIFETIME_MS),
            Ok(Claimed::Now(_))
        ));

        let Ok(Claimed::Now(failed)) = tokens.claim("u", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        drop(failed);
        assert!(
            matches!(tokens.claim("u", 1, 1), Ok(Claimed::Now(_))),
            "a failed transaction releases its token"
        );
    }
}
