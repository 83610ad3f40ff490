//! A stream read through random nodes: every write once, in per-item order, across rollovers;
//! and the test clock moved through one node moves every node's.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_dynamodbstreams::types::ShardIteratorType;

use crate::cluster::{Cluster, create, read_stream, stream_arn};
use crate::common::{n, s};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_consumer_through_any_node_sees_every_write_once_in_item_order() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let cluster = Arc::new(cluster);
    create(&cluster, "feed", true).await;
    // Each writer owns some items and writes each one's versions in order, every write to a
    // random node; the clock moves through a random node meanwhile, so shards roll over.
    const VERSIONS: i64 = 12;
    let mut writers = Vec::new();
    for writer in 0..4 {
        let cluster = Arc::clone(&cluster);
        writers.push(tokio::spawn(async move {
            for version in 1..=VERSIONS {
                for item in 0..3 {
                    cluster
                        .any()
                        .put_item()
                        .table_name("feed")
                        .item("pk", s(&format!("w{writer}-i{item}")))
                        .item("version", n(&version.to_string()))
                        .send()
                        .await
                        .expect("put");
                }
                if writer == 0 && version % 4 == 0 {
                    let cluster = Arc::clone(&cluster);
                    tokio::task::spawn_blocking(move || cluster.advance(cluster.pick(), 5 * 3600))
                        .await
                        .expect("advance");
                }
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let arn = stream_arn(&cluster, "feed").await;
    let records = read_stream(&cluster, &arn).await;
    let shards: std::collections::BTreeSet<&String> = records.iter().map(|(s, _)| s).collect();
    assert!(
        shards.len() > 1,
        "the clock's advances rolled shards over: {shards:?}"
    );
    let mut seen: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut last_seq: HashMap<&String, u128> = HashMap::new();
    for (shard, record) in &records {
        let data = record.dynamodb.as_ref().expect("data");
        let seq: u128 = data
            .sequence_number
            .as_deref()
            .expect("sequence number")
            .parse()
            .expect("number");
        if let Some(before) = last_seq.insert(shard, seq) {
            assert!(seq > before, "sequence numbers grow within shard {shard}");
        }
        let image = data.new_image.as_ref().expect("new image");
        let pk = image["pk"].as_s().expect("pk").clone();
        let version: i64 = image["version"]
            .as_n()
            .expect("version")
            .parse()
            .expect("int");
        seen.entry(pk).or_default().push(version);
    }
    assert_eq!(seen.len(), 12, "every item has records");
    for (item, versions) in &seen {
        let expected: Vec<i64> = (1..=VERSIONS).collect();
        assert_eq!(versions, &expected, "{item}: each write once, in order");
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_test_clock_moves_for_every_node() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    create(&cluster, "clocked", true).await;
    cluster.clients[0]
        .put_item()
        .table_name("clocked")
        .item("pk", s("a"))
        .send()
        .await
        .expect("put");
    let arn = stream_arn(&cluster, "clocked").await;
    let shard = cluster.streams[1]
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("describe stream")
        .stream_description
        .expect("description")
        .shards
        .unwrap_or_default()
        .remove(0)
        .shard_id
        .expect("shard id");
    let iterator = cluster.streams[0]
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("iterator");
    // Iterators live 15 minutes: 20 minutes later by the clock moved through node 0, node 1
    // finds this one expired.
    cluster.advance(0, 20 * 60);
    let expired = cluster.streams[1]
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect_err("an iterator older than its lifetime");
    assert_eq!(
        aws_sdk_dynamodbstreams::error::ProvideErrorMetadata::code(&expired),
        Some("ExpiredIteratorException")
    );
}
