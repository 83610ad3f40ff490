//! Shard lineage through the SDK: rollover after the shard lifetime, splits through the test
//! control, several partitions with each item's records in one lineage, and retention
//! (trimmed reads, TRIM_HORIZON after trimming, trimmed closed shards leaving DescribeStream).

mod common;

use common::streams::{bump, put};

use std::collections::HashMap;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::types::{Record, Shard, ShardIteratorType};
use common::streams::{
    body, create_stream_table, is_open, iterator, iterator_at, key, open_shards, read_from,
    read_shard, seq, seq_value, shards,
};
use common::{TestServer, code, message, s};
use eddy_engine::{EngineConfig, StreamsConfig};

const HOUR: u64 = 3600;

fn config(f: impl FnOnce(&mut StreamsConfig)) -> EngineConfig {
    let mut streams = StreamsConfig::default();
    f(&mut streams);
    EngineConfig {
        streams,
        ..EngineConfig::default()
    }
}

fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| key(r, "pk")).collect()
}

fn id(shard: &Shard) -> &str {
    shard.shard_id().unwrap()
}

fn range(shard: &Shard) -> (u128, Option<u128>) {
    let r = shard.sequence_number_range().unwrap();
    (
        seq_value(r.starting_sequence_number().unwrap()),
        r.ending_sequence_number().map(seq_value),
    )
}

#[tokio::test]
async fn a_shard_rolls_over_after_its_lifetime() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "roll", StreamViewType::KeysOnly, false).await;
    put(&client, "roll", "a").await;
    put(&client, "roll", "b").await;
    server.advance(3 * HOUR);
    assert_eq!(shards(&sc, &arn).await.len(), 1, "not yet");
    server.advance(HOUR + 1);
    put(&client, "roll", "c").await;

    let all = shards(&sc, &arn).await;
    assert_eq!(all.len(), 2);
    let (parent, child) = (&all[0], &all[1]);
    assert!(!is_open(parent) && is_open(child));
    assert!(parent.parent_shard_id().is_none());
    assert_eq!(child.parent_shard_id(), Some(id(parent)));
    assert!(id(parent) < id(child));

    let parent_records = read_shard(&sc, &arn, id(parent)).await;
    let child_records = read_shard(&sc, &arn, id(child)).await;
    assert_eq!(keys(&parent_records), ["a", "b"]);
    assert_eq!(keys(&child_records), ["c"]);
    let (p_start, p_end) = range(parent);
    let (c_start, _) = range(child);
    assert!(p_start <= seq(&parent_records[0]));
    assert_eq!(
        p_end,
        Some(seq(&parent_records[1])),
        "ends at its last record"
    );
    assert!(c_start > p_end.unwrap(), "a child starts above its parent");
    assert!(seq(&child_records[0]) > seq(&parent_records[1]));
    // The closed parent, read to its end, hands out no next iterator.
    let it = iterator(&sc, &arn, id(parent), ShardIteratorType::TrimHorizon).await;
    let (_, next) = read_from(&sc, it).await;
    assert!(next.is_none());

    // A shard with no record rolls over too: closed with an empty range at its start.
    server.advance(4 * HOUR + 1);
    let all = shards(&sc, &arn).await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].parent_shard_id(), Some(id(&all[1])));
    assert!(!is_open(&all[1]));
}

#[tokio::test]
async fn the_shard_lifetime_is_a_setting() {
    let server = TestServer::start_with(config(|c| c.shard_lifetime_ms = 60_000));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "quick", StreamViewType::KeysOnly, false).await;
    server.advance(30);
    assert_eq!(shards(&sc, &arn).await.len(), 1);
    server.advance(31);
    assert_eq!(shards(&sc, &arn).await.len(), 2);
}

#[tokio::test]
async fn a_split_opens_two_children_of_one_parent() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "split", StreamViewType::KeysOnly, false).await;
    for i in 0..20 {
        put(&client, "split", &format!("k{i}")).await;
    }
    let parent = open_shards(&sc, &arn).await.remove(0);
    let resp = server.split(&arn, &parent);
    assert_eq!(resp.status, 200, "{:?}", resp.json());
    let all = shards(&sc, &arn).await;
    assert_eq!(all.len(), 3);
    assert_eq!(id(&all[0]), parent);
    assert!(!is_open(&all[0]));
    let children: Vec<&Shard> = all[1..].iter().collect();
    for child in &children {
        assert!(is_open(child));
        assert_eq!(child.parent_shard_id(), Some(parent.as_str()));
        assert!(range(child).0 > range(&all[0]).1.unwrap());
    }
    // Each key goes on in exactly one child; the keys spread over both.
    for i in 0..20 {
        bump(&client, "split", &format!("k{i}")).await;
    }
    let mut owner: HashMap<String, String> = HashMap::new();
    for child in &children {
        for r in read_shard(&sc, &arn, id(child)).await {
            let prev = owner.insert(key(&r, "pk"), id(child).to_owned());
            assert!(prev.is_none(), "one record per key and child");
        }
    }
    assert_eq!(owner.len(), 20);
    let in_first = owner.values().filter(|s| *s == id(children[0])).count();
    assert!(
        in_first > 0 && in_first < 20,
        "both children take keys: {in_first}"
    );
    assert_eq!(keys(&read_shard(&sc, &arn, &parent).await).len(), 20);

    // Split refusals: a closed shard, an unknown shard, an unknown stream, a bad body.
    let resp = server.split(&arn, &parent);
    assert_eq!(resp.status, 400);
    assert!(
        resp.error_type().ends_with("#ValidationException"),
        "{:?}",
        resp.json()
    );
    let resp = server.split(&arn, "shardId-00000000000000000000-0000abcd");
    assert_eq!(resp.status, 400);
    assert!(resp.error_type().ends_with("#ResourceNotFoundException"));
    let resp = server.split(&arn.replace("/split/", "/nosuch/"), id(children[0]));
    assert!(resp.error_type().ends_with("#ResourceNotFoundException"));
    let resp = server.raw_request("POST", "/_eddy/streams/split", &[], b"{}");
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn partitions_give_open_shards_and_each_item_stays_in_one_lineage() {
    let server = TestServer::start_with(config(|c| c.table_partitions = 4));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "parts", StreamViewType::NewImage, false).await;
    let first = shards(&sc, &arn).await;
    assert_eq!(first.len(), 4);
    assert!(
        first
            .iter()
            .all(|s| is_open(s) && s.parent_shard_id().is_none())
    );

    let items: Vec<String> = (0..24).map(|i| format!("item{i}")).collect();
    for round in 0..3 {
        for item in &items {
            bump(&client, "parts", item).await;
        }
        if round == 0 {
            server.advance(4 * HOUR + 1);
        } else if round == 1 {
            let open = open_shards(&sc, &arn).await;
            assert_eq!(open.len(), 4, "a rollover keeps the partition count");
            assert_eq!(server.split(&arn, &open[1]).status, 200);
        }
    }
    let all = shards(&sc, &arn).await;
    assert_eq!(all.len(), 4 + 4 + 2);
    assert_eq!(open_shards(&sc, &arn).await.len(), 5);
    let parent_of: HashMap<&str, Option<&str>> =
        all.iter().map(|s| (id(s), s.parent_shard_id())).collect();

    // Per item: its shards form one chain of parents, and its counter goes up by one.
    let mut per_item: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    let mut used: Vec<&str> = Vec::new();
    for shard in &all {
        let records = read_shard(&sc, &arn, id(shard)).await;
        if !records.is_empty() {
            used.push(id(shard));
        }
        for r in records {
            let c = common::streams::num(body(&r).new_image(), "c").unwrap();
            per_item
                .entry(key(&r, "pk"))
                .or_default()
                .push((id(shard).to_owned(), c));
        }
    }
    assert!(
        used.len() >= 6,
        "items spread over the partitions: {used:?}"
    );
    assert_eq!(per_item.len(), items.len());
    for (item, seen) in &per_item {
        let counters: Vec<i64> = seen.iter().map(|(_, c)| *c).collect();
        assert_eq!(counters, [1, 2, 3], "{item}");
        for pair in seen.windows(2) {
            let (from, to) = (pair[0].0.as_str(), pair[1].0.as_str());
            assert!(
                to == from || parent_of[to] == Some(from),
                "{item}: the next record is in the same shard or a child of it ({from} -> {to})"
            );
        }
    }
}

#[tokio::test]
async fn retention_trims_old_records() {
    // Long-lived shards and iterators, so one shard holds both trimmed and kept records and an
    // iterator outlives the trimming.
    let server = TestServer::start_with(config(|c| {
        c.shard_lifetime_ms = 1000 * HOUR * 1000;
        c.iterator_lifetime_ms = 48 * HOUR * 1000;
    }));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "trim", StreamViewType::KeysOnly, false).await;
    put(&client, "trim", "a").await;
    put(&client, "trim", "b").await;
    let shard = open_shards(&sc, &arn).await.remove(0);
    let old = read_shard(&sc, &arn, &shard).await;
    let (seq_a, seq_b) = (
        body(&old[0]).sequence_number().unwrap().to_owned(),
        body(&old[1]).sequence_number().unwrap().to_owned(),
    );
    let at_a = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AtSequenceNumber,
        &seq_a,
    )
    .await;
    let trim_horizon = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    server.advance(12 * HOUR);
    put(&client, "trim", "c").await;
    put(&client, "trim", "d").await;
    server.advance(12 * HOUR - 60);
    assert_eq!(
        keys(&read_shard(&sc, &arn, &shard).await),
        ["a", "b", "c", "d"]
    );
    server.advance(120);

    assert_eq!(keys(&read_shard(&sc, &arn, &shard).await), ["c", "d"]);
    // An iterator's TRIM_HORIZON is the oldest record left when it reads.
    assert_eq!(keys(&read_from(&sc, trim_horizon).await.0), ["c", "d"]);
    let trimmed = "The data you are trying to access has been trimmed.";
    let e = sc
        .get_records()
        .shard_iterator(&at_a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TrimmedDataAccessException");
    assert_eq!(message(&e), trimmed);
    for (kind, seq) in [
        (ShardIteratorType::AtSequenceNumber, &seq_a),
        (ShardIteratorType::AtSequenceNumber, &seq_b),
        (ShardIteratorType::AfterSequenceNumber, &seq_a),
    ] {
        let e = sc
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(&shard)
            .shard_iterator_type(kind.clone())
            .sequence_number(seq.as_str())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "TrimmedDataAccessException", "{kind:?} {seq}");
        assert_eq!(message(&e), trimmed);
    }
    // Just after the last trimmed record nothing is missing.
    let after_b = iterator_at(
        &sc,
        &arn,
        &shard,
        ShardIteratorType::AfterSequenceNumber,
        &seq_b,
    )
    .await;
    assert_eq!(keys(&read_from(&sc, after_b).await.0), ["c", "d"]);
    // The open shard itself stays, however old.
    assert_eq!(shards(&sc, &arn).await.len(), 1);
}

#[tokio::test]
async fn closed_shards_leave_describe_stream_once_all_trimmed() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "leave", StreamViewType::KeysOnly, false).await;
    put(&client, "leave", "a").await;
    server.advance(4 * HOUR + 1);
    put(&client, "leave", "b").await;
    let before = shards(&sc, &arn).await;
    assert_eq!(before.len(), 2);
    let (first, second) = (id(&before[0]).to_owned(), id(&before[1]).to_owned());
    // 24 h after `a` less two minutes: rolled over again, nothing trimmed yet.
    server.advance(20 * HOUR - 121);
    assert_eq!(shards(&sc, &arn).await.len(), 3);
    server.advance(180);

    let after = shards(&sc, &arn).await;
    let ids: Vec<&str> = after.iter().map(id).collect();
    assert!(
        !ids.contains(&first.as_str()),
        "the all-trimmed shard is gone: {ids:?}"
    );
    assert_eq!(ids[0], second, "the shard with a kept record stays");
    assert_eq!(keys(&read_shard(&sc, &arn, &second).await), ["b"]);
    let e = sc
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&first)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn the_retention_is_a_setting() {
    let server = TestServer::start_with(config(|c| c.retention_ms = HOUR * 1000));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "short", StreamViewType::KeysOnly, false).await;
    put(&client, "short", "a").await;
    server.advance(HOUR - 60);
    put(&client, "short", "b").await;
    server.advance(120);
    let shard = open_shards(&sc, &arn).await.remove(0);
    assert_eq!(keys(&read_shard(&sc, &arn, &shard).await), ["b"]);
}

#[tokio::test]
async fn a_thousand_records_per_page_and_trimming_in_bulk() {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let server = TestServer::start_with(config(|c| {
        c.shard_lifetime_ms = 1000 * HOUR * 1000;
        c.iterator_lifetime_ms = 48 * HOUR * 1000;
    }));
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "bulk", StreamViewType::KeysOnly, false).await;
    for batch in 0..44 {
        let writes = (0..25)
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s(&format!("k{batch}-{i}")))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items("bulk", writes)
            .send()
            .await
            .unwrap();
    }
    let shard = open_shards(&sc, &arn).await.remove(0);
    let it = iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    let page = sc.get_records().shard_iterator(&it).send().await.unwrap();
    assert_eq!(page.records().len(), 1000, "the default Limit is 1000");
    let first_seq = body(&page.records()[0])
        .sequence_number()
        .unwrap()
        .to_owned();
    let next = page.next_shard_iterator().unwrap().to_owned();
    let rest = sc.get_records().shard_iterator(&next).send().await.unwrap();
    assert_eq!(rest.records().len(), 100);

    // All 1100 go at once, more than one trimming chunk.
    server.advance(24 * HOUR + 60);
    assert!(read_shard(&sc, &arn, &shard).await.is_empty());
    let e = sc.get_records().shard_iterator(&it).send().await;
    let page = e.expect("TRIM_HORIZON reads from the oldest record left");
    assert!(page.records().is_empty() && page.next_shard_iterator().is_some());
    let e = sc
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&first_seq)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TrimmedDataAccessException");
    let e = sc
        .get_records()
        .shard_iterator(&next)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TrimmedDataAccessException");
    // On the wire, with DynamoDB's prefix.
    let resp = server.raw(
        Some("DynamoDBStreams_20120810.GetRecords"),
        serde_json::json!({ "ShardIterator": next })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.error_type(),
        "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException"
    );
    assert_eq!(
        resp.json()["message"],
        "The data you are trying to access has been trimmed."
    );
}
