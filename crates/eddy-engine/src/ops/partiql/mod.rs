//! PartiQL statements as engine operations. `eddy-partiql` parses, validates and binds a
//! statement and answers what it means for a key schema; this module chooses the item
//! operation that runs it, so a PartiQL write is an ordinary engine write (conditions,
//! indexes and stream records included):
//!
//! - SELECT by the whole table key is a GetItem, with the rest of the WHERE clause as a filter;
//!   with the partition key pinned it is a Query; otherwise a filtered Scan ([`read`]).
//! - INSERT is a PutItem that fails on an existing key (DuplicateItemException); UPDATE an
//!   UpdateItem of an item that must exist; DELETE a DeleteItem; EXISTS a transaction's
//!   condition check ([`write`]).
//! - A batch reads single items by key; a transaction runs every read through
//!   TransactGetItems, or every write through TransactWriteItems ([`transaction`]).

pub(crate) mod read;
pub(crate) mod transaction;
pub(crate) mod write;

use eddy_expr::{Condition, Path};
use eddy_partiql::{BoundStatement, PartiqlError, Select, SingleRead, check_key};
use eddy_types::{AttrType, Item};

use crate::model::error::Result;
use crate::model::indexes::IndexKey;
use crate::model::invalid::Invalid;
use crate::ops::partiql::write::Write;
use crate::state::engine::Engine;

/// A bound statement by what it does.
#[derive(Debug)]
pub enum Statement {
    /// A SELECT.
    Read(Select),
    /// An INSERT, UPDATE or DELETE.
    Write(Write),
    /// An `EXISTS(SELECT ...)` condition check (ExecuteTransaction only).
    Exists(Select),
}

impl From<BoundStatement> for Statement {
    fn from(b: BoundStatement) -> Self {
        match b {
            BoundStatement::Select(s) => Statement::Read(s),
            BoundStatement::Exists(s) => Statement::Exists(s),
            BoundStatement::Insert(i) => Statement::Write(Write::Insert(i)),
            BoundStatement::Update(u) => Statement::Write(Write::Update(u)),
            BoundStatement::Delete(d) => Statement::Write(Write::Delete(d)),
        }
    }
}

impl Statement {
    /// The table the statement names.
    pub fn table(&self) -> &str {
        match self {
            Statement::Read(s) | Statement::Exists(s) => &s.table,
            Statement::Write(w) => w.table(),
        }
    }
}

/// The key attributes of a table or index, in the form PartiQL's key questions take them.
pub(crate) struct Keys {
    /// The partition-key attributes (one, but for a global index's multi-attribute key).
    hash: Vec<String>,
    /// The sort-key attributes (at most one, but for a global index's multi-attribute key).
    range: Vec<String>,
    types: Vec<(String, AttrType)>,
}

impl Keys {
    pub(crate) fn of(schema: &IndexKey) -> Self {
        let types = schema
            .attributes()
            .map(|k| (k.name.clone(), k.ty.attr_type()))
            .collect();
        let names = |attrs: &[crate::model::schema::KeyAttribute]| {
            attrs.iter().map(|a| a.name.clone()).collect()
        };
        Keys {
            hash: names(&schema.hash),
            range: names(&schema.range),
            types,
        }
    }

    /// The key schema of `table` itself.
    pub(crate) fn of_table(engine: &Engine, table: &str) -> Result<Self> {
        Ok(Keys::of(&engine.key_schema(table, None)?.0))
    }

    /// The key attributes of `item`.
    pub(crate) fn key_of(&self, item: &Item) -> Item {
        self.types
            .iter()
            .filter_map(|(n, _)| item.get(n).map(|v| (n.clone(), v.clone())))
            .collect()
    }

    /// The (first) partition-key attribute.
    pub(crate) fn hash(&self) -> &str {
        self.hash.first().map_or("", String::as_str)
    }

    /// The (first) sort-key attribute.
    pub(crate) fn range(&self) -> Option<&str> {
        self.range.first().map(String::as_str)
    }

    /// Every key attribute's name, partition key first, for a key condition.
    pub(crate) fn names(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.hash.iter().map(String::as_str).collect(),
            self.range.iter().map(String::as_str).collect(),
        )
    }

    /// Checks that `item` holds every key attribute with the schema's type, with PartiQL's
    /// messages.
    pub(crate) fn check(&self, item: &Item) -> std::result::Result<(), PartiqlError> {
        let schema: Vec<(&str, AttrType)> =
            self.types.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        check_key(item, &schema)
    }

    /// The item exists (`attribute_exists` of the partition key).
    pub(crate) fn item_exists(&self) -> Condition {
        Condition::attribute_exists(Path::attr(self.hash()))
    }

    /// No item has the key (`attribute_not_exists` of the partition key).
    pub(crate) fn item_missing(&self) -> Condition {
        Condition::attribute_not_exists(Path::attr(self.hash()))
    }
}

impl Engine {
    /// The key of the one item a batch's SELECT reads: the table's key (an index named in
    /// FROM changes nothing), pinned by the WHERE clause with values of the key's types.
    ///
    /// # Errors
    /// ResourceNotFoundException; ValidationException for a WHERE clause that does not pin the
    /// whole key, or pins it with values of other types.
    pub fn partiql_batch_read_key(&self, select: &Select) -> Result<Item> {
        let keys = Keys::of_table(self, &select.table)?;
        let key = select.single_item_key(SingleRead::Batch, keys.hash(), keys.range())?;
        keys.check(&key)?;
        Ok(key)
    }
}

/// DynamoDB's refusal of an EXISTS outside ExecuteTransaction.
pub(crate) fn exists_outside_transaction() -> crate::model::error::EngineError {
    Invalid::ExistsOutsideTransaction.into()
}
