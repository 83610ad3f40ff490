//! Stream records: what a write puts in the stream, and their storage encoding.

use eddy_types::{Item, decode_item, encode_item, item_size};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StreamsError;
use crate::sequence_number::SequenceNumber;

/// What a stream's records carry besides the keys (`StreamViewType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StreamViewType {
    /// Keys only.
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    /// The item after the change.
    #[serde(rename = "NEW_IMAGE")]
    NewImage,
    /// The item before the change.
    #[serde(rename = "OLD_IMAGE")]
    OldImage,
    /// Both.
    #[serde(rename = "NEW_AND_OLD_IMAGES")]
    NewAndOldImages,
}

impl StreamViewType {
    /// Every view type, in the order DynamoDB lists them.
    pub const ALL: [StreamViewType; 4] = [
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
        StreamViewType::KeysOnly,
    ];

    /// The wire name: `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// The view type with this wire name (case-sensitive).
    pub fn parse(name: &str) -> Option<StreamViewType> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }

    fn includes_new(self) -> bool {
        matches!(
            self,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        )
    }

    fn includes_old(self) -> bool {
        matches!(
            self,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        )
    }

    fn code(self) -> u8 {
        match self {
            StreamViewType::KeysOnly => 0,
            StreamViewType::NewImage => 1,
            StreamViewType::OldImage => 2,
            StreamViewType::NewAndOldImages => 3,
        }
    }
}

/// The kind of change a record reports (`eventName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventName {
    /// The item did not exist before.
    Insert,
    /// The item existed and its content changed.
    Modify,
    /// The item was deleted.
    Remove,
}

impl EventName {
    /// The wire name: `INSERT`, `MODIFY`, `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }

    /// The event a write from `old` to `new` makes (`None` = absent item), or `None` when
    /// nothing changed: no item before or after, or equal items. Equality is DynamoDB's:
    /// map key order and set order don't matter, numbers compare by value.
    pub fn for_change(old: Option<&Item>, new: Option<&Item>) -> Option<EventName> {
        match (old, new) {
            (None, None) => None,
            (None, Some(_)) => Some(EventName::Insert),
            (Some(_), None) => Some(EventName::Remove),
            (Some(a), Some(b)) => (a != b).then_some(EventName::Modify),
        }
    }

    fn code(self) -> u8 {
        match self {
            EventName::Insert => 0,
            EventName::Modify => 1,
            EventName::Remove => 2,
        }
    }
}

/// One stream record, as stored and as GetRecords renders it (the renderer adds
/// `eventVersion`, `eventSource`, `awsRegion`, and the eventID from [`StreamRecord::event_id`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRecord {
    event_name: EventName,
    creation_ms: u64,
    keys: Item,
    new_image: Option<Item>,
    old_image: Option<Item>,
    sequence_number: SequenceNumber,
    size_bytes: usize,
    view_type: StreamViewType,
    ttl_delete: bool,
}

/// The record for a write from `old` to `new` (`None` = absent item) of the item with key
/// attributes `keys`, given sequence number `seq` at `now_ms`; `None` when nothing changed
/// (see [`EventName::for_change`]).
///
/// Images are whole items and follow the view type: NEW_IMAGE carries the new item on
/// INSERT and MODIFY, OLD_IMAGE the old item on MODIFY and REMOVE, NEW_AND_OLD_IMAGES
/// whichever exist, KEYS_ONLY neither. `ttl_delete` marks a REMOVE made by TTL expiry (the
/// record then has `userIdentity`); it is ignored on other events.
pub fn build_record(
    view_type: StreamViewType,
    keys: Item,
    old: Option<&Item>,
    new: Option<&Item>,
    seq: SequenceNumber,
    now_ms: u64,
    ttl_delete: bool,
) -> Option<StreamRecord> {
    let event_name = EventName::for_change(old, new)?;
    let new_image = new.filter(|_| view_type.includes_new()).cloned();
    let old_image = old.filter(|_| view_type.includes_old()).cloned();
    Some(StreamRecord::assemble(
        event_name,
        now_ms,
        keys,
        new_image,
        old_image,
        seq,
        view_type,
        ttl_delete && event_name == EventName::Remove,
    ))
}

impl StreamRecord {
    #[allow(clippy::too_many_arguments)] // private: every field of the record, once
    fn assemble(
        event_name: EventName,
        creation_ms: u64,
        keys: Item,
        new_image: Option<Item>,
        old_image: Option<Item>,
        sequence_number: SequenceNumber,
        view_type: StreamViewType,
        ttl_delete: bool,
    ) -> StreamRecord {
        let size_bytes = item_size(&keys)
            + new_image.as_ref().map_or(0, item_size)
            + old_image.as_ref().map_or(0, item_size);
        StreamRecord {
            event_name,
            creation_ms,
            keys,
            new_image,
            old_image,
            sequence_number,
            size_bytes,
            view_type,
            ttl_delete,
        }
    }

    /// `eventID`: 32 lowercase hex characters, a hash of the stream ARN and the sequence
    /// number. Unique because a stream never reuses a number and ARNs are unique; computed
    /// rather than stored, and the same every time the record is read.
    pub fn event_id(&self, stream_arn: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(stream_arn.as_bytes());
        hasher.update(b"|");
        hasher.update(self.sequence_number.value().to_be_bytes());
        let digest = hasher.finalize();
        hex::encode(&digest[..16])
    }

    /// `eventName`.
    pub fn event_name(&self) -> EventName {
        self.event_name
    }

    /// When the change was made, in epoch ms.
    pub fn creation_ms(&self) -> u64 {
        self.creation_ms
    }

    /// `ApproximateCreationDateTime`: epoch seconds, rounded down.
    pub fn approximate_creation_date_time(&self) -> u64 {
        self.creation_ms / 1000
    }

    /// `Keys`: the item's key attributes.
    pub fn keys(&self) -> &Item {
        &self.keys
    }

    /// `NewImage`, when the view type includes it and the item exists after the change.
    pub fn new_image(&self) -> Option<&Item> {
        self.new_image.as_ref()
    }

    /// `OldImage`, when the view type includes it and the item existed before the change.
    pub fn old_image(&self) -> Option<&Item> {
        self.old_image.as_ref()
    }

    /// `SequenceNumber`.
    pub fn sequence_number(&self) -> SequenceNumber {
        self.sequence_number
    }

    /// `SizeBytes`: the item size of the keys plus that of each image carried.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    /// `StreamViewType`.
    pub fn view_type(&self) -> StreamViewType {
        self.view_type
    }

    /// True for a REMOVE made by TTL: render `userIdentity` as
    /// `{"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}`.
    pub fn is_ttl_delete(&self) -> bool {
        self.ttl_delete
    }
}

// Storage encoding. Layout: version byte; flags byte (bits 0-1 event name, bits 2-3 view
// type, bit 4 TTL delete, bit 5 new image present, bit 6 old image present); sequence number
// (16 bytes BE); creation ms (8 bytes BE); then the body: the keys and each present image as
// a 4-byte BE length followed by eddy_types' item encoding. Version 1 stores the body as it
// is; version 2 stores it LZ4-compressed (its length first), which a record with both images
// nearly halves, since the old image repeats most of the new one (and both the keys). A
// record with both images is written as version 2 when that is smaller. SizeBytes is not
// stored: it is recomputed on decode, so it can't disagree with the images.
const FORMAT_V1: u8 = 1;
const FORMAT_V2: u8 = 2;
/// The header: version, flags, sequence number, creation time.
const HEADER_BYTES: usize = 2 + 16 + 8;
/// No body is longer: the keys and two images of at most 400 KB each, with their lengths.
const MAX_BODY_BYTES: usize = 1 << 20;
/// Bodies shorter than this are stored as they are: too short to repeat anything.
const COMPRESS_FROM: usize = 64;
const FLAG_TTL: u8 = 1 << 4;
const FLAG_NEW: u8 = 1 << 5;
const FLAG_OLD: u8 = 1 << 6;
const KNOWN_FLAGS: u8 = 0b0111_1111;

impl StreamRecord {
    /// The record's storage bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.size_bytes);
        out.push(FORMAT_V1);
        let mut flags = self.event_name.code() | (self.view_type.code() << 2);
        if self.ttl_delete {
            flags |= FLAG_TTL;
        }
        if self.new_image.is_some() {
            flags |= FLAG_NEW;
        }
        if self.old_image.is_some() {
            flags |= FLAG_OLD;
        }
        out.push(flags);
        out.extend_from_slice(&self.sequence_number.value().to_be_bytes());
        out.extend_from_slice(&self.creation_ms.to_be_bytes());
        for item in [
            Some(&self.keys),
            self.new_image.as_ref(),
            self.old_image.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            put_item(item, &mut out);
        }
        let body = &out[HEADER_BYTES..];
        // Only two images repeat each other; a single image rarely compresses enough to pay
        // for trying.
        let both = self.new_image.is_some() && self.old_image.is_some();
        if both && body.len() >= COMPRESS_FROM {
            let packed = lz4_flex::block::compress_prepend_size(body);
            if packed.len() < body.len() {
                out.truncate(HEADER_BYTES);
                out[0] = FORMAT_V2;
                out.extend_from_slice(&packed);
            }
        }
        out
    }

    /// Reads bytes written by [`encode`](Self::encode).
    ///
    /// # Errors
    /// [`StreamsError::Corrupt`] for bytes `encode` never writes.
    pub fn decode(bytes: &[u8]) -> Result<StreamRecord, StreamsError> {
        let mut r = Reader(bytes);
        let version = r.byte()?;
        if version != FORMAT_V1 && version != FORMAT_V2 {
            return Err(StreamsError::Corrupt("unknown stream record version"));
        }
        let flags = r.byte()?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(StreamsError::Corrupt("unknown stream record flags"));
        }
        let event_name = match flags & 0b11 {
            0 => EventName::Insert,
            1 => EventName::Modify,
            2 => EventName::Remove,
            _ => return Err(StreamsError::Corrupt("unknown stream record event")),
        };
        let view_type = match (flags >> 2) & 0b11 {
            0 => StreamViewType::KeysOnly,
            1 => StreamViewType::NewImage,
            2 => StreamViewType::OldImage,
            _ => StreamViewType::NewAndOldImages,
        };
        let sequence_number = SequenceNumber::new(u128::from_be_bytes(r.array()?));
        let creation_ms = u64::from_be_bytes(r.array()?);
        let unpacked;
        if version == FORMAT_V2 {
            let declared = u32::from_le_bytes(Reader(r.0).array()?) as usize;
            if declared > MAX_BODY_BYTES {
                return Err(StreamsError::Corrupt("stream record body too long"));
            }
            unpacked = lz4_flex::block::decompress_size_prepended(r.0)
                .map_err(|_| StreamsError::Corrupt("stream record body does not decompress"))?;
            r = Reader(&unpacked);
        }
        let keys = r.item()?;
        let new_image = if flags & FLAG_NEW != 0 {
            Some(r.item()?)
        } else {
            None
        };
        let old_image = if flags & FLAG_OLD != 0 {
            Some(r.item()?)
        } else {
            None
        };
        if !r.0.is_empty() {
            return Err(StreamsError::Corrupt("trailing bytes after stream record"));
        }
        Ok(StreamRecord::assemble(
            event_name,
            creation_ms,
            keys,
            new_image,
            old_image,
            sequence_number,
            view_type,
            flags & FLAG_TTL != 0,
        ))
    }
}

fn put_item(item: &Item, out: &mut Vec<u8>) {
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    encode_item(item, out);
    // Items are at most 400 KB, far below 4 GiB; saturating keeps this total, and a
    // saturated length would fail to decode rather than misframe silently.
    let len = u32::try_from(out.len() - len_at - 4).unwrap_or(u32::MAX);
    out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
}

/// A cursor over stored bytes whose every read checks the length.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], StreamsError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(StreamsError::Corrupt("truncated stream record"))?;
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, StreamsError> {
        Ok(self.array::<1>()?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StreamsError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(StreamsError::Corrupt("truncated stream record"))?;
        self.0 = rest;
        Ok(*head)
    }

    fn item(&mut self) -> Result<Item, StreamsError> {
        let len = u32::from_be_bytes(self.array()?);
        let len =
            usize::try_from(len).map_err(|_| StreamsError::Corrupt("stream record too large"))?;
        decode_item(self.take(len)?).map_err(|_| StreamsError::Corrupt("bad item in stream record"))
    }
}

#[cfg(test)]
#[path = "stream_record_tests.rs"]
mod tests;
