//! Property: the key encoding keeps DynamoDB's order. For random pairs of S, B and N values,
//! comparing encodings bytewise gives DynamoDB's order (S by UTF-8 bytes, B by unsigned
//! bytes, N numerically); each encoding decodes back to its value using exactly its own
//! bytes; and a composite key (partition key, then sort key) splits again and sorts by
//! partition key, then sort key.
//!
//! Numbers are generated from a model that does not use `Number`: a sign, the exponent of the
//! leading digit and up to 38 significant digits, anywhere in DynamoDB's range. The model's
//! own comparison is the oracle for the encoding, and for `Number`'s order too.

use std::cmp::Ordering;

use eddy_types::{
    AttrType, AttributeValue, MAX_DIGITS, MAX_EXPONENT, MIN_EXPONENT, Number, decode_key_value,
    encode_key_value,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// A number as sign, decimal exponent of the leading digit, and significant digits (the first
/// non-zero; trailing zeros allowed, as they do not change the value). Zero has no digits.
#[derive(Clone, Debug)]
struct Decimal {
    neg: bool,
    exp: i32,
    digits: Vec<u8>,
}

impl Decimal {
    fn zero() -> Decimal {
        Decimal {
            neg: false,
            exp: 0,
            digits: Vec::new(),
        }
    }

    /// Scientific notation, `-1.25E-7`.
    fn text(&self) -> String {
        let Some((first, rest)) = self.digits.split_first() else {
            return "0".to_owned();
        };
        let rest: String = rest.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.neg { "-" } else { "" };
        format!("{sign}{first}.{rest}E{}", self.exp)
    }

    fn number(&self) -> Number {
        Number::parse(&self.text()).expect("within DynamoDB's limits")
    }

    fn signum(&self) -> i8 {
        match (self.digits.is_empty(), self.neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// Numeric order: by sign, then magnitude. At one exponent, digit strings without
    /// trailing zeros compare lexicographically as their values do (`12` < `123` < `13`).
    fn cmp_value(&self, other: &Decimal) -> Ordering {
        self.signum().cmp(&other.signum()).then_with(|| {
            let magnitude = self
                .exp
                .cmp(&other.exp)
                .then_with(|| significant(&self.digits).cmp(significant(&other.digits)));
            if self.neg {
                magnitude.reverse()
            } else {
                magnitude
            }
        })
    }
}

fn significant(digits: &[u8]) -> &[u8] {
    let end = digits.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1);
    &digits[..end]
}

/// Any exponent, with extra weight near 1 and at both limits.
fn exponent() -> impl Strategy<Value = i32> {
    prop_oneof![
        MIN_EXPONENT..=MAX_EXPONENT,
        -3..=3i32,
        Just(MIN_EXPONENT),
        Just(MAX_EXPONENT),
    ]
}

/// One to 38 digits, the first non-zero.
fn significand() -> impl Strategy<Value = Vec<u8>> {
    (1u8..10, vec(0u8..10, 0..MAX_DIGITS)).prop_map(|(first, rest)| {
        let mut digits = vec![first];
        digits.extend(rest);
        digits
    })
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        1 => Just(Decimal::zero()),
        9 => (any::<bool>(), exponent(), significand())
            .prop_map(|(neg, exp, digits)| Decimal { neg, exp, digits }),
    ]
}

/// Two numbers with one sign, one exponent and common leading digits, which only their last
/// digit bytes or their lengths tell apart: what independent random numbers rarely give.
fn close_decimals() -> impl Strategy<Value = (Decimal, Decimal)> {
    (
        any::<bool>(),
        exponent(),
        significand(),
        vec(0u8..10, 0..4),
        vec(0u8..10, 0..4),
    )
        .prop_map(|(neg, exp, common, a, b)| {
            let with_tail = |tail: Vec<u8>| {
                let mut digits = common.clone();
                digits.extend(tail);
                digits.truncate(MAX_DIGITS);
                Decimal { neg, exp, digits }
            };
            (with_tail(a), with_tail(b))
        })
}

fn decimal_pair() -> impl Strategy<Value = (Decimal, Decimal)> {
    prop_oneof![(decimal(), decimal()), close_decimals()]
}

/// Strings over an alphabet that makes NULs (which the encoding escapes), shared prefixes
/// and multi-byte characters common.
fn string() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        Just('\0'),
        Just('\u{1}'),
        Just('a'),
        Just('b'),
        Just('é'),
        Just('\u{ffff}'),
        Just('😀'),
        any::<char>(),
    ];
    vec(c, 0..6).prop_map(String::from_iter)
}

/// Bytes, with the escape-relevant 00, 01 and FF common.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let b = prop_oneof![
        Just(0u8),
        Just(1u8),
        Just(0xfeu8),
        Just(0xffu8),
        any::<u8>()
    ];
    vec(b, 0..6)
}

/// A key value in a form whose DynamoDB order the test knows without the encoding.
#[derive(Clone, Debug)]
enum Key {
    S(String),
    B(Vec<u8>),
    N(Decimal),
}

impl Key {
    fn value(&self) -> AttributeValue {
        match self {
            Key::S(s) => AttributeValue::S(s.clone()),
            Key::B(b) => AttributeValue::B(b.clone()),
            Key::N(n) => AttributeValue::N(n.number()),
        }
    }

    fn ty(&self) -> AttrType {
        match self {
            Key::S(_) => AttrType::S,
            Key::B(_) => AttrType::B,
            Key::N(_) => AttrType::N,
        }
    }

    fn encoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(&self.value(), &mut out);
        out
    }

    /// DynamoDB's order of two keys of one type.
    fn dynamo_cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::S(a), Key::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Key::B(a), Key::B(b)) => a.cmp(b),
            (Key::N(a), Key::N(b)) => a.cmp_value(b),
            _ => unreachable!("key_pair gives two keys of one type"),
        }
    }
}

fn key_pair() -> impl Strategy<Value = (Key, Key)> {
    prop_oneof![
        (string(), string()).prop_map(|(a, b)| (Key::S(a), Key::S(b))),
        (bytes(), bytes()).prop_map(|(a, b)| (Key::B(a), Key::B(b))),
        decimal_pair().prop_map(|(a, b)| (Key::N(a), Key::N(b))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encodings_sort_in_dynamodb_order((a, b) in key_pair()) {
        let order = a.encoded().cmp(&b.encoded());
        prop_assert_eq!(order, a.dynamo_cmp(&b), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn numbers_order_as_the_model_does((a, b) in decimal_pair()) {
        let (na, nb) = (a.number(), b.number());
        prop_assert_eq!(na.cmp(&nb), a.cmp_value(&b), "{} vs {}", na, nb);
    }

    /// Decoding reads one encoding and stops, whatever follows it.
    #[test]
    fn decoding_inverts_encoding((key, _) in key_pair(), trailing in bytes()) {
        let encoded = key.encoded();
        let stored = [encoded.as_slice(), trailing.as_slice()].concat();
        prop_assert_eq!(
            decode_key_value(&stored, key.ty()),
            Ok((key.value(), encoded.len()))
        );
    }

    #[test]
    fn composite_keys_split_and_sort((pk_a, pk_b) in key_pair(), (sk_a, sk_b) in key_pair()) {
        let (pk_len, a) = (pk_a.encoded().len(), [pk_a.encoded(), sk_a.encoded()].concat());
        let b = [pk_b.encoded(), sk_b.encoded()].concat();
        prop_assert_eq!(decode_key_value(&a, pk_a.ty()), Ok((pk_a.value(), pk_len)));
        prop_assert_eq!(
            decode_key_value(&a[pk_len..], sk_a.ty()),
            Ok((sk_a.value(), a.len() - pk_len))
        );
        let pk_order = pk_a.dynamo_cmp(&pk_b);
        prop_assert_eq!(a.cmp(&b), pk_order.then_with(|| sk_a.dynamo_cmp(&sk_b)));
        // A partition key's encoding prefixes exactly the keys of its partition: a Query's
        // range scan.
        prop_assert_eq!(b.starts_with(&pk_a.encoded()), pk_order.is_eq());
    }
}
