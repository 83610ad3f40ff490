//! Writing values as DynamoDB JSON straight into a byte buffer, for responses: no
//! intermediate `serde_json::Value` tree, and the same bytes `serde_json::to_vec` of that tree
//! would produce.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::value::{AttributeValue, Item};

/// Appends an item's JSON to `out`: a JSON object of name → DynamoDB JSON value, names in
/// order.
pub fn write_item_json(item: &Item, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in item.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str_json(k, out);
        out.push(b':');
        write_value_json(v, out);
    }
    out.push(b'}');
}

/// Appends one value's DynamoDB JSON to `out`, e.g. `{"N":"1"}`.
pub fn write_value_json(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => {
            out.extend_from_slice(b"{\"S\":");
            write_str_json(s, out);
        }
        AttributeValue::N(n) => {
            // Canonical number text never needs escaping.
            out.extend_from_slice(b"{\"N\":\"");
            out.extend_from_slice(n.as_str().as_bytes());
            out.push(b'"');
        }
        AttributeValue::B(b) => {
            out.extend_from_slice(b"{\"B\":");
            write_base64(b, out);
        }
        AttributeValue::Bool(true) => out.extend_from_slice(b"{\"BOOL\":true"),
        AttributeValue::Bool(false) => out.extend_from_slice(b"{\"BOOL\":false"),
        AttributeValue::Null => out.extend_from_slice(b"{\"NULL\":true"),
        AttributeValue::Ss(v) => {
            out.extend_from_slice(b"{\"SS\":");
            write_array(v, out, |s, out| write_str_json(s, out));
        }
        AttributeValue::Ns(v) => {
            out.extend_from_slice(b"{\"NS\":");
            write_array(v, out, |n, out| {
                out.push(b'"');
                out.extend_from_slice(n.as_str().as_bytes());
                out.push(b'"');
            });
        }
        AttributeValue::Bs(v) => {
            out.extend_from_slice(b"{\"BS\":");
            write_array(v, out, |b, out| write_base64(b, out));
        }
        AttributeValue::L(v) => {
            out.extend_from_slice(b"{\"L\":");
            write_array(v, out, write_value_json);
        }
        AttributeValue::M(m) => {
            out.extend_from_slice(b"{\"M\":");
            write_item_json(m, out);
        }
    }
    out.push(b'}');
}

fn write_array<T>(items: &[T], out: &mut Vec<u8>, mut each: impl FnMut(&T, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(item, out);
    }
    out.push(b']');
}

fn write_base64(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + b.len().div_ceil(3) * 4, 0);
    // The buffer was sized for padded output just above, so this cannot fail; fall back to
    // the allocating encoder rather than panic if it ever did.
    match BASE64.encode_slice(b, &mut out[start..]) {
        Ok(n) => out.truncate(start + n),
        Err(_) => {
            out.truncate(start);
            out.extend_from_slice(BASE64.encode(b).as_bytes());
        }
    }
    out.push(b'"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a JSON string literal with serde_json's escaping: `"` `\` and control characters
/// only, short forms where JSON has them, `\u00xx` otherwise.
pub fn write_str_json(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let escape: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}
