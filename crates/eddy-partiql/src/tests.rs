//! End-to-end tests: text → statement → bound statement → what the executor asks of it.

use eddy_expr::{Path, PathElement};
use eddy_types::{AttributeValue, Item, Number};

use super::*;

fn n(s: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(s).expect("number"))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn item(fields: &[(&str, AttributeValue)]) -> Item {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn bound(text: &str, params: &[AttributeValue]) -> BoundStatement {
    parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .bind(params)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn select(text: &str, params: &[AttributeValue]) -> Select {
    match bound(text, params) {
        BoundStatement::Select(s) => s,
        other => panic!("{text}: {other:?}"),
    }
}

fn update(text: &str, params: &[AttributeValue]) -> Update {
    match bound(text, params) {
        BoundStatement::Update(u) => u,
        other => panic!("{text}: {other:?}"),
    }
}

fn filter(text: &str) -> Where {
    let sel = select(&format!("SELECT * FROM t WHERE {text}"), &[]);
    sel.filter.expect("a WHERE clause")
}

/// The error text of parsing and binding `text` with no parameters.
fn error(text: &str) -> String {
    match parse(text).and_then(|st| st.bind(&[])) {
        Ok(b) => panic!("{text}: accepted as {b:?}"),
        Err(e) => e.to_string(),
    }
}

fn path(elements: &[&str]) -> Path {
    Path(
        elements
            .iter()
            .map(|e| match e.parse::<usize>() {
                Ok(i) => PathElement::Index(i),
                Err(_) => PathElement::Attr((*e).to_owned()),
            })
            .collect(),
    )
}

#[test]
fn select_statements() {
    let sel = select(r#"SELECT * FROM "Music""#, &[]);
    assert_eq!(sel.table, "Music");
    assert_eq!(sel.index, None);
    assert_eq!(sel.projection, None);
    assert!(sel.filter.is_none());

    let sel = select(
        r#"select a, "b".c[1], d['e f'] from "T"."byD" where pk = ? order by sk desc"#,
        &[s("x")],
    );
    assert_eq!(sel.table, "T");
    assert_eq!(sel.index.as_deref(), Some("byD"));
    assert_eq!(
        sel.projection,
        Some(vec![
            path(&["a"]),
            path(&["b", "c", "1"]),
            path(&["d", "e f"])
        ])
    );
    assert_eq!(
        sel.order_by,
        vec![OrderBy {
            attribute: "sk".into(),
            descending: true
        }]
    );
    assert_eq!(sel.scan_forward("pk", Some("sk")), Ok(false));
}

#[test]
fn projection_names_and_shape() {
    assert_eq!(output_name(&path(&["m", "k", "1"])), "k[1]");
    assert_eq!(output_name(&path(&["l", "0"])), "l[0]");
    assert_eq!(output_name(&path(&["m.z"])), "m.z");
    let sel = select("SELECT m.k[1], l[0], m.z, absent FROM t", &[]);
    let it = item(&[
        (
            "m",
            AttributeValue::M(item(&[("k", AttributeValue::L(vec![n("1"), n("2")]))])),
        ),
        ("l", AttributeValue::L(vec![s("first")])),
        ("other", n("3")),
    ]);
    assert_eq!(
        sel.project(&it),
        item(&[("k[1]", n("2")), ("l[0]", s("first"))])
    );
    assert_eq!(select("SELECT * FROM t", &[]).project(&it), it);
    assert_eq!(
        error("SELECT m.z, z FROM t"),
        "Duplicate identifiers in select clause: z"
    );
    assert_eq!(
        error("SELECT a, a FROM t"),
        "Duplicate identifiers in select clause: a"
    );
    assert_eq!(
        error("SELECT attribute_exists(ss) FROM t"),
        "Unexpected path component at 1:8:16"
    );
    assert_eq!(
        error("SELECT ? FROM t"),
        "Unexpected path component at 1:8:1"
    );
}

#[test]
fn insert_statements() {
    let BoundStatement::Insert(ins) = bound(
        "INSERT INTO \"T\" VALUE {'pk': 'a', 'n': 1, 'l': [1, 2], 'm': {'x': ?}, 's': <<'a','b'>>, 'ns': <<1, 2>>, 'b': true, 'z': null}",
        &[AttributeValue::B(vec![1, 2])],
    ) else {
        panic!("an insert")
    };
    assert_eq!(ins.table, "T");
    assert_eq!(
        ins.item,
        item(&[
            ("pk", s("a")),
            ("n", n("1")),
            ("l", AttributeValue::L(vec![n("1"), n("2")])),
            (
                "m",
                AttributeValue::M(item(&[("x", AttributeValue::B(vec![1, 2]))]))
            ),
            ("s", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            (
                "ns",
                AttributeValue::Ns(vec![Number::from_i64(1), Number::from_i64(2)])
            ),
            ("b", AttributeValue::Bool(true)),
            ("z", AttributeValue::Null),
        ])
    );
    for (text, expected) in [
        (
            "INSERT INTO t VALUE [1]",
            "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
        ),
        (
            "INSERT INTO t VALUE {'pk': 1} RETURNING ALL OLD *",
            "RETURNING is not supported in INSERT",
        ),
        (
            "INSERT INTO \"t\".\"i\" VALUE {'pk': 1}",
            "FROM clause may only contain a single table name in data manipulation statements",
        ),
        (
            "INSERT INTO t VALUE {'pk': 1, 'pk': 2}",
            "Duplicate keys in tuple. Key: pk under root",
        ),
        (
            "INSERT INTO t VALUE {'pk': a}",
            "Unsupported data type: a under key root at 1:28:1",
        ),
        (
            "INSERT INTO t VALUE {'pk': 1} ON CONFLICT DO NOTHING",
            "Unsupported clause: ON CONFLICT",
        ),
    ] {
        assert_eq!(error(text), expected, "{text}");
    }
}

#[test]
fn update_statements_lower_to_updates() {
    let u = update(
        "UPDATE t SET a = ?, b.c = b.c + 1, l = list_append(l, [3]) REMOVE x SET ss = set_add(ss, <<'z'>>), ns = set_delete(ns, ?), d = if_not_exists(d, 'dflt') WHERE pk = 'k' AND sk = 1 RETURNING MODIFIED NEW *",
        &[s("new"), AttributeValue::Ns(vec![Number::from_i64(2)])],
    );
    assert_eq!(u.table, "t");
    assert_eq!(u.returning, Some(ReturnValues::UpdatedNew));
    let target = u.target("pk", Some("sk")).expect("keyed");
    assert_eq!(target.key, item(&[("pk", s("k")), ("sk", n("1"))]));
    assert_eq!(target.condition, None);
    let mut it = item(&[
        ("pk", s("k")),
        ("sk", n("1")),
        ("b", AttributeValue::M(item(&[("c", n("41"))]))),
        ("l", AttributeValue::L(vec![n("1")])),
        ("x", n("0")),
        ("ss", AttributeValue::Ss(vec!["y".into()])),
        (
            "ns",
            AttributeValue::Ns(vec![Number::from_i64(1), Number::from_i64(2)]),
        ),
    ]);
    u.update_expression()
        .expect("valid update")
        .apply(&mut it)
        .expect("applies");
    assert_eq!(
        it,
        item(&[
            ("pk", s("k")),
            ("sk", n("1")),
            ("a", s("new")),
            ("b", AttributeValue::M(item(&[("c", n("42"))]))),
            ("l", AttributeValue::L(vec![n("1"), n("3")])),
            ("ss", AttributeValue::Ss(vec!["y".into(), "z".into()])),
            ("ns", AttributeValue::Ns(vec![Number::from_i64(1)])),
            ("d", s("dflt")),
        ])
    );
    // The FROM-first form is an update too.
    let u = update("FROM t WHERE pk = 'k' SET a = 1", &[]);
    assert!(u.target("pk", None).is_ok());
    // The expression validator's messages come through, without a parameter prefix, when the
    // statement is bound.
    assert_eq!(
        error("UPDATE t SET a = 1, a.b = 2 WHERE pk = 'k'"),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        error("UPDATE t SET a = size(b) WHERE pk = 'k'"),
        "The function is not allowed in an update expression; function: size"
    );
}

#[test]
fn update_errors() {
    for (text, expected) in [
        (
            "UPDATE t SET t2 = set_add(ss, <<'x'>>) WHERE pk = 'k'",
            "The first argument to SET_ADD must equal the assignment value at 1:19:7",
        ),
        (
            "UPDATE t SET ss = set_add(ss, 'x') WHERE pk = 'k'",
            "The second argument to SET_ADD must be a value with type SET at 1:27:2",
        ),
        (
            "UPDATE t SET ss = set_delete(ss) WHERE pk = 'k'",
            "SET_DELETE must have exactly two arguments at 1:19:10",
        ),
        (
            "UPDATE t SET ss = set_add(ss, <<>>) WHERE pk = 'k'",
            "Empty bags are not supported",
        ),
        (
            "UPDATE t SET a = b * 2 WHERE pk = 'k'",
            "Unsupported operator in Update Expression. Operator: *",
        ),
        (
            "UPDATE t SET a = b + 1 + 2 WHERE pk = 'k'",
            "Unsupported operator in Update Expression. Operator: +",
        ),
        (
            "UPDATE t SET a = 1e-131 WHERE pk = 'k'",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range under root",
        ),
        (
            "UPDATE t SET a = nope(b) WHERE pk = 'k'",
            "Unrecognized function: nope at 1:18:4",
        ),
        (
            "UPDATE \"t\".\"i\" SET a = 1 WHERE pk = 'k'",
            "This operation is not supported on an index",
        ),
        (
            "UPDATE t SET 'a' = 1 WHERE pk = 'k'",
            "Unrecognized assignment target: 'a' at 1:14:3",
        ),
        (
            "UPDATE t REMOVE size(a) WHERE pk = 'k'",
            "Unrecognized assignment target: size at 1:17:4",
        ),
        (
            "UPDATE t SET a[2147483648] = 1 WHERE pk = 'k'",
            "List index is not within the allowable range; index: [2147483648]",
        ),
    ] {
        assert_eq!(error(text), expected, "{text}");
    }
    // A set_add parameter must hold a set.
    let st = parse("UPDATE t SET ss = set_add(ss, ?) WHERE pk = 'k'").expect("parses");
    assert_eq!(
        st.bind(&[s("x")]).expect_err("not a set").to_string(),
        "The second argument to SET_ADD must be a value with type SET at 1:27:2"
    );
    assert!(st.bind(&[AttributeValue::Ss(vec!["x".into()])]).is_ok());
}

#[test]
fn delete_statements() {
    let BoundStatement::Delete(d) = bound(
        "DELETE FROM \"t\" WHERE pk = ? AND flag = true RETURNING ALL OLD *",
        &[n("7")],
    ) else {
        panic!("a delete")
    };
    assert_eq!(d.table, "t");
    assert_eq!(d.returning, Some(ReturnValues::AllOld));
    let target = d.target("pk", None).expect("keyed");
    assert_eq!(target.key, item(&[("pk", n("7"))]));
    let cond = target.condition.expect("flag = true remains");
    assert!(cond.evaluate(&item(&[("flag", AttributeValue::Bool(true))])));
    assert!(!cond.evaluate(&Item::new()));
    for (returning, text) in [
        ("MODIFIED OLD *", "MODIFIED OLD *"),
        ("ALL NEW *", "ALL NEW *"),
        ("modified new *", "MODIFIED NEW *"),
    ] {
        assert_eq!(
            error(&format!(
                "DELETE FROM t WHERE pk = 'x' RETURNING {returning}"
            )),
            format!(
                "Invalid returning clause: RETURNING {text}. Only RETURNING ALL OLD * is allowed in DELETE statements."
            )
        );
    }
    let BoundStatement::Delete(d) = bound("DELETE FROM t", &[]) else {
        panic!("a delete")
    };
    assert_eq!(
        d.target("pk", None).expect_err("no key").to_string(),
        "Where clause does not contain a mandatory equality on all key attributes"
    );
}

#[test]
fn exists_condition_checks() {
    let BoundStatement::Exists(sel) = bound(
        "EXISTS(SELECT * FROM t WHERE pk = 'a' AND sk = 1 AND n > 3)",
        &[],
    ) else {
        panic!("a condition check")
    };
    let (key, cond) = sel.condition_check("pk", Some("sk")).expect("valid");
    assert_eq!(key, item(&[("pk", s("a")), ("sk", n("1"))]));
    assert!(cond.evaluate(&item(&[("n", n("4"))])));
    let BoundStatement::Exists(sel) = bound("EXISTS(SELECT * FROM t WHERE pk = 'a')", &[]) else {
        panic!("a condition check")
    };
    assert_eq!(
        sel.condition_check("pk", None)
            .expect_err("no condition")
            .to_string(),
        "EXISTS() must contain a single item read with additional condition"
    );
    assert!(
        !parse("EXISTS(SELECT * FROM t WHERE pk = 'a')")
            .expect("parses")
            .is_read()
    );
}

#[test]
fn parameters_bind_in_order() {
    let st =
        parse("SELECT * FROM t WHERE pk = ? AND l = [?, {'k': ?}] AND '?' = s").expect("parses");
    assert_eq!(st.param_count(), 3);
    let values = [
        s("a"),
        AttributeValue::Ss(vec!["x".into()]),
        AttributeValue::L(vec![]),
    ];
    let BoundStatement::Select(sel) = st.bind(&values).expect("binds") else {
        panic!("a select")
    };
    let cond = sel.filter.expect("filter").condition().expect("valid");
    let it = item(&[
        ("pk", s("a")),
        (
            "l",
            AttributeValue::L(vec![
                AttributeValue::Ss(vec!["x".into()]),
                AttributeValue::M(item(&[("k", AttributeValue::L(vec![]))])),
            ]),
        ),
        ("s", s("?")),
    ]);
    assert!(cond.evaluate(&it));
    let mismatch = "Number of parameters in request and statement don't match.";
    assert_eq!(
        st.bind(&values[..2]).expect_err("too few").to_string(),
        mismatch
    );
    let four = [s("a"), s("b"), s("c"), s("d")];
    assert_eq!(st.bind(&four).expect_err("too many").to_string(), mismatch);
    assert_eq!(
        parse("SELECT * FROM t").expect("parses").bind(&[s("a")]),
        Err(PartiqlError::ParameterCount)
    );
    // Validation that depends on a parameter's value happens when it is bound.
    let st = parse("SELECT pk FROM t WHERE pk = 'x' AND val < ?").expect("parses");
    assert_eq!(
        st.bind(&[AttributeValue::Bool(true)])
            .expect_err("unordered")
            .to_string(),
        "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"
    );
    assert!(st.bind(&[n("1")]).is_ok());
}

#[test]
fn single_item_reads_and_order() {
    let sel = select("SELECT * FROM t WHERE pk = 'a' AND sk = 1", &[]);
    assert_eq!(
        sel.single_item_key(SingleRead::Transaction, "pk", Some("sk")),
        Ok(item(&[("pk", s("a")), ("sk", n("1"))]))
    );
    let sel = select(
        "SELECT * FROM t WHERE pk = 'a' AND attribute_exists(ss)",
        &[],
    );
    assert_eq!(
        sel.single_item_key(SingleRead::Transaction, "pk", None)
            .expect_err("extra condition")
            .to_string(),
        "Select statements within ExecuteTransaction must specify the primary key in the where clause."
    );
    assert_eq!(
        sel.single_item_key(SingleRead::Batch, "pk", None)
            .expect_err("extra condition")
            .to_string(),
        "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
    );
    let sel = select("SELECT * FROM \"t\".\"i\" WHERE pk = 'a'", &[]);
    assert_eq!(
        sel.single_item_key(SingleRead::Transaction, "pk", None)
            .expect_err("index")
            .to_string(),
        "Reads on indices are not supported within transactions."
    );

    let order = |text: &str| select(text, &[]).scan_forward("pk", Some("sk"));
    assert_eq!(order("SELECT * FROM t WHERE pk = 'a'"), Ok(true));
    assert_eq!(
        order("SELECT * FROM t WHERE pk = 'a' ORDER BY sk"),
        Ok(true)
    );
    assert_eq!(
        order("SELECT * FROM t WHERE pk = 'a' ORDER BY pk, sk DESC"),
        Ok(false)
    );
    assert_eq!(
        order("SELECT * FROM t WHERE pk IN ['a', 'b'] ORDER BY pk DESC"),
        Ok(false)
    );
    assert_eq!(
        order("SELECT * FROM t WHERE pk = 'a' OR pk = 'b' ORDER BY sk"),
        Ok(true)
    );
    assert_eq!(
        order("SELECT * FROM t WHERE pk = 'a' OR x = 'b' ORDER BY sk")
            .expect_err("optional hash")
            .to_string(),
        "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
    );
    assert_eq!(
        order("SELECT * FROM t WHERE pk = 'a' ORDER BY x")
            .expect_err("non-key")
            .to_string(),
        "Variable reference x in ORDER BY clause must be part of the primary key"
    );
    assert_eq!(
        error("SELECT * FROM t ORDER BY pk"),
        "Must have WHERE clause in the statement when using ORDER BY clause."
    );
    assert_eq!(
        error("SELECT * FROM t WHERE pk = 1 ORDER BY a.b"),
        "Argument to ORDER BY must be of type VariableReference. Type: Path"
    );
}

#[test]
fn statement_level_checks() {
    assert_eq!(
        parse("").expect_err("empty").to_string(),
        "Value at 'statement' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let long = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(8192));
    assert_eq!(parse(&long), Err(PartiqlError::StatementLength(true)));
    let exact = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(8192 - 28));
    assert_eq!(exact.len(), 8192);
    assert!(parse(&exact).is_ok());
    let st = parse("select * from \"Music\" where Artist = 'Acme'; ").expect("parses");
    assert!(st.is_read());
    assert_eq!(st.table(), "Music");
    assert!(!st.has_returning());
    let st = parse("UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL OLD *").expect("parses");
    assert!(st.has_returning());
    assert_eq!(
        error("SELECT * FROM \"t\".\"i\".\"x\""),
        "A path may contain at most 2 components in the FROM clause"
    );
    assert_eq!(
        error("SELECT * FROM \"t\".\"\""),
        "Path component cannot be an empty string"
    );
}

mod no_panic;
mod where_clause;
