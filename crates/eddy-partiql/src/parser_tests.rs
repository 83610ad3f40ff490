//! Parser tests: precedence, paths and literals, statement shapes, syntax errors and limits.

use super::*;

fn syntax(text: &str) -> SyntaxError {
    match parse(text) {
        Err(PartiqlError::Syntax(e)) => e,
        other => panic!("{text}: expected a syntax error, got {other:?}"),
    }
}

fn where_expr(text: &str) -> Expr {
    match parse(&format!("SELECT * FROM t WHERE {text}")) {
        Ok((Parsed::Select(s), _)) => s.filter.expect("a WHERE"),
        other => panic!("{text}: {other:?}"),
    }
}

/// The expression printed with full parentheses, to check grouping.
fn shape(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Path(root, steps) if steps.is_empty() => root.clone(),
        ExprKind::Num(n) => n.clone(),
        ExprKind::Str(s) => format!("'{s}'"),
        ExprKind::Binary(op, l, r) => format!("({} {op} {})", shape(l), shape(r)),
        ExprKind::Unary(op, inner) => format!("({op} {})", shape(inner)),
        ExprKind::Between {
            subject,
            low,
            high,
            negated,
        } => format!(
            "({} {}between {} {})",
            shape(subject),
            if *negated { "not " } else { "" },
            shape(low),
            shape(high)
        ),
        ExprKind::Is {
            subject,
            ty,
            negated,
        } => format!(
            "({} is {}{ty})",
            shape(subject),
            if *negated { "not " } else { "" }
        ),
        other => format!("{other:?}"),
    }
}

#[test]
fn precedence() {
    for (text, expected) in [
        (
            "a = 1 OR b = 2 AND c = 3",
            "((a = 1) or ((b = 2) and (c = 3)))",
        ),
        ("NOT a = 1 AND b = 2", "((not (a = 1)) and (b = 2))"),
        ("a + 1 * 2 = 3", "((a + (1 * 2)) = 3)"),
        ("a - 1 - 2 < 3", "(((a - 1) - 2) < 3)"),
        (
            "a BETWEEN 1 AND 2 AND b = 1",
            "((a between 1 2) and (b = 1))",
        ),
        ("a NOT BETWEEN -1 AND +2", "(a not between -1 2)"),
        (
            "a IS NOT MISSING OR b IS NULL",
            "((a is not missing) or (b is null))",
        ),
        (
            "(a = 1 OR b = 2) AND c = 3",
            "(((a = 1) or (b = 2)) and (c = 3))",
        ),
        ("a NOT LIKE 'x'", "(not (a like 'x'))"),
        ("a = - b", "(a = (- b))"),
    ] {
        assert_eq!(shape(&where_expr(text)), expected, "{text}");
    }
}

#[test]
fn paths_and_literals() {
    let e = where_expr("a.\"b c\"[2]['d'].e = [1, 'x', <<1, 2>>, {'k': ?}, (3, 4)]");
    let ExprKind::Binary("=", left, right) = e.kind else {
        panic!("a comparison")
    };
    assert_eq!(
        left.kind,
        ExprKind::Path(
            "a".into(),
            vec![
                Step::Name("b c".into()),
                Step::Index("2".into()),
                Step::Name("d".into()),
                Step::Name("e".into())
            ]
        )
    );
    let ExprKind::List(items) = right.kind else {
        panic!("a list")
    };
    assert_eq!(items.len(), 5);
    assert!(matches!(items[2].kind, ExprKind::Bag(ref b) if b.len() == 2));
    assert!(matches!(items[3].kind, ExprKind::Tuple(ref t) if t[0].1.kind == ExprKind::Param(0)));
    assert!(matches!(items[4].kind, ExprKind::List(ref l) if l.len() == 2));
    let e = where_expr("a[*] = 1 AND b.* = 2 AND c[x] = 3");
    assert!(format!("{e:?}").contains("Wildcard"));
    assert!(format!("{e:?}").contains("Unpivot"));
    assert!(format!("{e:?}").contains("Other"));
}

#[test]
fn statements() {
    let (p, n) = parse(
        "update \"T\" set a = ?, b = b + 1 remove c set d = ? where pk = ? returning all new *;",
    )
    .expect("parses");
    assert_eq!(n, 3);
    let Parsed::Update { ops, returning, .. } = p else {
        panic!("an update")
    };
    assert_eq!(ops.len(), 4);
    assert_eq!(
        returning,
        Some(Returning {
            modified: false,
            new: true
        })
    );
    assert!(matches!(
        parse("FROM t WHERE pk = 1 SET a = 2"),
        Ok((
            Parsed::Update {
                filter: Some(_),
                ..
            },
            0
        ))
    ));
    assert!(matches!(
        parse("EXISTS(SELECT * FROM t WHERE pk = 1 AND a = 2)"),
        Ok((Parsed::Exists(_), 0))
    ));
    assert!(matches!(
        parse("DELETE FROM \"t\" WHERE pk = 1 -- comment"),
        Ok((Parsed::Delete { .. }, 0))
    ));
    assert!(matches!(
        parse("SELECT a, b.c FROM \"t\".\"i\" WHERE pk = 1 ORDER BY sk DESC, pk"),
        Ok((Parsed::Select(SelectSyntax { ref order_by, .. }), 0)) if order_by.len() == 2 && order_by[0].1
    ));
}

#[test]
fn syntax_errors() {
    use SyntaxError::*;
    for (text, expected) in [
        ("SLECT * FROM t", ExpectedDataManipulation),
        ("", UnexpectedTerm),
        ("SELECT * FROM t WHERE pk = 1 foo", TokenAfterExpression),
        ("SELECT * FROM t WHERE pk = 1)", TokenAfterExpression),
        (
            "DELETE FROM t WHERE pk = 1 ORDER BY pk",
            TokenAfterExpression,
        ),
        ("SELECT * FROM t WHERE", UnexpectedTerm),
        ("SELECT * FROM t WHERE;", UnexpectedTerm),
        ("SELECT * FROM t WHERE NOT", UnexpectedTerm),
        ("SELECT * FROM t WHERE (", UnexpectedTerm),
        ("SELECT * FROM t WHERE pk = 'a' AND", MissingRightHandSide),
        ("SELECT * FROM t WHERE pk = 'a' OR", MissingRightHandSide),
        ("SELECT * FROM t WHERE ORDER BY pk", UnexpectedKeyword),
        ("SELECT * FROM t WHERE IS NULL", UnexpectedOperator),
        ("SELECT * FROM t WHERE pk = LIKE", UnexpectedOperator),
        ("SELECT * FROM t WHERE x IS FOO", ExpectedTypeName),
        ("DELETE FROM", ExpectedIdentifier),
        ("DELETE FROM WHERE pk = 'a'", ExpectedIdentifier),
        ("SELECT * FROM", UnexpectedTerm),
        ("SELECT * FROM t WHERE m.inner = 1", InvalidPathDotComponent),
        ("SELECT * FROM t WHERE pad = 1", UnexpectedKeyword),
        ("SELECT *, a FROM t", StarNotAlone),
        ("SELECT * FROM t WHERE pk = 'open", Lexical),
        ("INSERT INTO t x VALUE {'pk': 1}", TokenAfterExpression),
        ("UPDATE t WHERE pk = 1", UnexpectedKeyword),
    ] {
        assert_eq!(syntax(text), expected, "{text}");
    }
}

#[test]
fn refusals_decided_by_syntax() {
    for (text, expected) in [
        ("SELECT * FROM t AS x", "Aliasing is not supported"),
        (
            "SELECT * FROM t x WHERE pk = 1",
            "Aliasing is not supported",
        ),
        (
            "UPDATE t x SET a = 1 WHERE pk = 1",
            "Aliasing is not supported",
        ),
        ("SELECT a AS b FROM t", "Aliasing is not supported"),
        ("SELECT * FROM t LIMIT 1", "Unsupported clause: LIMIT"),
        ("SELECT * FROM t GROUP BY a", "Unsupported clause: GROUP BY"),
        (
            "SELECT DISTINCT a FROM t",
            "Unsupported token in expression: DISTINCT",
        ),
        (
            "SELECT VALUE a FROM t",
            "Select projection doesn't support value or pivot keywords",
        ),
        (
            "DELETE FROM t WHERE pk = 1 RETURNING ALL OLD",
            "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
        ),
        (
            "DELETE FROM t WHERE pk = 1 RETURNING ALL OLD *, ALL NEW *",
            "Invalid syntax with multiple returning elements in RETURNING clause",
        ),
        (
            "INSERT INTO t <<{'pk': 1}>>",
            "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead",
        ),
    ] {
        assert_eq!(
            parse(text).expect_err("refused").to_string(),
            expected,
            "{text}"
        );
    }
}

#[test]
fn depth_is_limited() {
    let deep = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert_eq!(parse(&deep), Err(PartiqlError::TooDeep));
    let nots = format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(5000));
    assert_eq!(parse(&nots), Err(PartiqlError::TooDeep));
    let lists = format!(
        "INSERT INTO t VALUE {{'a': {}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert_eq!(parse(&lists), Err(PartiqlError::TooDeep));
}
