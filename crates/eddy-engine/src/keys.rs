//! The storage key layout (see ARCHITECTURE.md, "Storage layout").
//!
//! Items live under `I | table id | partition hash | enc(pk) | enc(sk)`. The partition hash
//! comes first so that a Scan walks items in hash order, as DynamoDB does, and a parallel
//! Scan's segment is a contiguous hash range. The key encodings are order-preserving, so a
//! Query over one partition is a range scan in sort-key order.

use eddy_types::{AttributeValue, Item, encode_key_value};

use crate::error::{EngineError, Result};
use crate::schema::KeySchema;

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

/// Catalog key of a table.
pub fn catalog_key(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(CATALOG);
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
    let pk = key.get(&schema.hash.name).ok_or(EngineError::KeyMismatch)?;
    let mut k = partition_prefix(table_id, pk);
    if let Some(range) = &schema.range {
        let sk = key.get(&range.name).ok_or(EngineError::KeyMismatch)?;
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
}
