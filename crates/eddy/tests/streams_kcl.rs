//! Consumers under load: a KCL-style worker walks the shard lineage from TRIM_HORIZON,
//! parents before children, while writers run and shards roll over and split; and concurrent
//! writers get exactly one record per change, in per-item order.

mod common;

use common::streams::bump;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use common::streams::{body, create_stream_table, event, key, num, open_shards, read_all, seq};
use common::{TestServer, n, s};
use eddy_engine::{EngineConfig, StreamsConfig};

/// What a KCL worker keeps: finished shards, each shard's checkpoint, and the records in the
/// order it processed them.
#[derive(Default)]
struct Worker {
    finished: HashSet<String>,
    checkpoint: HashMap<String, String>,
    processed: Vec<(String, Record)>,
}

impl Worker {
    /// One pass over the stream's shards: each shard whose parent is finished (or gone) is
    /// read from its checkpoint until it is empty for now or finished. Returns whether every
    /// shard is finished.
    async fn pass(&mut self, sc: &StreamsClient, arn: &str) -> bool {
        let shards = common::streams::shards(sc, arn).await;
        let known: HashSet<&str> = shards.iter().filter_map(|s| s.shard_id()).collect();
        let mut all_done = true;
        for shard in &shards {
            let id = shard.shard_id().unwrap().to_owned();
            if self.finished.contains(&id) {
                continue;
            }
            all_done = false;
            if let Some(parent) = shard.parent_shard_id()
                && known.contains(parent)
                && !self.finished.contains(parent)
            {
                continue; // parents before children
            }
            self.drain(sc, arn, &id).await;
        }
        all_done
    }

    async fn drain(&mut self, sc: &StreamsClient, arn: &str, shard: &str) {
        let mut it = self.resume(sc, arn, shard).await;
        loop {
            let page = match sc.get_records().shard_iterator(&it).send().await {
                Ok(page) => page,
                Err(e) if e.code() == Some("ExpiredIteratorException") => {
                    // The clock jumped past the iterator's lifetime: resume at the checkpoint.
                    it = self.resume(sc, arn, shard).await;
                    continue;
                }
                Err(e) => panic!("get records: {e:?}"),
            };
            for r in page.records() {
                let seq_text = body(r).sequence_number().unwrap().to_owned();
                self.checkpoint.insert(shard.to_owned(), seq_text);
                self.processed.push((shard.to_owned(), r.clone()));
            }
            match page.next_shard_iterator() {
                None => {
                    self.finished.insert(shard.to_owned());
                    return;
                }
                Some(_) if page.records().is_empty() => return,
                Some(next) => it = next.to_owned(),
            }
        }
    }

    async fn resume(&self, sc: &StreamsClient, arn: &str, shard: &str) -> String {
        let req = sc.get_shard_iterator().stream_arn(arn).shard_id(shard);
        let req = match self.checkpoint.get(shard) {
            Some(seq) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(seq),
            None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        req.send()
            .await
            .expect("shard iterator")
            .shard_iterator()
            .unwrap()
            .to_owned()
    }
}

/// Per item, the counter values of its records in the order given.
fn counters<'a>(records: impl Iterator<Item = &'a Record>) -> BTreeMap<String, Vec<i64>> {
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in records {
        assert_eq!(
            event(r),
            if num(body(r).new_image(), "c") == Some(1) {
                "INSERT"
            } else {
                "MODIFY"
            }
        );
        let c = num(body(r).new_image(), "c").expect("counter");
        out.entry(key(r, "pk")).or_default().push(c);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kcl_worker_sees_every_write_once_in_order_across_rollovers_and_splits() {
    let server = TestServer::start_with(EngineConfig {
        streams: StreamsConfig {
            table_partitions: 2,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    });
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "kcl", StreamViewType::NewImage, false).await;
    let items: Arc<Vec<String>> = Arc::new((0..12).map(|i| format!("item{i}")).collect());

    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (sc, arn, stop) = (sc.clone(), arn.clone(), stop.clone());
        tokio::spawn(async move {
            let mut worker = Worker::default();
            loop {
                let stopping = stop.load(Ordering::Acquire);
                if worker.pass(&sc, &arn).await && stopping {
                    return worker;
                }
                // A poll interval, as a real worker has; no assertion depends on it.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let mut acked: HashMap<String, i64> = HashMap::new();
    for batch in 0..4 {
        let mut writers = Vec::new();
        for w in 0..4 {
            let (client, items) = (client.clone(), items.clone());
            writers.push(tokio::spawn(async move {
                let mut done = Vec::new();
                for i in 0..30 {
                    // Writers share items, so one item's updates interleave across writers.
                    let item = &items[(w * 7 + i) % items.len()];
                    bump(&client, "kcl", item).await;
                    done.push(item.clone());
                }
                done
            }));
        }
        // Lineage changes while the writers run, and between batches.
        let open = open_shards(&sc, &arn).await;
        let resp = server.split(&arn, &open[batch % open.len()]);
        assert_eq!(resp.status, 200, "{:?}", resp.json());
        for w in writers {
            for item in w.await.unwrap() {
                *acked.entry(item).or_default() += 1;
            }
        }
        server.advance(4 * 3600 + 1);
    }
    // The end of the stream: disabling closes every shard, so the worker can finish.
    client
        .update_table()
        .table_name("kcl")
        .stream_specification(common::streams::spec(false, None))
        .send()
        .await
        .unwrap();
    stop.store(true, Ordering::Release);
    let worker = worker.await.unwrap();

    let shards = common::streams::shards(&sc, &arn).await;
    assert!(
        shards.len() > 10,
        "rollovers and splits happened: {}",
        shards.len()
    );
    // Parents were finished before any record of their children was processed.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, (shard, _)) in worker.processed.iter().enumerate() {
        first.entry(shard.as_str()).or_insert(i);
        last.insert(shard.as_str(), i);
    }
    let mut checked = 0;
    for shard in &shards {
        let child_first = first.get(shard.shard_id().unwrap());
        let parent_last = shard.parent_shard_id().and_then(|p| last.get(p));
        if let (Some(child_first), Some(parent_last)) = (child_first, parent_last) {
            assert!(parent_last < child_first, "{shard:?}");
            checked += 1;
        }
    }
    assert!(
        checked > 3,
        "parent/child pairs with records on both sides: {checked}"
    );
    let seen = counters(worker.processed.iter().map(|(_, r)| r));
    assert_eq!(seen.len(), items.len());
    for (item, values) in &seen {
        let expected: Vec<i64> = (1..=acked[item]).collect();
        assert_eq!(values, &expected, "{item}: exactly once, in order");
    }
    // The table agrees with the stream.
    for item in items.iter() {
        let got = client
            .get_item()
            .table_name("kcl")
            .key("pk", s(item))
            .send()
            .await
            .unwrap();
        let c = match got.item().unwrap().get("c") {
            Some(aws_sdk_dynamodb::types::AttributeValue::N(v)) => v.parse::<i64>().unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(c, acked[item]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_get_one_record_per_change_in_item_order() {
    let server = TestServer::start_with(EngineConfig {
        streams: StreamsConfig {
            table_partitions: 3,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    });
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "conc", StreamViewType::NewAndOldImages, false).await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = client.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..40 {
                bump(&client, "conc", &format!("shared{}", i % 5)).await;
                client
                    .put_item()
                    .table_name("conc")
                    .item("pk", s(&format!("own{w}-{i}")))
                    .item("c", n("1"))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let records = read_all(&sc, &arn).await;
    assert_eq!(records.len(), 8 * 40 * 2, "one record per change");
    let seen = counters(records.iter());
    for i in 0..5 {
        let expected: Vec<i64> = (1..=64).collect();
        assert_eq!(seen[&format!("shared{i}")], expected);
    }
    for w in 0..8 {
        for i in 0..40 {
            assert_eq!(seen[&format!("own{w}-{i}")], [1]);
        }
    }
    // Each MODIFY's old image is the previous record's new image.
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut seqs = HashSet::new();
    for r in &records {
        assert!(seqs.insert(seq(r)), "sequence numbers are unique");
        let k = key(r, "pk");
        let old = num(body(r).old_image(), "c");
        assert_eq!(old, last.get(&k).copied(), "{k}");
        last.insert(k, num(body(r).new_image(), "c").unwrap());
    }
}
