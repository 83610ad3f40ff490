//! ExecuteTransaction: up to 100 statements, all reads (single-item SELECTs, through
//! TransactGetItems) or all writes (INSERT, UPDATE, DELETE and EXISTS, through
//! TransactWriteItems), committed together or not at all.

use std::hash::{Hash, Hasher};

use eddy_engine::Engine;
use eddy_engine::partiql::{Statement, Write};
use eddy_partiql::Select;

use super::{Capacity, Out, return_consumed, return_old_on_failure, statement_members};
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::ReturnConsumed;
use crate::reply::Reply;

/// Most statements in one transaction.
const MAX_STATEMENTS: usize = 100;
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
        kinds.push(Statement::from(statement.bind(params)?));
    }
    if reads {
        read(engine, kinds, rc)
    } else {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        input.text().hash(&mut hasher);
        write(engine, kinds, &requests, token, hasher.finish(), rc)
    }
}

/// A read transaction: every SELECT reads one item by its whole key, from one snapshot.
fn read(engine: &Engine, kinds: Vec<Statement>, rc: ReturnConsumed) -> Result<Reply, ApiError> {
    let selects = kinds
        .into_iter()
        .map(|kind| match kind {
            Statement::Read(select) => Ok(select),
            _ => Err(ApiError::validation(MIXED)),
        })
        .collect::<Result<Vec<Select>, _>>()?;
    let (items, consumed) = engine.partiql_transact_reads(&selects)?;
    let mut o = Out::default();
    o.set_objects("Responses", &items, |r, item| {
        if let Some(item) = item {
            r.set_item("Item", item);
        }
    });
    Capacity(consumed).render(rc, &mut o, true);
    Ok(o.done())
}

/// A write transaction: the writes as one TransactWriteItems, recognised on retry by the
/// token and the request's digest.
fn write(
    engine: &Engine,
    kinds: Vec<Statement>,
    requests: &[Input<'_>],
    token: Option<&str>,
    digest: u64,
    rc: ReturnConsumed,
) -> Result<Reply, ApiError> {
    let mut writes = Vec::with_capacity(kinds.len());
    for (kind, request) in kinds.into_iter().zip(requests) {
        let write = match kind {
            Statement::Write(w) => w,
            Statement::Exists(select) => Write::Check(select),
            Statement::Read(_) => return Err(ApiError::validation(MIXED)),
        };
        writes.push((write, return_old_on_failure(request)?));
    }
    let consumed = engine.partiql_transact_writes(writes, token.map(str::to_owned), digest)?;
    let mut o = Out::default();
    o.set("Responses", [(); 0]);
    Capacity(consumed).render(rc, &mut o, true);
    Ok(o.done())
}
