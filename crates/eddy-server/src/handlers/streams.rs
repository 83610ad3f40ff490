//! The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords.

use eddy_engine::{Engine, IteratorType, RecordsPage};
use eddy_streams::{SequenceNumber, StreamRecord};
use eddy_types::item_to_json;
use serde_json::{Map, Value, json};

use super::Out;
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::epoch_seconds;

const ITERATOR_TYPES: &[&str] = &[
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

/// A string member's length constraint, as the Streams service model states it.
fn length(c: &mut Constraints, v: Option<&str>, path: &str, min: usize, max: usize) {
    if let Some(s) = v {
        let n = s.chars().count();
        if n < min {
            c.fail(
                Some(s),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            c.fail(
                Some(s),
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }
}

pub fn list_streams(engine: &Engine, input: &Input<'_>) -> Result<Value, ApiError> {
    let table = input.string("TableName")?;
    let limit = input.int("Limit", "Integer")?;
    let start = input.string("ExclusiveStartStreamArn")?;
    let mut c = Constraints::new();
    if table.is_some() {
        c.table_name(table, "tableName", 3);
    }
    c.range(limit, "limit", 1, 100);
    length(&mut c, start, "exclusiveStartStreamArn", 37, 1024);
    c.finish()?;
    let (streams, last) = engine.list_streams(table, limit.unwrap_or(100) as usize, start)?;
    let mut o = Out::default();
    o.set(
        "Streams",
        streams
            .iter()
            .map(|s| json!({"StreamArn": s.stream_arn, "TableName": s.table_name, "StreamLabel": s.stream_label}))
            .collect::<Vec<_>>(),
    );
    o.set_opt("LastEvaluatedStreamArn", last.map(Value::from));
    Ok(o.done())
}

pub fn describe_stream(engine: &Engine, input: &Input<'_>) -> Result<Value, ApiError> {
    let arn = input.string("StreamArn")?;
    let limit = input.int("Limit", "Integer")?;
    let start = input.string("ExclusiveStartShardId")?;
    let filter = input.object("ShardFilter")?;
    let mut c = Constraints::new();
    c.required(arn, "streamArn");
    length(&mut c, arn, "streamArn", 37, 1024);
    c.range(limit, "limit", 1, 100);
    length(&mut c, start, "exclusiveStartShardId", 28, 65);
    let children_of = match filter {
        Some(f) => {
            let kind = f.string("Type")?;
            let shard = f.string("ShardId")?;
            c.required(kind, "shardFilter.type");
            c.one_of(kind, "shardFilter.type", &["CHILD_SHARDS"]);
            length(&mut c, shard, "shardFilter.shardId", 28, 65);
            if shard.is_none() {
                c.finish()?;
                return Err(ApiError::validation(
                    "ShardFilter ShardId must be specified when Type is CHILD_SHARDS",
                ));
            }
            shard
        }
        None => None,
    };
    c.finish()?;
    let d = engine.describe_stream(
        arn.unwrap_or_default(),
        limit.unwrap_or(100) as usize,
        start,
        children_of,
    )?;
    let shards: Vec<Value> = d
        .shards
        .iter()
        .map(|s| {
            let mut range = Map::new();
            range.insert(
                "StartingSequenceNumber".into(),
                s.starting_sequence_number.clone().into(),
            );
            if let Some(end) = &s.ending_sequence_number {
                range.insert("EndingSequenceNumber".into(), end.clone().into());
            }
            let mut shard = Map::new();
            shard.insert("ShardId".into(), s.shard_id.clone().into());
            if let Some(parent) = &s.parent_shard_id {
                shard.insert("ParentShardId".into(), parent.clone().into());
            }
            shard.insert("SequenceNumberRange".into(), Value::Object(range));
            Value::Object(shard)
        })
        .collect();
    let mut desc = Map::new();
    desc.insert("StreamArn".into(), d.stream_arn.into());
    desc.insert("StreamLabel".into(), d.stream_label.into());
    desc.insert("StreamStatus".into(), d.stream_status.into());
    desc.insert("StreamViewType".into(), d.view_type.as_str().into());
    desc.insert(
        "CreationRequestDateTime".into(),
        epoch_seconds(d.created_ms),
    );
    desc.insert("TableName".into(), d.table_name.into());
    desc.insert(
        "KeySchema".into(),
        d.key_schema
            .elements()
            .iter()
            .map(|e| json!({"AttributeName": e.attribute_name, "KeyType": e.key_type.as_str()}))
            .collect(),
    );
    desc.insert("Shards".into(), Value::Array(shards));
    if let Some(last) = d.last_evaluated_shard_id {
        desc.insert("LastEvaluatedShardId".into(), last.into());
    }
    Ok(json!({ "StreamDescription": Value::Object(desc) }))
}

pub fn get_shard_iterator(engine: &Engine, input: &Input<'_>) -> Result<Value, ApiError> {
    let arn = input.string("StreamArn")?;
    let shard = input.string("ShardId")?;
    let kind = input.string("ShardIteratorType")?;
    let seq = input.string("SequenceNumber")?;
    let mut c = Constraints::new();
    c.required(arn, "streamArn");
    c.required(shard, "shardId");
    c.required(kind, "shardIteratorType");
    length(&mut c, arn, "streamArn", 37, 1024);
    length(&mut c, shard, "shardId", 28, 65);
    c.one_of(kind, "shardIteratorType", ITERATOR_TYPES);
    length(&mut c, seq, "sequenceNumber", 21, 40);
    c.finish()?;
    let kind = kind.unwrap_or_default();
    let needs_seq = matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
    if needs_seq != seq.is_some() {
        return Err(ApiError::validation(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and SequenceNumber or (2) TRIM_HORIZON or LATEST and no SequenceNumber. Request specified {kind} and {} SequenceNumber.",
            if seq.is_some() { "a" } else { "no" }
        )));
    }
    let seq = seq
        .map(|s| SequenceNumber::parse(s).map_err(|e| ApiError::validation(e.to_string())))
        .transpose()?;
    let it = match (kind, seq) {
        ("AT_SEQUENCE_NUMBER", Some(s)) => IteratorType::AtSequence(s),
        ("AFTER_SEQUENCE_NUMBER", Some(s)) => IteratorType::AfterSequence(s),
        ("LATEST", _) => IteratorType::Latest,
        _ => IteratorType::TrimHorizon,
    };
    let iterator =
        engine.get_shard_iterator(arn.unwrap_or_default(), shard.unwrap_or_default(), it)?;
    Ok(json!({ "ShardIterator": iterator }))
}

pub fn get_records(engine: &Engine, input: &Input<'_>) -> Result<Value, ApiError> {
    let iterator = input.string("ShardIterator")?;
    let limit = input.int("Limit", "Integer")?;
    let mut c = Constraints::new();
    c.required(iterator, "shardIterator");
    length(&mut c, iterator, "shardIterator", 1, 2048);
    c.range(limit, "limit", 1, 1000);
    c.finish()?;
    let page = engine.get_records(iterator.unwrap_or_default(), limit.unwrap_or(1000) as usize)?;
    Ok(records_out(&page, &engine.config().region))
}

fn records_out(page: &RecordsPage, region: &str) -> Value {
    let records: Vec<Value> = page
        .records
        .iter()
        .map(|r| record(r, &page.stream_arn, region))
        .collect();
    let mut o = Out::default();
    o.set("Records", records);
    o.set_opt(
        "NextShardIterator",
        page.next_iterator.clone().map(Value::from),
    );
    o.done()
}

fn record(r: &StreamRecord, stream_arn: &str, region: &str) -> Value {
    let mut d = Map::new();
    d.insert(
        "ApproximateCreationDateTime".into(),
        r.approximate_creation_date_time().into(),
    );
    d.insert("Keys".into(), item_to_json(r.keys()));
    if let Some(img) = r.new_image() {
        d.insert("NewImage".into(), item_to_json(img));
    }
    if let Some(img) = r.old_image() {
        d.insert("OldImage".into(), item_to_json(img));
    }
    d.insert(
        "SequenceNumber".into(),
        r.sequence_number().to_string().into(),
    );
    d.insert("SizeBytes".into(), r.size_bytes().into());
    d.insert("StreamViewType".into(), r.view_type().as_str().into());
    let mut rec = Map::new();
    rec.insert("eventID".into(), r.event_id(stream_arn).into());
    rec.insert("eventName".into(), r.event_name().as_str().into());
    rec.insert("eventVersion".into(), "1.1".into());
    rec.insert("eventSource".into(), "aws:dynamodb".into());
    rec.insert("awsRegion".into(), region.into());
    rec.insert("dynamodb".into(), Value::Object(d));
    if r.is_ttl_delete() {
        rec.insert(
            "userIdentity".into(),
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
        );
    }
    Value::Object(rec)
}
