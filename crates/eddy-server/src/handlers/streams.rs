//! The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords.

use eddy_engine::{Engine, IteratorType, RecordsPage};
use eddy_streams::{SequenceNumber, StreamRecord};

use super::Out;
use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::stream_description;
use crate::reply::Reply;
use crate::telemetry;

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

pub fn list_streams(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
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
    o.set_objects("Streams", &streams, |e, s| {
        e.set("StreamArn", &s.stream_arn);
        e.set("TableName", &s.table_name);
        e.set("StreamLabel", &s.stream_label);
    });
    o.set_opt("LastEvaluatedStreamArn", last);
    Ok(o.done())
}

pub fn describe_stream(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
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
    Ok(Out::only("StreamDescription", stream_description(&d)))
}

pub fn get_shard_iterator(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
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
    Ok(Out::only("ShardIterator", iterator))
}

pub fn get_records(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let iterator = input.string("ShardIterator")?;
    let limit = input.int("Limit", "Integer")?;
    let mut c = Constraints::new();
    c.required(iterator, "shardIterator");
    length(&mut c, iterator, "shardIterator", 1, 2048);
    c.range(limit, "limit", 1, 1000);
    c.finish()?;
    let page = engine.get_records(iterator.unwrap_or_default(), limit.unwrap_or(1000) as usize)?;
    let reply = records_out(&page, &engine.scope().region);
    telemetry::returned_records(&page.stream_arn, page.records.len(), reply.len());
    Ok(reply)
}

fn records_out(page: &RecordsPage, region: &str) -> Reply {
    let mut o = Out::default();
    o.set_objects("Records", &page.records, |rec, r| {
        record(r, &page.stream_arn, region, rec);
    });
    o.set_opt("NextShardIterator", page.next_iterator.as_deref());
    o.done()
}

fn record(r: &StreamRecord, stream_arn: &str, region: &str, rec: &mut Out) {
    rec.set("eventID", r.event_id(stream_arn));
    rec.set("eventName", r.event_name().as_str());
    rec.set("eventVersion", "1.1");
    rec.set("eventSource", "aws:dynamodb");
    rec.set("awsRegion", region);
    rec.set_object("dynamodb", |d| {
        d.set(
            "ApproximateCreationDateTime",
            r.approximate_creation_date_time(),
        );
        d.set_item("Keys", r.keys());
        if let Some(img) = r.new_image() {
            d.set_item("NewImage", img);
        }
        if let Some(img) = r.old_image() {
            d.set_item("OldImage", img);
        }
        d.set("SequenceNumber", r.sequence_number().to_string());
        d.set("SizeBytes", r.size_bytes());
        d.set("StreamViewType", r.view_type().as_str());
    });
    if r.is_ttl_delete() {
        rec.set_object("userIdentity", |u| {
            u.set("Type", "Service");
            u.set("PrincipalId", "dynamodb.amazonaws.com");
        });
    }
}
