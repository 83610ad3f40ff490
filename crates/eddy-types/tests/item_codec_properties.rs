//! Property: the item codec round-trips. Random items with every attribute type, sets of
//! distinct members and lists and maps nested four deep decode to the item that was encoded,
//! sets in the order they were written.

use std::fmt::Debug;

use eddy_types::{AttributeValue, Item, Number, decode_item, encode_item};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;

/// Names and strings: empty, short, or long enough in bytes for a two-byte length prefix.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![4 => "\\PC{0,6}", 1 => "\\PC{100,140}"]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..8)
}

/// Magnitudes from 1E-130 up to about 9.2E125, so canonical text (plain decimal, never
/// exponent notation) runs from one character to over 130.
fn number() -> impl Strategy<Value = Number> {
    (any::<i64>(), MIN_SCALE..=MAX_SCALE).prop_map(|(mantissa, scale)| {
        Number::parse(&format!("{mantissa}E{scale}")).expect("within DynamoDB's limits")
    })
}

/// A one-digit mantissa at this scale is DynamoDB's smallest magnitude.
const MIN_SCALE: i32 = eddy_types::MIN_EXPONENT;
/// A 19-digit mantissa (the longest an i64 has) at this scale reaches the largest exponent.
const MAX_SCALE: i32 = eddy_types::MAX_EXPONENT - 18;

/// A set's members: at least one, distinct, in random order.
fn members<T: Ord + Clone + Debug>(
    member: impl Strategy<Value = T>,
) -> impl Strategy<Value = Vec<T>> {
    btree_set(member, 1..5)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

fn scalar_or_set() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        text().prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        bytes().prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        members(text()).prop_map(AttributeValue::Ss),
        members(number()).prop_map(AttributeValue::Ns),
        members(bytes()).prop_map(AttributeValue::Bs),
    ]
}

/// Up to four levels of lists and maps above the scalars and sets.
fn value() -> impl Strategy<Value = AttributeValue> {
    scalar_or_set().prop_recursive(4, 64, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            btree_map(text(), inner, 0..4).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    btree_map(text(), value(), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn items_round_trip(item in item()) {
        let mut encoded = Vec::new();
        encode_item(&item, &mut encoded);
        let decoded = decode_item(&encoded).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &item);
        // `AttributeValue`'s equality ignores set order; the derived `Debug` text does not.
        prop_assert_eq!(format!("{decoded:?}"), format!("{item:?}"));
    }
}
