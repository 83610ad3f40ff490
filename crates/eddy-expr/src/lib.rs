//! DynamoDB's expression language: ConditionExpression, FilterExpression,
//! KeyConditionExpression, UpdateExpression and ProjectionExpression, with DynamoDB's grammar,
//! validation order and exact error messages, plus the legacy parameters (Expected,
//! QueryFilter, ScanFilter, KeyConditions, AttributeUpdates, AttributesToGet) lowered onto the
//! same trees.
//!
//! Each expression goes through the same phases: the raw text is checked (empty, 4 KB), the
//! tokenizer and recursive-descent parser build a syntax tree (syntax errors carry DynamoDB's
//! `token`/`near` text), the tree is validated in DynamoDB's order while `#name` and `:value`
//! placeholders are resolved (recording which were used), and the result is a resolved tree
//! that evaluates conditions, applies updates or projects items. After all of a request's
//! expressions are parsed, [`Placeholders::check_all_used`] rejects unused placeholders.
//!
//! ```
//! use std::collections::HashMap;
//! use eddy_expr::{ExprParam, Placeholders, parse_condition, parse_update};
//! use eddy_types::{AttributeValue, Item, Number};
//!
//! let values = HashMap::from([(":one".to_owned(), AttributeValue::N(Number::from_i64(1)))]);
//! let mut ph = Placeholders::new(None, Some(&values));
//! let update = parse_update("SET hits = if_not_exists(hits, :one) + :one", &mut ph)?;
//! let cond = parse_condition("hits <= :one", ExprParam::ConditionExpression, &mut ph)?;
//! ph.check_all_used()?;
//!
//! let mut item = Item::new();
//! update.apply(&mut item)?;
//! assert_eq!(item["hits"], AttributeValue::N(Number::from_i64(2)));
//! assert!(!cond.evaluate(&item));
//! # Ok::<(), eddy_expr::ExprError>(())
//! ```
//!
//! This crate is pure: no async, no I/O, no storage, no tables. It knows attribute names, not
//! key schemas, except that a key condition is checked against the key attribute names it is
//! given. It depends only on `eddy-types` and must never depend on the engine, storage or
//! server crates.

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod ast;
#[cfg(test)]
mod ast_properties;
mod condition;
mod condition_expression;
mod error;
mod key_condition;
pub mod legacy;
mod parser;
mod path;
mod placeholders;
mod projection;
mod reserved;
mod resolve;
#[cfg(test)]
mod test_support;
mod tokenizer;
mod update;
mod update_expression;

pub use crate::{
    condition::Condition,
    condition_expression::parse_condition,
    error::{ExprError, ExprParam, Problem},
    key_condition::{KeyCondition, KeyNames, RangeCondition, parse_key_condition},
    path::{Path, PathElement},
    placeholders::Placeholders,
    projection::{parse_projection, project},
    update::Update,
    update_expression::parse_update,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{item, l, m, n, names, s, values};

    /// Random expressions built from the language's pieces never panic, whatever they parse
    /// to, and what parses also evaluates, applies and projects without panicking.
    #[test]
    fn random_expressions_never_panic() {
        const PIECES: [&str; 40] = [
            "a",
            "b",
            "#a",
            "#zz",
            ":s",
            ":n",
            ":l",
            ":zz",
            "(",
            ")",
            "[",
            "]",
            "0",
            "7",
            ".",
            ",",
            "=",
            "<>",
            "<",
            ">=",
            "+",
            "-",
            "AND",
            "OR",
            "NOT",
            "BETWEEN",
            "IN",
            "SET",
            "REMOVE",
            "ADD",
            "DELETE",
            "size",
            "contains",
            "if_not_exists",
            "list_append",
            "attribute_exists",
            "begins_with",
            "status",
            "é",
            " ",
        ];
        let (names, values) = (names(), values());
        let it = item(&[("a", l(vec![n("1"), m(&[("b", s("x"))])])), ("b", n("3"))]);
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize + 1;
            for i in 0..len {
                let pick = (seed.rotate_left(i as u32 * 5) % PIECES.len() as u64) as usize;
                text.push_str(PIECES[pick]);
                text.push(' ');
            }
            let mut ph = Placeholders::new(Some(&names), Some(&values));
            if let Ok(c) = parse_condition(&text, ExprParam::ConditionExpression, &mut ph) {
                c.evaluate(&it);
            }
            if let Ok(u) = parse_update(&text, &mut ph) {
                let mut copy = it.clone();
                let _ = u.apply(&mut copy);
            }
            if let Ok(p) = parse_projection(&text, &mut ph) {
                project(&it, &p);
            }
            let key = KeyNames {
                hash: &["a"],
                range: &["b"],
            };
            let _ = parse_key_condition(&text, &mut ph, key);
        }
    }
}
