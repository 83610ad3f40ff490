//! Order-preserving, self-delimiting encoding of key values (S, N, B).
//!
//! Comparing two encodings of the same type bytewise gives DynamoDB's order: N numerically,
//! S by UTF-8 bytes, B by unsigned bytes. Each encoding ends itself, so `encode(pk) ++
//! encode(sk)` splits again and `encode(pk)` is a prefix of exactly the keys with that
//! partition key, ready for a storage range scan.
//!
//! - S and B: the bytes with `00` escaped as `00 FF`, then the terminator `00 01`. The
//!   terminator sorts below every continuation, so a prefix sorts first.
//! - N: a sign tag (`01` negative, `02` zero, `03` positive); for non-zero numbers, the
//!   exponent of the leading digit offset into one byte (−130..=125 → 0..=255), then the
//!   significant digits two to a byte (`1 + 10·d1 + d2`, so 1..=100, an odd count padded with
//!   a 0, which is harmless because canonical digits never end in 0), then `00`. Negative
//!   numbers invert the exponent and digit bytes and end in `FF`, reversing their order.

use crate::error::CodecError;
use crate::number::{MIN_EXPONENT, Number};
use crate::value::{AttrType, AttributeValue};

const TAG_NEGATIVE: u8 = 0x01;
const TAG_ZERO: u8 = 0x02;
const TAG_POSITIVE: u8 = 0x03;
const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xff;
const TERMINATOR: u8 = 0x01;

/// Appends the order-preserving encoding of a key value. Only S, N and B are key types; any
/// other value is written as an empty string (and trips a debug assertion).
pub fn encode_key_value(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => encode_bytes(s.as_bytes(), out),
        AttributeValue::B(b) => encode_bytes(b, out),
        AttributeValue::N(n) => encode_number(n, out),
        other => {
            debug_assert!(false, "{} is not a key type", other.attr_type());
            encode_bytes(&[], out);
        }
    }
}

/// Decodes one key value of type `ty` from the start of `bytes`, returning it and how many
/// bytes it used.
///
/// # Errors
/// [`CodecError`] when the bytes are not an encoding this module writes, or `ty` is not a
/// key type.
pub fn decode_key_value(bytes: &[u8], ty: AttrType) -> Result<(AttributeValue, usize), CodecError> {
    match ty {
        AttrType::S => {
            let (raw, used) = decode_bytes(bytes)?;
            let s = String::from_utf8(raw).map_err(|_| CodecError::InvalidUtf8)?;
            Ok((AttributeValue::S(s), used))
        }
        AttrType::B => {
            let (raw, used) = decode_bytes(bytes)?;
            Ok((AttributeValue::B(raw), used))
        }
        AttrType::N => {
            let (n, used) = decode_number(bytes)?;
            Ok((AttributeValue::N(n), used))
        }
        other => Err(CodecError::NotKeyType(other.as_str())),
    }
}

fn encode_bytes(b: &[u8], out: &mut Vec<u8>) {
    out.reserve(b.len() + 2);
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == 0 {
            out.extend_from_slice(&b[run..=i]);
            out.push(ESCAPED_ZERO);
            run = i + 1;
        }
    }
    out.extend_from_slice(&b[run..]);
    out.push(ESCAPE);
    out.push(TERMINATOR);
}

fn decode_bytes(bytes: &[u8]) -> Result<(Vec<u8>, usize), CodecError> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let Some(rel) = bytes[i..].iter().position(|&c| c == ESCAPE) else {
            return Err(CodecError::Truncated);
        };
        out.extend_from_slice(&bytes[i..i + rel]);
        i += rel + 1;
        match bytes.get(i) {
            Some(&TERMINATOR) => return Ok((out, i + 1)),
            Some(&ESCAPED_ZERO) => {
                out.push(0);
                i += 1;
            }
            Some(&other) => return Err(CodecError::InvalidKeyByte(other)),
            None => return Err(CodecError::Truncated),
        }
    }
}

fn encode_number(n: &Number, out: &mut Vec<u8>) {
    let parts = n.parts();
    if parts.digits.len() == 0 {
        out.push(TAG_ZERO);
        return;
    }
    // The exponent is within MIN_EXPONENT..=MAX_EXPONENT for every valid Number, so the
    // offset fits a byte; clamp rather than wrap should that ever not hold.
    let e = (parts.exp - MIN_EXPONENT).clamp(0, 255) as u8;
    let flip = |b: u8| if parts.neg { 0xff - b } else { b };
    out.push(if parts.neg {
        TAG_NEGATIVE
    } else {
        TAG_POSITIVE
    });
    out.push(flip(e));
    let mut pending: Option<u8> = None;
    for d in parts.digits.iter() {
        let d = d - b'0';
        match pending.take() {
            None => pending = Some(d),
            Some(hi) => out.push(flip(1 + hi * 10 + d)),
        }
    }
    if let Some(hi) = pending {
        out.push(flip(1 + hi * 10));
    }
    out.push(flip(0));
}

fn decode_number(bytes: &[u8]) -> Result<(Number, usize), CodecError> {
    let neg = match bytes.first() {
        Some(&TAG_ZERO) => return Ok((Number::zero(), 1)),
        Some(&TAG_NEGATIVE) => true,
        Some(&TAG_POSITIVE) => false,
        Some(&other) => return Err(CodecError::InvalidKeyByte(other)),
        None => return Err(CodecError::Truncated),
    };
    let flip = |b: u8| if neg { 0xff - b } else { b };
    let e = flip(*bytes.get(1).ok_or(CodecError::Truncated)?);
    let exp = i32::from(e) + MIN_EXPONENT;
    // At most 19 digit bytes hold 38 digits; stop looking after that.
    let mut digits = [0u8; 40];
    let mut n = 0;
    let mut i = 2;
    loop {
        let b = flip(*bytes.get(i).ok_or(CodecError::Truncated)?);
        i += 1;
        if b == 0 {
            break;
        }
        if b > 100 || n + 2 > digits.len() {
            return Err(CodecError::InvalidKeyByte(flip(b)));
        }
        digits[n] = b'0' + (b - 1) / 10;
        digits[n + 1] = b'0' + (b - 1) % 10;
        n += 2;
    }
    let sig = &digits[..n];
    // A valid encoding starts with a non-zero digit and has at least one digit byte.
    if sig.first().is_none_or(|&d| d == b'0') {
        return Err(CodecError::InvalidNumber);
    }
    let number = Number::from_parts(neg, exp, sig).map_err(|_| CodecError::InvalidNumber)?;
    Ok((number, i))
}
