//! Streams API shapes through the SDK: every length and Limit bound of the service model,
//! DescribeStream paging and ShardFilter, ShardId format and order, and ListStreams (filter,
//! Limit, paging cookies, also after the cookie's table is gone).

mod common;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::{ShardFilter, ShardFilterType, ShardIteratorType};
use common::streams::{create_stream_table, is_open, shards};
use common::{TestServer, code, s};
use eddy_engine::{EngineConfig, StreamsConfig};

fn partitions(n: u32) -> EngineConfig {
    EngineConfig {
        streams: StreamsConfig {
            table_partitions: n,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    }
}

fn assert_shard_id(id: &str) {
    let rest = id
        .strip_prefix("shardId-")
        .unwrap_or_else(|| panic!("{id}"));
    let (ms, hex) = rest.split_once('-').unwrap_or_else(|| panic!("{id}"));
    assert_eq!(ms.len(), 20, "{id}");
    assert!(ms.bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert_eq!(hex.len(), 8, "{id}");
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert!((28..=65).contains(&id.len()));
}

async fn describe_page(
    sc: &StreamsClient,
    arn: &str,
    limit: Option<i32>,
    start: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let out = sc
        .describe_stream()
        .stream_arn(arn)
        .set_limit(limit)
        .set_exclusive_start_shard_id(start.map(str::to_owned))
        .send()
        .await
        .expect("describe stream");
    let d = out.stream_description().unwrap();
    let ids = d
        .shards()
        .iter()
        .map(|s| s.shard_id().unwrap().to_owned())
        .collect();
    (ids, d.last_evaluated_shard_id().map(str::to_owned))
}

#[tokio::test]
async fn every_length_and_limit_bound_is_validated() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "shapes", StreamViewType::KeysOnly, false).await;
    let shard = shards(&sc, &arn).await[0].shard_id().unwrap().to_owned();
    let it = common::streams::iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;

    // ShardId: 28-65 characters, on GetShardIterator, ExclusiveStartShardId and ShardFilter.
    for (id, valid) in [
        ("s".repeat(27), false),
        ("s".repeat(66), false),
        ("s".repeat(28), true),
        ("s".repeat(65), true),
    ] {
        let e = sc
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&id)
            .shard_iterator_type(ShardIteratorType::Latest)
            .send()
            .await
            .unwrap_err();
        let expected = if valid {
            "ResourceNotFoundException"
        } else {
            "ValidationException"
        };
        assert_eq!(code(&e), expected, "shard id of {}", id.len());
        let r = sc
            .describe_stream()
            .stream_arn(&arn)
            .exclusive_start_shard_id(&id)
            .send()
            .await;
        let r2 = sc
            .describe_stream()
            .stream_arn(&arn)
            .shard_filter(
                ShardFilter::builder()
                    .r#type(ShardFilterType::ChildShards)
                    .shard_id(&id)
                    .build(),
            )
            .send()
            .await;
        if valid {
            // An unknown start id gives an empty page, no error; so does an unknown parent.
            for r in [r, r2] {
                let d = r.unwrap();
                let d = d.stream_description().unwrap();
                assert!(d.shards().is_empty());
                assert!(d.last_evaluated_shard_id().is_none());
            }
        } else {
            assert_eq!(code(&r.unwrap_err()), "ValidationException");
            assert_eq!(code(&r2.unwrap_err()), "ValidationException");
        }
    }

    // SequenceNumber: 21-40 characters.
    for len in [20, 41] {
        let e = sc
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number("1".repeat(len))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "sequence number of {len}");
    }
    for len in [21, 40] {
        sc.get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(format!("{:0>len$}", "1"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("sequence number of {len}: {e:?}"));
    }

    // ShardIterator: 1-2048 characters.
    for bad in [String::new(), "i".repeat(2049), "i".repeat(2048)] {
        let e = sc
            .get_records()
            .shard_iterator(&bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "iterator of {}", bad.len());
    }

    // StreamArn: 37-1024 characters, on all three calls that take one.
    for bad in ["a".repeat(36), "a".repeat(1025)] {
        let e = sc
            .describe_stream()
            .stream_arn(&bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        let e = sc
            .get_shard_iterator()
            .stream_arn(&bad)
            .shard_id(&shard)
            .shard_iterator_type(ShardIteratorType::Latest)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        let e = sc
            .list_streams()
            .exclusive_start_stream_arn(&bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
    }

    // Limits: DescribeStream and ListStreams 1-100, GetRecords 1-1000.
    for limit in [0, 101, -1] {
        let e = sc
            .describe_stream()
            .stream_arn(&arn)
            .limit(limit)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code(&e),
            "ValidationException",
            "DescribeStream Limit {limit}"
        );
        let e = sc.list_streams().limit(limit).send().await.unwrap_err();
        assert_eq!(code(&e), "ValidationException", "ListStreams Limit {limit}");
    }
    for limit in [1, 100] {
        sc.describe_stream()
            .stream_arn(&arn)
            .limit(limit)
            .send()
            .await
            .unwrap();
        sc.list_streams().limit(limit).send().await.unwrap();
    }
    for limit in [0, 1001] {
        let e = sc
            .get_records()
            .shard_iterator(&it)
            .limit(limit)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException", "GetRecords Limit {limit}");
    }
    for limit in [1, 1000] {
        sc.get_records()
            .shard_iterator(&it)
            .limit(limit)
            .send()
            .await
            .unwrap();
    }

    // The wire form of a validation error.
    let resp = server.raw(
        Some("DynamoDBStreams_20120810.GetRecords"),
        br#"{"ShardIterator":"x","Limit":0}"#,
    );
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );
    // Every Streams answer carries a request id and the CRC-32 of its body.
    let ok = server.raw(Some("DynamoDBStreams_20120810.ListStreams"), b"{}");
    assert_eq!(ok.status, 200);
    for resp in [&resp, &ok] {
        assert!(
            resp.header("x-amzn-requestid")
                .is_some_and(|v| !v.is_empty())
        );
        let crc = resp.header("x-amz-crc32").expect("x-amz-crc32");
        assert_eq!(crc, crc32fast::hash(&resp.body).to_string());
    }
    // And of the others.
    let resp = server.raw(
        Some("DynamoDBStreams_20120810.DescribeStream"),
        serde_json::json!({"StreamArn": arn.replace("shapes", "nosuch")})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        resp.error_type(),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
}

#[tokio::test]
async fn describe_stream_pages_shards_in_id_order() {
    let server = TestServer::start_with(partitions(7));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "paged", StreamViewType::KeysOnly, false).await;

    let (all, last) = describe_page(&sc, &arn, None, None).await;
    assert_eq!(all.len(), 7);
    assert!(last.is_none());
    for id in &all {
        assert_shard_id(id);
    }
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "DescribeStream lists shards sorted by id");

    let (p1, l1) = describe_page(&sc, &arn, Some(3), None).await;
    assert_eq!(p1, all[..3]);
    assert_eq!(l1.as_deref(), Some(all[2].as_str()));
    let (p2, l2) = describe_page(&sc, &arn, Some(3), l1.as_deref()).await;
    assert_eq!(p2, all[3..6]);
    assert_eq!(l2.as_deref(), Some(all[5].as_str()));
    let (p3, l3) = describe_page(&sc, &arn, Some(3), l2.as_deref()).await;
    assert_eq!(p3, all[6..]);
    assert!(l3.is_none(), "the last page has no LastEvaluatedShardId");
    // A full page that is also the last: no cookie either.
    let (p, l) = describe_page(&sc, &arn, Some(7), None).await;
    assert_eq!(p.len(), 7);
    assert!(l.is_none());
    let (p, l) = describe_page(&sc, &arn, Some(3), Some(&all[3])).await;
    assert_eq!(p, all[4..7]);
    assert!(l.is_none());
    // The last shard as start: nothing after it.
    let (p, l) = describe_page(&sc, &arn, None, Some(&all[6])).await;
    assert!(p.is_empty() && l.is_none());
    // Unknown, well-formed ids: an empty list, no error.
    for unknown in [
        "shardId-00000000000000000000-00000000",
        "shardId-99999999999999999999-ffffffff",
    ] {
        let (p, l) = describe_page(&sc, &arn, None, Some(unknown)).await;
        assert!(p.is_empty() && l.is_none(), "{unknown}");
    }

    // Open shards carry only a starting sequence number, closed ones both.
    let before = shards(&sc, &arn).await;
    assert!(before.iter().all(is_open));
    let parent = all[3].clone();
    assert_eq!(server.split(&arn, &parent).status, 200);
    let after = shards(&sc, &arn).await;
    assert_eq!(after.len(), 9);
    for shard in &after {
        let range = shard.sequence_number_range().unwrap();
        assert!(range.starting_sequence_number().is_some());
        let closed = shard.shard_id() == Some(parent.as_str());
        assert_eq!(
            range.ending_sequence_number().is_some(),
            closed,
            "{shard:?}"
        );
    }
    // CHILD_SHARDS: the two children of the split shard, none of the others.
    let children = sc
        .describe_stream()
        .stream_arn(&arn)
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::ChildShards)
                .shard_id(&parent)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let children = children.stream_description().unwrap().shards();
    assert_eq!(children.len(), 2);
    for child in children {
        assert_eq!(child.parent_shard_id(), Some(parent.as_str()));
        assert!(
            child.shard_id().unwrap() > all[6].as_str(),
            "children sort last"
        );
    }
    let none = sc
        .describe_stream()
        .stream_arn(&arn)
        .shard_filter(
            ShardFilter::builder()
                .r#type(ShardFilterType::ChildShards)
                .shard_id(&all[0])
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(none.stream_description().unwrap().shards().is_empty());
}

async fn list_page(
    sc: &StreamsClient,
    table: Option<&str>,
    limit: Option<i32>,
    start: Option<&str>,
) -> (Vec<String>, Option<String>) {
    let out = sc
        .list_streams()
        .set_table_name(table.map(str::to_owned))
        .set_limit(limit)
        .set_exclusive_start_stream_arn(start.map(str::to_owned))
        .send()
        .await
        .expect("list streams");
    let arns = out
        .streams()
        .iter()
        .map(|s| {
            let arn = s.stream_arn().unwrap();
            let table = s.table_name().unwrap();
            let label = s.stream_label().unwrap();
            assert!(
                arn.ends_with(&format!(":table/{table}/stream/{label}")),
                "{s:?}"
            );
            arn.to_owned()
        })
        .collect();
    (arns, out.last_evaluated_stream_arn().map(str::to_owned))
}

#[tokio::test]
async fn list_streams_filters_and_pages() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let mut arns = Vec::new();
    for name in ["alpha", "bravo", "charlie", "delta", "echo"] {
        arns.push(create_stream_table(&client, name, StreamViewType::KeysOnly, false).await);
    }
    common::create_table(&client, "nostream", None).await;
    let (all, last) = list_page(&sc, None, None, None).await;
    let mut sorted = arns.clone();
    sorted.sort();
    let mut got = all.clone();
    got.sort();
    assert_eq!(got, sorted);
    assert!(last.is_none());

    let (only, _) = list_page(&sc, Some("charlie"), None, None).await;
    assert_eq!(only, [arns[2].clone()]);
    let (none, last) = list_page(&sc, Some("nostream"), None, None).await;
    assert!(none.is_empty() && last.is_none());
    let (none, _) = list_page(&sc, Some("nosuchtable"), None, None).await;
    assert!(none.is_empty());

    // Pages of 2: full pages carry the last ARN; the last, short page none.
    let (p1, c1) = list_page(&sc, None, Some(2), None).await;
    assert_eq!(p1.len(), 2);
    assert_eq!(c1.as_deref(), Some(p1[1].as_str()));
    let (p2, c2) = list_page(&sc, None, Some(2), c1.as_deref()).await;
    assert_eq!(p2.len(), 2);
    assert_eq!(c2.as_deref(), Some(p2[1].as_str()));
    let (p3, c3) = list_page(&sc, None, Some(2), c2.as_deref()).await;
    assert_eq!(p3.len(), 1);
    assert!(c3.is_none());
    let paged: Vec<String> = [p1, p2.clone(), p3.clone()].concat();
    assert_eq!(paged, all, "pages follow one order without gaps or repeats");

    // A malformed cookie is a ValidationException.
    let bad = arns[0].replace("/stream/", "/not-a-stream/");
    let e = sc
        .list_streams()
        .exclusive_start_stream_arn(&bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");

    // The cookie's table is deleted and its stream forgotten: paging still goes on.
    let cookie = c2.unwrap();
    let cookie_table = cookie.split('/').nth(1).unwrap().to_owned();
    client
        .delete_table()
        .table_name(&cookie_table)
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name("alpha")
        .item("pk", s("kept busy"))
        .send()
        .await
        .unwrap();
    server.advance(25 * 3600);
    let (rest, last) = list_page(&sc, None, Some(2), Some(&cookie)).await;
    assert_eq!(rest, p3);
    assert!(last.is_none());
    let (all_now, _) = list_page(&sc, None, None, None).await;
    assert_eq!(all_now.len(), 4);
    assert!(!all_now.contains(&cookie));
}

#[tokio::test]
async fn describe_stream_and_list_streams_default_to_pages_of_100() {
    let server = TestServer::start_with(partitions(101));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "wide", StreamViewType::KeysOnly, false).await;
    let (page, last) = describe_page(&sc, &arn, None, None).await;
    assert_eq!(page.len(), 100);
    assert_eq!(last.as_deref(), Some(page[99].as_str()));
    let (rest, last) = describe_page(&sc, &arn, None, Some(&page[99])).await;
    assert_eq!(rest.len(), 1);
    assert!(last.is_none());

    for i in 1..=100 {
        create_stream_table(
            &client,
            &format!("t{i:03}"),
            StreamViewType::KeysOnly,
            false,
        )
        .await;
    }
    let (page, last) = list_page(&sc, None, None, None).await;
    assert_eq!(page.len(), 100);
    assert_eq!(last.as_deref(), Some(page[99].as_str()));
    let (rest, last) = list_page(&sc, None, None, Some(&page[99])).await;
    assert_eq!(rest.len(), 1);
    assert!(last.is_none());
}
