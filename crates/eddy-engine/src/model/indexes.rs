//! Secondary index definitions: what CreateTable and UpdateTable name, what the catalog keeps,
//! and the checks and projections an item goes through for each index. Where an index entry
//! is stored is the layout's (`keys::index_entry_key`); its maintenance is `write`'s.

use eddy_types::{AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::model::error::Result;
use crate::model::invalid::Invalid;
use crate::model::schema::{
    AttributeDefinition, KeyAttribute, KeySchema, KeySchemaElement, KeyType, MAX_HASH_KEY_BYTES,
    MAX_RANGE_KEY_BYTES, ScalarType, Throughput,
};

/// The key an index is read by. A global index may name up to four partition-key and up to
/// four sort-key attributes (multi-attribute keys); a local index, and the table read as a
/// source, have one partition-key attribute and at most one sort-key attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    /// The partition-key attributes, in KeySchema order.
    #[serde(deserialize_with = "one_or_many")]
    pub hash: Vec<KeyAttribute>,
    /// The sort-key attributes, in KeySchema order.
    #[serde(deserialize_with = "one_or_many")]
    pub range: Vec<KeyAttribute>,
}

/// Catalogs written before multi-attribute keys hold one attribute (or null) per part.
fn one_or_many<'de, D>(d: D) -> std::result::Result<Vec<KeyAttribute>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Many(Vec<KeyAttribute>),
        One(Option<KeyAttribute>),
    }
    Ok(match Stored::deserialize(d)? {
        Stored::Many(v) => v,
        Stored::One(one) => one.into_iter().collect(),
    })
}

impl From<&KeySchema> for IndexKey {
    fn from(schema: &KeySchema) -> Self {
        Self {
            hash: vec![schema.hash.clone()],
            range: schema.range.iter().cloned().collect(),
        }
    }
}

/// Most partition-key, and most sort-key, attributes of a multi-attribute key.
pub const MAX_KEY_ATTRIBUTES: usize = 4;

impl IndexKey {
    /// Resolves a global index's KeySchema, which may name up to four HASH elements followed by
    /// up to four RANGE elements, against `defs`. A schema of a table's shape is resolved as a
    /// table's, with its messages.
    ///
    /// # Errors
    /// ValidationException for a RANGE element first or before a HASH element, too many
    /// elements of a kind, a repeated attribute or an undefined one.
    pub fn resolve_global(
        elements: &[KeySchemaElement],
        defs: &[AttributeDefinition],
    ) -> Result<Self> {
        // One HASH, or a HASH and a RANGE: a table's shape, with its messages.
        if elements.len() <= 2 && elements.get(1).is_none_or(|e| e.key_type == KeyType::Range) {
            return KeySchema::resolve(elements, defs).map(|k| Self::from(&k));
        }
        let first = elements.first().ok_or(Invalid::FirstKeyNotHash)?;
        if first.key_type != KeyType::Hash {
            return Err(Invalid::FirstKeyNotHash.into());
        }
        let hashes = elements
            .iter()
            .take_while(|e| e.key_type == KeyType::Hash)
            .count();
        if elements[hashes..]
            .iter()
            .any(|e| e.key_type == KeyType::Hash)
        {
            return Err(Invalid::HashAfterRange.into());
        }
        if hashes > MAX_KEY_ATTRIBUTES {
            return Err(Invalid::TooManyKeyAttributes { key_type: "HASH" }.into());
        }
        if elements.len() - hashes > MAX_KEY_ATTRIBUTES {
            return Err(Invalid::TooManyKeyAttributes { key_type: "RANGE" }.into());
        }
        for (i, e) in elements.iter().enumerate() {
            if elements[..i]
                .iter()
                .any(|p| p.attribute_name == e.attribute_name)
            {
                return Err(Invalid::RepeatedKeyAttribute.into());
            }
        }
        let mut attrs = Vec::with_capacity(elements.len());
        for e in elements {
            let ty = defs
                .iter()
                .find(|d| d.attribute_name == e.attribute_name)
                .map(|d| d.attribute_type)
                .ok_or(Invalid::KeyAttributeUndefined)?;
            attrs.push(KeyAttribute {
                name: e.attribute_name.clone(),
                ty,
            });
        }
        let range = attrs.split_off(hashes);
        Ok(Self { hash: attrs, range })
    }

    /// True when `name` is one of the key attributes.
    pub fn is_key(&self, name: &str) -> bool {
        self.attributes().any(|a| a.name == name)
    }

    /// Every key attribute: the partition-key attributes, then the sort-key attributes.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.hash.iter().chain(&self.range)
    }

    /// The schema as `KeySchemaElement`s, in the order it was defined.
    pub fn elements(&self) -> Vec<KeySchemaElement> {
        let element = |a: &KeyAttribute, key_type| KeySchemaElement {
            attribute_name: a.name.clone(),
            key_type,
        };
        self.hash
            .iter()
            .map(|a| element(a, KeyType::Hash))
            .chain(self.range.iter().map(|a| element(a, KeyType::Range)))
            .collect()
    }
}

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
    pub key_schema: IndexKey,
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

    /// Each key attribute with the largest value it takes.
    pub(crate) fn key_parts(&self) -> impl Iterator<Item = (&KeyAttribute, usize)> {
        let hash = self.key_schema.hash.iter().map(|a| (a, MAX_HASH_KEY_BYTES));
        hash.chain(
            self.key_schema
                .range
                .iter()
                .map(|a| (a, MAX_RANGE_KEY_BYTES)),
        )
    }

    /// True when the index holds attribute `name` of its items.
    pub fn projects(&self, table: &KeySchema, name: &str) -> bool {
        match self.projection.projection_type {
            ProjectionType::All => true,
            ProjectionType::KeysOnly | ProjectionType::Include => {
                self.is_key(table, name)
                    || self.projection.non_key_attributes.iter().any(|n| n == name)
            }
        }
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
        for attr in std::iter::once(&table.hash)
            .chain(table.range.as_ref())
            .chain(self.key_schema.attributes())
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
        for (attr, max) in self.key_parts() {
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
                    actual: len,
                    max,
                }
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_of_single_attribute_keys_still_read() {
        let old = r#"{"hash":{"name":"g","ty":"S"},"range":null}"#;
        let key: IndexKey = serde_json::from_str(old).expect("old form");
        assert_eq!(key.hash.len(), 1);
        assert!(key.range.is_empty());
        let old = r#"{"hash":{"name":"g","ty":"S"},"range":{"name":"r","ty":"N"}}"#;
        let key: IndexKey = serde_json::from_str(old).expect("old form");
        assert_eq!(key.range[0].name, "r");
        let new = serde_json::to_string(&key).expect("write");
        assert_eq!(
            serde_json::from_str::<IndexKey>(&new).expect("new form"),
            key
        );
    }

    #[test]
    fn multi_attribute_schemas_are_resolved_in_order() {
        let element = |name: &str, key_type| KeySchemaElement {
            attribute_name: name.into(),
            key_type,
        };
        let defs: Vec<AttributeDefinition> = ["a", "b", "c"]
            .iter()
            .map(|n| AttributeDefinition {
                attribute_name: (*n).into(),
                attribute_type: ScalarType::S,
            })
            .collect();
        let key = IndexKey::resolve_global(
            &[
                element("b", KeyType::Hash),
                element("a", KeyType::Hash),
                element("c", KeyType::Range),
            ],
            &defs,
        )
        .expect("valid");
        let names: Vec<&str> = key.attributes().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        assert_eq!(key.hash.len(), 2);
        assert_eq!(key.elements()[2].key_type, KeyType::Range);
        // Two partition attributes and no sort key.
        let key = IndexKey::resolve_global(
            &[element("a", KeyType::Hash), element("b", KeyType::Hash)],
            &defs,
        )
        .expect("two HASH elements");
        assert_eq!((key.hash.len(), key.range.len()), (2, 0));
    }
}
