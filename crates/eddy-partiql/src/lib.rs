//! DynamoDB's PartiQL dialect, for ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction: tokenizer, recursive-descent parser, DynamoDB's translation rules and
//! messages, and parameter binding, ending in a [`BoundStatement`] the engine executes.
//!
//! A statement goes through the phases DynamoDB's front end has: the text is checked (1 to
//! 8192 characters) and tokenized; PartiQL's grammar builds a parse tree (syntax errors are
//! `Statement wasn't well formed, can't be processed: <detail>`); DynamoDB's rules turn it into
//! a statement AST (literals become attribute values, WHERE clauses conditions, SET values
//! update actions), reporting DynamoDB's validation messages; [`Statement::bind`] replaces
//! each `?` with the request's `Parameters`.
//!
//! The bound statement answers the executor's questions given the key schema it knows: the
//! single item an UPDATE or DELETE targets ([`Update::target`]), a SELECT's Query key
//! condition ([`Where::key_condition`]), the filter, and the update. Conditions and updates
//! come out as eddy-expr's [`eddy_expr::Condition`] and [`eddy_expr::Update`] (DynamoDB
//! lowers PartiQL onto its condition and update trees the same way), so evaluation reuses
//! every rule of the expression language.
//!
//! ```
//! use eddy_partiql::{BoundStatement, parse};
//! use eddy_types::{AttributeValue, Item, Number};
//!
//! let statement = parse(r#"UPDATE "Music" SET plays = plays + ? WHERE artist = ? AND song = 'x'"#)?;
//! assert_eq!(statement.table(), "Music");
//! let one = AttributeValue::N(Number::from_i64(1));
//! let BoundStatement::Update(update) = statement.bind(&[one, "Acme".into()])? else {
//!     unreachable!()
//! };
//! let target = update.target("artist", Some("song"))?;
//! assert_eq!(target.key["artist"], AttributeValue::from("Acme"));
//! assert!(target.condition.is_none());
//!
//! let mut item: Item = target.key.clone();
//! item.insert("plays".into(), AttributeValue::N(Number::from_i64(41)));
//! update.update_expression()?.apply(&mut item)?;
//! assert_eq!(item["plays"], AttributeValue::N(Number::from_i64(42)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is pure: no async, no I/O, no tables. It knows key attribute names only when the
//! executor passes them. It depends on `eddy-types` and `eddy-expr` and must never depend on
//! the engine, storage or server crates.

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod ast;
mod bind;
mod error;
mod key;
mod keywords;
mod literal;
mod lower;
mod parser;
mod print;
#[cfg(test)]
mod print_properties;
mod select;
mod syntax;
mod tokenizer;
mod translate;

use eddy_types::AttributeValue;

pub use crate::{
    ast::{BoundStatement, Delete, Insert, OrderBy, ReturnValues, Select, Update, Where},
    error::{KeyError, PartiqlError, Position, SyntaxError, Unsupported},
    key::{SingleItem, check_key},
    select::{SingleRead, output_name},
};

/// Longest statement DynamoDB accepts, in UTF-16 code units (its length constraint counts as
/// Java strings do).
pub const MAX_STATEMENT_LENGTH: usize = 8192;

/// A parsed statement, before its parameters are bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    unbound: ast::Unbound,
    params: usize,
}

/// Parses and validates one PartiQL statement.
///
/// # Errors
/// [`PartiqlError::StatementLength`] for an empty or over-long text, [`PartiqlError::Syntax`]
/// for text PartiQL's grammar cannot read, and DynamoDB's validation errors for statements it
/// can read but DynamoDB refuses (aliases, unsupported clauses, malformed literals, ...).
pub fn parse(statement: &str) -> Result<Statement, PartiqlError> {
    let length = statement.encode_utf16().count();
    if length == 0 || length > MAX_STATEMENT_LENGTH {
        return Err(PartiqlError::StatementLength(length > 0));
    }
    let (parsed, params) = parser::parse(statement)?;
    let unbound = translate::translate(&parsed, statement)?;
    Ok(Statement { unbound, params })
}

impl Statement {
    /// The table the statement reads or writes.
    pub fn table(&self) -> &str {
        match &self.unbound {
            ast::Unbound::Select(s) | ast::Unbound::Exists(s) => &s.table,
            ast::Unbound::Insert { table, .. } => table,
            ast::Unbound::Update(u) => &u.table,
            ast::Unbound::Delete(d) => &d.table,
        }
    }

    /// True for a SELECT (a read); false for INSERT, UPDATE, DELETE and EXISTS, which
    /// ExecuteTransaction counts as writes.
    pub fn is_read(&self) -> bool {
        matches!(self.unbound, ast::Unbound::Select(_))
    }

    /// True for an UPDATE or DELETE with a RETURNING clause (which ExecuteTransaction
    /// refuses).
    pub fn has_returning(&self) -> bool {
        match &self.unbound {
            ast::Unbound::Update(u) => u.returning.is_some(),
            ast::Unbound::Delete(d) => d.returning.is_some(),
            _ => false,
        }
    }

    /// How many `?` parameters the statement holds.
    pub fn param_count(&self) -> usize {
        self.params
    }

    /// Binds the request's `Parameters`, in the order of the `?` in the text.
    ///
    /// Binding also runs DynamoDB's expression validator over the WHERE clause and the update
    /// (whose checks depend on the values), so the conditions and updates of a bound statement
    /// build without validation errors.
    ///
    /// # Errors
    /// [`PartiqlError::ParameterCount`] unless there is exactly one value per `?`; a `set_add`
    /// or `set_delete` parameter that is not a set; [`PartiqlError::Expression`] for a WHERE
    /// clause or update the validator refuses (`attribute_exists('a')`, `a < true`, `SET a =
    /// 1, a.b = 2`, ...).
    pub fn bind(&self, params: &[AttributeValue]) -> Result<BoundStatement, PartiqlError> {
        bind::bind(&self.unbound, self.params, params)
    }
}

#[cfg(test)]
mod tests;
