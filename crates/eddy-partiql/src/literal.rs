//! Literal → value conversion: `'text'` → S, numbers → N (exact, through [`Number::parse`]),
//! `true`/`false` → BOOL, `NULL` → NULL, `[..]` → L, `{..}` → M, `<<..>>` → SS or NS.
//!
//! Errors name the value's place inside the literal the way DynamoDB does: `root` for the
//! literal itself, `root.k` for a map field, `root[1]` for a list element.

use eddy_types::{AttributeValue, Number};

use crate::ast::Literal;
use crate::error::{PartiqlError, Position, Unsupported};
use crate::syntax::{Expr, ExprKind};
use crate::tokenizer::position;

/// The root of DynamoDB's descriptive path.
pub(crate) const ROOT: &str = "root";

/// Converts a literal (which may hold `?` parameters inside lists and maps).
pub(crate) fn literal(e: &Expr, path: &str, text: &str) -> Result<Literal, PartiqlError> {
    Ok(match &e.kind {
        ExprKind::Param(i) => Literal::Param(*i),
        ExprKind::List(items) => Literal::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| literal(item, &format!("{path}[{i}]"), text))
                .collect::<Result<_, _>>()?,
        ),
        ExprKind::Tuple(fields) => {
            let mut out: Vec<(String, Literal)> = Vec::with_capacity(fields.len());
            for (key, value) in fields {
                let key = tuple_key(key, path)?;
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(PartiqlError::unsupported(Unsupported::DuplicateTupleKey(
                        key,
                        path.to_owned(),
                    )));
                }
                let value = literal(value, &format!("{path}.{key}"), text)?;
                out.push((key, value));
            }
            Literal::Map(out)
        }
        ExprKind::Bag(items) => Literal::Value(set(items, path)?),
        ExprKind::Str(s) => Literal::Value(AttributeValue::S(s.clone())),
        ExprKind::Num(n) => Literal::Value(number(n, path)?),
        ExprKind::Bool(b) => Literal::Value(AttributeValue::Bool(*b)),
        ExprKind::Null => Literal::Value(AttributeValue::Null),
        ExprKind::Missing => return Err(PartiqlError::unsupported(Unsupported::MissingLiteral)),
        _ => {
            let (name, at) = identify(e, text);
            return Err(PartiqlError::unsupported_at(
                Unsupported::DataType(name, path.to_owned()),
                at,
            ));
        }
    })
}

/// How DynamoDB names a non-literal in messages, and the token it reports it at.
pub(crate) fn identify(e: &Expr, text: &str) -> (String, Position) {
    let name = match &e.kind {
        ExprKind::Call(name, _) => name.clone(),
        ExprKind::Path(root, steps) if steps.is_empty() => root.clone(),
        ExprKind::Path(..) => "PATH".to_owned(),
        ExprKind::Binary(op, ..) | ExprKind::Unary(op, _) => (*op).to_owned(),
        ExprKind::Between { .. } => "between".to_owned(),
        ExprKind::In { .. } => "in".to_owned(),
        ExprKind::Is { .. } => "IS".to_owned(),
        ExprKind::Param(_) => "PARAMETER".to_owned(),
        ExprKind::Tuple(_) => "STRUCT".to_owned(),
        ExprKind::List(_) => "LIST".to_owned(),
        ExprKind::Bag(_) => "BAG".to_owned(),
        ExprKind::Missing => "MISSING".to_owned(),
        ExprKind::Str(_) | ExprKind::Num(_) | ExprKind::Bool(_) | ExprKind::Null => {
            text.get(e.start..e.end).unwrap_or("").to_owned()
        }
    };
    let end = match &e.kind {
        ExprKind::Call(name, _) => e.start + name.len(),
        _ => e.end,
    };
    (name, position(text, e.start, end))
}

/// A tuple key: a non-empty string literal.
pub(crate) fn tuple_key(e: &Expr, path: &str) -> Result<String, PartiqlError> {
    let ty = match &e.kind {
        ExprKind::Str(s) if s.is_empty() => {
            return Err(PartiqlError::unsupported(Unsupported::EmptyPathComponent));
        }
        ExprKind::Str(s) => return Ok(s.clone()),
        ExprKind::Num(n) if n.contains(['e', 'E']) => "FLOAT",
        ExprKind::Num(n) if n.contains('.') => "DECIMAL",
        ExprKind::Num(_) => "INT",
        ExprKind::Bool(_) => "BOOL",
        ExprKind::Null => "NULL",
        ExprKind::Path(_, steps) if steps.is_empty() => "VariableReference",
        ExprKind::Path(..) => "Path",
        ExprKind::Param(_) => "Parameter",
        ExprKind::Tuple(_) => "Struct",
        ExprKind::List(_) | ExprKind::Bag(_) => "Seq",
        _ => "NAry",
    };
    Err(PartiqlError::unsupported(Unsupported::TupleKey(
        ty.to_owned(),
        path.to_owned(),
    )))
}

/// A number literal as DynamoDB stores it.
pub(crate) fn number(text: &str, path: &str) -> Result<AttributeValue, PartiqlError> {
    let n = Number::parse(text).map_err(|problem| PartiqlError::Number {
        problem,
        path: path.to_owned(),
    })?;
    // PartiQL reads `-0.0` as an Ion decimal negative zero, which DynamoDB refuses; `-0` is an
    // integer and `-0e0` a float, both plain zero.
    if n.is_zero() && text.starts_with('-') && text.contains('.') && !text.contains(['e', 'E']) {
        return Err(PartiqlError::unsupported(Unsupported::NegativeZero(
            path.to_owned(),
        )));
    }
    Ok(AttributeValue::N(n))
}

/// A set literal: all strings (SS) or all numbers (NS), at least one, no repeats.
fn set(items: &[Expr], path: &str) -> Result<AttributeValue, PartiqlError> {
    let bag_member = || PartiqlError::unsupported(Unsupported::BagMember);
    let first = items
        .first()
        .ok_or_else(|| PartiqlError::unsupported(Unsupported::EmptyBag))?;
    // Members as written, for the duplicates message.
    let written = || {
        items
            .iter()
            .map(|e| match &e.kind {
                ExprKind::Str(s) | ExprKind::Num(s) => s.as_str(),
                _ => "",
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let duplicates = || PartiqlError::unsupported(Unsupported::BagDuplicates(written()));
    match first.kind {
        ExprKind::Str(_) => {
            let mut out: Vec<String> = Vec::with_capacity(items.len());
            for e in items {
                let ExprKind::Str(s) = &e.kind else {
                    return Err(bag_member());
                };
                out.push(s.clone());
            }
            if has_duplicates(&out) {
                return Err(duplicates());
            }
            Ok(AttributeValue::Ss(out))
        }
        ExprKind::Num(_) => {
            let mut out: Vec<Number> = Vec::with_capacity(items.len());
            for e in items {
                let ExprKind::Num(n) = &e.kind else {
                    return Err(bag_member());
                };
                let AttributeValue::N(n) = number(n, path)? else {
                    return Err(bag_member());
                };
                out.push(n);
            }
            if has_duplicates(&out) {
                return Err(duplicates());
            }
            Ok(AttributeValue::Ns(out))
        }
        _ => Err(bag_member()),
    }
}

fn has_duplicates<T: Ord>(members: &[T]) -> bool {
    let mut sorted: Vec<&T> = members.iter().collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;
    use crate::syntax::Parsed;

    /// The literal of `INSERT INTO t VALUE <text>`'s single field `v`.
    fn convert(value: &str) -> Result<Literal, PartiqlError> {
        let text = format!("INSERT INTO t VALUE {{'v': {value}}}");
        let (Parsed::Insert { value, .. }, _) = parse(&text).expect("parses") else {
            panic!("an insert")
        };
        let ExprKind::Tuple(fields) = value.kind else {
            panic!("a tuple")
        };
        literal(&fields[0].1, ROOT, &text)
    }

    fn value(text: &str) -> AttributeValue {
        match convert(text).expect("converts") {
            Literal::Value(v) => v,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn n(s: &str) -> Number {
        Number::parse(s).expect("number")
    }

    #[test]
    fn every_type() {
        assert_eq!(value("'it''s'"), AttributeValue::S("it's".into()));
        assert_eq!(value("001.50"), AttributeValue::N(n("1.5")));
        assert_eq!(value("-15E-1"), AttributeValue::N(n("-1.5")));
        assert_eq!(value("-0"), AttributeValue::N(n("0")));
        assert_eq!(value("true"), AttributeValue::Bool(true));
        assert_eq!(value("FALSE"), AttributeValue::Bool(false));
        assert_eq!(value("null"), AttributeValue::Null);
        assert_eq!(
            value("<<'b', 'a'>>"),
            AttributeValue::Ss(vec!["b".into(), "a".into()])
        );
        assert_eq!(
            value("<<1, -2.5>>"),
            AttributeValue::Ns(vec![n("1"), n("-2.5")])
        );
        assert_eq!(
            convert("[1, ?, {'k': [?]}]").expect("converts"),
            Literal::List(vec![
                Literal::Value(AttributeValue::N(n("1"))),
                Literal::Param(0),
                Literal::Map(vec![("k".into(), Literal::List(vec![Literal::Param(1)]))]),
            ])
        );
        assert_eq!(convert("{}").expect("converts"), Literal::Map(vec![]));
        assert_eq!(convert("[]").expect("converts"), Literal::List(vec![]));
    }

    #[test]
    fn errors_name_the_place() {
        for (text, expected) in [
            (
                "1e126",
                "Number overflow. Attempting to store a number with magnitude larger than supported range under root",
            ),
            (
                "{'x': 1e-131}",
                "Number underflow. Attempting to store a number with magnitude smaller than supported range under root.x",
            ),
            (
                "[1, 123456789012345678901234567890123456789]",
                "Attempting to store more than 38 significant digits in a Number under root[1]",
            ),
            (
                "-0.0",
                "Negative zero decimal is not supported under key root",
            ),
            ("<<>>", "Empty bags are not supported"),
            (
                "<<1, 'a'>>",
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
            ),
            (
                "<<?>>",
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
            ),
            (
                "<<true>>",
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
            ),
            (
                "<<'x', 'x'>>",
                "One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
            ),
            (
                "<<1, 1.0>>",
                "One or more parameter values were invalid: Input collection [1, 1.0] contains duplicates.",
            ),
            (
                "{'a': 1, 'a': 2}",
                "Duplicate keys in tuple. Key: a under root",
            ),
            (
                "{1: 2}",
                "Tuple keys must be of type String. Actual type: INT under root",
            ),
            ("{'': 2}", "Path component cannot be an empty string"),
            ("MISSING", "MISSING must be compared using IS operator"),
            (
                "set_add(<<'a'>>, <<'b'>>)",
                "Unsupported data type: set_add under key root at 1:27:7",
            ),
            (
                "{'m': [a.b]}",
                "Unsupported data type: PATH under key root.m[0] at 1:34:3",
            ),
        ] {
            assert_eq!(
                convert(text).expect_err("refused").to_string(),
                expected,
                "{text}"
            );
        }
    }
}
