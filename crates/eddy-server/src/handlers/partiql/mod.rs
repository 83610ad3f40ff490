//! PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//!
//! `eddy-partiql` parses, validates and binds a statement and answers what it means for a key
//! schema; this module asks the engine for the key schemas and runs the statement with the
//! engine's item operations, so a PartiQL write is an ordinary engine write (conditions,
//! indexes and stream records included):
//!
//! - SELECT by the whole table key is a GetItem, with the rest of the WHERE clause as a filter;
//!   with the partition key pinned it is a Query ([`read`]); otherwise a filtered Scan. Pages
//!   continue through an opaque `NextToken` ([`token`]).
//! - INSERT is a PutItem that fails on an existing key (DuplicateItemException); UPDATE an
//!   UpdateItem of an item that must exist; DELETE a DeleteItem ([`write`]).
//! - BatchExecuteStatement runs up to 25 reads or 25 writes, each answering on its own
//!   ([`batch`]); ExecuteTransaction runs up to 100 writes through TransactWriteItems or reads
//!   through TransactGetItems ([`transaction`]).

mod batch;
mod read;
mod token;
mod transaction;
mod write;

use std::collections::HashMap;

use eddy_engine::{Consumed, Engine, KeySchema};
use eddy_expr::{Condition, ExprParam, Placeholders, parse_condition};
use eddy_partiql::{BoundStatement, MAX_STATEMENT_LENGTH, PartiqlError, Select, check_key};
use eddy_types::{AttrType, AttributeValue, Item};

pub use self::batch::batch_execute_statement;
pub use self::transaction::execute_transaction;
use self::write::Write;
use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::{ReturnConsumed, consumed};
use crate::reply::Reply;

/// DynamoDB's answer to an EXISTS outside ExecuteTransaction.
const EXISTS_OUTSIDE_TRANSACTION: &str =
    "EXISTS can only be used in ExecuteTransaction write requests.";

/// A bound statement by what it does.
enum Kind {
    /// A SELECT.
    Read(Select),
    /// An INSERT, UPDATE or DELETE.
    Write(Write),
    /// An `EXISTS(SELECT ...)` condition check.
    Exists(Select),
}

impl From<BoundStatement> for Kind {
    fn from(b: BoundStatement) -> Self {
        match b {
            BoundStatement::Select(s) => Kind::Read(s),
            BoundStatement::Exists(s) => Kind::Exists(s),
            BoundStatement::Insert(i) => Kind::Write(Write::Insert(i)),
            BoundStatement::Update(u) => Kind::Write(Write::Update(u)),
            BoundStatement::Delete(d) => Kind::Write(Write::Delete(d)),
        }
    }
}

/// The key attributes of a table or index, in the form PartiQL's key questions take them.
struct Keys {
    hash: String,
    range: Option<String>,
    types: Vec<(String, AttrType)>,
}

impl Keys {
    fn of(schema: &KeySchema) -> Self {
        let types = std::iter::once(&schema.hash)
            .chain(schema.range.as_ref())
            .map(|k| (k.name.clone(), k.ty.attr_type()))
            .collect();
        Keys {
            hash: schema.hash.name.clone(),
            range: schema.range.as_ref().map(|r| r.name.clone()),
            types,
        }
    }

    /// The key schema of `table` itself.
    fn of_table(engine: &Engine, table: &str) -> Result<Self, ApiError> {
        Ok(Keys::of(&engine.key_schema(table, None)?.0))
    }

    /// The key attributes of `item`.
    fn key_of(&self, item: &Item) -> Item {
        self.types
            .iter()
            .filter_map(|(n, _)| item.get(n).map(|v| (n.clone(), v.clone())))
            .collect()
    }

    fn range(&self) -> Option<&str> {
        self.range.as_deref()
    }

    /// Checks that `item` holds every key attribute with the schema's type, with PartiQL's
    /// messages.
    fn check(&self, item: &Item) -> Result<(), PartiqlError> {
        let schema: Vec<(&str, AttrType)> =
            self.types.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        check_key(item, &schema)
    }

    /// `attribute_exists(<hash key>)`: the item exists.
    fn item_exists(&self) -> Result<Condition, ApiError> {
        self.presence("attribute_exists")
    }

    /// `attribute_not_exists(<hash key>)`: no item has the key.
    fn item_missing(&self) -> Result<Condition, ApiError> {
        self.presence("attribute_not_exists")
    }

    fn presence(&self, function: &str) -> Result<Condition, ApiError> {
        let names = HashMap::from([("#k".to_owned(), self.hash.clone())]);
        let mut ph = Placeholders::new(Some(&names), None);
        Ok(parse_condition(
            &format!("{function}(#k)"),
            ExprParam::ConditionExpression,
            &mut ph,
        )?)
    }
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

    /// ConsumedCapacity as a list (BatchExecuteStatement, ExecuteTransaction), if asked for.
    fn render(&self, rc: ReturnConsumed, out: &mut Out) {
        out.set_consumed_list(rc, &self.0);
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
    match Kind::from(bound) {
        Kind::Read(select) => {
            let digest = token::digest(text, &params);
            let start = next_token
                .map(|t| token::start_key(t, digest))
                .transpose()?;
            let page = read::select(
                engine,
                &select,
                read::Paging {
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
                consumed(rc, &select.table, page.consumed),
            );
        }
        Kind::Write(write) => {
            let done = write::plan(engine, write)?
                .ready()?
                .execute(engine, return_old_on_failure(input)?)?;
            o.set_items("Items", &done.item);
            o.set_opt("ConsumedCapacity", consumed(rc, &done.table, done.consumed));
        }
        Kind::Exists(_) => return Err(ApiError::validation(EXISTS_OUTSIDE_TRANSACTION)),
    }
    Ok(o.done())
}
