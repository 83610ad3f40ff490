//! eddy's data model: DynamoDB attribute values and items, 38-digit numbers, item sizes, the
//! DynamoDB JSON wire form with the service's validation messages, the order-preserving key
//! encoding and the binary item codec used for storage.
//!
//! This crate is pure: no async, no I/O, no storage, no knowledge of tables or requests. It
//! sits at the bottom of the stack and must never depend on another eddy crate.
//!
//! ```
//! use eddy_types::{AttributeValue, Number, item_from_json, item_size, write_item_json};
//!
//! let json = serde_json::json!({"id": {"S": "Fred"}, "n": {"N": "001.50"}});
//! let item = item_from_json(&json).expect("valid item");
//! assert_eq!(item["n"], AttributeValue::N(Number::parse("1.5").expect("number")));
//! let mut out = Vec::new();
//! write_item_json(&item, &mut out);
//! assert_eq!(out, br#"{"id":{"S":"Fred"},"n":{"N":"1.5"}}"#);
//! assert_eq!(item_size(&item), 2 + 4 + 1 + 3);
//! ```

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod arith;
mod duration;
mod error;
mod item_codec;
mod json;
mod json_write;
mod key_codec;
mod number;
mod size;
mod value;

#[cfg(test)]
mod test_util;

pub use crate::{
    duration::parse_duration,
    error::{CodecError, NumberError, ValueError},
    item_codec::{decode_item, encode_item},
    json::{
        ReadOptions, item_from_json, item_from_json_with, read_item, read_value, value_from_json,
        value_from_json_with,
    },
    json_write::{write_item_json, write_str_json, write_value_json},
    key_codec::{decode_key_value, encode_key_value},
    number::{MAX_DIGITS, MAX_EXPONENT, MIN_EXPONENT, Number},
    size::{MAX_ITEM_SIZE, item_size},
    value::{AttrType, AttributeValue, Item, MAX_NESTING_DEPTH},
};
