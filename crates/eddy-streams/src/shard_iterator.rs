//! Shard iterators: a position in one shard of one stream, handed to the client as an
//! authenticated opaque string.
//!
//! Text form: `<StreamArn>|1|<opaque>`, where `1` is the format version and `<opaque>` is
//! unpadded URL-safe base64 of a binary payload (shard id, position, issue time) followed by
//! an HMAC-SHA256 tag over the stream ARN, the version and the payload. Changing any
//! character, or moving the payload under another stream's ARN, breaks the tag. The payload
//! is readable by whoever decodes the base64: it holds nothing secret.
//!
//! An iterator holds a resolved position and never changes, so it reads the same records
//! every time it is used until it expires: LATEST becomes "after the newest record" (or "at
//! the shard's start") when issued, via [`Shard::latest_position`](crate::Shard::latest_position);
//! TRIM_HORIZON stays symbolic and means the oldest record not yet trimmed when read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::StreamsError;
use crate::sequence_number::SequenceNumber;
use crate::shard::ShardId;

type HmacSha256 = Hmac<Sha256>;

/// Longest iterator text the API accepts.
pub const MAX_SHARD_ITERATOR_LEN: usize = 2048;

const VERSION: &str = "1";
const TAG_LEN: usize = 32;
const POSITION_TRIM_HORIZON: u8 = 0;
const POSITION_AT: u8 = 1;
const POSITION_AFTER: u8 = 2;

/// The server's secret for authenticating iterators: 32 bytes. Iterators issued under one
/// key are rejected under another, so persist it if iterators should survive a restart.
#[derive(Clone)]
pub struct IteratorKey([u8; 32]);

impl IteratorKey {
    /// The key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> IteratorKey {
        IteratorKey(bytes)
    }

    /// A fresh random key.
    pub fn generate<R: rand::RngCore + ?Sized>(rng: &mut R) -> IteratorKey {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        IteratorKey(bytes)
    }

    /// The key's bytes, for storing it.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn mac(&self, stream_arn: &str, payload: &[u8]) -> HmacSha256 {
        // HMAC pads a short key with zeros to the block size, so this 64-byte block is the
        // same key as the 32 bytes, built without a fallible length check.
        let mut block = GenericArray::default();
        for (dst, src) in block.iter_mut().zip(self.0) {
            *dst = src;
        }
        let mut mac = <HmacSha256 as KeyInit>::new(&block);
        mac.update(stream_arn.as_bytes());
        mac.update(b"|");
        mac.update(VERSION.as_bytes());
        mac.update(b"|");
        mac.update(payload);
        mac
    }
}

impl std::fmt::Debug for IteratorKey {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IteratorKey(..)")
    }
}

/// Where in a shard an iterator reads from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// The oldest record not trimmed at the time of the read (TRIM_HORIZON).
    TrimHorizon,
    /// The record with this sequence number, or the first one above it
    /// (AT_SEQUENCE_NUMBER; also a resolved LATEST on a shard with no record yet).
    AtSequence(SequenceNumber),
    /// The first record above this sequence number (AFTER_SEQUENCE_NUMBER; also a
    /// resolved LATEST, and every NextShardIterator after a non-empty page).
    AfterSequence(SequenceNumber),
}

/// A decoded shard iterator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardIterator {
    /// The stream's ARN.
    pub stream_arn: String,
    /// The shard read.
    pub shard_id: ShardId,
    /// Where the read starts.
    pub position: Position,
    /// When the iterator was handed out, in epoch ms.
    pub issued_ms: u64,
}

impl ShardIterator {
    /// True when more than `lifetime_ms` has passed since the iterator was issued; the
    /// caller then fails the read with [`StreamsError::ExpiredIterator`].
    pub fn is_expired(&self, now_ms: u64, lifetime_ms: u64) -> bool {
        self.issued_ms.saturating_add(lifetime_ms) < now_ms
    }

    /// The iterator's text: `<StreamArn>|1|<opaque>`. At most 2048 characters for any ARN
    /// [`parse_stream_arn`](crate::parse_stream_arn) accepts and any shard id eddy makes.
    pub fn encode(&self, key: &IteratorKey) -> String {
        let payload = self.payload();
        let tag = key.mac(&self.stream_arn, &payload).finalize().into_bytes();
        let mut opaque = payload;
        opaque.extend_from_slice(&tag);
        format!(
            "{}|{VERSION}|{}",
            self.stream_arn,
            URL_SAFE_NO_PAD.encode(opaque)
        )
    }

    /// Reads iterator text made by [`encode`](Self::encode) under the same key. Does not
    /// check expiry (see [`is_expired`](Self::is_expired)) nor that the stream and shard
    /// still exist.
    ///
    /// # Errors
    /// [`StreamsError::InvalidShardIterator`] for anything else: wrong shape or version,
    /// bad base64, a tag that doesn't match (altered text, another key, another stream's
    /// ARN), a malformed payload.
    pub fn decode(key: &IteratorKey, text: &str) -> Result<ShardIterator, StreamsError> {
        Self::decode_parts(key, text).ok_or(StreamsError::InvalidShardIterator)
    }

    fn decode_parts(key: &IteratorKey, text: &str) -> Option<ShardIterator> {
        if text.len() > MAX_SHARD_ITERATOR_LEN {
            return None;
        }
        // ARNs hold no `|`, so the last two separators are the iterator's own.
        let mut parts = text.rsplitn(3, '|');
        let (opaque, version, stream_arn) = (parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION {
            return None;
        }
        // The engine rejects non-zero trailing bits, so each byte string has exactly one
        // text form and no character can change unnoticed.
        let bytes = URL_SAFE_NO_PAD.decode(opaque).ok()?;
        let split = bytes.len().checked_sub(TAG_LEN)?;
        let (payload, tag) = bytes.split_at(split);
        key.mac(stream_arn, payload).verify_slice(tag).ok()?;
        let (shard_id, position, issued_ms) = parse_payload(payload)?;
        Some(ShardIterator {
            stream_arn: stream_arn.to_owned(),
            shard_id,
            position,
            issued_ms,
        })
    }

    /// Shard id (length byte + text), position tag (+ 16-byte sequence number for AT and
    /// AFTER), issue time (8 bytes); integers big-endian.
    fn payload(&self) -> Vec<u8> {
        let id = self.shard_id.as_str().as_bytes();
        // Ids eddy makes are 37 bytes; a longer one is cut rather than mis-framed, and then
        // simply names no shard.
        let id = &id[..id.len().min(usize::from(u8::MAX))];
        let mut out = Vec::with_capacity(1 + id.len() + 1 + 16 + 8);
        out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(id);
        match self.position {
            Position::TrimHorizon => out.push(POSITION_TRIM_HORIZON),
            Position::AtSequence(seq) => {
                out.push(POSITION_AT);
                out.extend_from_slice(&seq.value().to_be_bytes());
            }
            Position::AfterSequence(seq) => {
                out.push(POSITION_AFTER);
                out.extend_from_slice(&seq.value().to_be_bytes());
            }
        }
        out.extend_from_slice(&self.issued_ms.to_be_bytes());
        out
    }
}

fn parse_payload(payload: &[u8]) -> Option<(ShardId, Position, u64)> {
    let (&id_len, rest) = payload.split_first()?;
    let (id, rest) = rest.split_at_checked(usize::from(id_len))?;
    let shard_id = ShardId::from_authenticated(String::from_utf8(id.to_vec()).ok()?);
    let (&tag, rest) = rest.split_first()?;
    let (position, rest) = match tag {
        POSITION_TRIM_HORIZON => (Position::TrimHorizon, rest),
        POSITION_AT | POSITION_AFTER => {
            let (seq, rest) = rest.split_first_chunk::<16>()?;
            let seq = SequenceNumber::new(u128::from_be_bytes(*seq));
            let position = if tag == POSITION_AT {
                Position::AtSequence(seq)
            } else {
                Position::AfterSequence(seq)
            };
            (position, rest)
        }
        _ => return None,
    };
    let issued: [u8; 8] = rest.try_into().ok()?;
    Some((shard_id, position, u64::from_be_bytes(issued)))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::stream_arn::{stream_arn, stream_label};

    fn key(byte: u8) -> IteratorKey {
        IteratorKey::from_bytes([byte; 32])
    }

    fn arn(table: &str) -> String {
        stream_arn(
            "us-east-1",
            "123456789012",
            table,
            &stream_label(1_700_000_000_000),
        )
    }

    fn iterator(position: Position) -> ShardIterator {
        ShardIterator {
            stream_arn: arn("Music"),
            shard_id: ShardId::new(1_700_000_000_000, 3),
            position,
            issued_ms: 1_700_000_123_456,
        }
    }

    fn positions() -> Vec<Position> {
        vec![
            Position::TrimHorizon,
            Position::AtSequence(SequenceNumber::FIRST),
            Position::AfterSequence(SequenceNumber::new(u128::MAX)),
        ]
    }

    #[test]
    fn round_trip_every_position() {
        let k = key(7);
        for position in positions() {
            let it = iterator(position);
            let text = it.encode(&k);
            assert!(text.starts_with(&format!("{}|1|", it.stream_arn)), "{text}");
            assert!(text.len() <= MAX_SHARD_ITERATOR_LEN);
            assert_eq!(ShardIterator::decode(&k, &text), Ok(it.clone()));
            // Same input, same text: an iterator can be reissued and reused.
            assert_eq!(it.encode(&k), text);
        }
    }

    #[test]
    fn longest_arn_fits_the_limit() {
        let long = stream_arn(
            "us-east-1",
            "123456789012",
            &"t".repeat(255),
            "2024-01-01T00:00:00.000",
        );
        let mut it = iterator(Position::AfterSequence(SequenceNumber::new(u128::MAX)));
        it.stream_arn = long;
        let text = it.encode(&key(1));
        assert!(text.len() <= MAX_SHARD_ITERATOR_LEN, "{}", text.len());
        // Even an ARN at the 1024 limit leaves room.
        assert!(
            1024 + 3 + (1 + 37 + 1 + 16 + 8 + 32usize).div_ceil(3) * 4 <= MAX_SHARD_ITERATOR_LEN
        );
    }

    #[test]
    fn any_changed_byte_is_rejected() {
        let k = key(7);
        for position in positions() {
            let text = iterator(position).encode(&k);
            let bytes = text.as_bytes();
            for i in 0..bytes.len() {
                for replacement in [b'A', b'B', b'z', b'0', b'_', b'-', b'|', b':'] {
                    if bytes[i] == replacement {
                        continue;
                    }
                    let mut changed = bytes.to_vec();
                    changed[i] = replacement;
                    let changed = String::from_utf8(changed).unwrap();
                    assert_eq!(
                        ShardIterator::decode(&k, &changed),
                        Err(StreamsError::InvalidShardIterator),
                        "byte {i} -> {}",
                        replacement as char
                    );
                }
            }
            // Truncated or extended.
            for cut in 0..text.len() {
                assert!(
                    ShardIterator::decode(&k, &text[..cut]).is_err(),
                    "cut at {cut}"
                );
            }
            assert!(ShardIterator::decode(&k, &format!("{text}A")).is_err());
        }
    }

    #[test]
    fn forged_stream_or_key_is_rejected() {
        let k = key(7);
        let it = iterator(Position::TrimHorizon);
        let text = it.encode(&k);
        // The same opaque part under another stream's ARN.
        let opaque = text.rsplit('|').next().unwrap();
        let forged = format!("{}|1|{opaque}", arn("Other"));
        assert_eq!(
            ShardIterator::decode(&k, &forged),
            Err(StreamsError::InvalidShardIterator)
        );
        // Another server's key.
        assert_eq!(
            ShardIterator::decode(&key(8), &text),
            Err(StreamsError::InvalidShardIterator)
        );
        // Another version.
        let v2 = text.replacen("|1|", "|2|", 1);
        assert_eq!(
            ShardIterator::decode(&k, &v2),
            Err(StreamsError::InvalidShardIterator)
        );
    }

    #[test]
    fn garbage_is_rejected() {
        let k = key(7);
        let too_long = "a".repeat(3000);
        for garbage in [
            "",
            "|",
            "||",
            "a|1|",
            "a|1|!!!!",
            "not an iterator",
            too_long.as_str(),
        ] {
            assert_eq!(
                ShardIterator::decode(&k, garbage),
                Err(StreamsError::InvalidShardIterator)
            );
        }
        assert_eq!(
            StreamsError::InvalidShardIterator.to_string(),
            "Invalid ShardIterator"
        );
    }

    #[test]
    fn expiry_is_strictly_after_the_lifetime() {
        let it = iterator(Position::TrimHorizon);
        let lifetime = 15 * 60 * 1000;
        assert!(!it.is_expired(it.issued_ms, lifetime));
        assert!(!it.is_expired(it.issued_ms + lifetime, lifetime));
        assert!(it.is_expired(it.issued_ms + lifetime + 1, lifetime));
        // A clock before the issue time is not expiry.
        assert!(!it.is_expired(0, lifetime));
        assert!(!it.is_expired(u64::MAX, u64::MAX));
        assert_eq!(
            StreamsError::ExpiredIterator.to_string(),
            "Shard iterator has expired"
        );
    }

    #[test]
    fn generated_keys_differ_and_stay_secret() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a = IteratorKey::generate(&mut rng);
        let b = IteratorKey::generate(&mut rng);
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_eq!(format!("{a:?}"), "IteratorKey(..)");
        let text = iterator(Position::TrimHorizon).encode(&a);
        assert!(ShardIterator::decode(&b, &text).is_err());
        assert!(ShardIterator::decode(&IteratorKey::from_bytes(*a.as_bytes()), &text).is_ok());
    }
}
