//! ExecuteTransaction: up to 100 statements, all reads (single-item SELECTs, through
//! TransactGetItems) or all writes (INSERT, UPDATE, DELETE and EXISTS, through
//! TransactWriteItems), committed together or not at all.

use std::hash::{Hash, Hasher};

use eddy_engine::{CancellationReason, Engine, EngineError, TransactGetItem, TransactWriteInput};
use eddy_partiql::{PartiqlError, Select, SingleRead};
use eddy_types::item_size;

use super::write::{Action, DUPLICATE_ITEM, Plan, Write, plan};
use super::{Capacity, Keys, Kind, Out, return_consumed, return_old_on_failure, statement_members};
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::ReturnConsumed;
use crate::reply::Reply;

/// Most statements in one transaction.
const MAX_STATEMENTS: usize = 100;
/// Most item data one transaction writes.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// The transaction holds both SELECTs and writes.
const MIXED: &str =
    "ExecuteTransaction API does not support both read and write operations in the same request.";
/// An UPDATE or DELETE with RETURNING in a transaction.
const RETURNING: &str = "RETURNING clause is not supported in ExecuteTransaction.";

pub fn execute_transaction(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    let token = input.string("ClientRequestToken")?;
    if let Some(t) = token {
        let length = t.chars().count();
        if length == 0 {
            c.fail(
                Some(t),
                "clientRequestToken",
                "Member must have length greater than or equal to 1",
            );
        } else if length > 36 {
            c.fail(
                Some(t),
                "clientRequestToken",
                "Member must have length less than or equal to 36",
            );
        }
    }
    let requests = input.structures("TransactStatements")?;
    let count = requests.as_ref().map_or(0, Vec::len);
    match &requests {
        None => c.fail(None, "transactStatements", "Member must not be null"),
        Some(_) if count == 0 => c.fail(
            Some("[]"),
            "transactStatements",
            "Member must have length greater than or equal to 1",
        ),
        Some(_) if count > MAX_STATEMENTS => c.push(format!(
            "Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENTS}"
        )),
        Some(_) => {}
    }
    let requests = requests.unwrap_or_default();
    let mut members = Vec::with_capacity(requests.len());
    for (n, request) in requests.iter().enumerate() {
        let path = format!("transactStatements.{}.member.", n + 1);
        members.push(statement_members(request, &mut c, &path)?);
    }
    c.finish()?;

    let statements = members
        .iter()
        .map(|(text, _)| eddy_partiql::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let reads = statements.first().is_some_and(|s| s.is_read());
    if statements.iter().any(|s| s.is_read() != reads) {
        return Err(ApiError::validation(MIXED));
    }
    if statements.iter().any(|s| s.has_returning()) {
        return Err(ApiError::validation(RETURNING));
    }
    let mut kinds = Vec::with_capacity(statements.len());
    for (statement, (_, params)) in statements.iter().zip(&members) {
        kinds.push(Kind::from(statement.bind(params)?));
    }
    if reads {
        read(engine, kinds, rc)
    } else {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        input.text().hash(&mut hasher);
        let writes = TransactWrites {
            token: token.map(str::to_owned),
            digest: hasher.finish(),
        };
        writes.run(engine, kinds, &requests, rc)
    }
}

/// A read transaction: every SELECT reads one item by its whole key, from one snapshot.
fn read(engine: &Engine, kinds: Vec<Kind>, rc: ReturnConsumed) -> Result<Reply, ApiError> {
    let mut selects: Vec<Select> = Vec::with_capacity(kinds.len());
    let mut gets = Vec::with_capacity(kinds.len());
    let mut reasons = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let Kind::Read(select) = kind else {
            return Err(ApiError::validation(MIXED));
        };
        let keys = Keys::of_table(engine, &select.table)?;
        let key = select.single_item_key(SingleRead::Transaction, &keys.hash, keys.range())?;
        reasons.push(reason(keys.check(&key)));
        gets.push(TransactGetItem {
            table_name: select.table.clone(),
            key,
            projection: None,
        });
        selects.push(select);
    }
    cancel_on(reasons)?;
    let (items, consumed) = engine.transact_get_items(gets)?;
    let mut o = Out::default();
    o.set_objects(
        "Responses",
        items.iter().zip(&selects),
        |r, (item, select)| {
            if let Some(item) = item {
                r.set_item("Item", &select.project(item));
            }
        },
    );
    Capacity(consumed).render(rc, &mut o);
    Ok(o.done())
}

/// What a write transaction's retries are recognised by.
struct TransactWrites {
    token: Option<String>,
    digest: u64,
}

impl TransactWrites {
    /// Runs the writes as one TransactWriteItems.
    fn run(
        self,
        engine: &Engine,
        kinds: Vec<Kind>,
        requests: &[Input<'_>],
        rc: ReturnConsumed,
    ) -> Result<Reply, ApiError> {
        let mut items = Vec::with_capacity(kinds.len());
        let mut inserts = Vec::with_capacity(kinds.len());
        let mut reasons = Vec::with_capacity(kinds.len());
        let mut total = 0usize;
        for (kind, request) in kinds.into_iter().zip(requests) {
            let write = match kind {
                Kind::Write(w) => w,
                Kind::Exists(select) => Write::Check(select),
                Kind::Read(_) => return Err(ApiError::validation(MIXED)),
            };
            // A key the table's schema refuses cancels the transaction; any other problem
            // with the statement is the request's.
            match plan(engine, write)? {
                Plan::Ready(planned) => {
                    reasons.push(reason(Ok(())));
                    if let Action::Insert(item) = &planned.action {
                        total += item_size(item);
                    }
                    inserts.push(matches!(planned.action, Action::Insert(_)));
                    items.push(planned.transact_item(return_old_on_failure(request)?));
                }
                Plan::BadKey(e) => reasons.push(reason(Err(e))),
            }
        }
        cancel_on(reasons)?;
        if total > MAX_TRANSACTION_BYTES {
            return Err(ApiError::validation(
                "Transaction request size exceeded the maximum allowed size of 4 MB",
            ));
        }
        let consumed = engine
            .transact_write_items(TransactWriteInput {
                items,
                client_request_token: self.token,
                request_digest: self.digest,
            })
            .map_err(|e| match e {
                // An INSERT's condition is that the key is new: its failure is a duplicate.
                EngineError::TransactionCanceled { mut reasons } => {
                    for (r, insert) in reasons.iter_mut().zip(&inserts) {
                        if *insert && r.code == "ConditionalCheckFailed" {
                            *r = CancellationReason {
                                code: "DuplicateItem",
                                message: Some(DUPLICATE_ITEM.into()),
                                item: None,
                            };
                        }
                    }
                    EngineError::TransactionCanceled { reasons }
                }
                other => other,
            })?;
        let mut o = Out::default();
        o.set("Responses", [(); 0]);
        Capacity(consumed).render(rc, &mut o);
        Ok(o.done())
    }
}

/// The cancellation reason of one statement's key check.
fn reason(check: Result<(), PartiqlError>) -> CancellationReason {
    match check {
        Ok(()) => CancellationReason {
            code: "None",
            message: None,
            item: None,
        },
        Err(e) => CancellationReason {
            code: "ValidationError",
            message: Some(e.to_string()),
            item: None,
        },
    }
}

/// Cancels the transaction when any statement has a reason to.
fn cancel_on(reasons: Vec<CancellationReason>) -> Result<(), ApiError> {
    if reasons.iter().any(|r| r.code != "None") {
        return Err(EngineError::TransactionCanceled { reasons }.into());
    }
    Ok(())
}
