//! Stream fixtures: tables with a stream, and readers that walk a stream's shards through the
//! DynamoDB Streams SDK the way a consumer does.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::{AttributeValue as SAttr, Record, Shard, ShardIteratorType};

/// PutItem of an item holding only its key `pk`; returns once acknowledged.
pub async fn put(client: &Client, table: &str, pk: &str) {
    client
        .put_item()
        .table_name(table)
        .item("pk", super::s(pk))
        .send()
        .await
        .expect("put");
}

/// `ADD c :1` on the item keyed `pk`; returns once acknowledged.
pub async fn bump(client: &Client, table: &str, pk: &str) {
    client
        .update_item()
        .table_name(table)
        .key("pk", super::s(pk))
        .update_expression("ADD c :one")
        .expression_attribute_values(":one", super::n("1"))
        .send()
        .await
        .expect("update");
}

/// Creates an on-demand table keyed by string `pk` (and string `sk` when `with_sort`) with a
/// stream of `view`; returns the stream's ARN.
pub async fn create_stream_table(
    client: &Client,
    name: &str,
    view: StreamViewType,
    with_sort: bool,
) -> String {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr_def("pk"))
        .key_schema(key_elem("pk", KeyType::Hash))
        .stream_specification(spec(true, Some(view)));
    if with_sort {
        req = req
            .attribute_definitions(attr_def("sk"))
            .key_schema(key_elem("sk", KeyType::Range));
    }
    let out = req.send().await.expect("create table with stream");
    let table = out.table_description().expect("description");
    table
        .latest_stream_arn()
        .expect("LatestStreamArn")
        .to_owned()
}

fn attr_def(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

fn key_elem(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key schema element")
}

/// A StreamSpecification.
pub fn spec(enabled: bool, view: Option<StreamViewType>) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(enabled)
        .set_stream_view_type(view)
        .build()
        .expect("stream specification")
}

/// Every shard of a stream, paging DescribeStream with a small page size.
pub async fn shards(sc: &StreamsClient, arn: &str) -> Vec<Shard> {
    shards_in_pages_of(sc, arn, 3).await
}

/// Every shard of a stream, paging DescribeStream `limit` shards at a time.
pub async fn shards_in_pages_of(sc: &StreamsClient, arn: &str, limit: i32) -> Vec<Shard> {
    let mut out = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = sc
            .describe_stream()
            .stream_arn(arn)
            .limit(limit)
            .set_exclusive_start_shard_id(start.clone())
            .send()
            .await
            .expect("describe stream");
        let d = page.stream_description().expect("StreamDescription");
        out.extend(d.shards().iter().cloned());
        match d.last_evaluated_shard_id() {
            Some(last) => start = Some(last.to_owned()),
            None => return out,
        }
    }
}

/// The ids of a stream's open shards.
pub async fn open_shards(sc: &StreamsClient, arn: &str) -> Vec<String> {
    shards(sc, arn)
        .await
        .iter()
        .filter(|s| is_open(s))
        .map(|s| s.shard_id().unwrap_or_default().to_owned())
        .collect()
}

/// True when the shard has no EndingSequenceNumber.
pub fn is_open(shard: &Shard) -> bool {
    shard
        .sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .is_none()
}

/// A shard iterator of a kind without a sequence number (TRIM_HORIZON, LATEST).
pub async fn iterator(
    sc: &StreamsClient,
    arn: &str,
    shard: &str,
    kind: ShardIteratorType,
) -> String {
    sc.get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .send()
        .await
        .expect("get shard iterator")
        .shard_iterator()
        .expect("ShardIterator")
        .to_owned()
}

/// An AT_SEQUENCE_NUMBER / AFTER_SEQUENCE_NUMBER iterator.
pub async fn iterator_at(
    sc: &StreamsClient,
    arn: &str,
    shard: &str,
    kind: ShardIteratorType,
    seq: &str,
) -> String {
    sc.get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .sequence_number(seq)
        .send()
        .await
        .expect("get shard iterator at a sequence number")
        .shard_iterator()
        .expect("ShardIterator")
        .to_owned()
}

/// Reads from `iterator` until a page is empty (open shard) or the shard ends (closed
/// shard). Returns the records and the last NextShardIterator (None once a closed shard
/// was read to its end).
pub async fn read_from(sc: &StreamsClient, iterator: String) -> (Vec<Record>, Option<String>) {
    let mut records = Vec::new();
    let mut next = Some(iterator);
    while let Some(it) = next.clone() {
        let page = sc
            .get_records()
            .shard_iterator(it)
            .send()
            .await
            .expect("get records");
        let empty = page.records().is_empty();
        records.extend(page.records().iter().cloned());
        next = page.next_shard_iterator().map(str::to_owned);
        if empty {
            break;
        }
    }
    (records, next)
}

/// Every record of one shard from its trim horizon.
pub async fn read_shard(sc: &StreamsClient, arn: &str, shard: &str) -> Vec<Record> {
    let it = iterator(sc, arn, shard, ShardIteratorType::TrimHorizon).await;
    read_from(sc, it).await.0
}

/// Every record of a stream: each shard from its trim horizon, shards in id order (parents
/// before children).
pub async fn read_all(sc: &StreamsClient, arn: &str) -> Vec<Record> {
    let mut out = Vec::new();
    for shard in shards(sc, arn).await {
        out.extend(read_shard(sc, arn, shard.shard_id().unwrap_or_default()).await);
    }
    out
}

/// A record's `dynamodb` part.
pub fn body(r: &Record) -> &aws_sdk_dynamodbstreams::types::StreamRecord {
    r.dynamodb().expect("dynamodb")
}

/// A record's sequence number as a number.
pub fn seq(r: &Record) -> u128 {
    seq_value(body(r).sequence_number().expect("SequenceNumber"))
}

/// A sequence number's value.
pub fn seq_value(text: &str) -> u128 {
    text.parse().expect("numeric sequence number")
}

/// `eventName` as text.
pub fn event(r: &Record) -> &str {
    r.event_name().expect("eventName").as_str()
}

/// A string attribute of the record's Keys.
pub fn key(r: &Record, name: &str) -> String {
    match body(r).keys().and_then(|k| k.get(name)) {
        Some(SAttr::S(v)) => v.clone(),
        other => panic!("key {name}: {other:?}"),
    }
}

/// A numeric attribute of an image, as an integer.
pub fn num(image: Option<&HashMap<String, SAttr>>, name: &str) -> Option<i64> {
    match image?.get(name)? {
        SAttr::N(v) => Some(v.parse().expect("integer")),
        other => panic!("{name} is not a number: {other:?}"),
    }
}

/// A string attribute value in the Streams SDK's type.
pub fn ss(v: &str) -> SAttr {
    SAttr::S(v.to_owned())
}
