//! Table definitions: key schema, attribute definitions, billing, tags. These are what the
//! catalog persists and what DescribeTable reports.

use eddy_types::{AttrType, AttributeValue, Item};
use serde::{Deserialize, Serialize};

use crate::model::error::{EngineError, Result};
use crate::model::invalid::Invalid;

/// A key attribute's type: only S, N and B may be keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarType {
    /// The wire name (`S`, `N`, `B`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(Self::S),
            "N" => Some(Self::N),
            "B" => Some(Self::B),
            _ => None,
        }
    }

    /// The attribute type of values of this scalar type.
    pub fn attr_type(self) -> AttrType {
        match self {
            Self::S => AttrType::S,
            Self::N => AttrType::N,
            Self::B => AttrType::B,
        }
    }
}

/// HASH or RANGE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    /// The partition key.
    Hash,
    /// The sort key.
    Range,
}

impl KeyType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hash => "HASH",
            Self::Range => "RANGE",
        }
    }
}

/// One `KeySchemaElement` as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchemaElement {
    /// Attribute name.
    pub attribute_name: String,
    /// HASH or RANGE.
    pub key_type: KeyType,
}

/// One `AttributeDefinition`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    /// Attribute name.
    pub attribute_name: String,
    /// Its scalar type.
    pub attribute_type: ScalarType,
}

/// A key attribute of a table: its name and type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Scalar type.
    pub ty: ScalarType,
}

/// A resolved primary key schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    /// The partition key.
    pub hash: KeyAttribute,
    /// The sort key, if the table has one.
    pub range: Option<KeyAttribute>,
}

/// The largest partition key value, in bytes.
pub const MAX_HASH_KEY_BYTES: usize = 2048;
/// The largest sort key value, in bytes.
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

impl KeySchema {
    /// Resolves a `KeySchema` list against `AttributeDefinitions`, with CreateTable's messages.
    ///
    /// # Errors
    /// ValidationException when the schema is malformed or an attribute is undefined.
    pub fn resolve(elements: &[KeySchemaElement], defs: &[AttributeDefinition]) -> Result<Self> {
        let find = |name: &str| {
            defs.iter()
                .find(|d| d.attribute_name == name)
                .map(|d| d.attribute_type)
        };
        let first = elements.first().ok_or(Invalid::FirstKeyNotHash)?;
        if first.key_type != KeyType::Hash {
            return Err(EngineError::from(Invalid::FirstKeyNotHash));
        }
        if let Some(second) = elements.get(1) {
            if second.attribute_name == first.attribute_name {
                // DynamoDB resolves both elements to the one definition and then finds the
                // second without a definition of its own.
                return Err(Invalid::KeyAttributeUndefined.into());
            }
            if second.key_type != KeyType::Range {
                return Err(Invalid::SecondKeyNotRange.into());
            }
        }
        let attr = |e: &KeySchemaElement| -> Result<KeyAttribute> {
            let ty = find(&e.attribute_name).ok_or(Invalid::KeyAttributeUndefined)?;
            Ok(KeyAttribute {
                name: e.attribute_name.clone(),
                ty,
            })
        };
        Ok(Self {
            hash: attr(first)?,
            range: elements.get(1).map(attr).transpose()?,
        })
    }

    /// The schema as `KeySchemaElement`s, HASH first.
    pub fn elements(&self) -> Vec<KeySchemaElement> {
        let mut out = vec![KeySchemaElement {
            attribute_name: self.hash.name.clone(),
            key_type: KeyType::Hash,
        }];
        if let Some(r) = &self.range {
            out.push(KeySchemaElement {
                attribute_name: r.name.clone(),
                key_type: KeyType::Range,
            });
        }
        out
    }

    /// True when `name` is one of the key attributes.
    pub fn is_key(&self, name: &str) -> bool {
        self.hash.name == name || self.range.as_ref().is_some_and(|r| r.name == name)
    }

    /// The key attributes of a full item (for a write), validated against the schema with
    /// PutItem's messages.
    ///
    /// # Errors
    /// ValidationException when a key attribute is missing, mistyped, empty or too long.
    pub fn key_of_item(&self, item: &Item) -> Result<Item> {
        let mut key = Item::new();
        for (attr, max, is_hash) in self.parts() {
            let Some(v) = item.get(&attr.name) else {
                return Err(Invalid::MissingKey {
                    attribute: attr.name.clone(),
                }
                .into());
            };
            check_key_value(attr, v, max, is_hash, true)?;
            key.insert(attr.name.clone(), v.clone());
        }
        Ok(key)
    }

    /// Validates a `Key` parameter (GetItem, DeleteItem, UpdateItem, batches): exactly the key
    /// attributes, of the right types.
    ///
    /// # Errors
    /// ValidationException "The provided key element does not match the schema", or a size error.
    pub fn check_key(&self, key: &Item) -> Result<()> {
        let expected = 1 + usize::from(self.range.is_some());
        if key.len() != expected {
            return Err(schema_mismatch());
        }
        for (attr, max, is_hash) in self.parts() {
            let v = key.get(&attr.name).ok_or_else(schema_mismatch)?;
            check_key_value(attr, v, max, is_hash, false)?;
        }
        Ok(())
    }

    fn parts(&self) -> impl Iterator<Item = (&KeyAttribute, usize, bool)> {
        std::iter::once((&self.hash, MAX_HASH_KEY_BYTES, true))
            .chain(self.range.as_ref().map(|r| (r, MAX_RANGE_KEY_BYTES, false)))
    }
}

fn schema_mismatch() -> EngineError {
    Invalid::KeyMismatch.into()
}

fn check_key_value(
    attr: &KeyAttribute,
    v: &AttributeValue,
    max: usize,
    is_hash: bool,
    in_item: bool,
) -> Result<()> {
    let len = match (attr.ty, v) {
        (ScalarType::S, AttributeValue::S(s)) => s.len(),
        (ScalarType::B, AttributeValue::B(b)) => b.len(),
        (ScalarType::N, AttributeValue::N(_)) => return Ok(()),
        _ if in_item => {
            return Err(Invalid::KeyType {
                attribute: attr.name.clone(),
                expected: attr.ty,
                actual: v.attr_type(),
            }
            .into());
        }
        _ => return Err(Invalid::KeyMismatch.into()),
    };
    if len == 0 {
        let (attribute, ty) = (attr.name.clone(), attr.ty);
        return Err(if in_item {
            Invalid::EmptyItemKey { attribute, ty }
        } else {
            Invalid::EmptyKey { attribute, ty }
        }
        .into());
    }
    if len > max {
        return Err(if is_hash {
            Invalid::HashKeyTooLarge { max }
        } else {
            Invalid::RangeKeyTooLarge { max }
        }
        .into());
    }
    Ok(())
}

/// PROVISIONED or PAY_PER_REQUEST.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    /// Provisioned capacity.
    Provisioned,
    /// On demand.
    PayPerRequest,
}

impl BillingMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioned => "PROVISIONED",
            Self::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Provisioned read and write capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Throughput {
    /// Read capacity units.
    pub read: i64,
    /// Write capacity units.
    pub write: i64,
}

/// The throughput a table or global index keeps under `mode`: zero on demand, the units asked
/// for (each at least 1) when provisioned.
///
/// # Errors
/// ValidationException for throughput on demand, or missing or not positive when provisioned.
pub(crate) fn check_billing(
    mode: BillingMode,
    throughput: Option<Throughput>,
) -> Result<Throughput> {
    match (mode, throughput) {
        (BillingMode::PayPerRequest, Some(t)) if t.read != 0 || t.write != 0 => {
            Err(Invalid::ThroughputWithPayPerRequest.into())
        }
        (BillingMode::PayPerRequest, _) => Ok(Throughput::default()),
        (BillingMode::Provisioned, None) => Err(Invalid::ThroughputMissing.into()),
        (BillingMode::Provisioned, Some(t)) => {
            for (name, v) in [
                ("ReadCapacityUnits", t.read),
                ("WriteCapacityUnits", t.write),
            ] {
                if v < 1 {
                    return Err(Invalid::ThroughputNotPositive { unit: name }.into());
                }
            }
            Ok(t)
        }
    }
}

/// A resource tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// Everything the catalog keeps about a table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableDef {
    /// Internal id, the prefix of the table's storage keys; never reused.
    pub id: u64,
    /// Table name.
    pub name: String,
    /// The account and region the table belongs to. Empty in catalogs written before tables
    /// had scopes; the catalog gives those the server's own when it loads them.
    #[serde(default)]
    pub scope: crate::model::scope::Scope,
    /// The UUID DynamoDB reports as TableId.
    pub table_uuid: String,
    /// Primary key.
    pub key_schema: KeySchema,
    /// Attribute definitions as given.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// Billing mode.
    pub billing_mode: BillingMode,
    /// Provisioned throughput (0/0 for on-demand tables).
    pub throughput: Throughput,
    /// Creation time, epoch milliseconds.
    pub created_ms: u64,
    /// When the table last switched to PAY_PER_REQUEST, epoch ms.
    pub pay_per_request_since_ms: Option<u64>,
    /// When throughput was last increased / decreased, epoch ms.
    pub last_increase_ms: Option<u64>,
    /// See `last_increase_ms`.
    pub last_decrease_ms: Option<u64>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Whether DeletionProtectionEnabled is set.
    #[serde(default)]
    pub deletion_protection: bool,
    /// Table class as given (STANDARD by default).
    #[serde(default)]
    pub table_class: Option<String>,
    /// Secondary indexes, global and local.
    #[serde(default)]
    pub indexes: Vec<crate::model::indexes::IndexDef>,
    /// The id the next index gets.
    #[serde(default)]
    pub next_index_id: u32,
    /// The view type of the enabled stream; None when no stream is enabled.
    #[serde(default)]
    pub stream_view_type: Option<eddy_streams::StreamViewType>,
    /// LatestStreamArn: the newest stream, kept after it is disabled.
    #[serde(default)]
    pub latest_stream_arn: Option<String>,
    /// LatestStreamLabel.
    #[serde(default)]
    pub latest_stream_label: Option<String>,
    /// When the newest stream was created, so the next one gets a later label.
    #[serde(default)]
    pub last_stream_ms: Option<u64>,
    /// The TTL attribute, when time to live is enabled.
    #[serde(default)]
    pub ttl_attribute: Option<String>,
    /// When time to live was last enabled or disabled, epoch ms.
    #[serde(default)]
    pub ttl_changed_ms: Option<u64>,
    /// Point-in-time recovery, when enabled: since when (epoch ms) and for how many days.
    #[serde(default)]
    pub point_in_time_recovery: Option<PointInTimeRecovery>,
    /// Whether CloudWatch Contributor Insights is enabled (stored and shown, not collected).
    #[serde(default)]
    pub contributor_insights: bool,
    /// Where a restored table came from.
    #[serde(default)]
    pub restore: Option<crate::model::backup::RestoreSummary>,
    /// Resource-based policies of the table and its stream, by ARN.
    #[serde(default)]
    pub policies: Vec<ResourcePolicy>,
    /// WarmThroughput asked for (read, write units per second); None shows the defaults.
    #[serde(default)]
    pub warm_throughput: Option<(i64, i64)>,
    /// How many times the record was rewritten since the table was created: on shared
    /// storage, a process reading the catalog keeps the newer of two versions it sees.
    #[serde(default)]
    pub revision: u64,
}

/// A resource-based policy, stored as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePolicy {
    /// The table's or stream's ARN.
    pub arn: String,
    /// The policy document.
    pub document: String,
    /// RevisionId.
    pub revision_id: String,
}

/// Point-in-time recovery settings of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointInTimeRecovery {
    /// When it was enabled, epoch ms: the earliest restorable time.
    pub enabled_ms: u64,
    /// RecoveryPeriodInDays (1 to 35).
    pub recovery_period_days: u32,
}

impl TableDef {
    /// The index called `name`.
    pub fn index(&self, name: &str) -> Option<&crate::model::indexes::IndexDef> {
        self.indexes.iter().find(|i| i.name == name)
    }
}
