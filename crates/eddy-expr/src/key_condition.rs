//! KeyConditionExpression (and legacy KeyConditions): the partition-key value and the optional
//! sort-key condition of a Query.

use std::cmp::Ordering;

use eddy_types::AttributeValue;

use crate::ast::Comparator;
use crate::condition::{Cond, Operand, compare_values};
use crate::condition_expression::resolve_condition;
use crate::error::{ExprError, ExprParam};
use crate::placeholders::Placeholders;

/// A Query's key condition: equality on the partition key, and at most one condition on the
/// sort key.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    /// The partition-key value.
    pub hash_value: AttributeValue,
    /// The sort-key condition, if any.
    pub range: Option<RangeCondition>,
}

/// A condition on the sort key.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeCondition {
    /// `sk = :v`
    Eq(AttributeValue),
    /// `sk < :v`
    Lt(AttributeValue),
    /// `sk <= :v`
    Le(AttributeValue),
    /// `sk > :v`
    Gt(AttributeValue),
    /// `sk >= :v`
    Ge(AttributeValue),
    /// `sk BETWEEN :lo AND :hi` (inclusive).
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, :prefix)`.
    BeginsWith(AttributeValue),
}

impl RangeCondition {
    /// True when the sort-key value `v` satisfies the condition (S and B compare bytewise, N by
    /// value; a value of another type never matches).
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |x: &AttributeValue| compare_values(v, x);
        match self {
            RangeCondition::Eq(x) => cmp(x) == Some(Ordering::Equal),
            RangeCondition::Lt(x) => cmp(x) == Some(Ordering::Less),
            RangeCondition::Le(x) => matches!(cmp(x), Some(Ordering::Less | Ordering::Equal)),
            RangeCondition::Gt(x) => cmp(x) == Some(Ordering::Greater),
            RangeCondition::Ge(x) => matches!(cmp(x), Some(Ordering::Greater | Ordering::Equal)),
            RangeCondition::Between(lo, hi) => {
                matches!(cmp(lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(hi), Some(Ordering::Less | Ordering::Equal))
            }
            RangeCondition::BeginsWith(prefix) => match (v, prefix) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
                _ => false,
            },
        }
    }

    /// The values the condition compares with (for the engine's type check against the schema).
    pub fn values(&self) -> Vec<&AttributeValue> {
        match self {
            RangeCondition::Eq(x)
            | RangeCondition::Lt(x)
            | RangeCondition::Le(x)
            | RangeCondition::Gt(x)
            | RangeCondition::Ge(x)
            | RangeCondition::BeginsWith(x) => vec![x],
            RangeCondition::Between(lo, hi) => vec![lo, hi],
        }
    }
}

/// Parses a KeyConditionExpression against a key schema.
///
/// # Errors
///
/// Any `Invalid KeyConditionExpression: ...` problem of a condition, then the key-condition
/// rules: `Invalid operator used in KeyConditionExpression: OR`, `KeyConditionExpressions must
/// only contain one condition per key`, `Conditions can be of length 1 or 2 only`, `Query
/// condition missed key schema element: pk`, `Query key condition not supported`, ...
pub fn parse_key_condition(
    text: &str,
    ph: &mut Placeholders<'_>,
    hash_key: &str,
    range_key: Option<&str>,
) -> Result<KeyCondition, ExprError> {
    let root = resolve_condition(text, ExprParam::KeyConditionExpression, ph)?;
    let mut conditions = Vec::new();
    collect(&root, &mut conditions)?;
    build_key_condition(
        conditions
            .into_iter()
            .map(|(name, range)| (name, Some(range)))
            .collect(),
        hash_key,
        range_key,
    )
}

/// Splits a key condition into one condition per attribute, in the order DynamoDB checks them.
fn collect(c: &Cond, out: &mut Vec<(String, RangeCondition)>) -> Result<(), ExprError> {
    let bad_operator = |name: &str| Err(ExprError::InvalidKeyConditionOperator(name.to_owned()));
    let (op, args): (Option<Comparator>, Vec<&Operand>) = match c {
        Cond::And(members) => {
            for m in members {
                collect(m, out)?;
            }
            return Ok(());
        }
        Cond::Or(_) => return bad_operator("OR"),
        Cond::Not(_) => return bad_operator("NOT"),
        Cond::In(..) => return bad_operator("IN"),
        Cond::Compare(Comparator::Ne, ..) => return bad_operator("<>"),
        Cond::Exists(_) => return bad_operator("attribute_exists"),
        Cond::NotExists(_) => return bad_operator("attribute_not_exists"),
        Cond::AttributeType(..) => return bad_operator("attribute_type"),
        Cond::Contains(..) => return bad_operator("contains"),
        Cond::Compare(op, l, r) => (Some(*op), vec![l, r]),
        Cond::Between(s, lo, hi) => {
            if !matches!(s, Operand::Path(_)) {
                return Err(ExprError::KeyAttributeNotFirst("BETWEEN".to_owned()));
            }
            (None, vec![s, lo, hi])
        }
        Cond::BeginsWith(s, p) => {
            if !matches!(s, Operand::Path(_)) {
                return Err(ExprError::KeyAttributeNotFirst("begins_with".to_owned()));
            }
            (None, vec![s, p])
        }
    };
    let mut key: Option<(&str, usize)> = None;
    let mut values = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Operand::Path(path) => {
                if key.is_some() {
                    return Err(ExprError::MultipleKeyAttributes);
                }
                if path.is_nested() {
                    return Err(ExprError::NestedKeyAttribute);
                }
                key = Some((path.top(), i));
            }
            Operand::Size(_) => return Err(ExprError::KeyConditionNestedOperations),
            Operand::Value(v) => values.push(v.clone()),
        }
    }
    let Some((name, position)) = key else {
        return Err(ExprError::NoKeyAttribute);
    };
    if out.iter().any(|(n, _)| n == name) {
        return Err(ExprError::OneConditionPerKey);
    }
    let mut values = values.into_iter();
    let (first, second) = (values.next(), values.next());
    let range = match (c, op, first, second) {
        (_, Some(op), Some(v), None) => {
            // `:v < sk` is `sk > :v`.
            let op = if position == 0 { op } else { flip(op) };
            match op {
                Comparator::Lt => RangeCondition::Lt(v),
                Comparator::Le => RangeCondition::Le(v),
                Comparator::Gt => RangeCondition::Gt(v),
                Comparator::Ge => RangeCondition::Ge(v),
                Comparator::Eq | Comparator::Ne => RangeCondition::Eq(v),
            }
        }
        (Cond::Between(..), None, Some(lo), Some(hi)) => RangeCondition::Between(lo, hi),
        (Cond::BeginsWith(..), None, Some(p), None) => RangeCondition::BeginsWith(p),
        _ => return Err(ExprError::NoKeyAttribute),
    };
    out.push((name.to_owned(), range));
    Ok(())
}

fn flip(op: Comparator) -> Comparator {
    match op {
        Comparator::Lt => Comparator::Gt,
        Comparator::Le => Comparator::Ge,
        Comparator::Gt => Comparator::Lt,
        Comparator::Ge => Comparator::Le,
        other => other,
    }
}

/// Checks one condition per attribute against the key schema. `None` is a legacy operator that
/// cannot use the key order (`NE`, `IN`, `NULL`, ...).
pub(crate) fn build_key_condition(
    conditions: Vec<(String, Option<RangeCondition>)>,
    hash_key: &str,
    range_key: Option<&str>,
) -> Result<KeyCondition, ExprError> {
    if !(1..=2).contains(&conditions.len()) {
        return Err(ExprError::ConditionsLength);
    }
    if range_key.is_none() && conditions.len() > 1 {
        return Err(ExprError::KeyConditionNotSupported);
    }
    let find = |name: &str| conditions.iter().find(|(n, _)| n == name).map(|(_, c)| c);
    let hash_value = match find(hash_key) {
        None => return Err(ExprError::MissedKeySchemaElement(hash_key.to_owned())),
        Some(None) => return Err(ExprError::NotIndexable),
        Some(Some(RangeCondition::Eq(v))) => v.clone(),
        Some(Some(_)) => return Err(ExprError::KeyConditionNotSupported),
    };
    let range = match range_key {
        None => None,
        Some(range_key) => match find(range_key) {
            None if conditions.len() > 1 => {
                return Err(ExprError::MissedKeySchemaElement(range_key.to_owned()));
            }
            None => None,
            Some(None) => return Err(ExprError::NotIndexable),
            Some(Some(range)) => Some(range.clone()),
        },
    };
    Ok(KeyCondition { hash_value, range })
}
