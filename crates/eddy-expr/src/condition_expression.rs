//! ConditionExpression and FilterExpression (and the first step of KeyConditionExpression):
//! parse, validate in DynamoDB's order, resolve placeholders.
//!
//! The order, after parsing (which reports syntax errors and redundant parentheses) and the
//! operator count:
//! 1. across the whole expression, in this priority: an unknown function (or an update
//!    function), a function used in the wrong place, a reserved word or out-of-range index;
//! 2. then condition by condition, in the order written, the first condition with a problem
//!    reports, in this priority: an undefined `#name` or `:value` (or a path deeper than 32),
//!    a wrong number of operands, identical operands, an operand of the wrong type.

use eddy_types::{AttrType, AttributeValue};

use crate::ast::{self, Call, Comparator, CondExpr, DocPath};
use crate::condition::{Cond, Condition, Operand, compare_values};
use crate::error::{ExprError, ExprParam, Problem};
use crate::parser;
use crate::path::Path;
use crate::placeholders::Placeholders;
use crate::resolve::{
    FirstProblems, bound_text, check_operator_count, check_text, invalid, is_orderable,
    path_word_problem, resolve_path,
};

/// Most candidates after IN.
const MAX_IN_OPERANDS: usize = 100;

/// Parses a ConditionExpression or FilterExpression (`param` says which, for messages).
///
/// # Errors
///
/// `Invalid <param>: ...` with DynamoDB's message for the first problem it would report.
pub fn parse_condition(
    text: &str,
    param: ExprParam,
    ph: &mut Placeholders<'_>,
) -> Result<Condition, ExprError> {
    Ok(Condition {
        root: resolve_condition(text, param, ph)?,
    })
}

/// Parses, validates and resolves a condition into its tree.
pub(crate) fn resolve_condition(
    text: &str,
    param: ExprParam,
    ph: &mut Placeholders<'_>,
) -> Result<Cond, ExprError> {
    check_text(text, param)?;
    let tree = parser::parse_condition(text).map_err(|p| invalid(param, p))?;
    check_operator_count(count_operators(&tree)).map_err(|p| invalid(param, p))?;
    let mut first = FirstProblems::<3>::new();
    scan_cond(&tree, &mut first);
    if let Some(problem) = first.into_first() {
        return Err(invalid(param, problem));
    }
    Resolver { ph }.cond(&tree).map_err(|p| invalid(param, p))
}

fn count_operators(c: &CondExpr<'_>) -> usize {
    fn operand(o: &ast::Operand<'_>) -> usize {
        match o {
            ast::Operand::Path(_) | ast::Operand::Value(_) => 0,
            ast::Operand::Paren(inner) => operand(inner),
            ast::Operand::Call(call) => 1 + call.args.iter().map(operand).sum::<usize>(),
        }
    }
    match c {
        CondExpr::Compare { left, right, .. } => 1 + operand(left) + operand(right),
        CondExpr::Between { subject, low, high } => {
            1 + operand(subject) + operand(low) + operand(high)
        }
        CondExpr::In {
            subject,
            candidates,
        } => 1 + operand(subject) + candidates.iter().map(operand).sum::<usize>(),
        CondExpr::Call(call) => 1 + call.args.iter().map(operand).sum::<usize>(),
        CondExpr::Not(inner) => 1 + count_operators(inner),
        CondExpr::Paren(inner) => count_operators(inner),
        CondExpr::And(l, r) | CondExpr::Or(l, r) => 1 + count_operators(l) + count_operators(r),
    }
}

// ---- pass 1: function names and places, reserved words ----

const UNKNOWN_FUNCTION: usize = 0;
const MISUSED_FUNCTION: usize = 1;
const RESERVED_WORD: usize = 2;

/// The condition functions: name and number of operands.
const CONDITION_FUNCTIONS: [(&str, usize); 5] = [
    ("attribute_exists", 1),
    ("attribute_not_exists", 1),
    ("attribute_type", 2),
    ("begins_with", 2),
    ("contains", 2),
];

fn scan_cond(c: &CondExpr<'_>, first: &mut FirstProblems<3>) {
    match c {
        CondExpr::Compare { left, right, .. } => {
            scan_operand(left, first);
            scan_operand(right, first);
        }
        CondExpr::Between { subject, low, high } => {
            for o in [subject, low, high] {
                scan_operand(o, first);
            }
        }
        CondExpr::In {
            subject,
            candidates,
        } => {
            scan_operand(subject, first);
            for o in candidates {
                scan_operand(o, first);
            }
        }
        CondExpr::Call(call) => scan_call(call, true, first),
        CondExpr::Not(inner) | CondExpr::Paren(inner) => scan_cond(inner, first),
        CondExpr::And(l, r) | CondExpr::Or(l, r) => {
            scan_cond(l, first);
            scan_cond(r, first);
        }
    }
}

fn scan_operand(o: &ast::Operand<'_>, first: &mut FirstProblems<3>) {
    match o {
        ast::Operand::Path(path) => scan_path(path, first),
        ast::Operand::Value(_) => {}
        ast::Operand::Paren(inner) => scan_operand(inner, first),
        ast::Operand::Call(call) => scan_call(call, false, first),
    }
}

fn scan_path(path: &DocPath<'_>, first: &mut FirstProblems<3>) {
    if let Some(problem) = path_word_problem(path) {
        first.record(RESERVED_WORD, problem);
    }
}

fn scan_call(call: &Call<'_>, as_condition: bool, first: &mut FirstProblems<3>) {
    let name = call.name;
    let is_condition_fn = CONDITION_FUNCTIONS.iter().any(|(f, _)| *f == name);
    if name == "if_not_exists" || name == "list_append" {
        first.record(
            UNKNOWN_FUNCTION,
            Problem::FunctionNotAllowedInCondition(name.to_owned()),
        );
    } else if !is_condition_fn && name != "size" {
        first.record(UNKNOWN_FUNCTION, Problem::InvalidFunction(name.to_owned()));
    } else if is_condition_fn != as_condition {
        first.record(MISUSED_FUNCTION, Problem::MisusedFunction(name.to_owned()));
    }
    for arg in &call.args {
        scan_operand(arg, first);
    }
}

// ---- pass 2: placeholders and operands, condition by condition ----

const UNDEFINED: usize = 0;
const OPERAND_COUNT: usize = 1;
const NOT_DISTINCT: usize = 2;
const OPERAND_TYPE: usize = 3;

type LeafProblems = FirstProblems<4>;

/// The type attribute_type's message gives for an operand whose type is only known at run time.
const ANY_TYPE: &str = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";

struct Resolver<'r, 'a> {
    ph: &'r mut Placeholders<'a>,
}

impl Resolver<'_, '_> {
    fn cond(&mut self, c: &CondExpr<'_>) -> Result<Cond, Problem> {
        match c {
            CondExpr::And(l, r) => {
                let mut members = Vec::new();
                for side in [l, r] {
                    match self.cond(side)? {
                        Cond::And(inner) => members.extend(inner),
                        other => members.push(other),
                    }
                }
                Ok(Cond::And(members))
            }
            CondExpr::Or(l, r) => {
                let mut members = Vec::new();
                for side in [l, r] {
                    match self.cond(side)? {
                        Cond::Or(inner) => members.extend(inner),
                        other => members.push(other),
                    }
                }
                Ok(Cond::Or(members))
            }
            CondExpr::Not(inner) => Ok(Cond::Not(Box::new(self.cond(inner)?))),
            CondExpr::Paren(inner) => self.cond(inner),
            CondExpr::Compare { op, left, right } => self.leaf(|r, problems| {
                let l = r.operand(left, problems);
                let rt = r.operand(right, problems);
                check_distinct(op.as_str(), &l, [&rt], problems);
                if !matches!(op, Comparator::Eq | Comparator::Ne) {
                    check_orderable(op.as_str(), [&l, &rt], problems);
                }
                Cond::Compare(*op, l, rt)
            }),
            CondExpr::Between { subject, low, high } => self.leaf(|r, problems| {
                let s = r.operand(subject, problems);
                let lo = r.operand(low, problems);
                let hi = r.operand(high, problems);
                check_distinct("BETWEEN", &s, [&lo, &hi], problems);
                check_orderable("BETWEEN", [&s, &lo, &hi], problems);
                if let (Operand::Value(a), Operand::Value(b)) = (&lo, &hi) {
                    check_bounds(a, b, problems);
                }
                Cond::Between(s, lo, hi)
            }),
            CondExpr::In {
                subject,
                candidates,
            } => self.leaf(|r, problems| {
                let s = r.operand(subject, problems);
                let list: Vec<Operand> =
                    candidates.iter().map(|o| r.operand(o, problems)).collect();
                if list.len() > MAX_IN_OPERANDS {
                    problems.record(OPERAND_COUNT, Problem::TooManyInOperands(list.len()));
                }
                check_distinct("IN", &s, list.iter(), problems);
                Cond::In(s, list)
            }),
            CondExpr::Call(call) => self.leaf(|r, problems| r.function(call, problems)),
        }
    }

    /// Resolves one condition with `build`, which records the condition's problems; the
    /// condition is only used when none were recorded.
    fn leaf(
        &mut self,
        build: impl FnOnce(&mut Self, &mut LeafProblems) -> Cond,
    ) -> Result<Cond, Problem> {
        let mut problems = LeafProblems::new();
        let resolved = build(self, &mut problems);
        match problems.into_first() {
            Some(problem) => Err(problem),
            None => Ok(resolved),
        }
    }

    /// A condition function.
    fn function(&mut self, call: &Call<'_>, problems: &mut LeafProblems) -> Cond {
        let name = call.name;
        let args: Vec<Operand> = call
            .args
            .iter()
            .map(|a| self.operand(a, problems))
            .collect();
        let expected = CONDITION_FUNCTIONS
            .iter()
            .find(|(f, _)| *f == name)
            .map_or(0, |&(_, n)| n);
        if args.len() != expected {
            problems.record(
                OPERAND_COUNT,
                Problem::OperandCount {
                    function: name.to_owned(),
                    count: args.len(),
                },
            );
            return Cond::And(Vec::new());
        }
        let mut args = args.into_iter();
        let (Some(first), second) = (args.next(), args.next()) else {
            return Cond::And(Vec::new());
        };
        if let Some(second) = &second {
            check_distinct(name, &first, [second], problems);
        }
        // The stand-in path is only used when the problem is reported.
        let path = match &first {
            Operand::Path(p) => p.clone(),
            _ => {
                // attribute_type also takes a value, as DynamoDB does.
                if matches!(name, "attribute_exists" | "attribute_not_exists") {
                    problems.record(OPERAND_TYPE, Problem::RequiresPath(name.to_owned()));
                }
                Path(Vec::new())
            }
        };
        match (name, second) {
            ("attribute_exists", None) => Cond::Exists(path),
            ("attribute_not_exists", None) => Cond::NotExists(path),
            ("attribute_type", Some(type_name)) => {
                Cond::AttributeType(first, attribute_type_name(&type_name, problems))
            }
            ("begins_with", Some(second)) => {
                for o in [&first, &second] {
                    if let Some(ty) =
                        static_type(o).filter(|t| !matches!(t, AttrType::S | AttrType::B))
                    {
                        problems.record(OPERAND_TYPE, operand_type("begins_with", ty.as_str()));
                    }
                }
                Cond::BeginsWith(first, second)
            }
            ("contains", Some(second)) => Cond::Contains(first, second),
            // Pass 1 and the arity check leave no other shape; report one defensively.
            _ => {
                problems.record(OPERAND_TYPE, Problem::MisusedFunction(name.to_owned()));
                Cond::And(Vec::new())
            }
        }
    }

    fn operand(&mut self, o: &ast::Operand<'_>, problems: &mut LeafProblems) -> Operand {
        match o {
            ast::Operand::Path(doc) => {
                let (path, problem) = resolve_path(doc, self.ph);
                if let Some(problem) = problem {
                    problems.record(UNDEFINED, problem);
                }
                Operand::Path(path)
            }
            ast::Operand::Value(key) => match self.ph.value(key) {
                Some(v) => Operand::Value(v.clone()),
                None => {
                    problems.record(UNDEFINED, Problem::UndefinedValue((*key).to_owned()));
                    Operand::Value(AttributeValue::Null)
                }
            },
            ast::Operand::Paren(inner) => self.operand(inner, problems),
            ast::Operand::Call(call) => {
                // Pass 1 let only size() through to operand positions.
                let args: Vec<Operand> = call
                    .args
                    .iter()
                    .map(|a| self.operand(a, problems))
                    .collect();
                if args.len() != 1 {
                    problems.record(
                        OPERAND_COUNT,
                        Problem::OperandCount {
                            function: call.name.to_owned(),
                            count: args.len(),
                        },
                    );
                }
                let arg = args
                    .into_iter()
                    .next()
                    .unwrap_or(Operand::Value(AttributeValue::Null));
                if let Some(ty) = static_type(&arg)
                    .filter(|t| matches!(t, AttrType::N | AttrType::Bool | AttrType::Null))
                {
                    problems.record(OPERAND_TYPE, operand_type("size", ty.as_str()));
                }
                Operand::Size(Box::new(arg))
            }
        }
    }
}

/// The type an operand has whatever the item: a value's, or N for size().
fn static_type(o: &Operand) -> Option<AttrType> {
    match o {
        Operand::Value(v) => Some(v.attr_type()),
        Operand::Size(_) => Some(AttrType::N),
        Operand::Path(_) => None,
    }
}

fn operand_type(function: &str, ty: &str) -> Problem {
    Problem::OperandType {
        function: function.to_owned(),
        ty: ty.to_owned(),
    }
}

/// Reports `first` when it is a path and any of `rest` is the same path.
fn check_distinct<'o>(
    operator: &str,
    first: &Operand,
    rest: impl IntoIterator<Item = &'o Operand>,
    problems: &mut LeafProblems,
) {
    let Operand::Path(p) = first else { return };
    if rest
        .into_iter()
        .any(|o| matches!(o, Operand::Path(q) if q == p))
    {
        problems.record(
            NOT_DISTINCT,
            Problem::NotDistinct {
                operator: operator.to_owned(),
                path: p.to_string(),
            },
        );
    }
}

/// Ordering operators need operands of an orderable type; only literal types are known here.
fn check_orderable<'o>(
    operator: &str,
    operands: impl IntoIterator<Item = &'o Operand>,
    problems: &mut LeafProblems,
) {
    for o in operands {
        if let Some(ty) = static_type(o).filter(|t| !is_orderable(*t)) {
            problems.record(OPERAND_TYPE, operand_type(operator, ty.as_str()));
        }
    }
}

fn check_bounds(low: &AttributeValue, high: &AttributeValue, problems: &mut LeafProblems) {
    if !is_orderable(low.attr_type()) || !is_orderable(high.attr_type()) {
        return;
    }
    let texts = || (bound_text(low), bound_text(high));
    if low.attr_type() != high.attr_type() {
        let (low, high) = texts();
        problems.record(OPERAND_TYPE, Problem::BetweenTypes { low, high });
    } else if compare_values(low, high) == Some(std::cmp::Ordering::Greater) {
        let (low, high) = texts();
        problems.record(OPERAND_TYPE, Problem::BetweenOrder { low, high });
    }
}

/// attribute_type's second operand: a string value naming a DynamoDB type.
fn attribute_type_name(o: &Operand, problems: &mut LeafProblems) -> AttrType {
    match o {
        Operand::Value(AttributeValue::S(name)) => AttrType::parse(name).unwrap_or_else(|| {
            problems.record(OPERAND_TYPE, Problem::InvalidAttributeType(name.clone()));
            AttrType::S
        }),
        Operand::Value(v) => {
            problems.record(
                OPERAND_TYPE,
                operand_type("attribute_type", v.attr_type().as_str()),
            );
            AttrType::S
        }
        Operand::Size(_) => {
            problems.record(OPERAND_TYPE, operand_type("attribute_type", "N"));
            AttrType::S
        }
        Operand::Path(_) => {
            problems.record(OPERAND_TYPE, operand_type("attribute_type", ANY_TYPE));
            AttrType::S
        }
    }
}

#[cfg(test)]
#[path = "condition_expression_tests.rs"]
mod tests;
