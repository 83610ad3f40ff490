//! Compact binary encoding of items for storage. Round-trips exactly: empty strings, set
//! order and nested documents come back as written.
//!
//! Layout: a format version byte, then the item as a map. A map is a varint count and that
//! many (varint name length, name bytes, value). A value is a tag byte and its payload:
//! strings, binaries and number text as varint length + bytes; sets and lists as varint
//! count + members; BOOL and NULL have no payload. Varints are unsigned LEB128.

use crate::error::CodecError;
use crate::number::Number;
use crate::value::{AttributeValue, Item};

const FORMAT_V1: u8 = 1;

const TAG_S: u8 = 0;
const TAG_N: u8 = 1;
const TAG_B: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_NULL: u8 = 5;
const TAG_SS: u8 = 6;
const TAG_NS: u8 = 7;
const TAG_BS: u8 = 8;
const TAG_L: u8 = 9;
const TAG_M: u8 = 10;

/// Deepest document the decoder follows. Valid items nest at most 32 levels; the margin
/// keeps anything the engine could write readable while bounding stack use on corrupt data.
const MAX_DECODE_DEPTH: usize = 256;

/// Appends the binary encoding of an item.
pub fn encode_item(item: &Item, out: &mut Vec<u8>) {
    out.push(FORMAT_V1);
    encode_map(item, out);
}

/// Decodes an item written by [`encode_item`].
///
/// # Errors
/// [`CodecError`] for bytes [`encode_item`] would never produce.
pub fn decode_item(bytes: &[u8]) -> Result<Item, CodecError> {
    let mut r = Reader { bytes, pos: 0 };
    match r.byte()? {
        FORMAT_V1 => {}
        other => return Err(CodecError::UnknownTag(other)),
    }
    let item = r.map(0)?;
    if r.pos != bytes.len() {
        return Err(CodecError::TrailingBytes);
    }
    Ok(item)
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(b: &[u8], out: &mut Vec<u8>) {
    put_varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn encode_map(m: &Item, out: &mut Vec<u8>) {
    put_varint(m.len() as u64, out);
    for (k, v) in m {
        put_bytes(k.as_bytes(), out);
        encode_value(v, out);
    }
}

fn encode_value(v: &AttributeValue, out: &mut Vec<u8>) {
    match v {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            put_bytes(s.as_bytes(), out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            put_bytes(n.as_str().as_bytes(), out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            put_bytes(b, out);
        }
        AttributeValue::Bool(false) => out.push(TAG_FALSE),
        AttributeValue::Bool(true) => out.push(TAG_TRUE),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::Ss(v) => {
            out.push(TAG_SS);
            put_varint(v.len() as u64, out);
            for s in v {
                put_bytes(s.as_bytes(), out);
            }
        }
        AttributeValue::Ns(v) => {
            out.push(TAG_NS);
            put_varint(v.len() as u64, out);
            for n in v {
                put_bytes(n.as_str().as_bytes(), out);
            }
        }
        AttributeValue::Bs(v) => {
            out.push(TAG_BS);
            put_varint(v.len() as u64, out);
            for b in v {
                put_bytes(b, out);
            }
        }
        AttributeValue::L(v) => {
            out.push(TAG_L);
            put_varint(v.len() as u64, out);
            for e in v {
                encode_value(e, out);
            }
        }
        AttributeValue::M(m) => {
            out.push(TAG_M);
            encode_map(m, out);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.bytes.get(self.pos).ok_or(CodecError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::LengthOutOfRange)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// A count of following elements, each at least one byte long, so never more than the
    /// bytes left: safe to preallocate.
    fn count(&mut self) -> Result<usize, CodecError> {
        let n = usize::try_from(self.varint()?).map_err(|_| CodecError::LengthOutOfRange)?;
        if n > self.remaining() {
            return Err(CodecError::Truncated);
        }
        Ok(n)
    }

    fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let n = usize::try_from(self.varint()?).map_err(|_| CodecError::LengthOutOfRange)?;
        if n > self.remaining() {
            return Err(CodecError::Truncated);
        }
        let b = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| CodecError::InvalidUtf8)
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let b = self.bytes()?;
        let text = std::str::from_utf8(b).map_err(|_| CodecError::InvalidNumber)?;
        Number::parse(text).map_err(|_| CodecError::InvalidNumber)
    }

    fn map(&mut self, depth: usize) -> Result<Item, CodecError> {
        let n = self.count()?;
        let mut m = Item::new();
        for _ in 0..n {
            let k = self.string()?;
            let v = self.value(depth + 1)?;
            m.insert(k, v);
        }
        Ok(m)
    }

    fn value(&mut self, depth: usize) -> Result<AttributeValue, CodecError> {
        if depth > MAX_DECODE_DEPTH {
            return Err(CodecError::TooDeep);
        }
        Ok(match self.byte()? {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.bytes()?.to_vec()),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_NULL => AttributeValue::Null,
            TAG_SS => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.string()?);
                }
                AttributeValue::Ss(v)
            }
            TAG_NS => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.number()?);
                }
                AttributeValue::Ns(v)
            }
            TAG_BS => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.bytes()?.to_vec());
                }
                AttributeValue::Bs(v)
            }
            TAG_L => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(self.value(depth + 1)?);
                }
                AttributeValue::L(v)
            }
            TAG_M => AttributeValue::M(self.map(depth)?),
            other => return Err(CodecError::UnknownTag(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Rng;

    fn item() -> Item {
        let n = |s: &str| Number::parse(s).unwrap();
        let mut nested = Item::new();
        nested.insert("".into(), AttributeValue::S(String::new()));
        nested.insert(
            "deep".into(),
            AttributeValue::L(vec![
                AttributeValue::M(Item::new()),
                AttributeValue::L(vec![]),
            ]),
        );
        [
            ("s".to_owned(), AttributeValue::S("héllo\0".into())),
            ("e".to_owned(), AttributeValue::S(String::new())),
            ("n".to_owned(), AttributeValue::N(n("-1.5e-100"))),
            ("big".to_owned(), AttributeValue::N(n("1e125"))),
            ("b".to_owned(), AttributeValue::B(vec![0, 255, 1])),
            ("eb".to_owned(), AttributeValue::B(vec![])),
            ("t".to_owned(), AttributeValue::Bool(true)),
            ("f".to_owned(), AttributeValue::Bool(false)),
            ("z".to_owned(), AttributeValue::Null),
            (
                "ss".to_owned(),
                AttributeValue::Ss(vec!["b".into(), "a".into(), "".into()]),
            ),
            ("ns".to_owned(), AttributeValue::Ns(vec![n("3"), n("1")])),
            (
                "bs".to_owned(),
                AttributeValue::Bs(vec![vec![2], vec![], vec![1]]),
            ),
            ("m".to_owned(), AttributeValue::M(nested)),
            ("long".to_owned(), AttributeValue::S("x".repeat(300))),
        ]
        .into()
    }

    /// Structural equality, stricter than `==`: set order must survive too.
    fn same(a: &Item, b: &Item) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn round_trips_exactly() {
        let item = item();
        let mut out = Vec::new();
        encode_item(&item, &mut out);
        let back = decode_item(&out).unwrap();
        assert!(same(&item, &back));
        let mut empty = Vec::new();
        encode_item(&Item::new(), &mut empty);
        assert!(decode_item(&empty).unwrap().is_empty());
    }

    #[test]
    fn deep_documents_round_trip() {
        let mut v = AttributeValue::S("leaf".into());
        for i in 0..40 {
            v = if i % 2 == 0 {
                AttributeValue::L(vec![v])
            } else {
                AttributeValue::M([("k".to_owned(), v)].into())
            };
        }
        let item: Item = [("d".to_owned(), v)].into();
        let mut out = Vec::new();
        encode_item(&item, &mut out);
        assert!(same(&decode_item(&out).unwrap(), &item));
    }

    #[test]
    fn corrupt_records_fail_cleanly() {
        let mut out = Vec::new();
        encode_item(&item(), &mut out);
        for cut in 0..out.len() {
            assert!(decode_item(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = out.clone();
        extra.push(0);
        assert_eq!(decode_item(&extra), Err(CodecError::TrailingBytes));
        assert_eq!(decode_item(&[2, 0]), Err(CodecError::UnknownTag(2)));
        // A huge count must not allocate before failing.
        assert!(decode_item(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        // Too deep: nested lists past the decoder's limit.
        let mut deep = vec![FORMAT_V1, 1, 1, b'k'];
        for _ in 0..300 {
            deep.extend([TAG_L, 1]);
        }
        deep.push(TAG_NULL);
        assert_eq!(decode_item(&deep), Err(CodecError::TooDeep));
        // Random mutations never panic.
        let mut rng = Rng::new(1);
        for _ in 0..20_000 {
            let mut bytes = out.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] = rng.next() as u8;
            }
            let _ = decode_item(&bytes);
        }
    }
}
