//! WHERE clauses: semantics (through eddy-expr), errors, key extraction and Query key conditions.

use eddy_expr::{KeyNames, RangeCondition};
use eddy_types::AttributeValue;

use super::*;

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
        (
            "size(a)",
            "WHERE clause must contain an expression that resolves to a boolean",
        ),
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
    // Validator errors surface when the statement is bound, with DynamoDB's wording.
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
        assert_eq!(error(&sel(text)), expected, "{text}");
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
            .key_condition(KeyNames {
                hash: &["pk"],
                range: &["sk"],
            })
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    let (key, residual) = kc("pk = 'a'").expect("a query");
    assert_eq!(key.hash_values, vec![s("a")]);
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
fn multi_attribute_key_conditions() {
    let kc = |text: &str| {
        filter(text)
            .key_condition(KeyNames {
                hash: &["h1", "h2"],
                range: &["a", "b", "c"],
            })
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    assert_eq!(kc("h1 = 'x' AND a = 1"), None, "every partition attribute");
    let (key, residual) = kc("h2 = 2 AND h1 = 'x' AND a = 1 AND b > 2").expect("a query");
    assert_eq!(key.hash_values, vec![s("x"), n("2")]);
    assert_eq!(key.sort_prefix, vec![n("1")]);
    assert_eq!(key.range, Some(RangeCondition::Gt(n("2"))));
    assert!(residual.is_none());
    // A gap ends the key condition; what follows it filters.
    let (key, residual) = kc("h1 = 'x' AND h2 = 2 AND a = 1 AND c = 3").expect("a query");
    assert_eq!(key.sort_prefix, Vec::<AttributeValue>::new());
    assert_eq!(key.range, Some(RangeCondition::Eq(n("1"))));
    let residual = residual.expect("c = 3");
    assert!(residual.evaluate(&item(&[("c", n("3"))])));
    assert!(!residual.evaluate(&item(&[("c", n("4"))])));
}

#[test]
fn key_types_are_checked_against_the_schema() {
    use eddy_types::AttrType;
    let schema = [("pk", AttrType::S), ("sk", AttrType::N)];
    let target = filter("pk = 'a' AND sk = 1")
        .single_item("pk", Some("sk"))
        .expect("keyed");
    assert_eq!(check_key(&target.key, &schema), Ok(()));
    let target = filter("pk = 1 AND sk = 1")
        .single_item("pk", Some("sk"))
        .expect("keyed");
    assert_eq!(
        check_key(&target.key, &schema)
            .expect_err("type")
            .to_string(),
        "Key attribute's data type should match its data type in table's schema: Key pk"
    );
    let BoundStatement::Insert(ins) = bound("INSERT INTO t VALUE {'pk': 'a'}", &[]) else {
        panic!("an insert")
    };
    assert_eq!(
        check_key(&ins.item, &schema)
            .expect_err("missing")
            .to_string(),
        "Key attribute should be present in the item: Key sk"
    );
}
