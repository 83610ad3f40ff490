//! Resolved conditions and their evaluation against an item, with DynamoDB's semantics: a
//! missing attribute or a type mismatch makes a comparison false (and `<>` true), numbers
//! compare by value, strings and binaries by their bytes.

use std::borrow::Cow;
use std::cmp::Ordering;

use eddy_types::{AttrType, AttributeValue, Item, Number};

use crate::ast::Comparator;
use crate::path::Path;

/// A condition (ConditionExpression, FilterExpression, or the legacy Expected, QueryFilter and
/// ScanFilter parameters) with every placeholder resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) root: Cond,
}

/// One node of a resolved condition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cond {
    Compare(Comparator, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    AttributeType(Operand, AttrType),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    Not(Box<Cond>),
    /// True when every member is (so an empty list is true).
    And(Vec<Cond>),
    /// True when any member is.
    Or(Vec<Cond>),
}

/// A resolved operand.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Box<Operand>),
}

impl Condition {
    /// True when `item` satisfies the condition. A missing item is evaluated as an empty one.
    pub fn evaluate(&self, item: &Item) -> bool {
        self.root.eval(item)
    }

    /// `attribute_exists(path)`, built without text (a condition the caller writes itself,
    /// such as PartiQL's "the item exists").
    pub fn attribute_exists(path: Path) -> Condition {
        Condition {
            root: Cond::Exists(path),
        }
    }

    /// `attribute_not_exists(path)`, built without text.
    pub fn attribute_not_exists(path: Path) -> Condition {
        Condition {
            root: Cond::NotExists(path),
        }
    }

    /// The condition that holds when both `self` and `other` do: how a caller adds a check of
    /// its own (PartiQL's "the item must exist") to a condition the client wrote.
    pub fn and(self, other: Condition) -> Condition {
        Condition {
            root: Cond::And(vec![self.root, other.root]),
        }
    }

    /// Every document path the condition reads, in the order written.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.root.collect_paths(&mut out);
        out
    }
}

impl Cond {
    fn eval(&self, item: &Item) -> bool {
        match self {
            Cond::Compare(op, left, right) => {
                let (l, r) = (left.eval(item), right.eval(item));
                match op {
                    Comparator::Eq => matches!((l, r), (Some(l), Some(r)) if l == r),
                    Comparator::Ne => !matches!((l, r), (Some(l), Some(r)) if l == r),
                    Comparator::Lt => order(l, r) == Some(Ordering::Less),
                    Comparator::Le => matches!(order(l, r), Some(Ordering::Less | Ordering::Equal)),
                    Comparator::Gt => order(l, r) == Some(Ordering::Greater),
                    Comparator::Ge => {
                        matches!(order(l, r), Some(Ordering::Greater | Ordering::Equal))
                    }
                }
            }
            Cond::Between(subject, low, high) => {
                let v = subject.eval(item);
                let above_low = matches!(
                    order(v.clone(), low.eval(item)),
                    Some(Ordering::Greater | Ordering::Equal)
                );
                above_low
                    && matches!(
                        order(v, high.eval(item)),
                        Some(Ordering::Less | Ordering::Equal)
                    )
            }
            Cond::In(subject, candidates) => match subject.eval(item) {
                Some(v) => candidates
                    .iter()
                    .any(|c| c.eval(item).is_some_and(|c| c == v)),
                None => false,
            },
            Cond::Exists(path) => path.get(item).is_some(),
            Cond::NotExists(path) => path.get(item).is_none(),
            Cond::AttributeType(subject, ty) => {
                subject.eval(item).is_some_and(|v| v.attr_type() == *ty)
            }
            Cond::BeginsWith(subject, prefix) => match (subject.eval(item), prefix.eval(item)) {
                (Some(v), Some(p)) => match (v.as_ref(), p.as_ref()) {
                    (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                    (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
                    _ => false,
                },
                _ => false,
            },
            Cond::Contains(subject, needle) => match (subject.eval(item), needle.eval(item)) {
                (Some(v), Some(n)) => contains(&v, &n),
                _ => false,
            },
            Cond::Not(inner) => !inner.eval(item),
            Cond::And(members) => members.iter().all(|c| c.eval(item)),
            Cond::Or(members) => members.iter().any(|c| c.eval(item)),
        }
    }

    fn collect_paths<'c>(&'c self, out: &mut Vec<&'c Path>) {
        match self {
            Cond::Compare(_, a, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Cond::Between(a, b, c) => {
                a.collect_paths(out);
                b.collect_paths(out);
                c.collect_paths(out);
            }
            Cond::In(subject, candidates) => {
                subject.collect_paths(out);
                for c in candidates {
                    c.collect_paths(out);
                }
            }
            Cond::Exists(p) | Cond::NotExists(p) => out.push(p),
            Cond::AttributeType(subject, _) => subject.collect_paths(out),
            Cond::Not(inner) => inner.collect_paths(out),
            Cond::And(members) | Cond::Or(members) => {
                for c in members {
                    c.collect_paths(out);
                }
            }
        }
    }
}

impl Operand {
    fn eval<'i>(&'i self, item: &'i Item) -> Option<Cow<'i, AttributeValue>> {
        match self {
            Operand::Path(path) => path.get(item).map(Cow::Borrowed),
            Operand::Value(v) => Some(Cow::Borrowed(v)),
            Operand::Size(inner) => {
                let n = size(inner.eval(item)?.as_ref())?;
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                Some(Cow::Owned(AttributeValue::N(Number::from_i64(n))))
            }
        }
    }

    fn collect_paths<'c>(&'c self, out: &mut Vec<&'c Path>) {
        match self {
            Operand::Path(p) => out.push(p),
            Operand::Value(_) => {}
            Operand::Size(inner) => inner.collect_paths(out),
        }
    }
}

/// What `size()` returns: a string's length in UTF-16 code units (as DynamoDB counts it), a
/// binary's bytes, or the members of a set, list or map. Other types have no size.
fn size(value: &AttributeValue) -> Option<usize> {
    match value {
        AttributeValue::S(s) => Some(s.encode_utf16().count()),
        AttributeValue::B(b) => Some(b.len()),
        AttributeValue::Ss(v) => Some(v.len()),
        AttributeValue::Ns(v) => Some(v.len()),
        AttributeValue::Bs(v) => Some(v.len()),
        AttributeValue::L(v) => Some(v.len()),
        AttributeValue::M(m) => Some(m.len()),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => None,
    }
}

/// The order of two values of the same orderable type (S, N or B); `None` otherwise.
pub(crate) fn compare_values(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn order(
    a: Option<Cow<'_, AttributeValue>>,
    b: Option<Cow<'_, AttributeValue>>,
) -> Option<Ordering> {
    compare_values(a?.as_ref(), b?.as_ref())
}

/// `contains(a, b)`: a substring of a string, a subsequence of a binary, a member of a set, or
/// an element of a list.
pub(crate) fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    match (haystack, needle) {
        (AttributeValue::S(s), AttributeValue::S(sub)) => s.contains(sub.as_str()),
        (AttributeValue::B(b), AttributeValue::B(sub)) => {
            sub.is_empty() || b.windows(sub.len()).any(|w| w == sub.as_slice())
        }
        (AttributeValue::Ss(set), AttributeValue::S(x)) => set.contains(x),
        (AttributeValue::Ns(set), AttributeValue::N(x)) => set.contains(x),
        (AttributeValue::Bs(set), AttributeValue::B(x)) => set.contains(x),
        (AttributeValue::L(list), x) => list.contains(x),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).expect("number"))
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn path(name: &str) -> Operand {
        Operand::Path(Path::attr(name))
    }

    fn val(v: AttributeValue) -> Operand {
        Operand::Value(v)
    }

    fn item() -> Item {
        Item::from([
            ("n".to_owned(), n("5")),
            ("s".to_owned(), s("hello")),
            ("b".to_owned(), AttributeValue::B(vec![1, 2, 3])),
            ("flag".to_owned(), AttributeValue::Bool(true)),
            (
                "ss".to_owned(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            (
                "ns".to_owned(),
                AttributeValue::Ns(vec![Number::parse("1").expect("n")]),
            ),
            ("l".to_owned(), AttributeValue::L(vec![s("x"), n("2")])),
            (
                "m".to_owned(),
                AttributeValue::M(Item::from([("k".to_owned(), s("v"))])),
            ),
            ("u".to_owned(), s("é𝄞")),
        ])
    }

    fn eval(c: Cond) -> bool {
        Condition { root: c }.evaluate(&item())
    }

    fn cmp(op: Comparator, a: Operand, b: Operand) -> bool {
        eval(Cond::Compare(op, a, b))
    }

    #[test]
    fn comparisons_truth_table() {
        use Comparator::*;
        // (op, left, right, expected)
        let cases = [
            (Eq, path("n"), val(n("5.0")), true),
            (Eq, path("n"), val(s("5")), false),
            (Eq, path("missing"), val(n("5")), false),
            (Ne, path("missing"), val(n("5")), true),
            (Ne, path("n"), val(n("5")), false),
            (Ne, path("n"), val(s("5")), true),
            (Lt, path("n"), val(n("10")), true),
            (Lt, path("n"), val(s("10")), false),
            (Le, path("n"), val(n("5")), true),
            (Gt, path("s"), val(s("hell")), true),
            (Ge, path("b"), val(AttributeValue::B(vec![1, 2, 3])), true),
            (Gt, path("flag"), val(n("0")), false),
            (Lt, path("missing"), val(n("0")), false),
            (
                Eq,
                path("ss"),
                val(AttributeValue::Ss(vec!["b".into(), "a".into()])),
                true,
            ),
            (
                Eq,
                path("l"),
                val(AttributeValue::L(vec![s("x"), n("2")])),
                true,
            ),
            (Gt, path("s"), val(s("Z")), true),
        ];
        for (op, a, b, expected) in cases {
            let text = format!("{op:?} {a:?} {b:?}");
            assert_eq!(cmp(op, a, b), expected, "{text}");
        }
    }

    #[test]
    fn strings_compare_by_utf8_bytes() {
        // U+00BF is C2 BF in UTF-8, after 'z'; UTF-16 code unit order would agree here, but
        // U+FF5E (EF BD 9E) vs U+1F600 (F0 9F 98 80) differ: bytes put the emoji last.
        assert!(cmp(Comparator::Lt, val(s("\u{ff5e}")), val(s("\u{1f600}"))));
        assert!(cmp(Comparator::Gt, val(s("\u{bf}")), val(s("z"))));
    }

    #[test]
    fn between_in_and_logic() {
        assert!(eval(Cond::Between(path("n"), val(n("1")), val(n("5")))));
        assert!(!eval(Cond::Between(path("n"), val(n("6")), val(n("9")))));
        assert!(!eval(Cond::Between(path("n"), val(s("1")), val(s("9")))));
        assert!(!eval(Cond::Between(
            path("missing"),
            val(n("1")),
            val(n("9"))
        )));
        assert!(eval(Cond::In(
            path("s"),
            vec![val(s("x")), val(s("hello"))]
        )));
        assert!(!eval(Cond::In(path("missing"), vec![val(s("x"))])));
        assert!(!eval(Cond::In(path("n"), vec![path("missing")])));
        let t = || Cond::Exists(Path::attr("n"));
        let f = || Cond::Exists(Path::attr("missing"));
        assert!(eval(Cond::And(vec![t(), t()])));
        assert!(!eval(Cond::And(vec![t(), f()])));
        assert!(eval(Cond::Or(vec![f(), t()])));
        assert!(!eval(Cond::Or(vec![f(), f()])));
        assert!(eval(Cond::Not(Box::new(f()))));
        assert!(eval(Cond::And(vec![])));
        assert!(eval(Cond::NotExists(Path::attr("missing"))));
    }

    #[test]
    fn functions() {
        assert!(eval(Cond::AttributeType(path("ss"), AttrType::Ss)));
        assert!(!eval(Cond::AttributeType(path("ss"), AttrType::S)));
        assert!(!eval(Cond::AttributeType(path("missing"), AttrType::S)));
        assert!(eval(Cond::AttributeType(val(s("x")), AttrType::S)));
        assert!(eval(Cond::BeginsWith(path("s"), val(s("he")))));
        assert!(!eval(Cond::BeginsWith(path("s"), val(s("lo")))));
        assert!(eval(Cond::BeginsWith(
            path("b"),
            val(AttributeValue::B(vec![1, 2]))
        )));
        assert!(!eval(Cond::BeginsWith(path("n"), val(s("5")))));
        for (subject, needle, expected) in [
            ("s", s("ell"), true),
            ("s", s("xyz"), false),
            ("ss", s("a"), true),
            ("ss", s("c"), false),
            ("ns", n("1.0"), true),
            ("l", n("2"), true),
            ("l", s("2"), false),
            ("b", AttributeValue::B(vec![2, 3]), true),
            ("b", AttributeValue::B(vec![3, 2]), false),
            ("n", n("5"), false),
            ("missing", s("a"), false),
        ] {
            assert_eq!(
                eval(Cond::Contains(path(subject), val(needle.clone()))),
                expected,
                "{subject} {needle:?}"
            );
        }
    }

    #[test]
    fn size_counts_utf16_units_bytes_and_members() {
        let size_is = |name: &str, expected: &str| {
            eval(Cond::Compare(
                Comparator::Eq,
                Operand::Size(Box::new(path(name))),
                val(n(expected)),
            ))
        };
        assert!(size_is("s", "5"));
        assert!(size_is("u", "3"));
        assert!(size_is("b", "3"));
        assert!(size_is("ss", "2"));
        assert!(size_is("l", "2"));
        assert!(size_is("m", "1"));
        // No size for numbers, booleans or missing attributes: `=` is false and `<>` true.
        assert!(!size_is("n", "0"));
        assert!(!size_is("missing", "0"));
        assert!(eval(Cond::Compare(
            Comparator::Ne,
            Operand::Size(Box::new(path("n"))),
            val(n("0"))
        )));
    }

    #[test]
    fn paths_in_order() {
        let c = Condition {
            root: Cond::And(vec![
                Cond::Compare(
                    Comparator::Eq,
                    Operand::Size(Box::new(path("a"))),
                    path("b"),
                ),
                Cond::Exists(Path::attr("c")),
            ]),
        };
        let names: Vec<&str> = c.paths().into_iter().map(Path::top).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn and_needs_both() {
        let exists = |name: &str| Condition {
            root: Cond::Exists(Path::attr(name)),
        };
        assert!(exists("n").and(exists("s")).evaluate(&item()));
        assert!(!exists("n").and(exists("missing")).evaluate(&item()));
        assert!(!exists("missing").and(exists("n")).evaluate(&item()));
    }
}
