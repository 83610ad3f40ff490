//! The storage key layout (see ARCHITECTURE.md, "Storage layout"): every tag and every key
//! the engine stores lives here. `C` catalog records, `I` items, `X` index entries, `T`
//! stream descriptions, `R` stream records, `M` metadata (ids, the iterator key, `Mdrop/`
//! markers of ranges still to delete).
//!
//! Items live under `I | table id | partition hash | enc(pk) | enc(sk)`. The partition hash
//! comes first so that a Scan walks items in hash order, as DynamoDB does, and a parallel
//! Scan's segment is a contiguous hash range. The key encodings are order-preserving, so a
//! Query over one partition is a range scan in sort-key order.
//!
//! An index entry lives under `X | table id | index id | partition hash | enc(index pk) |
//! enc(index sk) | enc(table pk) | enc(table sk)`; the table key at the end keeps entries with
//! equal index keys apart and orders them as DynamoDB does. The value is the projected item.

use eddy_streams::SequenceNumber;
use eddy_types::{AttributeValue, Item, encode_key_value};

use crate::model::error::Result;
use crate::model::indexes::IndexDef;
use crate::model::invalid::Invalid;
use crate::model::schema::{KeySchema, MAX_HASH_KEY_BYTES, MAX_RANGE_KEY_BYTES};
use crate::model::scope::Scope;

/// Tag of catalog records.
pub const CATALOG: u8 = b'C';
/// Tag of item records.
pub const ITEM: u8 = b'I';
/// The metadata key holding the next table id.
pub const NEXT_TABLE_ID: &[u8] = b"Mnext_table_id";
/// Prefix of the metadata keys marking key ranges left to delete in the background
/// (`Mdrop/` + the range's start → the range's end).
pub const DROP_PREFIX: &[u8] = b"Mdrop/";

/// The marker of a range still to delete, by its start key.
pub fn drop_marker(start: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(DROP_PREFIX.len() + start.len());
    k.extend_from_slice(DROP_PREFIX);
    k.extend_from_slice(start);
    k
}

/// Tag of backups: `B | backup id | 0` holds the backup's record, `B | backup id | 1 | item key
/// suffix` each item it holds.
pub const BACKUP: u8 = b'B';

/// The prefix of everything a backup stores.
pub fn backup_prefix(backup_id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(10);
    k.push(BACKUP);
    k.extend_from_slice(&backup_id.to_be_bytes());
    k
}

/// The key of a backup's record.
pub fn backup_record_key(backup_id: u64) -> Vec<u8> {
    let mut k = backup_prefix(backup_id);
    k.push(0);
    k
}

/// The prefix of a backup's items.
pub fn backup_items_prefix(backup_id: u64) -> Vec<u8> {
    let mut k = backup_prefix(backup_id);
    k.push(1);
    k
}

/// Tag of index entries.
pub const INDEX: u8 = b'X';

/// Tag of stream descriptions.
pub const STREAM: u8 = b'T';
/// Tag of stream records.
pub const RECORD: u8 = b'R';
/// The metadata key of the iterator-signing key.
pub const ITERATOR_KEY: &[u8] = b"Miterator_key";
/// The metadata key of the next stream id.
pub const NEXT_STREAM_ID: &[u8] = b"Mnext_stream_id";
/// The clock's test-control offset and the last now it saved, so that time never runs
/// backwards across a restart.
pub const CLOCK: &[u8] = b"Mclock";
/// Where remembered ClientRequestTokens start, on storage several processes share.
pub const TOKEN_PREFIX: &[u8] = b"Mtoken/";

/// The key of a remembered ClientRequestToken.
pub fn token_key(token: &str) -> Vec<u8> {
    [TOKEN_PREFIX, token.as_bytes()].concat()
}

/// Where values the host (the binary) keeps with the data start: triggers' checkpoints.
pub const HOST_PREFIX: &[u8] = b"Mhost/";

/// The key of the host's value `name`.
pub fn host_key(name: &str) -> Vec<u8> {
    [HOST_PREFIX, name.as_bytes()].concat()
}

/// Catalog key of a table.
pub fn catalog_key(scope: &Scope, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + scope.account_id.len() + scope.region.len() + name.len());
    k.push(CATALOG);
    // Table names never hold '/', so the name of a record written before scopes (`C` + name)
    // cannot be mistaken for one of these.
    for part in [&scope.account_id, &scope.region] {
        k.extend_from_slice(part.as_bytes());
        k.push(b'/');
    }
    k.extend_from_slice(name.as_bytes());
    k
}

/// Prefix of every item key of a table.
pub fn table_prefix(table_id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.push(ITEM);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// The 32-bit hash that orders a table's items in storage, and so a Scan's order and a
/// parallel Scan's segments. Not the streams' `shard_hash`: this one runs on every item key a
/// request builds, so it is cheap (FNV-1a), and it is part of the stored key layout, so it can
/// never change; the shard hash places items in persisted shard ranges and wants SHA-256's
/// even spread.
pub fn item_order_hash(encoded_pk: &[u8]) -> u32 {
    // FNV-1a, then a final avalanche so that similar keys spread over the whole range.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in encoded_pk {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 32) as u32
}

/// Prefix of all items of one partition key value: `I | id | hash | enc(pk)`.
pub fn partition_prefix(table_id: u64, pk: &AttributeValue) -> Vec<u8> {
    let mut enc = Vec::with_capacity(32);
    encode_key_value(pk, &mut enc);
    let mut k = table_prefix(table_id);
    k.extend_from_slice(&item_order_hash(&enc).to_be_bytes());
    k.extend_from_slice(&enc);
    k
}

/// The storage key of an item, from its (validated) key attributes.
pub fn item_key(table_id: u64, schema: &KeySchema, key: &Item) -> Result<Vec<u8>> {
    let pk = key.get(&schema.hash.name).ok_or(Invalid::KeyMismatch)?;
    let mut k = partition_prefix(table_id, pk);
    if let Some(range) = &schema.range {
        let sk = key.get(&range.name).ok_or(Invalid::KeyMismatch)?;
        encode_key_value(sk, &mut k);
    }
    Ok(k)
}

/// The first storage key of a hash segment `[segment/total, (segment+1)/total)` under a
/// table's or an index's prefix (both put the partition hash right after their prefix).
pub fn segment_start(prefix: &[u8], segment: u32, total: u32) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&segment_hash_bound(segment, total).to_be_bytes());
    k
}

/// The exclusive upper key of a hash segment, or `None` when the segment runs to the end.
pub fn segment_end(prefix: &[u8], segment: u32, total: u32) -> Option<Vec<u8>> {
    if segment + 1 >= total {
        return None;
    }
    let mut k = prefix.to_vec();
    k.extend_from_slice(&segment_hash_bound(segment + 1, total).to_be_bytes());
    Some(k)
}

fn segment_hash_bound(segment: u32, total: u32) -> u32 {
    ((u64::from(segment) << 32) / u64::from(total.max(1))) as u32
}

/// The hash segment a key under a prefix of `prefix_len` bytes falls in: the last segment
/// whose first hash is at or below the key's (the same rounding as the segment bounds).
pub fn segment_of(key: &[u8], prefix_len: usize, total: u32) -> Option<u32> {
    let hash = key.get(prefix_len..prefix_len + 4)?;
    let h = u32::from_be_bytes(hash.try_into().ok()?);
    let mut segment = ((u64::from(h) * u64::from(total)) >> 32) as u32;
    while segment + 1 < total && segment_hash_bound(segment + 1, total) <= h {
        segment += 1;
    }
    Some(segment)
}

/// The exclusive end of a table's item range.
pub fn table_end(table_id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(ITEM);
    match table_id.checked_add(1) {
        Some(next) => k.extend_from_slice(&next.to_be_bytes()),
        None => k.extend_from_slice(&[0xff; 9]),
    }
    k
}

/// The prefix of every entry of one index.
pub fn index_prefix(table_id: u64, index_id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.push(INDEX);
    k.extend_from_slice(&table_id.to_be_bytes());
    k.extend_from_slice(&index_id.to_be_bytes());
    k
}

/// The prefix of every index entry of a table.
pub fn table_index_prefix(table_id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(INDEX);
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// The prefix of one index partition: `X | tid | iid | hash | enc(pk1) .. enc(pkN)`, over the
/// values of the index's partition-key attributes in KeySchema order (the encoding is
/// self-delimiting, so one attribute gives what single-attribute keys always had).
pub fn index_partition_prefix<'a>(
    table_id: u64,
    index_id: u32,
    pk: impl IntoIterator<Item = &'a AttributeValue>,
) -> Vec<u8> {
    let mut enc = Vec::with_capacity(32);
    for v in pk {
        encode_key_value(v, &mut enc);
    }
    let mut k = index_prefix(table_id, index_id);
    k.extend_from_slice(&item_order_hash(&enc).to_be_bytes());
    k.extend_from_slice(&enc);
    k
}

/// The storage key of `item`'s entry in `index`, or None when the item lacks a valid index key
/// (a sparse index leaves it out, and so does a backfill an item whose key value is empty or
/// too long); a multi-attribute key needs every one of its attributes. A LastEvaluatedKey /
/// ExclusiveStartKey carries the index and table key attributes, so it gives the entry key of
/// the page's boundary too.
pub fn index_entry_key(
    index: &IndexDef,
    table_id: u64,
    table: &KeySchema,
    item: &Item,
) -> Option<Vec<u8>> {
    let hash = &index.key_schema.hash;
    let mut pk = Vec::with_capacity(hash.len());
    for attr in hash {
        pk.push(IndexDef::key_value(attr, item, MAX_HASH_KEY_BYTES)?);
    }
    let mut sk = Vec::with_capacity(index.key_schema.range.len());
    for attr in &index.key_schema.range {
        sk.push(IndexDef::key_value(attr, item, MAX_RANGE_KEY_BYTES)?);
    }
    let mut k = index_partition_prefix(table_id, index.id, pk);
    for v in sk {
        encode_key_value(v, &mut k);
    }
    for attr in std::iter::once(&table.hash).chain(table.range.as_ref()) {
        encode_key_value(item.get(&attr.name)?, &mut k);
    }
    Some(k)
}

/// The key of a stream's description and shard map.
pub(crate) fn stream_key(id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(STREAM);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// `R | stream id | shard id`: the prefix of one shard's records.
pub(crate) fn shard_prefix(stream_id: u64, shard: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + shard.len() + 16);
    k.push(RECORD);
    k.extend_from_slice(&stream_id.to_be_bytes());
    k.extend_from_slice(shard.as_bytes());
    k
}

/// The storage key of a record.
pub(crate) fn record_key(stream_id: u64, shard: &str, seq: SequenceNumber) -> Vec<u8> {
    let mut k = shard_prefix(stream_id, shard);
    k.extend_from_slice(&seq.value().to_be_bytes());
    k
}

/// The sequence number at the end of a record key.
pub(crate) fn record_seq(key: &[u8]) -> Option<SequenceNumber> {
    let tail: [u8; 16] = key.get(key.len().checked_sub(16)?..)?.try_into().ok()?;
    Some(SequenceNumber::new(u128::from_be_bytes(tail)))
}

/// The exclusive end of a prefix range: the prefix with a 0xff.. successor.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xff; prefix.len() + 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_hash_space_in_order() {
        for total in [1u32, 2, 3, 7, 1000] {
            let mut last = segment_hash_bound(0, total);
            assert_eq!(last, 0);
            for s in 1..total {
                let b = segment_hash_bound(s, total);
                assert!(b > last);
                last = b;
            }
        }
    }

    #[test]
    fn segment_of_agrees_with_bounds() {
        let total = 5;
        for h in [0u32, 1, 858_993_459, 858_993_460, u32::MAX / 2, u32::MAX] {
            let mut key = table_prefix(1);
            key.extend_from_slice(&h.to_be_bytes());
            let prefix = table_prefix(1);
            let s = segment_of(&key, prefix.len(), total).unwrap_or(u32::MAX);
            assert!(segment_start(&prefix, s, total) <= key);
            if let Some(end) = segment_end(&prefix, s, total) {
                assert!(key < end);
            }
        }
    }

    #[test]
    fn prefix_end_is_the_successor() {
        assert_eq!(prefix_end(&[1, 2]), vec![1, 3]);
        assert_eq!(prefix_end(&[1, 0xff]), vec![2]);
    }

    #[test]
    fn every_kind_of_key_has_its_own_tag() {
        let tags = [
            CATALOG,
            ITEM,
            INDEX,
            STREAM,
            RECORD,
            BACKUP,
            NEXT_TABLE_ID[0],
        ];
        for (i, a) in tags.iter().enumerate() {
            assert!(
                tags[i + 1..].iter().all(|b| a != b),
                "tag {} repeats",
                *a as char
            );
        }
        for meta in [
            NEXT_TABLE_ID,
            ITERATOR_KEY,
            NEXT_STREAM_ID,
            CLOCK,
            DROP_PREFIX,
        ] {
            assert_eq!(meta[0], b'M');
        }
        assert!(drop_marker(&table_prefix(7)).starts_with(DROP_PREFIX));
    }

    #[test]
    fn a_tables_ranges_hold_its_keys_and_no_other_tables() {
        let schema = KeySchema::resolve(
            &[crate::model::schema::KeySchemaElement {
                attribute_name: "pk".into(),
                key_type: crate::model::schema::KeyType::Hash,
            }],
            &[crate::model::schema::AttributeDefinition {
                attribute_name: "pk".into(),
                attribute_type: crate::model::schema::ScalarType::S,
            }],
        )
        .expect("schema");
        let key: Item = [("pk".to_owned(), AttributeValue::S("x".into()))].into();
        let item = item_key(7, &schema, &key).expect("key");
        assert!(item.as_slice() >= table_prefix(7).as_slice() && item < table_end(7));
        assert!(item.as_slice() < table_prefix(8).as_slice());
        assert_eq!(table_end(7), prefix_end(&table_prefix(7)));
        let index = index_partition_prefix(7, 3, [&AttributeValue::S("x".into())]);
        assert!(index.starts_with(&index_prefix(7, 3)));
        assert!(index_prefix(7, 3).starts_with(&table_index_prefix(7)));
        assert!(!index_prefix(8, 3).starts_with(&table_index_prefix(7)));
    }

    #[test]
    fn a_record_key_gives_its_sequence_number_back_in_order() {
        let shard = "shardId-00000001796300000000-00000000";
        let a = record_key(4, shard, SequenceNumber::new(100));
        let b = record_key(4, shard, SequenceNumber::new(101));
        assert!(a < b && a.starts_with(&shard_prefix(4, shard)));
        assert_eq!(record_seq(&b), Some(SequenceNumber::new(101)));
        assert_ne!(stream_key(4), shard_prefix(4, shard));
    }
}
