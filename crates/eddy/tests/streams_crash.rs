//! Streams across a crash: the real binary on disk, a stream table under load from several
//! writers, SIGKILL mid-load, a restart on the same directory. Every write that reached the
//! table has exactly one record, no record exists without its write, numbering goes on above
//! the old records, and iterators issued before the crash still read after it. Also: the
//! binary's stream flags reach the engine.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::types::{AttributeValue, StreamViewType};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::streams::{
    body, create_stream_table, event, iterator, key, num, read_all, read_from, seq, shards,
};
use common::{EddyProcess as Eddy, client_for, n, s, streams_client_for};

fn spawn(data_dir: &std::path::Path) -> Eddy {
    let dir = data_dir.to_str().expect("utf-8 path");
    spawn_with(&["--data-dir", dir, "--table-partitions", "2"])
}

fn spawn_with(args: &[&str]) -> Eddy {
    let mut flags = vec!["--test-control"];
    flags.extend(args);
    Eddy::serve(&flags)
}

/// Advances the server's clock through the test-control endpoint.
fn advance(endpoint: &str, seconds: u64) {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let body = format!("{{\"seconds\":{seconds}}}");
    write!(
        stream,
        "POST /_eddy/clock/advance HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

/// The table's items: key -> counter `c` (1 for put-only items).
async fn table_items(client: &aws_sdk_dynamodb::Client) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("crash")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for item in page.items() {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::N(c))) =
                (item.get("pk"), item.get("c"))
            else {
                panic!("{item:?}");
            };
            out.insert(pk.clone(), c.parse().unwrap());
        }
        match page.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_records_match_the_table_after_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let eddy = spawn(dir.path());
    let client = client_for(&eddy.endpoint);
    let sc = streams_client_for(&eddy.endpoint);
    let arn = create_stream_table(&client, "crash", StreamViewType::NewAndOldImages, false).await;
    // Some history first, and a rollover, so the shard map on disk has lineage.
    for i in 0..10 {
        client
            .put_item()
            .table_name("crash")
            .item("pk", s(&format!("early{i}")))
            .item("c", n("1"))
            .send()
            .await
            .unwrap();
    }
    advance(&eddy.endpoint, 4 * 3600 + 1);
    // TRIM_HORIZON iterators on the two first shards, closed by the rollover.
    let mut early_iterators = Vec::new();
    for shard in shards(&sc, &arn).await.iter().take(2) {
        let id = shard.shard_id().unwrap();
        early_iterators.push(iterator(&sc, &arn, id, ShardIteratorType::TrimHorizon).await);
    }

    // Writers: each updates its own counters and puts fresh items, one request at a time.
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..6 {
        let (client, acked, stop) = (client.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut acked_counts: BTreeMap<String, i64> = BTreeMap::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (pk, res) = if i % 3 == 2 {
                    let pk = format!("put{w}-{i}");
                    let res = client
                        .put_item()
                        .table_name("crash")
                        .item("pk", s(&pk))
                        .item("c", n("1"))
                        .send()
                        .await
                        .map(|_| ());
                    (pk, res.map_err(|e| format!("{e:?}")))
                } else {
                    let pk = format!("ctr{w}-{}", i % 4);
                    let res = client
                        .update_item()
                        .table_name("crash")
                        .key("pk", s(&pk))
                        .update_expression("ADD c :one")
                        .expression_attribute_values(":one", n("1"))
                        .send()
                        .await
                        .map(|_| ());
                    (pk, res.map_err(|e| format!("{e:?}")))
                };
                if res.is_err() {
                    break; // the server is gone
                }
                *acked_counts.entry(pk).or_default() += 1;
                acked.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            acked_counts
        }));
    }
    // Kill once enough writes are acknowledged (a count, not a duration).
    while acked.load(Ordering::Relaxed) < 400 {
        assert!(
            !writers.iter().all(|w| w.is_finished()),
            "the writers stopped before the kill"
        );
        // A poll interval; what triggers the kill is the count.
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let mut eddy = eddy;
    eddy.child.kill().expect("SIGKILL");
    let _ = eddy.child.wait();
    stop.store(true, Ordering::Relaxed);
    let mut acked_counts: BTreeMap<String, i64> = BTreeMap::new();
    for w in writers {
        acked_counts.extend(w.await.unwrap());
    }

    let restarted = spawn(dir.path());
    let client = client_for(&restarted.endpoint);
    let sc = streams_client_for(&restarted.endpoint);
    let items = table_items(&client).await;

    // Every acknowledged write is in the table; at most each writer's one in-flight write
    // went through unacknowledged.
    for (pk, count) in &acked_counts {
        let c = items.get(pk).copied().unwrap_or(0);
        assert!(
            c == *count || c == count + 1,
            "{pk}: table {c}, acknowledged {count}"
        );
    }
    assert!(items.len() <= acked_counts.len() + 10 + 6);

    // The stream holds exactly the table's history: per item, counters 1..=c in order, one
    // INSERT first, and nothing for an item the table doesn't have.
    let records = read_all(&sc, &arn).await;
    let mut per_item: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut last_seq = BTreeMap::new();
    for r in &records {
        let pk = key(r, "pk");
        let c = num(body(r).new_image(), "c").expect("counter");
        assert_eq!(event(r), if c == 1 { "INSERT" } else { "MODIFY" }, "{pk}");
        assert_eq!(
            num(body(r).old_image(), "c"),
            (c > 1).then_some(c - 1),
            "{pk}"
        );
        if let Some(prev) = last_seq.insert(pk.clone(), seq(r)) {
            assert!(
                seq(r) > prev,
                "{pk}: sequence numbers increase along the lineage"
            );
        }
        per_item.entry(pk).or_default().push(c);
    }
    assert_eq!(
        per_item.keys().collect::<Vec<_>>(),
        items.keys().collect::<Vec<_>>(),
        "a record for every item and for no other"
    );
    for (pk, c) in &items {
        let expected: Vec<i64> = (1..=*c).collect();
        assert_eq!(per_item[pk], expected, "{pk}: one record per write");
    }

    // An iterator issued before the crash still reads (the signing key is on disk).
    let mut early_keys = Vec::new();
    for it in early_iterators {
        let (early, next) = read_from(&sc, it).await;
        early_keys.extend(early.iter().map(|r| key(r, "pk")));
        assert!(next.is_none(), "the rolled-over shard is closed");
    }
    early_keys.sort();
    let expected: Vec<String> = (0..10).map(|i| format!("early{i}")).collect();
    assert_eq!(early_keys, expected);

    // Writing goes on above every old number.
    let newest = records.iter().map(seq).max().unwrap();
    client
        .update_item()
        .table_name("crash")
        .key("pk", s("ctr0-0"))
        .update_expression("ADD c :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap();
    let after = read_all(&sc, &arn).await;
    assert_eq!(after.len(), records.len() + 1);
    let added = after
        .iter()
        .find(|r| seq(r) > newest)
        .expect("the new record");
    assert_eq!(key(added, "pk"), "ctr0-0");
    assert_eq!(num(body(added).new_image(), "c"), Some(items["ctr0-0"] + 1));
    eprintln!(
        "{} acknowledged writes, {} records, all consistent after SIGKILL",
        acked.load(Ordering::Relaxed),
        records.len()
    );
}

#[tokio::test]
async fn the_stream_flags_reach_the_engine() {
    let eddy = spawn_with(&[
        "--in-memory",
        "--table-partitions",
        "3",
        "--shard-lifetime",
        "10m",
        "--iterator-lifetime",
        "1m",
        "--stream-retention",
        "1h",
    ]);
    let client = client_for(&eddy.endpoint);
    let sc = streams_client_for(&eddy.endpoint);
    let arn = create_stream_table(&client, "flags", StreamViewType::KeysOnly, false).await;
    let first = shards(&sc, &arn).await;
    assert_eq!(first.len(), 3, "--table-partitions");
    for i in 0..12 {
        client
            .put_item()
            .table_name("flags")
            .item("pk", s(&format!("k{i}")))
            .send()
            .await
            .unwrap();
    }
    let id = first[0].shard_id().unwrap();
    let it = iterator(&sc, &arn, id, ShardIteratorType::TrimHorizon).await;
    advance(&eddy.endpoint, 90);
    let e = sc
        .get_records()
        .shard_iterator(&it)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_dynamodbstreams::error::ProvideErrorMetadata::code(&e),
        Some("ExpiredIteratorException"),
        "--iterator-lifetime"
    );
    advance(&eddy.endpoint, 9 * 60);
    assert_eq!(shards(&sc, &arn).await.len(), 6, "--shard-lifetime");
    assert_eq!(read_all(&sc, &arn).await.len(), 12);
    advance(&eddy.endpoint, 3600);
    // The first shards' records are past the retention: trimmed, and those closed shards gone.
    let now = shards(&sc, &arn).await;
    assert!(
        now.iter()
            .all(|s| !first.iter().any(|f| f.shard_id() == s.shard_id())),
        "--stream-retention"
    );
    assert!(read_all(&sc, &arn).await.is_empty());
}
