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

#[cfg(test)]
mod tests {

    use super::*;
    use crate::test_util::Rng;

    fn enc(v: &AttributeValue) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(v, &mut out);
        out
    }

    fn num(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    fn random_number(rng: &mut Rng) -> Number {
        let n_digits = 1 + rng.below(38) as usize;
        let mut digits: String = (0..n_digits)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        digits.replace_range(0..1, &(1 + rng.below(9)).to_string());
        let exp = if rng.chance(3) {
            rng.below(5) as i64 - 2
        } else {
            rng.below(256) as i64 - 130
        };
        let sign = if rng.chance(2) { "-" } else { "" };
        if rng.chance(25) {
            return Number::zero();
        }
        // Share prefixes often, so digit-by-digit comparisons are exercised.
        if rng.chance(3) {
            digits.truncate(1 + rng.below(3) as usize);
        }
        let (first, rest) = digits.split_at(1);
        Number::parse(&format!("{sign}{first}.{rest}e{exp}")).unwrap()
    }

    fn random_bytes(rng: &mut Rng) -> Vec<u8> {
        let len = rng.below(6) as usize;
        // A small alphabet with 0x00, 0x01 and 0xFF makes prefixes and escapes common.
        let alphabet = [0x00, 0x01, 0x02, b'a', 0x7f, 0xfe, 0xff];
        (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn numbers_encode_in_numeric_order() {
        let mut rng = Rng::new(42);
        let mut nums: Vec<Number> = (0..600).map(|_| random_number(&mut rng)).collect();
        for edge in [
            "1e125",
            "-1e125",
            "1e-130",
            "-1e-130",
            "9.9999999999999999999999999999999999999e125",
            "-9.9999999999999999999999999999999999999e125",
            "1",
            "-1",
            "1.05",
            "1.5",
            "10",
            "-10",
            "0",
        ] {
            nums.push(Number::parse(edge).unwrap());
        }
        let encoded: Vec<Vec<u8>> = nums
            .iter()
            .map(|n| enc(&AttributeValue::N(n.clone())))
            .collect();
        for (a, ea) in nums.iter().zip(&encoded) {
            for (b, eb) in nums.iter().zip(&encoded) {
                assert_eq!(ea.cmp(eb), a.cmp(b), "{a} vs {b}");
            }
        }
        for (n, e) in nums.iter().zip(&encoded) {
            let (back, used) = decode_key_value(e, AttrType::N).unwrap();
            assert_eq!(used, e.len());
            assert_eq!(back, AttributeValue::N(n.clone()));
        }
        assert!(encoded.iter().all(|e| e.len() <= 22));
    }

    #[test]
    fn strings_and_binaries_encode_in_byte_order() {
        let mut rng = Rng::new(9);
        let values: Vec<Vec<u8>> = (0..300).map(|_| random_bytes(&mut rng)).collect();
        for a in &values {
            for b in &values {
                let (ea, eb) = (
                    enc(&AttributeValue::B(a.clone())),
                    enc(&AttributeValue::B(b.clone())),
                );
                assert_eq!(ea.cmp(&eb), a.cmp(b), "{a:?} vs {b:?}");
            }
            let e = enc(&AttributeValue::B(a.clone()));
            assert_eq!(
                decode_key_value(&e, AttrType::B).unwrap(),
                (AttributeValue::B(a.clone()), e.len())
            );
        }
        let strings = [
            "", "\0", "\0\0", "A", "a", "a\0", "a\0b", "ab", "z", "¿", "😀",
        ];
        for (i, a) in strings.iter().enumerate() {
            for (j, b) in strings.iter().enumerate() {
                let (ea, eb) = (enc(&(*a).into()), enc(&(*b).into()));
                assert_eq!(ea.cmp(&eb), i.cmp(&j), "{a:?} vs {b:?}");
            }
            let e = enc(&(*a).into());
            assert_eq!(
                decode_key_value(&e, AttrType::S).unwrap(),
                ((*a).into(), e.len())
            );
        }
    }

    #[test]
    fn composite_keys_split_and_prefix() {
        let mut rng = Rng::new(3);
        let mut keys = Vec::new();
        for _ in 0..200 {
            let pk = AttributeValue::B(random_bytes(&mut rng));
            let sk = AttributeValue::N(random_number(&mut rng));
            let mut e = enc(&pk);
            let pk_len = e.len();
            encode_key_value(&sk, &mut e);
            let (p, used) = decode_key_value(&e, AttrType::B).unwrap();
            assert_eq!((p, used), (pk.clone(), pk_len));
            let (s, used2) = decode_key_value(&e[used..], AttrType::N).unwrap();
            assert_eq!((s, used + used2), (sk.clone(), e.len()));
            keys.push((pk, sk, e));
        }
        // Composite encodings sort by partition key, then sort key; a partition key's
        // encoding is a prefix of exactly its own items.
        for (pa, sa, ea) in &keys {
            let pa_enc = enc(pa);
            for (pb, sb, eb) in &keys {
                let (AttributeValue::B(ba), AttributeValue::B(bb)) = (pa, pb) else {
                    unreachable!()
                };
                let (AttributeValue::N(na), AttributeValue::N(nb)) = (sa, sb) else {
                    unreachable!()
                };
                let want = ba.cmp(bb).then_with(|| na.cmp(nb));
                assert_eq!(ea.cmp(eb), want);
                assert_eq!(eb.starts_with(&pa_enc), ba == bb);
            }
        }
    }

    #[test]
    fn specific_number_encodings() {
        assert_eq!(enc(&num("0")), [TAG_ZERO]);
        assert_eq!(enc(&num("1")), [TAG_POSITIVE, 130, 11, 0]);
        assert_eq!(enc(&num("-1")), [TAG_NEGATIVE, 255 - 130, 255 - 11, 255]);
        assert_eq!(enc(&num("123")), [TAG_POSITIVE, 132, 13, 31, 0]);
        assert!(enc(&num("1")) < enc(&num("1.01")));
        assert!(enc(&num("-1")) > enc(&num("-1.01")));
        assert_eq!(enc(&num("1.50")), enc(&num("15e-1")));
    }

    #[test]
    fn corrupt_keys_fail_cleanly() {
        assert!(decode_key_value(&[], AttrType::S).is_err());
        assert!(decode_key_value(b"abc", AttrType::S).is_err());
        assert!(decode_key_value(&[b'a', 0, 7], AttrType::B).is_err());
        assert!(decode_key_value(&[0xff, 0xfe, 0, 1], AttrType::S).is_err());
        assert!(decode_key_value(&[TAG_POSITIVE], AttrType::N).is_err());
        assert!(decode_key_value(&[TAG_POSITIVE, 130, 200, 0], AttrType::N).is_err());
        assert!(decode_key_value(&[TAG_POSITIVE, 130, 0], AttrType::N).is_err());
        assert!(decode_key_value(&[9], AttrType::N).is_err());
        assert!(decode_key_value(&[TAG_ZERO], AttrType::Bool).is_err());
        let mut rng = Rng::new(5);
        for _ in 0..20_000 {
            let len = rng.below(30) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for ty in [AttrType::S, AttrType::N, AttrType::B] {
                if let Ok((_, used)) = decode_key_value(&bytes, ty) {
                    assert!(used <= bytes.len());
                }
            }
        }
    }
}
