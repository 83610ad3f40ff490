//! Attribute values and numbers from DynamoDB JSON: whatever decodes must write back to JSON
//! that decodes to the same value, survive the storage codec, and have a size; numbers must
//! parse, print canonically, add and subtract without panicking, and their key encoding must
//! order them as DynamoDB does.
#![no_main]

use eddy_types::{
    AttrType, AttributeValue, Item, Number, decode_item, decode_key_value, encode_item,
    encode_key_value, item_from_json, item_size, write_item_json,
};
use libfuzzer_sys::fuzz_target;

fn numbers(text: &str) {
    let mut halves = text.splitn(2, ' ');
    let (Some(a), Some(b)) = (halves.next(), halves.next()) else {
        let _ = Number::parse(text);
        return;
    };
    let (Ok(a), Ok(b)) = (Number::parse(a), Number::parse(b)) else {
        return;
    };
    assert_eq!(Number::parse(a.as_str()).as_ref(), Ok(&a), "canonical text re-parses");
    let _ = a.checked_add(&b);
    let _ = a.checked_sub(&b);
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    encode_key_value(&AttributeValue::N(a.clone()), &mut ka);
    encode_key_value(&AttributeValue::N(b.clone()), &mut kb);
    assert_eq!(ka.cmp(&kb), a.cmp(&b), "key order of {a} and {b}");
    let (back, used) = decode_key_value(&ka, AttrType::N).expect("own key decodes");
    assert_eq!((back, used), (AttributeValue::N(a), ka.len()));
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    numbers(text);
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Ok(item) = item_from_json(&json) else {
        return;
    };
    let _ = item_size(&item);
    let mut written = Vec::new();
    write_item_json(&item, &mut written);
    let reread: serde_json::Value = serde_json::from_slice(&written).expect("eddy writes JSON");
    assert_eq!(item_from_json(&reread).as_ref(), Ok(&item), "JSON round trip");
    let mut stored = Vec::new();
    encode_item(&item, &mut stored);
    let decoded: Item = decode_item(&stored).expect("own encoding decodes");
    assert_eq!(decoded, item, "codec round trip");
});
