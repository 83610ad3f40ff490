//! End-to-end tests: text → statement → bound statement → what the executor asks of it.

use eddy_expr::{Path, PathElement, RangeCondition};
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
    // The expression validator's messages come through without a parameter prefix.
    let u = update("UPDATE t SET a = 1, a.b = 2 WHERE pk = 'k'", &[]);
    assert_eq!(
        u.update_expression().expect_err("overlap").to_string(),
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    let u = update("UPDATE t SET a = size(b) WHERE pk = 'k'", &[]);
    assert_eq!(
        u.update_expression().expect_err("size").to_string(),
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
}

#[test]
fn where_semantics_follow_condition_expressions() {
    let it = item(&[
        ("a", n("1")),
        ("b", n("2")),
        ("s", s("hello")),
        ("z", AttributeValue::Null),
        (
            "m",
            AttributeValue::M(item(&[("l", AttributeValue::L(vec![s("x"), n("5")]))])),
        ),
    ]);
    for (text, expected) in [
        ("a = 1 OR b = 3 AND a = 2", true),
        ("(a = 1 OR b = 3) AND a = 2", false),
        ("NOT a = 2 AND b = 2", true),
        ("a <> 2 AND a != 3", true),
        ("q <> 1", true),
        ("a < b AND b >= 2 AND a <= 1 AND b > 1", true),
        ("b BETWEEN 1 AND 3", true),
        ("b NOT BETWEEN 1 AND 3", false),
        ("a IN [3, 2, 1]", true),
        ("a IN (3, 2)", false),
        ("a NOT IN [3, 2]", true),
        ("begins_with(s, 'he')", true),
        ("contains(m.l, 'x')", true),
        ("m.l[1] = 5", true),
        ("m.\"l\"[0] = 'x'", true),
        ("size(s) = 5", true),
        ("attribute_exists(m.l)", true),
        ("attribute_not_exists(m.q)", true),
        ("attribute_type(s, 'S')", true),
        ("s IS MISSING", false),
        ("q IS MISSING", true),
        ("q IS NOT MISSING", false),
        ("z IS NULL", true),
        ("q IS NULL", false),
        ("a IS NOT NULL", true),
        ("s IS STRING", true),
        ("a IS NUMERIC", true),
        ("m IS STRUCT", true),
        ("m.l IS LIST", true),
        ("a IS BOOLEAN", false),
        ("1 = a", true),
    ] {
        let cond = filter(text)
            .condition()
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(cond.evaluate(&it), expected, "{text}");
    }
}

#[test]
fn where_errors() {
    let sel = |w: &str| format!("SELECT * FROM t WHERE {w}");
    for (text, expected) in [
        (
            "a",
            "WHERE clause must contain an expression that resolves to a boolean",
        ),
        (
            "'x'",
            "WHERE clause must contain an expression that resolves to a boolean",
        ),
        ("a = 1 AND b", "The arguments to AND/OR must be Expressions"),
        ("NOT b", "The argument to NOT must be a Type or Expression"),
        ("a = MISSING", "MISSING must be compared using IS operator"),
        (
            "a + 1 = 2",
            "Unsupported operator in Condition Expression. Operator: +",
        ),
        (
            "a LIKE 'x%'",
            "Unsupported operator in Condition Expression. Operator: like",
        ),
        (
            "a || 'x' = 'y'",
            "Unsupported operator in Condition Expression. Operator: ||",
        ),
        (
            "a IN 1",
            "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
        ),
        (
            "a IN []",
            "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
        ),
        (
            "a IS INT",
            "Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]",
        ),
        (
            "size(a) IS NULL",
            "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
        ),
        ("EXISTS(ss)", "Unrecognized function: exists at 1:23:6"),
        ("Foo(a)", "Unrecognized function: Foo at 1:23:3"),
        (
            "set_add(ss, <<'x'>>) = ss",
            "Unrecognized function: set_add at 1:23:7",
        ),
        (
            "attribute_exists()",
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 0",
        ),
        (
            "a[*] = 1",
            "Wildcard path component like a[*].b are not supported",
        ),
        (
            "a.* = 1",
            "Unpivot path component like a.*.b are not supported",
        ),
        ("\"\" = 1", "Path component cannot be an empty string"),
        (
            "a = (SELECT * FROM t)",
            "Unsupported token in expression: SELECT",
        ),
        (
            "CASE WHEN a THEN 1 END = 1",
            "Unsupported token in expression: CASE",
        ),
        (
            "pk = 1e126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root",
        ),
        (
            "pk = 1e99999999999",
            "Statement wasn't well formed, can't be processed: ",
        ),
    ] {
        assert_eq!(error(&sel(text)), expected, "{text}");
    }
    // Validator errors surface when the condition is built, with DynamoDB's wording.
    for (text, expected) in [
        (
            "attribute_exists('ss')",
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_exists(ss, ns)",
            "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2",
        ),
        (
            "a = a",
            "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
        ),
        (
            "val < true",
            "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL",
        ),
    ] {
        assert_eq!(
            filter(text).condition().expect_err("invalid").to_string(),
            expected,
            "{text}"
        );
    }
}

#[test]
fn equality_key_extraction() {
    let key = |text: &str| filter(text).single_item("pk", Some("sk"));
    let target = key("pk = 'a' AND sk = 1").expect("keyed");
    assert_eq!(target.key, item(&[("pk", s("a")), ("sk", n("1"))]));
    assert!(target.condition.is_none());
    // Either way round, repeated with the same value, among other conditions.
    let target =
        key("x = 1 AND 1 = sk AND (y = 2 OR z = 3) AND pk = 'a' AND pk = 'a'").expect("keyed");
    assert_eq!(target.key, item(&[("pk", s("a")), ("sk", n("1"))]));
    let residual = target.condition.expect("residual");
    assert!(residual.evaluate(&item(&[("x", n("1")), ("z", n("3"))])));
    assert!(!residual.evaluate(&item(&[("x", n("1"))])));
    let incomplete = "Where clause does not contain a mandatory equality on all key attributes";
    for text in [
        "pk = 'a'",
        "pk = 'a' OR sk = 1",
        "pk = 'a' AND sk > 1",
        "pk = 'a' AND NOT sk <> 1",
        "pk = 'a' AND sk IN [1]",
        "pk = 'a' AND size(sk) = 1",
    ] {
        assert_eq!(
            key(text).expect_err("incomplete").to_string(),
            incomplete,
            "{text}"
        );
    }
    assert_eq!(
        key("pk = 'a' AND pk = 'b' AND sk = 1")
            .expect_err("conflict")
            .to_string(),
        "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported"
    );
    assert_eq!(
        key("pk.x = 'a' AND sk = 1")
            .expect_err("nested")
            .to_string(),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key pk"
    );
    // A hash-only table needs only the hash key.
    assert!(
        filter("pk = 'a' AND sk = 1")
            .single_item("pk", None)
            .is_ok()
    );
}

#[test]
fn query_key_conditions() {
    let kc = |text: &str| {
        filter(text)
            .key_condition("pk", Some("sk"))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    let (key, residual) = kc("pk = 'a'").expect("a query");
    assert_eq!(key.hash_value, s("a"));
    assert_eq!(key.range, None);
    assert!(residual.is_none());
    for (text, range) in [
        ("pk = 'a' AND sk = 1", RangeCondition::Eq(n("1"))),
        ("sk < 1 AND pk = 'a'", RangeCondition::Lt(n("1"))),
        ("pk = 'a' AND 1 < sk", RangeCondition::Gt(n("1"))),
        ("pk = 'a' AND sk >= 1", RangeCondition::Ge(n("1"))),
        ("pk = 'a' AND 2 >= sk", RangeCondition::Le(n("2"))),
        (
            "pk = 'a' AND sk BETWEEN 1 AND 2",
            RangeCondition::Between(n("1"), n("2")),
        ),
        (
            "pk = 'a' AND begins_with(sk, 'x')",
            RangeCondition::BeginsWith(s("x")),
        ),
    ] {
        assert_eq!(kc(text).expect("a query").0.range, Some(range), "{text}");
    }
    let (key, residual) = kc("pk = 'a' AND sk <> 1 AND x = 2").expect("a query");
    assert_eq!(key.range, None);
    let residual = residual.expect("sk <> 1 AND x = 2");
    assert!(residual.evaluate(&item(&[("sk", n("2")), ("x", n("2"))])));
    assert!(!residual.evaluate(&item(&[("sk", n("1")), ("x", n("2"))])));
    // Everything else is a scan.
    for text in [
        "x = 1",
        "pk > 'a'",
        "pk = 'a' OR pk = 'b'",
        "pk IN ['a', 'b']",
        "pk = 'a' AND pk = 'b'",
        "pk = 'a' AND sk > 1 AND sk < 5",
        "pk.x = 'a'",
        "NOT pk = 'a'",
    ] {
        assert_eq!(kc(text), None, "{text}");
    }
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

/// Random statements built from PartiQL's pieces, and every prefix of valid ones, never panic
/// in any phase: parse, bind, key extraction, lowering, evaluation, application, projection.
#[test]
fn random_and_truncated_statements_never_panic() {
    const PIECES: [&str; 56] = [
        "SELECT",
        "*",
        "FROM",
        "\"t\"",
        "t",
        ".",
        "\"i\"",
        "WHERE",
        "pk",
        "sk",
        "a",
        "b.c",
        "[0]",
        "=",
        "<>",
        "<",
        ">=",
        "AND",
        "OR",
        "NOT",
        "IN",
        "BETWEEN",
        "IS",
        "MISSING",
        "NULL",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "<<",
        ">>",
        ",",
        ":",
        "?",
        "'x'",
        "1",
        "-2.5",
        "1e200",
        "INSERT INTO",
        "VALUE",
        "UPDATE",
        "SET",
        "REMOVE",
        "DELETE",
        "RETURNING ALL OLD *",
        "ORDER BY",
        "DESC",
        "EXISTS",
        "size",
        "begins_with",
        "set_add",
        "list_append",
        "+",
        ";",
    ];
    let valid = [
        "SELECT a, b.c[1] FROM \"t\" WHERE pk = ? AND sk BETWEEN 1 AND 5 ORDER BY sk DESC",
        "INSERT INTO t VALUE {'pk': 'a', 'l': [1, ?, {'m': <<'x'>>}], 'n': -0.5}",
        "UPDATE t SET a = a + ?, l = list_append(l, [1]), s = set_add(s, <<1>>) REMOVE b.c[0] WHERE pk = 'a' AND sk = 2 RETURNING ALL NEW *",
        "DELETE FROM t WHERE pk = ? AND (x IS MISSING OR NOT contains(y, 'z'))",
        "EXISTS(SELECT * FROM t WHERE pk = 'a' AND sk = 1 AND size(l) > 2)",
    ];
    let params = [
        s("a"),
        n("3"),
        AttributeValue::Ss(vec!["q".into()]),
        AttributeValue::L(vec![n("1")]),
        AttributeValue::Null,
    ];
    let it = item(&[
        ("pk", s("a")),
        ("sk", n("2")),
        ("a", n("1")),
        (
            "b",
            AttributeValue::M(item(&[("c", AttributeValue::L(vec![n("1")]))])),
        ),
        ("l", AttributeValue::L(vec![n("1"), n("2"), n("3")])),
        ("s", AttributeValue::Ns(vec![Number::from_i64(2)])),
    ]);
    let bound_count = std::cell::Cell::new(0usize);
    let lowered = std::cell::Cell::new(0usize);
    let exercise = |text: &str| {
        let Ok(st) = parse(text) else { return };
        let _ = (st.table(), st.is_read(), st.has_returning());
        let bound_params: Vec<AttributeValue> = params
            .iter()
            .cycle()
            .take(st.param_count())
            .cloned()
            .collect();
        let Ok(b) = st.bind(&bound_params) else {
            return;
        };
        bound_count.set(bound_count.get() + 1);
        let check_where = |w: &Where| {
            if let Ok(c) = w.condition() {
                c.evaluate(&it);
                lowered.set(lowered.get() + 1);
            }
            for range in [None, Some("sk")] {
                if let Ok(t) = w.single_item("pk", range)
                    && let Some(c) = t.condition
                {
                    c.evaluate(&it);
                }
                let _ = w.key_condition("pk", range);
            }
        };
        match b {
            BoundStatement::Select(sel) | BoundStatement::Exists(sel) => {
                sel.project(&it);
                let _ = sel.scan_forward("pk", Some("sk"));
                let _ = sel.single_item_key(SingleRead::Batch, "pk", None);
                let _ = sel.condition_check("pk", Some("sk"));
                if let Some(w) = &sel.filter {
                    check_where(w);
                }
            }
            BoundStatement::Insert(_) => {}
            BoundStatement::Update(u) => {
                let _ = u.target("pk", Some("sk"));
                if let Ok(update) = u.update_expression() {
                    let mut copy = it.clone();
                    let _ = update.apply(&mut copy);
                }
            }
            BoundStatement::Delete(d) => {
                let _ = d.target("pk", None);
            }
        }
    };
    for text in valid {
        assert!(parse(text).is_ok(), "{text}");
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            exercise(&text[..end]);
        }
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 16) as usize + 1;
        let mut text = String::new();
        for i in 0..len {
            let pick = (seed.rotate_left(i as u32 * 7) % PIECES.len() as u64) as usize;
            text.push_str(PIECES[pick]);
            text.push(' ');
        }
        exercise(&text);
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..3_000 {
        let text = rng.statement();
        exercise(&text);
        // The same statement with one word dropped.
        let words: Vec<&str> = text.split(' ').collect();
        let drop = rng.below(words.len());
        let mutated: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, w)| *w)
            .collect();
        exercise(&mutated.join(" "));
    }
    // The generator reaches the later phases, not just the parser's errors.
    assert!(bound_count.get() > 2_000, "{} bound", bound_count.get());
    assert!(lowered.get() > 500, "{} lowered", lowered.get());
}

/// A generator of mostly well-formed statements, to drive every phase with varied input.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }

    fn path(&mut self) -> String {
        self.pick(&[
            "pk", "sk", "a", "b.c", "b.c[0]", "l[1]", "\"q r\"", "s", "m['k']",
        ])
        .to_owned()
    }

    fn value(&mut self, depth: usize) -> String {
        match self.below(if depth > 2 { 7 } else { 10 }) {
            0 => "'x'".into(),
            1 => self
                .pick(&["1", "-2.5", "0.0", "1e5", "12345678901234567890"])
                .into(),
            2 => "?".into(),
            3 => self.pick(&["true", "false", "null"]).into(),
            4 => self.pick(&["<<'a', 'b'>>", "<<1, 2>>", "<<3>>"]).into(),
            5 | 6 => "'2'".into(),
            7 => format!("[{}, {}]", self.value(depth + 1), self.value(depth + 1)),
            8 => format!("{{'k': {}}}", self.value(depth + 1)),
            _ => "[]".into(),
        }
    }

    fn operand(&mut self) -> String {
        match self.below(5) {
            0 | 1 => self.path(),
            2 | 3 => self.value(0),
            _ => format!("size({})", self.path()),
        }
    }

    fn cond(&mut self, depth: usize) -> String {
        match self.below(if depth > 3 { 6 } else { 10 }) {
            0 | 1 => {
                let op = self.pick(&["=", "<>", "<", "<=", ">", ">=", "!="]);
                format!("{} {op} {}", self.operand(), self.operand())
            }
            2 => format!(
                "{} BETWEEN {} AND {}",
                self.path(),
                self.value(0),
                self.value(0)
            ),
            3 => format!("{} IN [{}, {}]", self.path(), self.value(0), self.value(0)),
            4 => {
                let f = self.pick(&["begins_with", "contains", "attribute_type"]);
                format!("{f}({}, {})", self.path(), self.value(0))
            }
            5 => {
                let ty = self.pick(&[
                    "MISSING",
                    "NOT MISSING",
                    "NULL",
                    "STRING",
                    "NUMERIC",
                    "LIST",
                ]);
                format!("{} IS {ty}", self.path())
            }
            6 => format!("NOT {}", self.cond(depth + 1)),
            7 => format!("({} OR {})", self.cond(depth + 1), self.cond(depth + 1)),
            _ => format!("{} AND {}", self.cond(depth + 1), self.cond(depth + 1)),
        }
    }

    fn key(&mut self) -> String {
        match self.below(4) {
            0 => format!("pk = {}", self.value(3)),
            1 => format!("pk = {} AND sk = {}", self.value(3), self.value(3)),
            2 => format!("sk = {} AND pk = ? AND {}", self.value(3), self.cond(2)),
            _ => self.cond(0),
        }
    }

    fn statement(&mut self) -> String {
        match self.below(5) {
            0 => {
                let projection = self.pick(&["*", "a", "a, b.c", "l[1], m['k']"]);
                let order = self.pick(&["", " ORDER BY sk DESC", " ORDER BY pk"]);
                format!("SELECT {projection} FROM t WHERE {}{order}", self.key())
            }
            1 => format!(
                "INSERT INTO t VALUE {{'pk': {}, 'a': {}, 'b': {}}}",
                self.value(2),
                self.value(0),
                self.value(0)
            ),
            2 => {
                let target = self.path();
                let value = match self.below(5) {
                    0 => format!("{} + {}", self.operand(), self.operand()),
                    1 => format!("list_append({}, [1])", self.path()),
                    2 => format!("set_add({target}, {})", self.value(0)),
                    3 => format!("if_not_exists({}, {})", self.path(), self.value(0)),
                    _ => self.value(0),
                };
                let remove = self.path();
                let returning =
                    self.pick(&["", " RETURNING ALL NEW *", " RETURNING MODIFIED OLD *"]);
                format!(
                    "UPDATE t SET {target} = {value} REMOVE {remove} WHERE {}{returning}",
                    self.key()
                )
            }
            3 => format!("DELETE FROM t WHERE {}", self.key()),
            _ => format!("EXISTS(SELECT * FROM t WHERE {})", self.key()),
        }
    }
}
