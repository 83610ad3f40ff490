//! The condition, update, projection and key-condition parsers, and what they build: the
//! first byte picks the parser, the rest is the expression text. Whatever parses is also
//! evaluated, applied or projected on a fixed item.
#![no_main]

use std::collections::HashMap;

use eddy_expr::{
    ExprParam, KeyNames, Placeholders, parse_condition, parse_key_condition, parse_projection,
    parse_update, project,
};
use eddy_types::{AttributeValue, Item, Number};
use libfuzzer_sys::fuzz_target;

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("fixture number"))
}

fn names() -> HashMap<String, String> {
    [("#a", "a"), ("#b", "b"), ("#l", "l"), ("#m", "m"), ("#i", "[0]")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn values() -> HashMap<String, AttributeValue> {
    [
        (":s", AttributeValue::S("a".into())),
        (":n", n("1")),
        (":big", n("9.9999999999999999999999999999999999999E+125")),
        (":b", AttributeValue::B(vec![0x61])),
        (":t", AttributeValue::Bool(true)),
        (":null", AttributeValue::Null),
        (":ss", AttributeValue::Ss(vec!["a".into()])),
        (":ns", AttributeValue::Ns(vec![Number::parse("1").expect("fixture number")])),
        (":bs", AttributeValue::Bs(vec![vec![0x61]])),
        (":l", AttributeValue::L(vec![n("1")])),
        (":m", AttributeValue::M(Item::new())),
        (":ty", AttributeValue::S("N".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn item() -> Item {
    let mut inner = Item::new();
    inner.insert("b".into(), AttributeValue::S("x".into()));
    [
        ("a", AttributeValue::L(vec![n("1"), AttributeValue::M(inner)])),
        ("b", n("3")),
        ("l", AttributeValue::L(vec![n("1"), n("2")])),
        ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let (names, values, item) = (names(), values(), item());
    let mut ph = Placeholders::new(Some(&names), Some(&values));
    match which % 4 {
        0 => {
            if let Ok(c) = parse_condition(text, ExprParam::ConditionExpression, &mut ph) {
                c.evaluate(&item);
            }
        }
        1 => {
            if let Ok(u) = parse_update(text, &mut ph) {
                let mut copy = item.clone();
                let _ = u.apply(&mut copy);
            }
        }
        2 => {
            if let Ok(p) = parse_projection(text, &mut ph) {
                project(&item, &p);
            }
        }
        _ => {
            let key = KeyNames {
                hash: &["a"],
                range: &["b"],
            };
            let _ = parse_key_condition(text, &mut ph, key);
        }
    }
    let _ = ph.check_all_used();
});
