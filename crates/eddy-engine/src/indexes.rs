//! Secondary indexes: their definitions, the storage entries that keep them, and their
//! maintenance, which is part of the same atomic batch as the item write it follows.
//!
//! An index entry lives under `X | table id | index id | partition hash | enc(index pk) |
//! enc(index sk) | enc(table pk) | enc(table sk)`; the table key at the end keeps entries with
//! equal index keys apart and orders them as DynamoDB does. The value is the projected item.

use eddy_storage::WriteBatch;
use eddy_types::{AttributeValue, Item, encode_item, encode_key_value, item_size};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::invalid::Invalid;
use crate::keys;
use crate::schema::{
    KeyAttribute, KeySchema, MAX_HASH_KEY_BYTES, MAX_RANGE_KEY_BYTES, ScalarType, Throughput,
};

/// Global or local.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    /// A global secondary index: its own partition key.
    Global,
    /// A local secondary index: the table's partition key, another sort key.
    Local,
}

/// ProjectionType.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionType {
    /// Every attribute.
    All,
    /// Table and index keys only.
    KeysOnly,
    /// Keys plus NonKeyAttributes.
    Include,
}

impl ProjectionType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::KeysOnly => "KEYS_ONLY",
            Self::Include => "INCLUDE",
        }
    }
}

/// An index's Projection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    /// ProjectionType.
    pub projection_type: ProjectionType,
    /// NonKeyAttributes (INCLUDE only).
    pub non_key_attributes: Vec<String>,
}

/// IndexStatus of a global secondary index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexStatus {
    /// Being built.
    Creating,
    /// Usable.
    Active,
}

impl IndexStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Active => "ACTIVE",
        }
    }
}

/// A secondary index of a table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexDef {
    /// Internal id within the table, part of the entry keys; never reused.
    pub id: u32,
    /// IndexName.
    pub name: String,
    /// Global or local.
    pub kind: IndexKind,
    /// The index's key.
    pub key_schema: KeySchema,
    /// What the index holds.
    pub projection: Projection,
    /// Provisioned throughput of a GSI on a provisioned table.
    pub throughput: Option<Throughput>,
    /// Status.
    pub status: IndexStatus,
}

/// An index as CreateTable or UpdateTable names it, before ids are assigned.
#[derive(Clone, Debug)]
pub struct IndexInput {
    /// IndexName.
    pub name: String,
    /// KeySchema.
    pub key_schema: Vec<crate::schema::KeySchemaElement>,
    /// Projection.
    pub projection: Projection,
    /// ProvisionedThroughput.
    pub throughput: Option<Throughput>,
}

impl IndexDef {
    fn key_value<'a>(attr: &KeyAttribute, item: &'a Item) -> Option<&'a AttributeValue> {
        item.get(&attr.name)
            .filter(|v| v.attr_type() == attr.ty.attr_type())
    }

    /// The storage key of `item`'s entry, or None when the item lacks an index key (a sparse
    /// index leaves it out). A LastEvaluatedKey / ExclusiveStartKey carries the index and
    /// table key attributes, so it gives the entry key of the page's boundary too.
    pub fn entry_key(&self, table_id: u64, table: &KeySchema, item: &Item) -> Option<Vec<u8>> {
        let pk = Self::key_value(&self.key_schema.hash, item)?;
        let sk = match &self.key_schema.range {
            Some(r) => Some(Self::key_value(r, item)?),
            None => None,
        };
        let mut k = keys::index_partition_prefix(table_id, self.id, pk);
        if let Some(sk) = sk {
            encode_key_value(sk, &mut k);
        }
        for attr in std::iter::once(&table.hash).chain(table.range.as_ref()) {
            encode_key_value(item.get(&attr.name)?, &mut k);
        }
        Some(k)
    }

    /// True when `name` is a key attribute of the index or the table.
    fn is_key(&self, table: &KeySchema, name: &str) -> bool {
        self.key_schema.is_key(name) || table.is_key(name)
    }

    /// What the index keeps of an item.
    pub fn project(&self, table: &KeySchema, item: &Item) -> Item {
        match self.projection.projection_type {
            ProjectionType::All => item.clone(),
            ProjectionType::KeysOnly | ProjectionType::Include => item
                .iter()
                .filter(|(name, _)| {
                    self.is_key(table, name)
                        || self
                            .projection
                            .non_key_attributes
                            .iter()
                            .any(|n| n == *name)
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// The attributes LastEvaluatedKey carries on this index: the table's keys and the index's.
    pub fn key_attributes<'a>(&'a self, table: &'a KeySchema) -> Vec<&'a KeyAttribute> {
        let mut out: Vec<&KeyAttribute> = Vec::with_capacity(4);
        for attr in [
            Some(&table.hash),
            table.range.as_ref(),
            Some(&self.key_schema.hash),
            self.key_schema.range.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if !out.iter().any(|a| a.name == attr.name) {
                out.push(attr);
            }
        }
        out
    }

    /// Checks an item's index key attributes (type, emptiness, size) before it is written.
    ///
    /// # Errors
    /// ValidationException naming the index.
    pub fn check_item(&self, item: &Item) -> Result<()> {
        for (attr, max) in std::iter::once((&self.key_schema.hash, MAX_HASH_KEY_BYTES)).chain(
            self.key_schema
                .range
                .as_ref()
                .map(|r| (r, MAX_RANGE_KEY_BYTES)),
        ) {
            let Some(v) = item.get(&attr.name) else {
                continue;
            };
            let len = match (attr.ty, v) {
                (ScalarType::S, AttributeValue::S(s)) => s.len(),
                (ScalarType::B, AttributeValue::B(b)) => b.len(),
                (ScalarType::N, AttributeValue::N(_)) => continue,
                _ => {
                    return Err(Invalid::IndexKeyType {
                        attribute: attr.name.clone(),
                        expected: attr.ty,
                        actual: v.attr_type(),
                        index: self.name.clone(),
                    }
                    .into());
                }
            };
            if len == 0 {
                return Err(Invalid::EmptyIndexKey {
                    attribute: attr.name.clone(),
                    ty: attr.ty,
                    index: self.name.clone(),
                }
                .into());
            }
            if len > max {
                return Err(Invalid::IndexKeyTooLarge {
                    attribute: attr.name.clone(),
                    index: self.name.clone(),
                    max,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// The sizes of an item's index entry before and after a change (None = no entry), for the
/// index counters.
pub type EntrySizes = (Option<usize>, Option<usize>);

/// Adds the index maintenance of one item change to `batch`. Returns, per index (in the order
/// of `indexes`), the entry sizes before and after, or None where the entry did not change
/// (and nothing was written).
pub fn maintain(
    batch: &mut WriteBatch,
    table_id: u64,
    table: &KeySchema,
    indexes: &[IndexDef],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<Option<EntrySizes>> {
    indexes
        .iter()
        .map(|index| {
            let entry = |item: Option<&Item>| {
                item.and_then(|i| {
                    index
                        .entry_key(table_id, table, i)
                        .map(|k| (k, index.project(table, i)))
                })
            };
            let old_entry = entry(old);
            let new_entry = entry(new);
            if old_entry == new_entry {
                return None;
            }
            if let Some((k, _)) = &old_entry
                && new_entry.as_ref().is_none_or(|(nk, _)| nk != k)
            {
                batch.delete(k.clone());
            }
            if let Some((k, projected)) = &new_entry {
                let mut bytes = Vec::with_capacity(128);
                encode_item(projected, &mut bytes);
                batch.put(k.clone(), bytes);
            }
            Some((
                old_entry.map(|(_, p)| item_size(&p)),
                new_entry.map(|(_, p)| item_size(&p)),
            ))
        })
        .collect()
}
