//! eddy's DynamoDB Streams logic: stream identities (labels and ARNs), sequence numbers,
//! shard lineage (rollover, split, close, retention), shard iterators and stream records.
//!
//! The engine calls it inside its write path and its Streams API. This crate is pure: no
//! async, no I/O, no storage and no clock; every time is passed in as epoch milliseconds,
//! so tests (and the server's test clock) can drive rollover, expiry and trimming at will.
//! It knows nothing of HTTP or JSON requests and must never depend on `eddy-storage`,
//! `eddy-engine` or `eddy-server`; only on `eddy-types`.
//!
//! ```
//! use eddy_streams::{
//!     IteratorKey, Position, ShardIterator, ShardMap, StreamViewType, build_record,
//!     parse_stream_arn, shard_hash, stream_arn, stream_label,
//! };
//! use eddy_types::{AttributeValue, Item, encode_key_value};
//!
//! let now = 1_700_000_000_000;
//! let arn = stream_arn("us-east-1", "000000000000", "Music", &stream_label(now));
//! assert_eq!(parse_stream_arn(&arn).unwrap().table, "Music");
//!
//! // A write that inserts {id: "Fred"}: pick the shard and number, build the record.
//! let mut shards = ShardMap::new(now, 1);
//! let item: Item = [("id".to_owned(), AttributeValue::from("Fred"))].into();
//! let mut key_bytes = Vec::new();
//! encode_key_value(&item["id"], &mut key_bytes);
//! let (shard_id, seq) = shards.assign(shard_hash(&key_bytes), now).unwrap();
//! let shard_id = shard_id.clone();
//! let view = StreamViewType::NewAndOldImages;
//! let record = build_record(view, item.clone(), None, Some(&item), seq, now, false).unwrap();
//! assert_eq!(record.size_bytes(), 12);
//!
//! // A reader: an authenticated iterator at the shard's trim horizon.
//! let key = IteratorKey::from_bytes([7; 32]);
//! let position = Position::TrimHorizon;
//! let iterator = ShardIterator { stream_arn: arn, shard_id, position, issued_ms: now };
//! let text = iterator.encode(&key);
//! assert_eq!(ShardIterator::decode(&key, &text).unwrap(), iterator);
//! ```

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
mod sequence_number;
mod shard;
mod shard_iterator;
mod shard_map;
mod stream_arn;
mod stream_record;

pub use crate::{
    error::StreamsError,
    sequence_number::SequenceNumber,
    shard::{HashRange, Shard, ShardId, shard_hash},
    shard_iterator::{IteratorKey, MAX_SHARD_ITERATOR_LEN, Position, ShardIterator},
    shard_map::{DEFAULT_DESCRIBE_LIMIT, MAX_PARTITIONS, ShardMap},
    stream_arn::{
        MAX_STREAM_ARN_LEN, MIN_STREAM_ARN_LEN, StreamArnParts, parse_stream_arn,
        parse_stream_label, stream_arn, stream_creation_ms, stream_label,
    },
    stream_record::{EventName, StreamRecord, StreamViewType, build_record},
};
