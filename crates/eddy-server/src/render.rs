//! Engine results as DynamoDB's JSON shapes: typed structures that serialize straight into the
//! response (through [`crate::reply::Out`]), members in DynamoDB's order, absent ones skipped.

use eddy_engine::{
    BillingMode, Consumed, IndexKey, IndexKind, IndexStatus, KeySchema, StreamDescription,
    TableDescription, TableStatus, Throughput,
};
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// ReturnConsumedCapacity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReturnConsumed {
    /// No ConsumedCapacity in the answer.
    #[default]
    None,
    /// Table totals.
    Total,
    /// Totals plus the table and each index.
    Indexes,
}

/// Capacity units as DynamoDB writes them: a double (`1.0`, `0.5`).
#[derive(Clone, Copy, Debug, Serialize)]
struct Units(f64);

/// Epoch milliseconds as DynamoDB's fractional epoch seconds.
#[derive(Clone, Copy, Debug)]
pub struct EpochSeconds(pub u64);

impl Serialize for EpochSeconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(1000) {
            s.serialize_u64(self.0 / 1000)
        } else {
            s.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

/// Capacity: total, then read and write when used.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Capacity {
    capacity_units: Units,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_capacity_units: Option<Units>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_capacity_units: Option<Units>,
}

impl Capacity {
    /// The units; split into reads and writes only where DynamoDB splits them (transactions).
    fn of(read: f64, write: f64, split: bool) -> Self {
        Self {
            capacity_units: Units(read + write),
            read_capacity_units: (split && read > 0.0).then_some(Units(read)),
            write_capacity_units: (split && write > 0.0).then_some(Units(write)),
        }
    }
}

/// A ConsumedCapacity entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity<'a> {
    table_name: &'a str,
    #[serde(flatten)]
    total: Capacity,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<Capacity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    local_secondary_indexes: BTreeMap<&'a str, Capacity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    global_secondary_indexes: BTreeMap<&'a str, Capacity>,
}

/// A ConsumedCapacity entry, or None when not asked for: CapacityUnits only, as DynamoDB
/// answers single-item calls, queries, scans and batches.
pub fn consumed<'a>(
    mode: ReturnConsumed,
    table: &'a str,
    c: &'a Consumed,
) -> Option<ConsumedCapacity<'a>> {
    capacity_entry(mode, table, c, false)
}

/// A ConsumedCapacity entry, also split into read and write units (`split`, transactions).
/// TOTAL gives the sum over the table and its indexes; INDEXES adds the table's own units and
/// each index's.
pub fn capacity_entry<'a>(
    mode: ReturnConsumed,
    table: &'a str,
    c: &'a Consumed,
    split: bool,
) -> Option<ConsumedCapacity<'a>> {
    // Every request's units pass here, asked for or not: the metrics count them all.
    crate::telemetry::consumed(table, c.total_read(), c.total_write());
    if mode == ReturnConsumed::None {
        return None;
    }
    let indexes = mode == ReturnConsumed::Indexes;
    let per_index = |global: bool| -> BTreeMap<&'a str, Capacity> {
        c.indexes
            .iter()
            .filter(|i| indexes && i.global == global)
            .map(|i| (i.name.as_str(), Capacity::of(i.read, i.write, split)))
            .collect()
    };
    Some(ConsumedCapacity {
        table_name: table,
        total: Capacity::of(c.total_read(), c.total_write(), split),
        table: indexes.then(|| Capacity::of(c.read, c.write, split)),
        local_secondary_indexes: per_index(false),
        global_secondary_indexes: per_index(true),
    })
}

/// A KeySchemaElement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyElement<'a> {
    attribute_name: &'a str,
    key_type: &'static str,
}

/// A key schema as its elements, HASH first.
fn key_elements(schema: &KeySchema) -> Vec<KeyElement<'_>> {
    named_elements(
        std::iter::once(&schema.hash.name).chain(schema.range.as_ref().map(|r| &r.name)),
        1,
    )
}

/// An index's KeySchema: every partition-key attribute, then every sort-key attribute.
fn index_key_elements(key: &IndexKey) -> Vec<KeyElement<'_>> {
    named_elements(key.attributes().map(|a| &a.name), key.hash.len())
}

/// KeySchemaElements for `names`, the first `hash` of them HASH and the rest RANGE.
fn named_elements<'a>(names: impl Iterator<Item = &'a String>, hash: usize) -> Vec<KeyElement<'a>> {
    names
        .enumerate()
        .map(|(i, name)| KeyElement {
            attribute_name: name,
            key_type: if i < hash { "HASH" } else { "RANGE" },
        })
        .collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinition<'a> {
    attribute_name: &'a str,
    attribute_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProvisionedThroughput {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_increase_date_time: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_decrease_date_time: Option<EpochSeconds>,
    number_of_decreases_today: u32,
    read_capacity_units: i64,
    write_capacity_units: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BillingModeSummary {
    billing_mode: &'static str,
    last_update_to_pay_per_request_date_time: EpochSeconds,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TableClassSummary<'a> {
    table_class: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct StreamSpecification {
    stream_enabled: bool,
    stream_view_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Projection<'a> {
    projection_type: &'static str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    non_key_attributes: &'a [String],
}

/// A secondary index's description; the last three members are a GSI's only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct IndexDescription<'a> {
    index_name: &'a str,
    key_schema: Vec<KeyElement<'a>>,
    projection: Projection<'a>,
    index_size_bytes: i64,
    item_count: i64,
    index_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backfilling: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioned_throughput: Option<ProvisionedThroughput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warm_throughput: Option<WarmThroughput>,
}

/// A TableDescription.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableShape<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attribute_definitions: Vec<AttributeDefinition<'a>>,
    table_name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    key_schema: Vec<KeyElement<'a>>,
    table_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date_time: Option<EpochSeconds>,
    provisioned_throughput: ProvisionedThroughput,
    table_size_bytes: i64,
    item_count: i64,
    table_arn: &'a str,
    table_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_mode_summary: Option<BillingModeSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table_class_summary: Option<TableClassSummary<'a>>,
    deletion_protection_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_specification: Option<StreamSpecification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_stream_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_stream_label: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    global_secondary_indexes: Vec<IndexDescription<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    local_secondary_indexes: Vec<IndexDescription<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore_summary: Option<RestoreSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warm_throughput: Option<WarmThroughput>,
}

impl TableShape<'_> {
    /// DeleteTable's answer: the table's identity, status and capacity, without its schema,
    /// creation time or indexes.
    #[must_use]
    pub fn deleting(mut self) -> Self {
        self.attribute_definitions.clear();
        self.key_schema.clear();
        self.creation_date_time = None;
        self.global_secondary_indexes.clear();
        self.local_secondary_indexes.clear();
        self.warm_throughput = None;
        self
    }

    /// CreateTable's answer: WarmThroughput only when it was asked for, as being applied.
    #[must_use]
    pub fn warm_throughput_updating(mut self, requested: bool) -> Self {
        self.warm_throughput = self
            .warm_throughput
            .filter(|_| requested)
            .map(|w| WarmThroughput {
                status: "UPDATING",
                ..w
            });
        self
    }
}

/// WarmThroughput of a table or a global index: what it was given, or what DynamoDB gives an
/// on-demand table (12,000 reads and 4,000 writes a second) or a provisioned one (its
/// capacity).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct WarmThroughput {
    read_units_per_second: i64,
    write_units_per_second: i64,
    status: &'static str,
}

impl WarmThroughput {
    fn of(billing: BillingMode, throughput: Throughput, asked: Option<(i64, i64)>) -> Self {
        let (read, write) = asked.unwrap_or(match billing {
            BillingMode::PayPerRequest => (12_000, 4_000),
            BillingMode::Provisioned => (throughput.read, throughput.write),
        });
        Self {
            read_units_per_second: read,
            write_units_per_second: write,
            status: "ACTIVE",
        }
    }
}

/// A restored table's RestoreSummary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreSummaryShape<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_backup_arn: Option<&'a str>,
    source_table_arn: &'a str,
    restore_date_time: EpochSeconds,
    restore_in_progress: bool,
}

/// A TableDescription.
pub fn table_description(d: &TableDescription) -> TableShape<'_> {
    let def = &d.def;
    let (mut globals, mut locals) = (Vec::new(), Vec::new());
    for (index, (count, size)) in def.indexes.iter().zip(&d.index_counts) {
        let global = index.kind == IndexKind::Global;
        let throughput = index.throughput.unwrap_or_default();
        let described = IndexDescription {
            index_name: &index.name,
            key_schema: index_key_elements(&index.key_schema),
            projection: Projection {
                projection_type: index.projection.projection_type.as_str(),
                non_key_attributes: &index.projection.non_key_attributes,
            },
            index_size_bytes: *size,
            item_count: *count,
            index_arn: format!("{}/index/{}", d.arn, index.name),
            index_status: global.then(|| index.status.as_str()),
            backfilling: (global && index.status == IndexStatus::Creating).then_some(true),
            warm_throughput: global.then(|| WarmThroughput::of(def.billing_mode, throughput, None)),
            provisioned_throughput: global.then_some(ProvisionedThroughput {
                last_increase_date_time: None,
                last_decrease_date_time: None,
                number_of_decreases_today: 0,
                read_capacity_units: throughput.read,
                write_capacity_units: throughput.write,
            }),
        };
        if global {
            globals.push(described);
        } else {
            locals.push(described);
        }
    }
    let billing_mode_summary = def.pay_per_request_since_ms.map(|ms| BillingModeSummary {
        billing_mode: if def.billing_mode == BillingMode::PayPerRequest {
            "PAY_PER_REQUEST"
        } else {
            "PROVISIONED"
        },
        last_update_to_pay_per_request_date_time: EpochSeconds(ms),
    });
    let latest_stream = def
        .latest_stream_arn
        .as_deref()
        .zip(def.latest_stream_label.as_deref());
    // DynamoDB lists the definitions by name, whatever order they were given in.
    let mut attribute_definitions: Vec<AttributeDefinition<'_>> = def
        .attribute_definitions
        .iter()
        .map(|a| AttributeDefinition {
            attribute_name: &a.attribute_name,
            attribute_type: a.attribute_type.as_str(),
        })
        .collect();
    attribute_definitions.sort_by_key(|a| a.attribute_name);
    TableShape {
        attribute_definitions,
        table_name: &def.name,
        key_schema: key_elements(&def.key_schema),
        table_status: d.status.as_str(),
        creation_date_time: Some(EpochSeconds(def.created_ms)),
        provisioned_throughput: ProvisionedThroughput {
            last_increase_date_time: def.last_increase_ms.map(EpochSeconds),
            last_decrease_date_time: def.last_decrease_ms.map(EpochSeconds),
            number_of_decreases_today: 0,
            read_capacity_units: def.throughput.read,
            write_capacity_units: def.throughput.write,
        },
        table_size_bytes: d.size_bytes,
        item_count: d.item_count,
        table_arn: &d.arn,
        table_id: &def.table_uuid,
        billing_mode_summary,
        table_class_summary: def
            .table_class
            .as_deref()
            .map(|table_class| TableClassSummary { table_class }),
        deletion_protection_enabled: def.deletion_protection,
        stream_specification: def.stream_view_type.map(|view| StreamSpecification {
            stream_enabled: true,
            stream_view_type: view.as_str(),
        }),
        latest_stream_arn: latest_stream.map(|(arn, _)| arn),
        latest_stream_label: latest_stream.map(|(_, label)| label),
        global_secondary_indexes: globals,
        local_secondary_indexes: locals,
        warm_throughput: Some(WarmThroughput::of(
            def.billing_mode,
            def.throughput,
            def.warm_throughput,
        )),
        restore_summary: def.restore.as_ref().map(|r| RestoreSummaryShape {
            source_backup_arn: r.source_backup_arn.as_deref(),
            source_table_arn: &r.source_table_arn,
            restore_date_time: EpochSeconds(r.restore_ms),
            restore_in_progress: d.status == TableStatus::Creating,
        }),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SequenceNumberRange<'a> {
    starting_sequence_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ending_sequence_number: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Shard<'a> {
    shard_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_shard_id: Option<&'a str>,
    sequence_number_range: SequenceNumberRange<'a>,
}

/// A StreamDescription.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamShape<'a> {
    stream_arn: &'a str,
    stream_label: &'a str,
    stream_status: &'static str,
    stream_view_type: &'static str,
    creation_request_date_time: EpochSeconds,
    table_name: &'a str,
    key_schema: Vec<KeyElement<'a>>,
    shards: Vec<Shard<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_evaluated_shard_id: Option<&'a str>,
}

/// A StreamDescription.
pub fn stream_description(d: &StreamDescription) -> StreamShape<'_> {
    StreamShape {
        stream_arn: &d.stream_arn,
        stream_label: &d.stream_label,
        stream_status: d.stream_status,
        stream_view_type: d.view_type.as_str(),
        creation_request_date_time: EpochSeconds(d.created_ms),
        table_name: &d.table_name,
        key_schema: key_elements(&d.key_schema),
        shards: d
            .shards
            .iter()
            .map(|s| Shard {
                shard_id: &s.shard_id,
                parent_shard_id: s.parent_shard_id.as_deref(),
                sequence_number_range: SequenceNumberRange {
                    starting_sequence_number: &s.starting_sequence_number,
                    ending_sequence_number: s.ending_sequence_number.as_deref(),
                },
            })
            .collect(),
        last_evaluated_shard_id: d.last_evaluated_shard_id.as_deref(),
    }
}
