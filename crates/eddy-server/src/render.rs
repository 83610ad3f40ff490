//! Engine results as DynamoDB's JSON shapes.

use eddy_engine::{BillingMode, Consumed, IndexKind, TableDescription};
use serde_json::{Map, Value, json};

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

/// A ConsumedCapacity entry, or None when not asked for.
pub fn consumed(mode: ReturnConsumed, table: &str, c: Consumed) -> Option<Value> {
    if mode == ReturnConsumed::None {
        return None;
    }
    let mut out = Map::new();
    out.insert("TableName".into(), table.into());
    out.insert("CapacityUnits".into(), units(c.total()));
    if c.read > 0.0 {
        out.insert("ReadCapacityUnits".into(), units(c.read));
    }
    if c.write > 0.0 {
        out.insert("WriteCapacityUnits".into(), units(c.write));
    }
    if mode == ReturnConsumed::Indexes {
        let mut t = Map::new();
        t.insert("CapacityUnits".into(), units(c.total()));
        if c.read > 0.0 {
            t.insert("ReadCapacityUnits".into(), units(c.read));
        }
        if c.write > 0.0 {
            t.insert("WriteCapacityUnits".into(), units(c.write));
        }
        out.insert("Table".into(), Value::Object(t));
    }
    Some(Value::Object(out))
}

/// Capacity units as a JSON number: integral values print without a fraction.
fn units(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// Epoch milliseconds as DynamoDB's fractional epoch seconds.
pub fn epoch_seconds(ms: u64) -> Value {
    if ms.is_multiple_of(1000) {
        Value::from(ms / 1000)
    } else {
        Value::from(ms as f64 / 1000.0)
    }
}

/// A TableDescription.
pub fn table_description(d: &TableDescription) -> Value {
    let def = &d.def;
    let mut t = Map::new();
    t.insert(
        "AttributeDefinitions".into(),
        def.attribute_definitions
            .iter()
            .map(|a| json!({"AttributeName": a.attribute_name, "AttributeType": a.attribute_type.as_str()}))
            .collect(),
    );
    t.insert("TableName".into(), def.name.clone().into());
    t.insert(
        "KeySchema".into(),
        def.key_schema
            .elements()
            .iter()
            .map(|e| json!({"AttributeName": e.attribute_name, "KeyType": e.key_type.as_str()}))
            .collect(),
    );
    t.insert("TableStatus".into(), d.status.as_str().into());
    t.insert("CreationDateTime".into(), epoch_seconds(def.created_ms));
    let mut pt = Map::new();
    if let Some(ms) = def.last_increase_ms {
        pt.insert("LastIncreaseDateTime".into(), epoch_seconds(ms));
    }
    if let Some(ms) = def.last_decrease_ms {
        pt.insert("LastDecreaseDateTime".into(), epoch_seconds(ms));
    }
    pt.insert("NumberOfDecreasesToday".into(), 0.into());
    pt.insert("ReadCapacityUnits".into(), def.throughput.read.into());
    pt.insert("WriteCapacityUnits".into(), def.throughput.write.into());
    t.insert("ProvisionedThroughput".into(), Value::Object(pt));
    t.insert("TableSizeBytes".into(), d.size_bytes.into());
    t.insert("ItemCount".into(), d.item_count.into());
    t.insert("TableArn".into(), d.arn.clone().into());
    t.insert("TableId".into(), def.table_uuid.clone().into());
    if let Some(ms) = def
        .pay_per_request_since_ms
        .filter(|_| def.billing_mode == BillingMode::PayPerRequest)
    {
        t.insert(
            "BillingModeSummary".into(),
            json!({"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": epoch_seconds(ms)}),
        );
    } else if def.pay_per_request_since_ms.is_some() {
        t.insert(
            "BillingModeSummary".into(),
            json!({"BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": epoch_seconds(def.pay_per_request_since_ms.unwrap_or(0))}),
        );
    }
    if let Some(class) = &def.table_class {
        t.insert("TableClassSummary".into(), json!({"TableClass": class}));
    }
    t.insert(
        "DeletionProtectionEnabled".into(),
        def.deletion_protection.into(),
    );
    if let Some(view) = def.stream_view_type {
        t.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": view.as_str()}),
        );
    }
    if let (Some(arn), Some(label)) = (&def.latest_stream_arn, &def.latest_stream_label) {
        t.insert("LatestStreamArn".into(), arn.clone().into());
        t.insert("LatestStreamLabel".into(), label.clone().into());
    }
    let (mut globals, mut locals) = (Vec::new(), Vec::new());
    for (index, (count, size)) in def.indexes.iter().zip(&d.index_counts) {
        let mut i = Map::new();
        i.insert("IndexName".into(), index.name.clone().into());
        i.insert(
            "KeySchema".into(),
            index
                .key_schema
                .elements()
                .iter()
                .map(|e| json!({"AttributeName": e.attribute_name, "KeyType": e.key_type.as_str()}))
                .collect(),
        );
        let mut p = Map::new();
        p.insert(
            "ProjectionType".into(),
            index.projection.projection_type.as_str().into(),
        );
        if !index.projection.non_key_attributes.is_empty() {
            p.insert(
                "NonKeyAttributes".into(),
                index.projection.non_key_attributes.clone().into(),
            );
        }
        i.insert("Projection".into(), Value::Object(p));
        i.insert("IndexSizeBytes".into(), (*size).into());
        i.insert("ItemCount".into(), (*count).into());
        i.insert(
            "IndexArn".into(),
            format!("{}/index/{}", d.arn, index.name).into(),
        );
        if index.kind == IndexKind::Global {
            i.insert("IndexStatus".into(), index.status.as_str().into());
            if index.status == eddy_engine::IndexStatus::Creating {
                i.insert("Backfilling".into(), true.into());
            }
            let t = index.throughput.unwrap_or_default();
            i.insert(
                "ProvisionedThroughput".into(),
                json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": t.read, "WriteCapacityUnits": t.write}),
            );
            globals.push(Value::Object(i));
        } else {
            locals.push(Value::Object(i));
        }
    }
    if !globals.is_empty() {
        t.insert("GlobalSecondaryIndexes".into(), Value::Array(globals));
    }
    if !locals.is_empty() {
        t.insert("LocalSecondaryIndexes".into(), Value::Array(locals));
    }
    Value::Object(t)
}
