//! Secondary index definitions: what CreateTable and UpdateTable name, what the catalog keeps,
//! and the checks and projections an item goes through for each index. Where an index entry
//! is stored is the layout's (`keys::index_entry_key`); its maintenance is `write`'s.

use eddy_types::{AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::model::error::Result;
use crate::model::invalid::Invalid;
use crate::model::schema::{
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
    pub key_schema: Vec<crate::model::schema::KeySchemaElement>,
    /// Projection.
    pub projection: Projection,
    /// ProvisionedThroughput.
    pub throughput: Option<Throughput>,
}

impl IndexDef {
    /// The value of an index key attribute in `item`, when it can be one: of the key's type,
    /// not an empty string or binary, and at most `max` bytes. An item without such a value is
    /// left out of the index: writes refuse it first ([`IndexDef::check_item`]), so only a
    /// backfill meets one, and DynamoDB's backfill leaves such items out.
    pub(crate) fn key_value<'a>(
        attr: &KeyAttribute,
        item: &'a Item,
        max: usize,
    ) -> Option<&'a AttributeValue> {
        item.get(&attr.name).filter(|v| match v {
            AttributeValue::S(s) => attr.ty == ScalarType::S && !s.is_empty() && s.len() <= max,
            AttributeValue::B(b) => attr.ty == ScalarType::B && !b.is_empty() && b.len() <= max,
            AttributeValue::N(_) => attr.ty == ScalarType::N,
            _ => false,
        })
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
