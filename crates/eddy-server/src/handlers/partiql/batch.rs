//! BatchExecuteStatement: up to 25 single-item reads, or up to 25 writes, each answering on
//! its own (an item, or an error with a code and message) as BatchGetItem and BatchWriteItem
//! do. The writes are not one transaction: each is an ordinary single-item write.

use eddy_engine::partiql::{Planned, Statement};
use eddy_engine::{Engine, GetItemInput};
use eddy_types::Item;

use super::{Capacity, Out, exists_outside_transaction, return_consumed};
use super::{return_old_on_failure, statement_members};
use crate::error::{ApiError, ErrorKind};
use crate::input::{Constraints, Input};
use crate::reply::Reply;

/// Most statements in one batch.
const MAX_STATEMENTS: usize = 25;
/// The batch holds both SELECTs and writes.
const MIXED: &str = "Read and write requests together in the same batch is not supported.";
/// Two statements of the batch address one item.
const DUPLICATES: &str = "Provided list of item keys contains duplicates";

/// One statement of the batch, ready to run or already answered.
enum Entry {
    /// A statement that cannot run, with its table when it names one.
    Failed(Option<String>, ApiError),
    /// A single-item SELECT.
    Read {
        select: eddy_partiql::Select,
        key: Item,
        consistent: bool,
    },
    /// An INSERT, UPDATE or DELETE.
    Write {
        planned: Planned,
        return_old_on_failure: bool,
    },
}

impl Entry {
    /// The table and key the statement addresses.
    fn target(&self) -> Option<(&str, &Item)> {
        match self {
            Entry::Failed(..) => None,
            Entry::Read { select, key, .. } => Some((&select.table, key)),
            Entry::Write { planned, .. } => Some((&planned.table, &planned.key)),
        }
    }
}

pub fn batch_execute_statement(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    let requests = input.structures("Statements")?;
    let count = requests.as_ref().map_or(0, Vec::len);
    match &requests {
        None => c.fail(None, "statements", "Member must not be null"),
        Some(_) if count == 0 => c.fail(
            Some("[]"),
            "statements",
            "Member must have length greater than or equal to 1",
        ),
        Some(_) if count > MAX_STATEMENTS => c.push(format!(
            "Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENTS}"
        )),
        Some(_) => {}
    }
    let requests = requests.unwrap_or_default();
    let mut members = Vec::with_capacity(requests.len());
    for (n, request) in requests.iter().enumerate() {
        let path = format!("statements.{}.member.", n + 1);
        members.push(statement_members(request, &mut c, &path)?);
    }
    c.finish()?;

    // Statements that do not parse or bind, and EXISTS (a transaction's condition check),
    // answer with their error; the rest must all read or all write.
    let bound: Vec<Result<Statement, (Option<String>, ApiError)>> = members
        .iter()
        .map(|(text, params)| {
            let statement = eddy_partiql::parse(text).map_err(|e| (None, e.into()))?;
            let table = || Some(statement.table().to_owned());
            match statement.bind(params) {
                Ok(b) => match Statement::from(b) {
                    Statement::Exists(_) => Err((table(), exists_outside_transaction())),
                    kind => Ok(kind),
                },
                Err(e) => Err((table(), e.into())),
            }
        })
        .collect();
    let mut reads = bound
        .iter()
        .flatten()
        .map(|k| matches!(k, Statement::Read(_)));
    if let Some(first) = reads.next()
        && reads.any(|r| r != first)
    {
        return Err(ApiError::validation(MIXED));
    }
    let mut entries = Vec::with_capacity(requests.len());
    for (request, kind) in requests.iter().zip(bound) {
        entries.push(match kind {
            Err((table, e)) => Entry::Failed(table, e),
            Ok(kind) => {
                let table = kind.table().to_owned();
                prepare(engine, request, kind).unwrap_or_else(|e| Entry::Failed(Some(table), e))
            }
        });
    }
    let targets: Vec<_> = entries.iter().filter_map(Entry::target).collect();
    if targets
        .iter()
        .enumerate()
        .any(|(i, t)| targets[..i].contains(t))
    {
        return Err(ApiError::validation(DUPLICATES));
    }

    let mut capacity = Capacity::default();
    let mut o = Out::default();
    o.set_objects("Responses", entries, |r, entry| {
        respond(engine, entry, &mut capacity, r);
    });
    capacity.render(rc, &mut o, false);
    Ok(o.done())
}

/// Resolves the item a bound statement addresses.
fn prepare(engine: &Engine, request: &Input<'_>, kind: Statement) -> Result<Entry, ApiError> {
    Ok(match kind {
        Statement::Read(select) => {
            let key = engine.partiql_batch_read_key(&select)?;
            Entry::Read {
                select,
                key,
                consistent: request.bool("ConsistentRead")?.unwrap_or(false),
            }
        }
        Statement::Write(write) => Entry::Write {
            planned: engine.partiql_plan(write)?.ready()?,
            return_old_on_failure: return_old_on_failure(request)?,
        },
        Statement::Exists(_) => return Err(exists_outside_transaction()),
    })
}

/// Runs one statement; its BatchStatementResponse.
fn respond(engine: &Engine, entry: Entry, capacity: &mut Capacity, o: &mut Out) {
    let result = match entry {
        Entry::Failed(table, e) => {
            o.set_opt("TableName", table);
            Err(e)
        }
        Entry::Read {
            select,
            key,
            consistent,
        } => {
            o.set("TableName", select.table.as_str());
            engine
                .get_item(GetItemInput {
                    table_name: select.table.clone(),
                    key,
                    projection: None,
                    consistent,
                })
                .map(|out| {
                    capacity.add(&select.table, out.consumed);
                    out.item.map(|i| select.project(&i))
                })
                .map_err(ApiError::from)
        }
        Entry::Write {
            planned,
            return_old_on_failure,
        } => {
            o.set("TableName", planned.table.as_str());
            planned
                .execute(engine, return_old_on_failure)
                .map(|done| {
                    capacity.add(&done.table, done.consumed);
                    done.item
                })
                .map_err(ApiError::from)
        }
    };
    match result {
        Ok(Some(item)) => o.set_item("Item", &item),
        Ok(None) => {}
        Err(e) => o.set_object("Error", |error| {
            error.set("Code", error_code(e.kind));
            error.set_opt("Message", e.message);
            if let Some(item) = &e.item {
                error.set_item("Item", item);
            }
        }),
    }
}

/// The BatchStatementError code of an error. Only the first group can come from one
/// statement; the rest are the request's (signing, throttling, size) or internal failures,
/// which BatchStatementError has no code for but InternalServerError.
fn error_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation | ErrorKind::Serialization => "ValidationError",
        ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorKind::ResourceNotFound => "ResourceNotFound",
        ErrorKind::DuplicateItem => "DuplicateItem",
        ErrorKind::AccessDenied => "AccessDenied",
        ErrorKind::LimitExceeded | ErrorKind::RequestLimitExceeded => "RequestLimitExceeded",
        ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorKind::Throttling => "ThrottlingError",
        ErrorKind::UnknownOperation
        | ErrorKind::MissingAuthenticationToken
        | ErrorKind::IncompleteSignature
        | ErrorKind::InvalidSignature
        | ErrorKind::UnrecognizedClient
        | ErrorKind::ResourceInUse
        | ErrorKind::ExpiredIterator
        | ErrorKind::TransactionCanceled
        | ErrorKind::IdempotentParameterMismatch
        | ErrorKind::TransactionInProgress
        | ErrorKind::TableNotFound
        | ErrorKind::BackupNotFound
        | ErrorKind::TableAlreadyExists
        | ErrorKind::PointInTimeRecoveryUnavailable
        | ErrorKind::InvalidRestoreTime
        | ErrorKind::PolicyNotFound
        | ErrorKind::GlobalTableNotFound
        | ErrorKind::ExportNotFound
        | ErrorKind::ImportNotFound
        | ErrorKind::TrimmedDataAccess
        | ErrorKind::RequestEntityTooLarge
        | ErrorKind::RequestTimeout
        | ErrorKind::InternalServerError => "InternalServerError",
    }
}
