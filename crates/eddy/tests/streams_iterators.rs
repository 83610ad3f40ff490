//! Shard iterators and GetRecords through the Streams SDK: the four iterator types, their
//! SequenceNumber rules, malformed and unknown inputs, forged and expired iterators, reuse,
//! Limit, the 1 MB page, the shape of pages on open and closed shards, and records visible
//! as soon as their write is acknowledged.

mod common;

use common::streams::put;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use common::streams::{
    body, create_stream_table, iterator, iterator_at, key, read_from, shards, spec,
};
use common::{RawResponse, TestServer, code, message, s};
use eddy_engine::{EngineConfig, StreamsConfig};

fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| key(r, "pk")).collect()
}

async fn first_shard(sc: &StreamsClient, arn: &str) -> String {
    shards(sc, arn).await[0].shard_id().unwrap().to_owned()
}

fn call(server: &TestServer, op: &str, body: serde_json::Value) -> RawResponse {
    server.raw(
        Some(&format!("DynamoDBStreams_20120810.{op}")),
        body.to_string().as_bytes(),
    )
}

/// A table "tbl" with a NEW_IMAGE stream and items a, b, c; returns (arn, shard).
async fn three_items(server: &TestServer) -> (String, String) {
    let client = server.client();
    let arn = create_stream_table(&client, "tbl", StreamViewType::NewImage, false).await;
    for pk in ["a", "b", "c"] {
        put(&client, "tbl", pk).await;
    }
    let shard = first_shard(&server.streams_client(), &arn).await;
    (arn, shard)
}

#[tokio::test]
async fn the_four_iterator_types_start_where_they_say() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let (arn, shard) = three_items(&server).await;

    let trim = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    assert!(trim.starts_with(&format!("{arn}|")), "{trim}");
    assert!(trim.len() <= 2048);
    let (all, _) = read_from(&sc, trim).await;
    assert_eq!(keys(&all), ["a", "b", "c"]);
    let seq_b = body(&all[1]).sequence_number().unwrap().to_owned();

    let latest = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    let at_b = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AtSequenceNumber,
        &seq_b,
    )
    .await;
    let after_b = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AfterSequenceNumber,
        &seq_b,
    )
    .await;
    let page = sc
        .get_records()
        .shard_iterator(&latest)
        .send()
        .await
        .unwrap();
    assert!(
        page.records().is_empty(),
        "LATEST starts after the newest record"
    );
    put(&client, "tbl", "d").await;
    assert_eq!(keys(&read_from(&sc, latest).await.0), ["d"]);
    assert_eq!(keys(&read_from(&sc, at_b).await.0), ["b", "c", "d"]);
    assert_eq!(keys(&read_from(&sc, after_b).await.0), ["c", "d"]);

    // AT the shard's StartingSequenceNumber behaves like TRIM_HORIZON.
    let start = shards(&sc, &arn).await[0]
        .sequence_number_range()
        .unwrap()
        .starting_sequence_number()
        .unwrap()
        .to_owned();
    let at_start = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AtSequenceNumber,
        &start,
    )
    .await;
    assert_eq!(
        keys(&read_from(&sc, at_start).await.0),
        ["a", "b", "c", "d"]
    );
    // AFTER the newest record reads nothing yet, and the next write.
    let seq_d = body(
        &read_from(
            &sc,
            iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await,
        )
        .await
        .0[3],
    )
    .sequence_number()
    .unwrap()
    .to_owned();
    let after_d = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AfterSequenceNumber,
        &seq_d,
    )
    .await;
    put(&client, "tbl", "e").await;
    assert_eq!(keys(&read_from(&sc, after_d).await.0), ["e"]);
}

#[tokio::test]
async fn sequence_number_is_required_for_at_and_after_and_rejected_otherwise() {
    let server = TestServer::start();
    let sc = server.streams_client();
    let (arn, shard) = three_items(&server).await;
    let seq = shards(&sc, &arn).await[0]
        .sequence_number_range()
        .unwrap()
        .starting_sequence_number()
        .unwrap()
        .to_owned();
    for (kind, with_seq) in [
        (ShardIteratorType::AtSequenceNumber, false),
        (ShardIteratorType::AfterSequenceNumber, false),
        (ShardIteratorType::TrimHorizon, true),
        (ShardIteratorType::Latest, true),
    ] {
        let e = sc
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(kind.clone())
            .set_sequence_number(with_seq.then(|| seq.clone()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{kind:?}");
    }
}

#[tokio::test]
async fn malformed_missing_and_unknown_inputs() {
    let server = TestServer::start();
    let sc = server.streams_client();
    let (arn, shard) = three_items(&server).await;
    let get = |arn: String, shard: String, kind: ShardIteratorType, seq: Option<&str>| {
        sc.get_shard_iterator()
            .stream_arn(arn)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_sequence_number(seq.map(str::to_owned))
            .send()
    };
    // Malformed ARNs of a valid length.
    for bad in [
        arn.replace("arn:aws:dynamodb", "arn:aws:kinesis"),
        arn.replace("/stream/", "/streams/"),
        format!("{arn}Z"),
        "x".repeat(60),
    ] {
        let e = get(
            bad.clone(),
            shard.clone(),
            ShardIteratorType::TrimHorizon,
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{bad}");
        let e = sc
            .describe_stream()
            .stream_arn(&bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{bad}");
    }
    // A malformed iterator type.
    let e = get(
        arn.clone(),
        shard.clone(),
        ShardIteratorType::from("AT_TIMESTAMP"),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    // Malformed sequence numbers: too short, too long, not digits.
    for bad in [
        "1".repeat(20),
        "1".repeat(41),
        format!("{}x", "1".repeat(21)),
        format!("-{}", "1".repeat(21)),
    ] {
        let e = get(
            arn.clone(),
            shard.clone(),
            ShardIteratorType::AtSequenceNumber,
            Some(&bad),
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{bad}");
    }
    // A well-formed ARN of a stream that doesn't exist.
    let missing = arn.replace("table/tbl/", "table/nosuchtable/");
    let e = get(
        missing.clone(),
        shard.clone(),
        ShardIteratorType::Latest,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        format!("Requested resource not found: Stream: {missing} not found")
    );
    let e = sc
        .describe_stream()
        .stream_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        format!("Requested resource not found: Stream: {missing} not found")
    );
    // A shard the stream doesn't have: well formed, or any other text of a valid length.
    for unknown in [
        "shardId-00000000000000000001-00000000".to_owned(),
        "shardId-nonsense-but-long-enough".to_owned(),
    ] {
        let e = get(
            arn.clone(),
            unknown.clone(),
            ShardIteratorType::TrimHorizon,
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), "ResourceNotFoundException", "{unknown}");
    }
}

#[tokio::test]
async fn garbage_and_forged_iterators_are_rejected() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let (arn, shard) = three_items(&server).await;
    let other = create_stream_table(&client, "other", StreamViewType::NewImage, false).await;
    put(&client, "other", "secret").await;
    let it = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;

    let read = |it: String| sc.get_records().shard_iterator(it).send();
    for garbage in [
        "not an iterator".to_owned(),
        format!("{arn}|1|AAAA"),
        it.replacen("|1|", "|2|", 1),
        format!("{it}A"),
        it[..it.len() - 1].to_owned(),
    ] {
        let e = read(garbage.clone()).await.unwrap_err();
        assert_eq!(code(&e), "ValidationException", "{garbage}");
    }
    // Every byte matters: the stream ARN, the version and the opaque part.
    for i in 0..it.len() {
        let mut bytes = it.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let e = read(String::from_utf8(bytes).unwrap()).await.unwrap_err();
        assert_eq!(code(&e), "ValidationException", "byte {i}");
    }
    // The same iterator moved under another stream's ARN reads nothing of it.
    let forged = format!("{other}{}", &it[arn.len()..]);
    let e = read(forged).await.unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    // The untouched iterator still works.
    assert_eq!(keys(&read_from(&sc, it).await.0), ["a", "b", "c"]);
}

#[tokio::test]
async fn iterators_expire_after_fifteen_minutes() {
    let server = TestServer::start();
    let sc = server.streams_client();
    let (arn, shard) = three_items(&server).await;
    let it = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    server.advance(14 * 60);
    let page = sc.get_records().shard_iterator(&it).send().await.unwrap();
    assert_eq!(page.records().len(), 3);
    let next = page.next_shard_iterator().unwrap().to_owned();
    server.advance(2 * 60);
    let e = sc
        .get_records()
        .shard_iterator(&it)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ExpiredIteratorException");
    assert_eq!(message(&e), "Shard iterator has expired");
    let resp = call(
        &server,
        "GetRecords",
        serde_json::json!({"ShardIterator": it}),
    );
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.error_type(),
        "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException"
    );
    // A NextShardIterator is a fresh iterator: handed out at 14 minutes, alive at 16.
    let page = sc.get_records().shard_iterator(&next).send().await.unwrap();
    assert!(page.records().is_empty());
    server.advance(14 * 60);
    let e = sc
        .get_records()
        .shard_iterator(&next)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ExpiredIteratorException");
}

#[tokio::test]
async fn the_iterator_lifetime_is_a_setting() {
    let server = TestServer::start_with(EngineConfig {
        streams: StreamsConfig {
            iterator_lifetime_ms: 60_000,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    });
    let sc = server.streams_client();
    let (arn, shard) = three_items(&server).await;
    let it = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    server.advance(30);
    sc.get_records().shard_iterator(&it).send().await.unwrap();
    server.advance(45);
    let e = sc
        .get_records()
        .shard_iterator(&it)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ExpiredIteratorException");
}

#[tokio::test]
async fn an_iterator_reads_the_same_records_each_time() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let (arn, shard) = three_items(&server).await;
    let trim = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    let latest = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    let first = sc
        .get_records()
        .shard_iterator(&trim)
        .limit(2)
        .send()
        .await
        .unwrap();
    let again = sc
        .get_records()
        .shard_iterator(&trim)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.records(), again.records());
    assert_eq!(keys(first.records()), ["a", "b"]);
    let next = first.next_shard_iterator().unwrap();
    put(&client, "tbl", "d").await;
    for _ in 0..2 {
        let page = sc.get_records().shard_iterator(next).send().await.unwrap();
        assert_eq!(keys(page.records()), ["c", "d"]);
        let page = sc
            .get_records()
            .shard_iterator(&latest)
            .send()
            .await
            .unwrap();
        assert_eq!(keys(page.records()), ["d"], "LATEST is fixed when issued");
    }
}

#[tokio::test]
async fn get_records_limit_and_page_shapes() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let (arn, shard) = three_items(&server).await;
    put(&client, "tbl", "d").await;
    put(&client, "tbl", "e").await;
    let it = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    let mut next = Some(it.clone());
    let mut pages = Vec::new();
    while let Some(it) = next.take() {
        let page = sc
            .get_records()
            .shard_iterator(it)
            .limit(2)
            .send()
            .await
            .unwrap();
        if page.records().is_empty() {
            // An open shard always hands out a next iterator, even on an empty page.
            assert!(page.next_shard_iterator().is_some());
            break;
        }
        pages.push(keys(page.records()));
        next = page.next_shard_iterator().map(str::to_owned);
    }
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
    let one = sc
        .get_records()
        .shard_iterator(&it)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(one.records()), ["a"]);

    // On the wire: Records is present even when empty, and so is NextShardIterator on an
    // open shard.
    let latest = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    let resp = call(
        &server,
        "GetRecords",
        serde_json::json!({"ShardIterator": latest}),
    );
    assert_eq!(resp.status, 200);
    let json = resp.json();
    assert_eq!(json["Records"], serde_json::json!([]));
    assert!(json["NextShardIterator"].is_string(), "{json}");

    // Once the shard is closed, reading it to its end gives no NextShardIterator.
    client
        .update_table()
        .table_name("tbl")
        .stream_specification(spec(false, None))
        .send()
        .await
        .unwrap();
    let page = sc
        .get_records()
        .shard_iterator(&it)
        .limit(3)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(page.records()), ["a", "b", "c"]);
    let next = page
        .next_shard_iterator()
        .expect("more records follow")
        .to_owned();
    let page = sc
        .get_records()
        .shard_iterator(&next)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(page.records()), ["d", "e"]);
    assert!(page.next_shard_iterator().is_none());
    let resp = call(
        &server,
        "GetRecords",
        serde_json::json!({"ShardIterator": next}),
    );
    let json = resp.json();
    assert_eq!(json["Records"].as_array().map(Vec::len), Some(2));
    assert!(json.get("NextShardIterator").is_none(), "{json}");
    // LATEST on the closed shard: an empty last page.
    let latest = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    let resp = call(
        &server,
        "GetRecords",
        serde_json::json!({"ShardIterator": latest}),
    );
    let json = resp.json();
    assert_eq!(json["Records"], serde_json::json!([]));
    assert!(json.get("NextShardIterator").is_none(), "{json}");
}

#[tokio::test]
async fn a_page_holds_at_most_one_megabyte() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "big", StreamViewType::NewImage, false).await;
    let blob = "x".repeat(350_000);
    for i in 0..5 {
        client
            .put_item()
            .table_name("big")
            .item("pk", s(&format!("k{i}")))
            .item("blob", s(&blob))
            .send()
            .await
            .unwrap();
    }
    let shard = first_shard(&sc, &arn).await;
    let mut next = Some(iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await);
    let mut seen = 0;
    while let Some(it) = next.take() {
        let page = sc.get_records().shard_iterator(it).send().await.unwrap();
        if page.records().is_empty() {
            break;
        }
        let bytes: i64 = page
            .records()
            .iter()
            .map(|r| body(r).size_bytes().unwrap())
            .sum();
        assert!(bytes <= 1024 * 1024, "page of {bytes} bytes");
        seen += page.records().len();
        next = page.next_shard_iterator().map(str::to_owned);
    }
    assert_eq!(seen, 5);
}

#[tokio::test]
async fn a_write_is_in_the_stream_once_acknowledged() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "now", StreamViewType::KeysOnly, false).await;
    let shard = first_shard(&sc, &arn).await;
    let mut it = iterator(&sc, &arn, &shard, ShardIteratorType::Latest).await;
    for i in 0..40 {
        let pk = format!("k{i}");
        put(&client, "now", &pk).await;
        let page = sc.get_records().shard_iterator(&it).send().await.unwrap();
        assert_eq!(keys(page.records()), [pk]);
        it = page.next_shard_iterator().unwrap().to_owned();
    }
}
