//! `--streams-rate-limits`: DynamoDB Streams' published request rates answered with
//! LimitExceededException, judged on the server's clock, and no limit without the flag.
//! Raw requests, not the SDK, so its retries of LimitExceededException do not hide them.

mod common;

use aws_sdk_dynamodb::types::StreamViewType;
use common::streams::create_stream_table;
use common::{RawResponse, TestServer};
use eddy_engine::EngineConfig;
use serde_json::json;

const DESCRIBE: &str = "DynamoDBStreams_20120810.DescribeStream";
const LIST: &str = "DynamoDBStreams_20120810.ListStreams";
const ITERATOR: &str = "DynamoDBStreams_20120810.GetShardIterator";
const GET_RECORDS: &str = "DynamoDBStreams_20120810.GetRecords";
const LIMIT_EXCEEDED: &str = "com.amazonaws.dynamodb.v20120810#LimitExceededException";

fn limited() -> TestServer {
    TestServer::start_configured(EngineConfig::default(), |s| s.with_streams_rate_limits())
}

async fn stream(server: &TestServer) -> String {
    create_stream_table(&server.client(), "limited", StreamViewType::KeysOnly, false).await
}

fn call(server: &TestServer, target: &str, body: serde_json::Value) -> RawResponse {
    server.raw(Some(target), body.to_string().as_bytes())
}

/// How many of `n` back-to-back calls were refused; every other call must succeed.
fn refused(server: &TestServer, n: usize, target: &str, body: &serde_json::Value) -> usize {
    (0..n)
        .filter(|_| {
            let r = call(server, target, body.clone());
            if r.status == 200 {
                return false;
            }
            assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
            assert_eq!(r.error_type(), LIMIT_EXCEEDED);
            true
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_stream_allows_ten_calls_a_second() {
    let server = limited();
    let arn = stream(&server).await;
    let body = json!({"StreamArn": arn});
    // A server clock frozen between calls is not available, but eleven raw calls on loopback
    // take far less than the one-second window.
    assert!(refused(&server, 11, DESCRIBE, &body) >= 1);
    let r = call(&server, DESCRIBE, body.clone());
    assert_eq!(r.error_type(), LIMIT_EXCEEDED);
    assert_eq!(r.json()["message"], "Rate exceeded");
    server.advance(1);
    assert_eq!(refused(&server, 10, DESCRIBE, &body), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_streams_allows_five_calls_a_second() {
    let server = limited();
    assert!(refused(&server, 6, LIST, &json!({})) >= 1);
    server.advance(1);
    assert_eq!(refused(&server, 5, LIST, &json!({})), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_records_allows_five_calls_a_second_per_shard() {
    let server = limited();
    let arn = stream(&server).await;
    let d = call(&server, DESCRIBE, json!({"StreamArn": arn}));
    let shard = d.json()["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .expect("shard")
        .to_owned();
    let it = call(
        &server,
        ITERATOR,
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    );
    let iterator = it.json()["ShardIterator"]
        .as_str()
        .expect("iterator")
        .to_owned();
    let body = json!({"ShardIterator": iterator});
    assert!(refused(&server, 6, GET_RECORDS, &body) >= 1);
    let r = call(&server, GET_RECORDS, body.clone());
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        msg,
        format!("Rate exceeded for shard {shard} in stream {arn} under account 000000000000.")
    );
    // Other operations have their own budgets.
    assert_eq!(
        call(&server, DESCRIBE, json!({"StreamArn": arn})).status,
        200
    );
    server.advance(1);
    assert_eq!(refused(&server, 5, GET_RECORDS, &body), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_flag_nothing_is_limited() {
    let server = TestServer::start();
    let arn = stream(&server).await;
    assert_eq!(
        refused(&server, 30, DESCRIBE, &json!({"StreamArn": arn})),
        0
    );
    assert_eq!(refused(&server, 30, LIST, &json!({})), 0);
}
