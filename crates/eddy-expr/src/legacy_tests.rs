use super::*;
use crate::test_support::{item, l, n, s, ss};

fn expected(entries: Vec<(&str, ExpectedAttributeValue)>) -> Vec<(String, ExpectedAttributeValue)> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn cond(op: &str, values: Vec<AttributeValue>) -> LegacyCondition {
    LegacyCondition {
        comparison_operator: op.to_owned(),
        attribute_value_list: values,
    }
}

fn filter(entries: Vec<(&str, LegacyCondition)>) -> Vec<(String, LegacyCondition)> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[test]
fn expected_exists_and_value() {
    let it = item(&[("a", s("x")), ("n", n("5"))]);
    let eq = ExpectedAttributeValue {
        value: Some(s("x")),
        ..Default::default()
    };
    let absent = ExpectedAttributeValue {
        exists: Some(false),
        ..Default::default()
    };
    let c = expected_to_condition(
        &expected(vec![("a", eq.clone()), ("b", absent.clone())]),
        None,
    )
    .expect("lowers");
    assert!(c.evaluate(&it));
    let c = expected_to_condition(
        &expected(vec![("b", absent), ("n", eq.clone())]),
        Some("AND"),
    )
    .expect("lowers");
    assert!(!c.evaluate(&it));
    let wrong = ExpectedAttributeValue {
        value: Some(s("y")),
        exists: Some(true),
        ..Default::default()
    };
    let c = expected_to_condition(&expected(vec![("a", wrong), ("a", eq)]), Some("OR"))
        .expect("lowers");
    assert!(c.evaluate(&it));
    assert!(
        expected_to_condition(&[], None)
            .expect("lowers")
            .evaluate(&it)
    );
}

#[test]
fn expected_with_operators() {
    let it = item(&[("n", n("5")), ("tags", ss(&["a"]))]);
    let with = |op: &str, list: Option<Vec<AttributeValue>>, value: Option<AttributeValue>| {
        ExpectedAttributeValue {
            comparison_operator: Some(op.to_owned()),
            attribute_value_list: list,
            value,
            exists: None,
        }
    };
    for (attr, e, result) in [
        ("n", with("GT", Some(vec![n("4")]), None), true),
        ("n", with("LE", None, Some(n("4"))), false),
        ("n", with("BETWEEN", Some(vec![n("1"), n("5")]), None), true),
        ("n", with("IN", Some(vec![n("1"), n("5")]), None), true),
        ("n", with("NE", Some(vec![s("5")]), None), true),
        ("x", with("NULL", None, None), true),
        ("x", with("NOT_NULL", None, None), false),
        ("tags", with("CONTAINS", Some(vec![s("a")]), None), true),
        (
            "tags",
            with("NOT_CONTAINS", Some(vec![s("a")]), None),
            false,
        ),
        // A missing attribute fails NOT_CONTAINS, as DynamoDB answers it.
        ("x", with("NOT_CONTAINS", Some(vec![s("a")]), None), false),
    ] {
        let c = expected_to_condition(&expected(vec![(attr, e.clone())]), None).expect("lowers");
        assert_eq!(c.evaluate(&it), result, "{attr} {e:?}");
    }
}

#[test]
fn expected_messages() {
    let err = |e: ExpectedAttributeValue| {
        expected_to_condition(&expected(vec![("a", e)]), None)
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        err(ExpectedAttributeValue::default()),
        "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            exists: Some(true),
            ..Default::default()
        }),
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            exists: Some(false),
            value: Some(s("x")),
            ..Default::default()
        }),
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            exists: Some(true),
            comparison_operator: Some("EQ".into()),
            ..Default::default()
        }),
        "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            value: Some(s("x")),
            attribute_value_list: Some(vec![s("x")]),
            comparison_operator: Some("EQ".into()),
            ..Default::default()
        }),
        "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            attribute_value_list: Some(vec![s("x")]),
            ..Default::default()
        }),
        "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"
    );
    assert_eq!(
        err(ExpectedAttributeValue {
            comparison_operator: Some("GT".into()),
            ..Default::default()
        }),
        "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: a"
    );
    assert_eq!(
        expected_to_condition(&[], Some("XOR"))
            .expect_err("enum")
            .to_string(),
        "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [AND, OR]"
    );
}

#[test]
fn filter_validation_messages() {
    let err = |c: LegacyCondition| {
        filter_to_condition(&filter(vec![("a", c)]), None)
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        err(cond("EQ", vec![])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        err(cond("NULL", vec![s("a")])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
    );
    assert_eq!(
        err(cond("BETWEEN", vec![n("1")])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
    );
    assert_eq!(
        err(cond("IN", vec![n("1"), s("a")])),
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    );
    assert_eq!(
        err(cond("LT", vec![AttributeValue::Bool(true)])),
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for BOOL AttributeValue type"
    );
    assert_eq!(
        err(cond("CONTAINS", vec![ss(&["a"])])),
        "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for SS AttributeValue type"
    );
    assert_eq!(
        err(cond("BEGINS_WITH", vec![n("1")])),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
    assert_eq!(
        err(cond("BETWEEN", vec![n("2"), n("1")])),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    assert!(err(cond("LIKE", vec![])).contains("Value 'LIKE' at 'comparisonOperator'"));
    assert!(
        filter_to_condition(
            &filter(vec![("a", cond("EQ", vec![AttributeValue::Bool(true)]))]),
            None
        )
        .is_ok()
    );
}

#[test]
fn filters_evaluate() {
    let it = item(&[("a", s("abc")), ("n", n("3")), ("l", l(vec![s("x")]))]);
    let f = filter(vec![
        ("a", cond("BEGINS_WITH", vec![s("ab")])),
        ("n", cond("GE", vec![n("3")])),
        ("l", cond("CONTAINS", vec![s("x")])),
    ]);
    assert!(filter_to_condition(&f, None).expect("lowers").evaluate(&it));
    let f = filter(vec![
        ("a", cond("EQ", vec![s("zzz")])),
        ("n", cond("LT", vec![n("4")])),
    ]);
    assert!(!filter_to_condition(&f, None).expect("lowers").evaluate(&it));
    assert!(
        filter_to_condition(&f, Some("OR"))
            .expect("lowers")
            .evaluate(&it)
    );
    let c = filter_to_condition(&f, None).expect("lowers");
    let names: Vec<&str> = c.paths().into_iter().map(Path::top).collect();
    assert_eq!(names, ["a", "n"]);
}

#[test]
fn key_conditions_against_schema() {
    let k = key_conditions(
        &filter(vec![
            ("h", cond("EQ", vec![s("x")])),
            ("r", cond("BETWEEN", vec![n("1"), n("2")])),
        ]),
        KeyNames {
            hash: &["h"],
            range: &["r"],
        },
    )
    .expect("valid");
    assert_eq!(k.hash_values, vec![s("x")]);
    assert_eq!(k.range, Some(RangeCondition::Between(n("1"), n("2"))));
    for (conds, hash, range, message) in [
        (vec![], "h", None, "Conditions can be of length 1 or 2 only"),
        (
            vec![
                ("h", cond("NULL", vec![])),
                ("r", cond("NULL", vec![])),
                ("x", cond("NULL", vec![])),
            ],
            "h",
            Some("r"),
            "Conditions can be of length 1 or 2 only",
        ),
        (
            vec![("h", cond("GT", vec![s("x")]))],
            "h",
            None,
            "Query key condition not supported",
        ),
        (
            vec![
                ("h", cond("EQ", vec![s("x")])),
                ("r", cond("EQ", vec![s("x")])),
            ],
            "h",
            None,
            "Query key condition not supported",
        ),
        (
            vec![("z", cond("EQ", vec![s("x")]))],
            "h",
            None,
            "Query condition missed key schema element: h",
        ),
        (
            vec![("h", cond("EQ", vec![s("x")])), ("c", cond("NULL", vec![]))],
            "h",
            Some("r"),
            "Query condition missed key schema element: r",
        ),
        (
            vec![("h", cond("NE", vec![s("x")]))],
            "h",
            None,
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            vec![
                ("h", cond("EQ", vec![s("x")])),
                ("r", cond("IN", vec![s("x")])),
            ],
            "h",
            Some("r"),
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            vec![("h", cond("EQ", vec![]))],
            "h",
            None,
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator",
        ),
    ] {
        assert_eq!(
            key_conditions(
                &filter(conds.clone()),
                KeyNames {
                    hash: &[hash],
                    range: &Vec::from_iter(range),
                },
            )
            .expect_err("invalid")
            .to_string(),
            message,
            "{conds:?}"
        );
    }
}

#[test]
fn attribute_update_messages() {
    let err = |action: Option<&str>, value: Option<AttributeValue>| {
        attribute_updates_to_update(&[(
            "a".to_owned(),
            AttributeValueUpdate {
                value,
                action: action.map(str::to_owned),
            },
        )])
        .expect_err("invalid")
        .to_string()
    };
    assert_eq!(
        err(None, None),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        err(Some("DELETE"), Some(s("x"))),
        "One or more parameter values were invalid: DELETE action with value is not supported for the type S"
    );
    assert_eq!(
        err(Some("ADD"), Some(s("x"))),
        "One or more parameter values were invalid: ADD action is not supported for the type S"
    );
    assert!(err(Some("REPLACE"), Some(s("x"))).contains("Value 'REPLACE' at 'action'"));
}
