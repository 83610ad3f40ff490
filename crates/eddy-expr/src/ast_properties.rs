//! Property: every syntax tree prints (`Display`) as text that parses back to an equal tree.
//!
//! The generators build random trees of every shape the parser produces, and only those: no
//! `((x))` (the parser rejects redundant parentheses), and a `Paren` wherever precedence needs
//! one (`a OR b` under an AND), just as a parse of written text would have it. So the strongest
//! form holds: `parse(print(tree)) == tree`, not just a print/parse fixed point.
//!
//! Names, `#names`, `:values` and indexes come from small pools of `'static` text, since the
//! tree borrows its text. The pools hold unreserved names, including ones that start like a
//! keyword (`Orders`, `inx`, `nota`, `setting`), to check where the printer's words end.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::ast::{
    Action, ArithOp, Call, Clause, ClauseKind, Comparator, CondExpr, DocPath, Operand,
    ProjectionExpr, SetValue, Step, UpdateExpr,
};
use crate::parser::{parse_condition, parse_projection, parse_update};

const NAMES: &[&str] = &[
    "a", "attr_x", "b2", "Orders", "inx", "nota", "setting", "Z_9",
];
const NAME_REFS: &[&str] = &["#n", "#0", "#_x", "#AND"];
const VALUES: &[&str] = &[":v", ":0", ":set", ":x_1"];
const INDEXES: &[&str] = &["0", "7", "12", "300"];
/// The parser reads any name before `(` as a call; which names exist is checked later.
const FUNCTIONS: &[&str] = &[
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
    "if_not_exists",
    "list_append",
];
const COMPARATORS: &[Comparator] = &[
    Comparator::Eq,
    Comparator::Ne,
    Comparator::Lt,
    Comparator::Le,
    Comparator::Gt,
    Comparator::Ge,
];
const ARITH_OPS: &[ArithOp] = &[ArithOp::Plus, ArithOp::Minus];

fn name_step() -> impl Strategy<Value = Step<'static>> {
    prop_oneof![
        select(NAMES).prop_map(Step::Name),
        select(NAME_REFS).prop_map(Step::NameRef),
    ]
}

/// A name or `#name`, then `.name`, `.#name` and `[index]` steps.
fn path() -> impl Strategy<Value = DocPath<'static>> {
    let step = prop_oneof![name_step(), select(INDEXES).prop_map(Step::Index)];
    (name_step(), vec(step, 0..4)).prop_map(|(first, rest)| {
        let mut steps = vec![first];
        steps.extend(rest);
        DocPath { steps }
    })
}

/// A call with one to three arguments (`f()` is a syntax error).
fn call(arg: impl Strategy<Value = Operand<'static>>) -> impl Strategy<Value = Call<'static>> {
    (select(FUNCTIONS), vec(arg, 1..4)).prop_map(|(name, args)| Call { name, args })
}

/// `(op)`; an operand already in parentheses stays as it is, since `((x))` does not parse.
fn paren_operand(op: Operand<'static>) -> Operand<'static> {
    match op {
        Operand::Paren(_) => op,
        other => Operand::Paren(Box::new(other)),
    }
}

fn operand() -> impl Strategy<Value = Operand<'static>> {
    let leaf = prop_oneof![
        path().prop_map(Operand::Path),
        select(VALUES).prop_map(Operand::Value),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            call(inner.clone()).prop_map(Operand::Call),
            inner.prop_map(paren_operand),
        ]
    })
}

/// How tightly a condition binds: OR loosest, then AND, then NOT, then the rest.
fn precedence(c: &CondExpr<'_>) -> u8 {
    match c {
        CondExpr::Or(..) => 1,
        CondExpr::And(..) => 2,
        CondExpr::Not(_) => 3,
        CondExpr::Compare { .. }
        | CondExpr::Between { .. }
        | CondExpr::In { .. }
        | CondExpr::Call(_)
        | CondExpr::Paren(_) => 4,
    }
}

/// `c`, in parentheses if it binds looser than `min`: the parentheses its text needs there.
fn at_least(c: CondExpr<'static>, min: u8) -> Box<CondExpr<'static>> {
    Box::new(if precedence(&c) < min {
        CondExpr::Paren(Box::new(c))
    } else {
        c
    })
}

/// `(c)`; a condition already in parentheses stays as it is, since `((c))` does not parse.
fn paren_condition(c: CondExpr<'static>) -> CondExpr<'static> {
    match c {
        CondExpr::Paren(_) => c,
        other => CondExpr::Paren(Box::new(other)),
    }
}

fn condition() -> impl Strategy<Value = CondExpr<'static>> {
    let leaf = prop_oneof![
        (select(COMPARATORS), operand(), operand())
            .prop_map(|(op, left, right)| CondExpr::Compare { op, left, right }),
        (operand(), operand(), operand()).prop_map(|(subject, low, high)| CondExpr::Between {
            subject,
            low,
            high
        }),
        (operand(), vec(operand(), 1..4)).prop_map(|(subject, candidates)| CondExpr::In {
            subject,
            candidates
        }),
        call(operand()).prop_map(CondExpr::Call),
    ];
    // AND and OR group to the left: a left operand may be the same operator, a right one
    // must bind tighter.
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| CondExpr::Not(at_least(c, 3))),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| CondExpr::And(at_least(l, 2), at_least(r, 3))),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| CondExpr::Or(at_least(l, 1), at_least(r, 2))),
            inner.prop_map(paren_condition),
        ]
    })
}

/// `operand`, `a ± b` or `(a ± b)`.
fn set_value() -> impl Strategy<Value = SetValue<'static>> {
    prop_oneof![
        operand().prop_map(SetValue::Operand),
        (select(ARITH_OPS), operand(), operand(), any::<bool>()).prop_map(
            |(op, left, right, parenthesized)| SetValue::Arith {
                op,
                left,
                right,
                parenthesized,
            }
        ),
    ]
}

fn clause() -> impl Strategy<Value = Clause<'static>> {
    prop_oneof![
        vec(
            (path(), set_value()).prop_map(|(p, v)| Action::Set(p, v)),
            1..4
        )
        .prop_map(|actions| Clause {
            kind: ClauseKind::Set,
            actions,
        }),
        vec(path().prop_map(Action::Remove), 1..4).prop_map(|actions| Clause {
            kind: ClauseKind::Remove,
            actions,
        }),
        vec(
            (path(), select(VALUES)).prop_map(|(p, v)| Action::Add(p, v)),
            1..4
        )
        .prop_map(|actions| Clause {
            kind: ClauseKind::Add,
            actions,
        }),
        vec(
            (path(), select(VALUES)).prop_map(|(p, v)| Action::Delete(p, v)),
            1..4
        )
        .prop_map(|actions| Clause {
            kind: ClauseKind::Delete,
            actions,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn conditions_print_and_parse_back(tree in condition()) {
        let text = tree.to_string();
        prop_assert_eq!(parse_condition(&text), Ok(tree), "{}", text);
    }

    /// Clauses come in any order and may repeat: the parser reads that, and later checks
    /// refuse it.
    #[test]
    fn updates_print_and_parse_back(clauses in vec(clause(), 1..5)) {
        let tree = UpdateExpr { clauses };
        let text = tree.to_string();
        prop_assert_eq!(parse_update(&text), Ok(tree), "{}", text);
    }

    #[test]
    fn projections_print_and_parse_back(paths in vec(path(), 1..5)) {
        let tree = ProjectionExpr { paths };
        let text = tree.to_string();
        prop_assert_eq!(parse_projection(&text), Ok(tree), "{}", text);
    }
}
