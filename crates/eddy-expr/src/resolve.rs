//! Checks and helpers shared by the condition, update and projection resolvers: the size and
//! emptiness of the text, reserved words and index ranges, placeholder substitution in paths,
//! overlapping paths, and the type names DynamoDB prints.

use eddy_types::{AttrType, AttributeValue, MAX_NESTING_DEPTH};

use crate::ast::{DocPath, Step};
use crate::error::{ExprError, ExprParam, Problem};
use crate::path::{Path, PathElement};
use crate::placeholders::Placeholders;
use crate::reserved::is_reserved;

/// Largest expression, in bytes of raw text.
const MAX_EXPRESSION_BYTES: usize = 4096;

/// Most operators and functions in one expression.
pub(crate) const MAX_OPERATORS: usize = 300;

/// Wraps a problem in its parameter's `Invalid <Param>: ` prefix.
pub(crate) fn invalid(param: ExprParam, problem: Problem) -> ExprError {
    ExprError::Invalid { param, problem }
}

/// The checks on the raw text that come before parsing: not empty, at most 4096 bytes.
pub(crate) fn check_text(text: &str, param: ExprParam) -> Result<(), ExprError> {
    if text.is_empty() {
        return Err(invalid(param, Problem::Empty));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        // DynamoDB states the size only for filter and condition expressions.
        let size = matches!(
            param,
            ExprParam::FilterExpression | ExprParam::ConditionExpression
        )
        .then_some(text.len());
        return Err(invalid(param, Problem::TooLarge { size }));
    }
    Ok(())
}

/// The operator-count check, after parsing.
pub(crate) fn check_operator_count(count: usize) -> Result<(), Problem> {
    if count > MAX_OPERATORS {
        return Err(Problem::TooManyOperators(count));
    }
    Ok(())
}

/// The value of a list index as written, if it is within DynamoDB's range (a Java int).
fn index_value(digits: &str) -> Option<usize> {
    if digits.len() > 10 {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    if n > i32::MAX as u64 {
        return None;
    }
    usize::try_from(n).ok()
}

/// The first reserved word or out-of-range list index in a path as written.
pub(crate) fn path_word_problem(path: &DocPath<'_>) -> Option<Problem> {
    path.steps.iter().find_map(|step| match step {
        Step::Name(name) if is_reserved(name) => Some(Problem::ReservedKeyword((*name).to_owned())),
        Step::Index(digits) if index_value(digits).is_none() => {
            Some(Problem::ListIndexOutOfRange((*digits).to_owned()))
        }
        _ => None,
    })
}

/// Substitutes a path's `#names`. On failure returns the problem and a stand-in path (with the
/// placeholder itself as the name) so that checking can go on; callers report the problem
/// before anything the stand-in could cause.
pub(crate) fn resolve_path(
    doc: &DocPath<'_>,
    ph: &mut Placeholders<'_>,
) -> (Path, Option<Problem>) {
    let mut problem = None;
    let mut elements = Vec::with_capacity(doc.steps.len());
    for step in &doc.steps {
        elements.push(match step {
            Step::Name(name) => PathElement::Attr((*name).to_owned()),
            Step::NameRef(key) => match ph.name(key) {
                Some(name) => PathElement::Attr(name.to_owned()),
                None => {
                    problem.get_or_insert_with(|| Problem::UndefinedName((*key).to_owned()));
                    PathElement::Attr((*key).to_owned())
                }
            },
            // Out-of-range indexes are reported earlier, with the reserved words.
            Step::Index(digits) => PathElement::Index(index_value(digits).unwrap_or(usize::MAX)),
        });
    }
    if problem.is_none() && elements.len() > MAX_NESTING_DEPTH {
        problem = Some(Problem::PathTooDeep(elements.len()));
    }
    (Path(elements), problem)
}

/// The first clash among paths that must be disjoint (an update's targets, a projection):
/// an overlap (one path equal to or inside another) is reported before a conflict (one step
/// used as a map key by one path and a list index by the other). Messages name the earlier
/// path first.
pub(crate) fn check_overlaps(paths: &[&Path]) -> Option<Problem> {
    let mut conflict = None;
    for (i, later) in paths.iter().enumerate() {
        for earlier in paths.iter().take(i) {
            match relation(earlier, later) {
                Relation::Disjoint => {}
                Relation::Overlap => {
                    return Some(Problem::PathsOverlap {
                        one: earlier.to_string(),
                        two: later.to_string(),
                    });
                }
                Relation::Conflict => {
                    conflict.get_or_insert_with(|| Problem::PathsConflict {
                        one: earlier.to_string(),
                        two: later.to_string(),
                    });
                }
            }
        }
    }
    conflict
}

enum Relation {
    Disjoint,
    Overlap,
    Conflict,
}

fn relation(a: &Path, b: &Path) -> Relation {
    for (x, y) in a.0.iter().zip(&b.0) {
        match (x, y) {
            (PathElement::Attr(x), PathElement::Attr(y)) if x != y => return Relation::Disjoint,
            (PathElement::Index(x), PathElement::Index(y)) if x != y => return Relation::Disjoint,
            (PathElement::Attr(_), PathElement::Index(_))
            | (PathElement::Index(_), PathElement::Attr(_)) => return Relation::Conflict,
            _ => {}
        }
    }
    Relation::Overlap
}

/// The long type names ADD and DELETE messages use.
pub(crate) fn long_type_name(ty: AttrType) -> &'static str {
    match ty {
        AttrType::S => "STRING",
        AttrType::N => "NUMBER",
        AttrType::B => "BINARY",
        AttrType::Bool => "BOOLEAN",
        AttrType::Null => "NULL",
        AttrType::L => "LIST",
        AttrType::M => "MAP",
        AttrType::Ss => "STRING_SET",
        AttrType::Ns => "NUMBER_SET",
        AttrType::Bs => "BINARY_SET",
    }
}

/// A BETWEEN bound as DynamoDB prints it: `AttributeValue: {N:1}`. Binaries print as the Java
/// buffer DynamoDB holds them in; only S, N and B bounds reach this message.
pub(crate) fn bound_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => format!("AttributeValue: {{S:{s}}}"),
        AttributeValue::N(n) => format!("AttributeValue: {{N:{n}}}"),
        AttributeValue::B(b) => format!(
            "AttributeValue: {{B:java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]}}",
            b.len()
        ),
        other => format!("AttributeValue: {{{}}}", other.attr_type()),
    }
}

/// True for the types that have an order (S, N, B).
pub(crate) fn is_orderable(ty: AttrType) -> bool {
    matches!(ty, AttrType::S | AttrType::N | AttrType::B)
}

/// The first problem of each kind, reported by kind priority rather than position. DynamoDB
/// validates an expression in passes, each looking for one kind of problem, so a problem of
/// an earlier pass wins even when it comes later in the text.
pub(crate) struct FirstProblems<const N: usize> {
    slots: [Option<Problem>; N],
}

impl<const N: usize> FirstProblems<N> {
    pub(crate) fn new() -> Self {
        FirstProblems {
            slots: std::array::from_fn(|_| None),
        }
    }

    /// Records `problem` in `slot` unless the slot already has one.
    pub(crate) fn record(&mut self, slot: usize, problem: Problem) {
        if let Some(s) = self.slots.get_mut(slot) {
            s.get_or_insert(problem);
        }
    }

    /// True when any slot up to and including `slot` holds a problem.
    pub(crate) fn any_up_to(&self, slot: usize) -> bool {
        self.slots.iter().take(slot + 1).any(Option::is_some)
    }

    /// The problem of the lowest-numbered slot, if any.
    pub(crate) fn into_first(self) -> Option<Problem> {
        self.slots.into_iter().flatten().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(elements: &[PathElement]) -> Path {
        Path(elements.to_vec())
    }

    fn a(s: &str) -> PathElement {
        PathElement::Attr(s.to_owned())
    }

    #[test]
    fn text_limits() {
        let param = ExprParam::UpdateExpression;
        assert_eq!(
            check_text("", param).expect_err("empty").to_string(),
            "Invalid UpdateExpression: The expression can not be empty;"
        );
        assert!(check_text(&"a".repeat(4096), param).is_ok());
        assert_eq!(
            check_text(&"a".repeat(4097), param)
                .expect_err("large")
                .to_string(),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
        );
        assert_eq!(
            check_text(&"a".repeat(4097), ExprParam::FilterExpression)
                .expect_err("large")
                .to_string(),
            "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
        );
        assert_eq!(
            check_operator_count(301),
            Err(Problem::TooManyOperators(301))
        );
    }

    #[test]
    fn index_range() {
        assert_eq!(index_value("2147483647"), Some(2_147_483_647));
        assert_eq!(index_value("2147483648"), None);
        assert_eq!(index_value("99999999999"), None);
    }

    #[test]
    fn overlaps_and_conflicts() {
        let d1 = p(&[a("d"), PathElement::Index(1)]);
        let db = p(&[a("d"), a("b")]);
        let c1a = p(&[a("c"), PathElement::Index(1), a("a")]);
        let c = p(&[a("c")]);
        // The overlap wins over the earlier conflict.
        assert_eq!(
            check_overlaps(&[&d1, &db, &c1a, &c]),
            Some(Problem::PathsOverlap {
                one: "[c, [1], a]".into(),
                two: "[c]".into()
            })
        );
        let ac = p(&[a("a"), a("c")]);
        let a1 = p(&[a("a"), PathElement::Index(1)]);
        assert_eq!(
            check_overlaps(&[&ac, &a1]),
            Some(Problem::PathsConflict {
                one: "[a, c]".into(),
                two: "[a, [1]]".into()
            })
        );
        assert!(check_overlaps(&[&ac, &p(&[a("a"), a("d")]), &a1]).is_some());
        assert_eq!(check_overlaps(&[&ac, &p(&[a("a"), a("d")])]), None);
        assert_eq!(
            check_overlaps(&[&c, &c]),
            Some(Problem::PathsOverlap {
                one: "[c]".into(),
                two: "[c]".into()
            })
        );
    }

    #[test]
    fn bound_texts() {
        assert_eq!(
            bound_text(&AttributeValue::S("a".into())),
            "AttributeValue: {S:a}"
        );
        assert_eq!(
            bound_text(&AttributeValue::B(vec![1, 2])),
            "AttributeValue: {B:java.nio.HeapByteBuffer[pos=0 lim=2 cap=2]}"
        );
    }
}
