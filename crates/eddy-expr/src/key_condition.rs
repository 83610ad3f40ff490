//! KeyConditionExpression (and legacy KeyConditions): the partition-key value and the optional
//! sort-key condition of a Query.

use std::cmp::Ordering;

use eddy_types::AttributeValue;

use crate::ast::Comparator;
use crate::condition::{Cond, Operand, compare_values};
use crate::condition_expression::resolve_condition;
use crate::error::{ExprError, ExprParam};
use crate::placeholders::Placeholders;

/// A Query's key condition: equality on every partition-key attribute, equality on leading
/// sort-key attributes, and at most one condition on the sort-key attribute after them. A key of
/// one partition and one sort attribute has no sort prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    /// The partition-key values, in key-schema order.
    pub hash_values: Vec<AttributeValue>,
    /// Equalities on the first sort-key attributes, in key-schema order.
    pub sort_prefix: Vec<AttributeValue>,
    /// The condition on the sort-key attribute after `sort_prefix`, if any.
    pub range: Option<RangeCondition>,
}

/// The key attributes a key condition is checked against: one partition-key and at most one
/// sort-key attribute for a table or a local index, up to four of each for a global index.
#[derive(Clone, Copy, Debug)]
pub struct KeyNames<'a> {
    /// The partition-key attributes, in key-schema order.
    pub hash: &'a [&'a str],
    /// The sort-key attributes, in key-schema order.
    pub range: &'a [&'a str],
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
    key: KeyNames<'_>,
) -> Result<KeyCondition, ExprError> {
    let root = resolve_condition(text, ExprParam::KeyConditionExpression, ph)?;
    let mut conditions = Vec::new();
    collect(&root, &mut conditions)?;
    build_key_condition(
        conditions
            .into_iter()
            .map(|(name, range)| (name, Some(range)))
            .collect(),
        key,
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
    key: KeyNames<'_>,
) -> Result<KeyCondition, ExprError> {
    match (key.hash, key.range) {
        ([hash], [] | [_]) => single_attribute(conditions, hash, key.range.first().copied()),
        _ => multi_attribute(conditions, key),
    }
}

/// A key of one partition-key attribute and at most one sort-key attribute.
fn single_attribute(
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
    Ok(KeyCondition {
        hash_values: vec![hash_value],
        sort_prefix: Vec::new(),
        range,
    })
}

/// A multi-attribute key of a global index: every partition-key attribute with `=`, then the
/// sort-key attributes left to right, equality on all but the last one conditioned.
fn multi_attribute(
    conditions: Vec<(String, Option<RangeCondition>)>,
    key: KeyNames<'_>,
) -> Result<KeyCondition, ExprError> {
    if conditions.is_empty() {
        return Err(ExprError::ConditionsLength);
    }
    let find = |name: &str| conditions.iter().find(|(n, _)| n == name).map(|(_, c)| c);
    let mut hash_values = Vec::with_capacity(key.hash.len());
    for name in key.hash {
        match find(name) {
            None => return Err(ExprError::MissedKeySchemaElement((*name).to_owned())),
            Some(None) => return Err(ExprError::NotIndexable),
            Some(Some(RangeCondition::Eq(v))) => hash_values.push(v.clone()),
            Some(Some(_)) => return Err(ExprError::KeyConditionNotSupported),
        }
    }
    let sort: Vec<Option<&Option<RangeCondition>>> =
        key.range.iter().map(|name| find(name)).collect();
    if let Some((name, _)) = conditions
        .iter()
        .find(|(n, _)| !key.hash.contains(&n.as_str()) && !key.range.contains(&n.as_str()))
    {
        // A condition on an attribute outside the key: DynamoDB names the key attribute it
        // expected in its place.
        let missing = key
            .range
            .iter()
            .zip(&sort)
            .find(|(_, c)| c.is_none())
            .map_or(name.as_str(), |(n, _)| n);
        return Err(ExprError::MissedKeySchemaElement(missing.to_owned()));
    }
    let last = sort.iter().rposition(Option::is_some);
    let mut sort_prefix = Vec::new();
    let mut range = None;
    if let Some(last) = last {
        for (i, c) in sort.iter().enumerate().take(last + 1) {
            match c {
                Some(None) => return Err(ExprError::NotIndexable),
                Some(Some(RangeCondition::Eq(v))) if i < last => sort_prefix.push(v.clone()),
                Some(Some(r)) if i == last => range = Some(r.clone()),
                _ => {
                    return Err(ExprError::SortKeyGap {
                        earlier: key.range.get(i).copied().unwrap_or_default().to_owned(),
                        later: key.range.get(last).copied().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
    }
    Ok(KeyCondition {
        hash_values,
        sort_prefix,
        range,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::test_support::{n, s};

    fn key(text: &str, hash: &str, range: Option<&str>) -> Result<KeyCondition, ExprError> {
        let values: HashMap<String, AttributeValue> = [
            (":a", s("a")),
            (":b", s("b")),
            (":n", n("1")),
            (":n2", n("2")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let names = HashMap::from([("#pk".to_owned(), "pk".to_owned())]);
        let mut ph = Placeholders::new(Some(&names), Some(&values));
        let range: Vec<&str> = range.into_iter().collect();
        parse_key_condition(
            text,
            &mut ph,
            KeyNames {
                hash: &[hash],
                range: &range,
            },
        )
    }

    fn err(text: &str) -> String {
        key(text, "a", Some("b")).expect_err(text).to_string()
    }

    #[test]
    fn accepts_hash_and_range_conditions() {
        let k = key("#pk = :a", "pk", None).expect("valid");
        assert_eq!(
            k,
            KeyCondition {
                hash_values: vec![s("a")],
                sort_prefix: Vec::new(),
                range: None
            }
        );
        let k = key("a = :a AND b > :b", "a", Some("b")).expect("valid");
        assert_eq!(k.range, Some(RangeCondition::Gt(s("b"))));
        let k = key(":b <= b AND :a = a", "a", Some("b")).expect("valid");
        assert_eq!(k.hash_values, vec![s("a")]);
        assert_eq!(k.range, Some(RangeCondition::Ge(s("b"))));
        let k = key("(a = :a) AND (b BETWEEN :n AND :n2)", "a", Some("b")).expect("valid");
        assert_eq!(k.range, Some(RangeCondition::Between(n("1"), n("2"))));
        let k = key("begins_with(b, :b) AND a = :a", "a", Some("b")).expect("valid");
        assert_eq!(k.range, Some(RangeCondition::BeginsWith(s("b"))));
        let k = key("a = :a", "a", Some("b")).expect("valid");
        assert_eq!(k.range, None);
    }

    #[test]
    fn invalid_operators() {
        for (text, op) in [
            ("a > b and size(b) > c or a > c", "OR"),
            ("a in (b, size(c), d)", "IN"),
            ("attribute_exists(a)", "attribute_exists"),
            ("attribute_not_exists(a)", "attribute_not_exists"),
            ("contains(a.d, b)", "contains"),
            ("not a > b", "NOT"),
            ("a <> b", "<>"),
        ] {
            assert_eq!(
                err(text),
                format!("Invalid operator used in KeyConditionExpression: {op}"),
                "{text}"
            );
        }
    }

    #[test]
    fn structural_errors() {
        for (text, message) in [
            (
                ":a between size(b) and size(a) and b > :b",
                "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand",
            ),
            (
                "begins_with(:a, b) and a > :b",
                "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand",
            ),
            (
                "size(b) > a AND a.b > b AND b > c",
                "KeyConditionExpressions cannot contain nested operations",
            ),
            (
                "a > size(b.d)",
                "KeyConditionExpressions cannot contain nested operations",
            ),
            (
                "a between size(b) and size(a)",
                "KeyConditionExpressions cannot contain nested operations",
            ),
            (
                "b > a.b",
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            ),
            (
                "b between c[1] and d",
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            ),
            (
                "begins_with(a, b)",
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            ),
            (
                "b.d > a AND c.d > e.f",
                "KeyConditionExpressions cannot have conditions on nested attributes",
            ),
            (
                "b[0] > a",
                "KeyConditionExpressions cannot have conditions on nested attributes",
            ),
            (
                ":b > :a AND a < :b",
                "Invalid condition in KeyConditionExpression: No key attribute specified",
            ),
            (
                "b > :a AND b < :a and c = :a and d = :a",
                "KeyConditionExpressions must only contain one condition per key",
            ),
            (
                "(a > :a and b > :a) and (b > :a and c > :a)",
                "KeyConditionExpressions must only contain one condition per key",
            ),
            (
                ":a = a and b = :a and :a = c",
                "Conditions can be of length 1 or 2 only",
            ),
            (
                "a = :a and c = :b",
                "Query condition missed key schema element: b",
            ),
            ("z = :a", "Query condition missed key schema element: a"),
            (
                "z between :n and :n2",
                "Query condition missed key schema element: a",
            ),
            ("a > :a", "Query key condition not supported"),
            ("begins_with(a, :a)", "Query key condition not supported"),
        ] {
            assert_eq!(err(text), message, "{text}");
        }
        for text in ["a = :a AND b = :a", "y = :a and z = :a"] {
            assert_eq!(
                key(text, "a", None).expect_err(text).to_string(),
                "Query key condition not supported",
                "{text}"
            );
        }
        // Expression problems come first, with the KeyConditionExpression prefix.
        assert_eq!(
            err("a BETWEEN :n2 AND :n"),
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"
        );
        assert_eq!(
            err("a > 4"),
            "Invalid KeyConditionExpression: Syntax error; token: \"4\", near: \"> 4\""
        );
    }

    #[test]
    fn multi_attribute_keys_read_left_to_right() {
        let values: HashMap<String, AttributeValue> =
            [(":a", s("a")), (":n", n("1")), (":n2", n("2"))]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
        let parse = |text: &str| {
            let mut ph = Placeholders::new(None, Some(&values));
            let key = KeyNames {
                hash: &["h1", "h2"],
                range: &["s1", "s2", "s3"],
            };
            parse_key_condition(text, &mut ph, key)
        };
        let k = parse("s1 = :n AND h2 = :n AND h1 = :a AND s2 > :n2").expect("valid");
        assert_eq!(k.hash_values, vec![s("a"), n("1")]);
        assert_eq!(k.sort_prefix, vec![n("1")]);
        assert_eq!(k.range, Some(RangeCondition::Gt(n("2"))));
        let k = parse("h1 = :a AND h2 = :n").expect("partition only");
        assert!(k.sort_prefix.is_empty() && k.range.is_none());
        for (text, message) in [
            (
                "h1 = :a AND s1 = :n",
                "Query condition missed key schema element: h2",
            ),
            ("h1 = :a AND h2 > :n", "Query key condition not supported"),
            (
                "h1 = :a AND h2 = :n AND s3 = :n",
                "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s3",
            ),
            (
                "h1 = :a AND h2 = :n AND s1 < :n AND s2 = :n",
                "RANGE key attributes s1 must have equality conditions specified in the query because a condition is present on key attribute s2",
            ),
        ] {
            assert_eq!(parse(text).expect_err(text).to_string(), message, "{text}");
        }
    }

    #[test]
    fn range_matching() {
        let cases = [
            (RangeCondition::Eq(n("1")), n("1.0"), true),
            (RangeCondition::Lt(n("2")), n("1"), true),
            (RangeCondition::Le(n("1")), n("1"), true),
            (RangeCondition::Gt(s("a")), s("b"), true),
            (RangeCondition::Ge(s("b")), s("a"), false),
            (RangeCondition::Between(n("1"), n("3")), n("3"), true),
            (RangeCondition::Between(n("1"), n("3")), n("4"), false),
            (RangeCondition::BeginsWith(s("ab")), s("abc"), true),
            (RangeCondition::BeginsWith(s("ab")), s("a"), false),
            (
                RangeCondition::BeginsWith(AttributeValue::B(vec![1])),
                AttributeValue::B(vec![1, 2]),
                true,
            ),
            (RangeCondition::Eq(n("1")), s("1"), false),
        ];
        for (cond, v, expected) in cases {
            assert_eq!(cond.matches(&v), expected, "{cond:?} {v:?}");
        }
        assert_eq!(RangeCondition::Between(n("1"), n("3")).values().len(), 2);
    }
}
