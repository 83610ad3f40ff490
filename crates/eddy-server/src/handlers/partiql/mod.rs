//! PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//!
//! The server decodes the requests, parses and binds each statement with `eddy-partiql`, hands
//! it to the engine (`eddy_engine::partiql`), which chooses the item operation that runs it,
//! and writes the answers. A SELECT's pages continue through an opaque `NextToken`
//! ([`token`]); BatchExecuteStatement answers each statement on its own ([`batch`]);
//! ExecuteTransaction runs all reads or all writes together ([`transaction`]).

mod batch;
mod token;
mod transaction;

use eddy_engine::partiql::{Paging, Statement};
use eddy_engine::{Consumed, Engine, EngineError, Invalid};
use eddy_partiql::MAX_STATEMENT_LENGTH;
use eddy_types::AttributeValue;

pub use self::batch::batch_execute_statement;
pub use self::transaction::execute_transaction;
use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::{ReturnConsumed, consumed};
use crate::reply::Reply;

/// DynamoDB's answer to an EXISTS outside ExecuteTransaction.
fn exists_outside_transaction() -> ApiError {
    EngineError::from(Invalid::ExistsOutsideTransaction).into()
}

/// The members every statement request has, `Statement` and `Parameters`, checked against
/// their constraints; `path` prefixes the member names in messages (`statements.1.member.`).
fn statement_members<'a>(
    input: &Input<'a>,
    c: &mut Constraints,
    path: &str,
) -> Result<(&'a str, Vec<AttributeValue>), ApiError> {
    let text = input.string("Statement")?;
    match text {
        None => c.fail(None, &format!("{path}statement"), "Member must not be null"),
        Some(t) => {
            // The statement is never echoed back (the service treats it as sensitive); its
            // length counts UTF-16 units, as the service's Java strings do.
            let length = t.encode_utf16().count();
            let rule = if length == 0 {
                Some("greater than or equal to 1".to_owned())
            } else if length > MAX_STATEMENT_LENGTH {
                Some(format!("less than or equal to {MAX_STATEMENT_LENGTH}"))
            } else {
                None
            };
            if let Some(rule) = rule {
                c.push(format!(
                    "Value at '{path}statement' failed to satisfy constraint: Member must have length {rule}"
                ));
            }
        }
    }
    let mut params = Vec::new();
    if let Some(list) = input.list("Parameters")? {
        if list.is_empty() {
            c.fail(
                Some("[]"),
                &format!("{path}parameters"),
                "Member must have length greater than or equal to 1",
            );
        }
        for v in list {
            if !v.is_object() {
                return Err(ApiError::serialization("Unexpected value type in payload"));
            }
            params.push(v.value()??);
        }
    }
    c.one_of(
        input.string("ReturnValuesOnConditionCheckFailure")?,
        &format!("{path}returnValuesOnConditionCheckFailure"),
        &["ALL_OLD", "NONE"],
    );
    Ok((text.unwrap_or_default(), params))
}

/// Whether a statement request asks for the item on a failed condition.
fn return_old_on_failure(input: &Input<'_>) -> Result<bool, ApiError> {
    Ok(input.string("ReturnValuesOnConditionCheckFailure")? == Some("ALL_OLD"))
}

/// Capacity per table, in the order the tables were first used.
#[derive(Default)]
struct Capacity(Vec<(String, Consumed)>);

impl Capacity {
    fn add(&mut self, table: &str, units: Consumed) {
        match self.0.iter_mut().find(|(t, _)| t == table) {
            Some((_, c)) => *c += units,
            None => self.0.push((table.to_owned(), units)),
        }
    }

    /// ConsumedCapacity as a list (BatchExecuteStatement, ExecuteTransaction), if asked for;
    /// `split` adds read and write units, as transactions answer.
    fn render(&self, rc: ReturnConsumed, out: &mut Out, split: bool) {
        out.set_consumed_list(rc, &self.0, split);
    }
}

pub fn execute_statement(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    let (text, params) = statement_members(input, &mut c, "")?;
    let limit = input.int("Limit", "Integer")?;
    c.range(limit, "limit", 1, i64::MAX);
    let next_token = input.string("NextToken")?;
    if let Some(t) = next_token {
        token::check_length(t, &mut c);
    }
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    c.finish()?;
    let statement = eddy_partiql::parse(text)?;
    let bound = statement.bind(&params)?;
    let mut o = Out::default();
    match Statement::from(bound) {
        Statement::Read(select) => {
            let digest = token::digest(text, &params);
            let start = next_token
                .map(|t| token::start_key(t, digest))
                .transpose()?;
            let page = engine.partiql_select(
                &select,
                Paging {
                    consistent,
                    limit: limit.and_then(|l| usize::try_from(l).ok()),
                    start,
                },
            )?;
            o.set_items("Items", &page.items);
            if let Some(key) = &page.last_evaluated_key {
                o.set("NextToken", token::next_token(digest, key));
                o.set_item("LastEvaluatedKey", key);
            }
            o.set_opt(
                "ConsumedCapacity",
                consumed(rc, &select.table, &page.consumed),
            );
        }
        Statement::Write(write) => {
            let done = engine
                .partiql_plan(write)?
                .ready()?
                .execute(engine, return_old_on_failure(input)?)?;
            o.set_items("Items", &done.item);
            o.set_opt(
                "ConsumedCapacity",
                consumed(rc, &done.table, &done.consumed),
            );
        }
        Statement::Exists(_) => return Err(exists_outside_transaction()),
    }
    Ok(o.done())
}
