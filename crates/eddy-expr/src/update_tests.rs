use std::collections::HashMap;

use super::*;
use crate::legacy::{AttributeValueUpdate, attribute_updates_to_update};
use crate::placeholders::Placeholders;
use crate::projection::project;
use crate::test_support::{item, l, m, n, ns, s, ss};
use crate::update_expression::parse_update;

fn update(text: &str, values: &[(&str, AttributeValue)]) -> Update {
    let values: HashMap<String, AttributeValue> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let names = HashMap::from([("#k".to_owned(), "key".to_owned())]);
    let mut ph = Placeholders::new(Some(&names), Some(&values));
    parse_update(text, &mut ph).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn applied(
    text: &str,
    values: &[(&str, AttributeValue)],
    before: &Item,
) -> Result<Item, ExprError> {
    let mut it = before.clone();
    update(text, values).apply(&mut it)?;
    Ok(it)
}

#[test]
fn set_top_level_nested_and_from_old_values() {
    let before = item(&[("a", n("1")), ("b", n("2")), ("m", m(&[("x", s("old"))]))]);
    let after = applied(
        "SET a = b, b = a, m.x = :v, m.y = :v, c = :v",
        &[(":v", s("new"))],
        &before,
    )
    .expect("applies");
    assert_eq!(
        after,
        item(&[
            ("a", n("2")),
            ("b", n("1")),
            ("m", m(&[("x", s("new")), ("y", s("new"))])),
            ("c", s("new")),
        ])
    );
}

#[test]
fn list_indexes_refer_to_the_original_list() {
    let before = item(&[("l", l(vec![n("0"), n("1"), n("2"), n("3")]))]);
    let after = applied("REMOVE l[1], l[2]", &[], &before).expect("applies");
    assert_eq!(after, item(&[("l", l(vec![n("0"), n("3")]))]));

    let after = applied("REMOVE l[0] SET l[3] = :v", &[(":v", s("x"))], &before).expect("applies");
    assert_eq!(after, item(&[("l", l(vec![n("1"), n("2"), s("x")]))]));

    // Out-of-range SETs append, in index order; out-of-range REMOVEs do nothing.
    let after = applied(
        "SET l[9] = :b, l[7] = :a REMOVE l[8]",
        &[(":a", s("a")), (":b", s("b"))],
        &before,
    )
    .expect("applies");
    assert_eq!(
        after,
        item(&[("l", l(vec![n("0"), n("1"), n("2"), n("3"), s("a"), s("b")]))])
    );
}

#[test]
fn mixed_update_from_dynalite() {
    let key = s("k");
    let before = item(&[
        ("a", key.clone()),
        ("b", m(&[("a", n("1")), ("b", n("2")), ("c", n("3"))])),
        ("c", l(vec![n("1"), n("3")])),
    ]);
    let u = update(
        "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a",
        &[(":a", n("2")), (":b", ss(&["a"]))],
    );
    let mut after = before.clone();
    u.apply(&mut after).expect("applies");
    assert_eq!(
        after,
        item(&[
            ("a", key.clone()),
            ("b", m(&[("a", key.clone()), ("b", n("2")), ("c", n("4"))])),
            (
                "c",
                l(vec![
                    n("1"),
                    key.clone(),
                    n("3"),
                    n("-1"),
                    n("2"),
                    ss(&["a"])
                ])
            ),
        ])
    );
    // UPDATED_NEW: the written paths, projected from the new item.
    let targets: Vec<Path> = u.target_paths().into_iter().cloned().collect();
    assert_eq!(
        project(&after, &targets),
        item(&[
            ("b", m(&[("a", key.clone()), ("c", n("4"))])),
            ("c", l(vec![key, n("3"), n("2")])),
        ])
    );
}

#[test]
fn remove_missing_is_a_no_op_but_needs_a_parent() {
    let before = item(&[("m", m(&[("x", n("1"))]))]);
    assert_eq!(
        applied("REMOVE nope, m.y", &[], &before).expect("applies"),
        before
    );
    assert_eq!(
        applied("REMOVE nope.x", &[], &before),
        Err(ExprError::InvalidUpdatePath)
    );
}

#[test]
fn invalid_paths() {
    let before = item(&[("m", m(&[])), ("l", l(vec![]))]);
    for text in [
        "SET nope.x = :v",
        "SET m[0] = :v",
        "SET l.x = :v",
        "ADD nope.n :n",
        "SET m.a.b = :v",
    ] {
        assert_eq!(
            applied(text, &[(":v", n("1")), (":n", n("1"))], &before),
            Err(ExprError::InvalidUpdatePath),
            "{text}"
        );
    }
    assert_eq!(
        applied("SET m.a = :v", &[(":v", n("1"))], &before).expect("applies")["m"],
        m(&[("a", n("1"))])
    );
}

#[test]
fn add_numbers_and_sets() {
    let before = item(&[
        ("n", n("1.5")),
        ("tags", ss(&["a", "b"])),
        ("nums", ns(&["1"])),
        ("str", s("x")),
    ]);
    let after = applied(
        "ADD n :n, tags :tags, nums :nums, fresh :n, fresh_set :tags",
        &[
            (":n", n("2.25")),
            (":tags", ss(&["b", "c"])),
            (":nums", ns(&["1.0", "2"])),
        ],
        &before,
    )
    .expect("applies");
    assert_eq!(after["n"], n("3.75"));
    assert_eq!(after["tags"], ss(&["a", "b", "c"]));
    assert_eq!(after["nums"], ns(&["1", "2"]));
    assert_eq!(after["fresh"], n("2.25"));
    assert_eq!(after["fresh_set"], ss(&["b", "c"]));
    for (text, v) in [
        ("ADD str :v", n("1")),
        ("ADD tags :v", ns(&["1"])),
        ("ADD n :v", ss(&["a"])),
    ] {
        assert_eq!(
            applied(text, &[(":v", v)], &before),
            Err(ExprError::IncorrectOperandType),
            "{text}"
        );
    }
}

#[test]
fn delete_from_sets() {
    let before = item(&[("tags", ss(&["a", "b"])), ("str", s("x"))]);
    let after = applied("DELETE tags :v", &[(":v", ss(&["a", "z"]))], &before).expect("applies");
    assert_eq!(after["tags"], ss(&["b"]));
    let after = applied("DELETE tags :v", &[(":v", ss(&["a", "b"]))], &before).expect("applies");
    assert!(!after.contains_key("tags"));
    let after = applied("DELETE nope :v", &[(":v", ss(&["a"]))], &before).expect("applies");
    assert_eq!(after, before);
    assert_eq!(
        applied("DELETE tags :v", &[(":v", ns(&["1"]))], &before),
        Err(ExprError::IncorrectOperandType)
    );
    assert_eq!(
        applied("DELETE str :v", &[(":v", ss(&["x"]))], &before),
        Err(ExprError::IncorrectOperandType)
    );
}

#[test]
fn set_functions_and_arithmetic() {
    let before = item(&[("n", n("10")), ("l", l(vec![n("1")])), ("s", s("x"))]);
    let vals = [(":one", n("1")), (":l", l(vec![n("2")])), (":s", s("y"))];
    let after = applied(
        "SET a = if_not_exists(n, :one), b = if_not_exists(nope, :one), c = list_append(l, :l), d = list_append(:l, l), e = n - :one, f = (n + n)",
        &vals,
        &before,
    )
    .expect("applies");
    assert_eq!(after["a"], n("10"));
    assert_eq!(after["b"], n("1"));
    assert_eq!(after["c"], l(vec![n("1"), n("2")]));
    assert_eq!(after["d"], l(vec![n("2"), n("1")]));
    assert_eq!(after["e"], n("9"));
    assert_eq!(after["f"], n("20"));
    for (text, expected) in [
        ("SET a = nope", ExprError::MissingAttribute),
        ("SET a = nope + :one", ExprError::MissingAttribute),
        ("SET a = s + :one", ExprError::IncorrectOperandType),
        (
            "SET a = list_append(s, :l)",
            ExprError::IncorrectOperandType,
        ),
        ("SET a = list_append(nope, :l)", ExprError::MissingAttribute),
    ] {
        assert_eq!(applied(text, &vals, &before), Err(expected), "{text}");
    }
}

#[test]
fn arithmetic_range_errors() {
    let big = "9.9999999999999999999999999999999999999E+125";
    let before = item(&[("n", n(big))]);
    let err = applied("SET n = n + :v", &[(":v", n(big))], &before).expect_err("overflow");
    assert_eq!(
        err.to_string(),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    let err = applied("ADD n :v", &[(":v", n(big))], &before).expect_err("overflow");
    assert!(matches!(err, ExprError::Number(_)));
}

#[test]
fn failed_update_leaves_item_unchanged() {
    let before = item(&[("a", n("1")), ("s", s("x"))]);
    let mut it = before.clone();
    let u = update("SET a = :v, b = s + :v", &[(":v", n("2"))]);
    assert_eq!(u.apply(&mut it), Err(ExprError::IncorrectOperandType));
    assert_eq!(it, before);
}

#[test]
fn legacy_updates() {
    let before = item(&[("l", l(vec![n("1")])), ("s", s("x")), ("gone", n("1"))]);
    let updates = [
        (
            "l".to_owned(),
            AttributeValueUpdate {
                value: Some(l(vec![n("2")])),
                action: Some("ADD".into()),
            },
        ),
        (
            "p".to_owned(),
            AttributeValueUpdate {
                value: Some(s("v")),
                action: None,
            },
        ),
        (
            "gone".to_owned(),
            AttributeValueUpdate {
                value: None,
                action: Some("DELETE".into()),
            },
        ),
        (
            "c".to_owned(),
            AttributeValueUpdate {
                value: Some(n("5")),
                action: Some("ADD".into()),
            },
        ),
    ];
    let u = attribute_updates_to_update(&updates).expect("lowers");
    let mut it = before.clone();
    u.apply(&mut it).expect("applies");
    assert_eq!(
        it,
        item(&[
            ("l", l(vec![n("1"), n("2")])),
            ("s", s("x")),
            ("p", s("v")),
            ("c", n("5"))
        ])
    );
    let bad = attribute_updates_to_update(&[(
        "s".to_owned(),
        AttributeValueUpdate {
            value: Some(n("1")),
            action: Some("ADD".into()),
        },
    )])
    .expect("lowers");
    let mut it = before;
    assert_eq!(bad.apply(&mut it), Err(ExprError::LegacyTypeMismatch));
    assert_eq!(
        ExprError::LegacyTypeMismatch.to_string(),
        "Type mismatch for attribute to update"
    );
}

#[test]
fn runtime_error_order() {
    let before = item(&[("s", s("x")), ("n", n("1"))]);
    let vals = [(":one", n("1"))];
    for (text, expected) in [
        // A parent of the wrong kind first, even after a type error.
        ("SET b = s + :one, s.x = :one", ExprError::InvalidUpdatePath),
        // Then wrong types, even after a missing attribute.
        (
            "SET a = nope, b = s + :one",
            ExprError::IncorrectOperandType,
        ),
        ("SET a = nope ADD s :one", ExprError::IncorrectOperandType),
        // Then clause by clause from the last: missing parents, then missing attributes.
        ("SET a = nope REMOVE x.y", ExprError::InvalidUpdatePath),
        ("REMOVE x.y SET a = nope", ExprError::MissingAttribute),
        ("SET a = nope, x.y = :one", ExprError::InvalidUpdatePath),
    ] {
        assert_eq!(applied(text, &vals, &before), Err(expected), "{text}");
    }
}
