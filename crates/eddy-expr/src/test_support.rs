//! Fixtures shared by the unit tests.

use std::collections::HashMap;

use eddy_types::{AttributeValue, Item, Number};

/// A number value.
pub(crate) fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("test number"))
}

/// A string value.
pub(crate) fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// A list value.
pub(crate) fn l(items: Vec<AttributeValue>) -> AttributeValue {
    AttributeValue::L(items)
}

/// A map value.
pub(crate) fn m(entries: &[(&str, AttributeValue)]) -> AttributeValue {
    AttributeValue::M(item(entries))
}

/// A string set.
pub(crate) fn ss(members: &[&str]) -> AttributeValue {
    AttributeValue::Ss(members.iter().map(|m| (*m).to_owned()).collect())
}

/// A number set.
pub(crate) fn ns(members: &[&str]) -> AttributeValue {
    AttributeValue::Ns(
        members
            .iter()
            .map(|m| Number::parse(m).expect("test number"))
            .collect(),
    )
}

/// An item.
pub(crate) fn item(entries: &[(&str, AttributeValue)]) -> Item {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// ExpressionAttributeNames used across tests.
pub(crate) fn names() -> HashMap<String, String> {
    [
        ("#a", "a"),
        ("#b", "b"),
        ("#c", "c"),
        ("#d", "data"),
        ("#s", "status"),
        ("#idx", "[3]"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// ExpressionAttributeValues used across tests, one of each type.
pub(crate) fn values() -> HashMap<String, AttributeValue> {
    [
        (":s", s("a")),
        (":s2", s("b")),
        (":n", n("1")),
        (":n2", n("2")),
        (":b", AttributeValue::B(vec![0x61])),
        (":bool", AttributeValue::Bool(true)),
        (":null", AttributeValue::Null),
        (":ss", ss(&["a"])),
        (":ns", ns(&["1"])),
        (":bs", AttributeValue::Bs(vec![vec![0x61]])),
        (":l", l(vec![n("1")])),
        (":m", m(&[])),
        (":t", s("N")),
        (":bad", s("X")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}
