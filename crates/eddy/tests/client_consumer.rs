//! StreamConsumer against a real server with DynamoDB Streams' rate limits on: every
//! acknowledged write seen exactly once, in per-item order, parents before children, across
//! rollovers, splits, several partitions and writers, iterator expiry, trimming, restarts from
//! each checkpoint store, and two workers sharing a lease table while one of them dies.

mod common;

use common::streams::{bump, put};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::types::Record;
use common::TestServer;
use common::client::streams_client;
use common::streams::{
    body, create_stream_table, key, num, open_shards, seq, shards_in_pages_of, spec,
};
use eddy_client::{
    Batch, CheckpointStore, ConsumerConfig, ConsumerEvent, Error, FileCheckpointStore,
    LeaseTableStore, MemoryCheckpointStore, RunSummary, StreamConsumer,
};
use eddy_engine::{EngineConfig, StreamsConfig};

fn server(partitions: u32, shard_lifetime_h: u64) -> TestServer {
    TestServer::start_configured(
        EngineConfig {
            streams: StreamsConfig {
                table_partitions: partitions,
                shard_lifetime_ms: shard_lifetime_h * 3600 * 1000,
                ..StreamsConfig::default()
            },
            ..EngineConfig::default()
        },
        |state| state.with_streams_rate_limits(),
    )
}

/// Settings that keep a test quick: short polls, leases and rediscovery.
fn quick() -> ConsumerConfig {
    ConsumerConfig {
        idle_poll: Duration::from_millis(250),
        rediscover_interval: Duration::from_millis(300),
        lease_duration: Duration::from_secs(1),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(300),
        ..ConsumerConfig::default()
    }
}

/// What handlers saw: (worker, shard, record) in delivery order.
type Seen = Arc<Mutex<Vec<(String, String, Record)>>>;

fn recorder(
    worker: &str,
    seen: &Seen,
) -> impl Fn(Batch) -> std::future::Ready<Result<(), std::io::Error>> + Send + Sync + 'static {
    let worker = worker.to_owned();
    let seen = Arc::clone(seen);
    move |batch: Batch| {
        let mut seen = seen.lock().expect("seen");
        for r in batch.records.iter().cloned() {
            seen.push((worker.clone(), batch.shard_id.clone(), r));
        }
        std::future::ready(Ok(()))
    }
}

fn events() -> (
    Arc<Mutex<Vec<ConsumerEvent>>>,
    impl Fn(ConsumerEvent) + Send + Sync,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    (log, move |e| sink.lock().expect("events").push(e))
}

/// A consumer running in the background, with what it handed over and what it reported.
struct Follower {
    seen: Seen,
    log: Arc<Mutex<Vec<ConsumerEvent>>>,
    handle: tokio::task::JoinHandle<eddy_client::Result<RunSummary>>,
}

fn follow(consumer: StreamConsumer) -> Follower {
    let seen: Seen = Arc::default();
    let (log, sink) = events();
    let handle = tokio::spawn(consumer.on_event(sink).run(recorder("w", &seen)));
    Follower { seen, log, handle }
}

async fn wait_for(seen: &Seen, count: usize) {
    for _ in 0..400 {
        if seen.lock().expect("seen").len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "expected {count} records, saw {}",
        seen.lock().expect("seen").len()
    );
}

async fn finish(handle: tokio::task::JoinHandle<eddy_client::Result<RunSummary>>) -> RunSummary {
    tokio::time::timeout(Duration::from_secs(30), handle)
        .await
        .expect("consumer stops")
        .expect("consumer task")
        .expect("consumer run")
}

async fn disable(client: &Client, table: &str) {
    client
        .update_table()
        .table_name(table)
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("disable stream");
}

/// Checks each record's sequence number once and, per item, the counter going 1, 2, 3, …
fn assert_exactly_once_in_order(
    seen: &[(String, String, Record)],
    expected: &HashMap<String, i64>,
) {
    let mut seqs = HashSet::new();
    let mut per_item: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (_, _, r) in seen {
        assert!(seqs.insert(seq(r)), "record delivered twice: {}", seq(r));
        per_item
            .entry(key(r, "pk"))
            .or_default()
            .push(num(body(r).new_image(), "c").expect("counter"));
    }
    assert_eq!(per_item.len(), expected.len(), "items seen");
    for (item, counters) in per_item {
        let want: Vec<i64> = (1..=expected[&item]).collect();
        assert_eq!(counters, want, "records of {item}");
    }
}

/// Parents before children: a child's first record is delivered after its parent's last.
async fn assert_parents_first(server: &TestServer, arn: &str, seen: &[(String, String, Record)]) {
    // The consumer may have used this second's DescribeStream rate (10 calls): read the shards
    // in the next second, in as few pages as the API allows.
    server.advance(1);
    let shards = shards_in_pages_of(&server.streams_client(), arn, 100).await;
    let position = |shard: &str, last: bool| {
        let mut it = seen.iter().enumerate().filter(|(_, (_, s, _))| s == shard);
        if last { it.next_back() } else { it.next() }.map(|(i, _)| i)
    };
    for shard in shards {
        let (Some(id), Some(parent)) = (shard.shard_id(), shard.parent_shard_id()) else {
            continue;
        };
        if let (Some(first), Some(parent_last)) = (position(id, false), position(parent, true)) {
            assert!(
                first > parent_last,
                "{id} read before its parent {parent} ended"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_once_in_order_across_rollovers_splits_partitions_and_writers() {
    let server = server(3, 4);
    let db = server.client();
    let arn = create_stream_table(&db, "Lineage", StreamViewType::NewImage, false).await;
    let seen: Seen = Arc::default();
    let consumer = StreamConsumer::for_table(streams_client(&server.endpoint), "Lineage")
        .config(quick())
        .run(recorder("w", &seen));
    let handle = tokio::spawn(consumer);

    let mut writers = Vec::new();
    for w in 0..4 {
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            let mut counts: HashMap<String, i64> = HashMap::new();
            for i in 0..40 {
                let item = format!("w{w}-{}", i % 5);
                bump(&db, "Lineage", &item).await;
                *counts.entry(item).or_default() += 1;
            }
            counts
        }));
    }
    let sc = server.streams_client();
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(40)).await;
        if round == 1 {
            server.advance(4 * 3600 + 1);
        } else if let Some(open) = open_shards(&sc, &arn).await.first() {
            assert_eq!(server.split(&arn, open).status, 200);
        }
    }
    let mut expected = HashMap::new();
    for w in writers {
        expected.extend(w.await.expect("writer"));
    }
    let total: i64 = expected.values().sum();
    wait_for(&seen, total as usize).await;
    disable(&db, "Lineage").await;
    let summary = finish(handle).await;
    assert!(summary.stream_ended);
    assert!(summary.shards_ended >= 5, "{summary:?}");
    let seen = seen.lock().expect("seen").clone();
    assert_exactly_once_in_order(&seen, &expected);
    assert_parents_first(&server, &arn, &seen).await;
}

/// Runs a consumer to the tip of every shard and returns the keys it handed over.
async fn read_to_tip(
    server: &TestServer,
    table: &str,
    store: Arc<dyn CheckpointStore>,
) -> Vec<String> {
    let seen: Seen = Arc::default();
    StreamConsumer::for_table(streams_client(&server.endpoint), table)
        .checkpoint_store(store)
        .config(ConsumerConfig {
            stop_at_tip: true,
            ..quick()
        })
        .run(recorder("w", &seen))
        .await
        .expect("run to tip");
    let seen = seen.lock().expect("seen");
    seen.iter().map(|(_, _, r)| key(r, "pk")).collect()
}

#[tokio::test]
async fn restarts_resume_from_each_checkpoint_store() {
    let server = server(1, 4);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("checkpoints.json");
    let client = streams_client(&server.endpoint);
    LeaseTableStore::create_if_missing(&client, "Leases")
        .await
        .expect("lease table");
    let memory: Arc<dyn CheckpointStore> = Arc::new(MemoryCheckpointStore::new());
    for store in ["memory", "file", "lease-table"] {
        let table = format!("Restart-{store}");
        let db = server.client();
        create_stream_table(&db, &table, StreamViewType::KeysOnly, false).await;
        let open = || async {
            match store {
                "memory" => Arc::clone(&memory),
                "file" => Arc::new(FileCheckpointStore::open(&path).await.expect("file"))
                    as Arc<dyn CheckpointStore>,
                _ => Arc::new(LeaseTableStore::new(&client, "Leases")) as Arc<dyn CheckpointStore>,
            }
        };
        for i in 0..5 {
            put(&db, &table, &format!("a{i}")).await;
        }
        assert_eq!(
            read_to_tip(&server, &table, open().await).await.len(),
            5,
            "{store}"
        );
        for i in 0..3 {
            put(&db, &table, &format!("b{i}")).await;
        }
        assert_eq!(
            read_to_tip(&server, &table, open().await).await,
            ["b0", "b1", "b2"],
            "{store}"
        );
        // Across a rollover: the parent is finished, the child read from its start.
        server.advance(4 * 3600 + 1);
        put(&db, &table, "c0").await;
        assert_eq!(
            read_to_tip(&server, &table, open().await).await,
            ["c0"],
            "{store}"
        );
        assert!(
            read_to_tip(&server, &table, open().await).await.is_empty(),
            "{store}"
        );
    }
}

#[tokio::test]
async fn expired_iterators_resume_after_the_checkpoint() {
    let server = server(1, 48);
    let db = server.client();
    create_stream_table(&db, "Expire", StreamViewType::NewImage, false).await;
    let Follower { seen, log, handle } = follow(
        StreamConsumer::for_table(streams_client(&server.endpoint), "Expire").config(quick()),
    );
    for i in 0..3 {
        bump(&db, "Expire", &format!("k{i}")).await;
    }
    wait_for(&seen, 3).await;
    server.advance(16 * 60);
    for i in 0..3 {
        bump(&db, "Expire", &format!("k{i}")).await;
    }
    wait_for(&seen, 6).await;
    disable(&db, "Expire").await;
    finish(handle).await;
    let expected: HashMap<String, i64> = (0..3).map(|i| (format!("k{i}"), 2)).collect();
    assert_exactly_once_in_order(&seen.lock().expect("seen"), &expected);
    let log = log.lock().expect("events");
    assert!(
        log.iter()
            .any(|e| matches!(e, ConsumerEvent::IteratorExpired { after: Some(_), .. })),
        "{log:?}"
    );
}

#[tokio::test]
async fn trimmed_records_are_reported_as_a_gap_and_reading_goes_on() {
    let server = server(1, 48);
    let db = server.client();
    create_stream_table(&db, "Trim", StreamViewType::KeysOnly, false).await;
    let store: Arc<dyn CheckpointStore> = Arc::new(MemoryCheckpointStore::new());
    put(&db, "Trim", "old0").await;
    assert_eq!(
        read_to_tip(&server, "Trim", Arc::clone(&store)).await,
        ["old0"]
    );
    put(&db, "Trim", "lost").await;
    server.advance(25 * 3600);
    put(&db, "Trim", "new0").await;
    let seen: Seen = Arc::default();
    let (log, sink) = events();
    StreamConsumer::for_table(streams_client(&server.endpoint), "Trim")
        .checkpoint_store(store)
        .config(ConsumerConfig {
            stop_at_tip: true,
            ..quick()
        })
        .on_event(sink)
        .run(recorder("w", &seen))
        .await
        .expect("run");
    let keys: Vec<String> = seen
        .lock()
        .expect("seen")
        .iter()
        .map(|(_, _, r)| key(r, "pk"))
        .collect();
    assert_eq!(keys, ["new0"]);
    let log = log.lock().expect("events");
    assert!(
        log.iter()
            .any(|e| matches!(e, ConsumerEvent::Gap { after: Some(_), .. })),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_a_lease_table_and_one_takes_over_when_the_other_dies() {
    let server = server(4, 48);
    let db = server.client();
    let client = streams_client(&server.endpoint);
    create_stream_table(&db, "Shared", StreamViewType::NewImage, false).await;
    LeaseTableStore::create_if_missing(&client, "SharedLeases")
        .await
        .expect("lease table");
    let seen: Seen = Arc::default();

    // Worker A takes two shards; its handler hangs once `crash` is set, as a process that
    // dies in the middle of a batch.
    let crash = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let a_seen = Arc::clone(&seen);
    let a_crash = Arc::clone(&crash);
    let a_started = Arc::clone(&started);
    let worker_a = tokio::spawn(
        StreamConsumer::for_table(client.clone(), "Shared")
            .checkpoint_store(Arc::new(LeaseTableStore::new(&client, "SharedLeases")))
            .config(ConsumerConfig {
                worker_id: "A".into(),
                max_concurrent_shards: 2,
                ..quick()
            })
            .on_event(move |e| {
                if matches!(e, ConsumerEvent::ShardStarted { .. }) {
                    a_started.fetch_add(1, Ordering::SeqCst);
                }
            })
            .run(move |batch: Batch| {
                let seen = Arc::clone(&a_seen);
                let crash = a_crash.load(Ordering::SeqCst);
                async move {
                    if crash {
                        std::future::pending::<()>().await;
                    }
                    let mut seen = seen.lock().expect("seen");
                    for r in batch.records.iter().cloned() {
                        seen.push(("A".into(), batch.shard_id.clone(), r));
                    }
                    Ok::<(), std::io::Error>(())
                }
            }),
    );
    for _ in 0..200 {
        if started.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        started.load(Ordering::SeqCst),
        2,
        "worker A took two shards"
    );
    let worker_b = tokio::spawn(
        StreamConsumer::for_table(client.clone(), "Shared")
            .checkpoint_store(Arc::new(LeaseTableStore::new(&client, "SharedLeases")))
            .config(ConsumerConfig {
                worker_id: "B".into(),
                ..quick()
            })
            .run(recorder("B", &seen)),
    );
    let mut expected = HashMap::new();
    for i in 0..40 {
        let item = format!("k{i}");
        bump(&db, "Shared", &item).await;
        expected.insert(item, 1);
    }
    wait_for(&seen, 40).await;
    let workers: HashSet<String> = seen
        .lock()
        .expect("seen")
        .iter()
        .map(|(w, _, _)| w.clone())
        .collect();
    assert_eq!(workers.len(), 2, "both workers read: {workers:?}");

    crash.store(true, Ordering::SeqCst);
    for i in 0..40 {
        let item = format!("k{i}");
        bump(&db, "Shared", &item).await;
        expected.insert(item, 2);
    }
    // A hangs in its next batch; then it is gone without releasing its leases.
    tokio::time::sleep(Duration::from_millis(600)).await;
    worker_a.abort();
    wait_for(&seen, 80).await;
    disable(&db, "Shared").await;
    let summary = finish(worker_b).await;
    assert!(summary.stream_ended);
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 80);
    assert_exactly_once_in_order(&seen, &expected);
}

#[tokio::test]
async fn a_failing_handler_is_retried_and_then_stops_the_consumer_without_a_checkpoint() {
    let server = server(1, 48);
    let db = server.client();
    create_stream_table(&db, "Fail", StreamViewType::KeysOnly, false).await;
    put(&db, "Fail", "x").await;
    let store: Arc<dyn CheckpointStore> = Arc::new(MemoryCheckpointStore::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let (log, sink) = events();
    let result = StreamConsumer::for_table(streams_client(&server.endpoint), "Fail")
        .checkpoint_store(Arc::clone(&store))
        .config(ConsumerConfig {
            stop_at_tip: true,
            handler_retries: 2,
            ..quick()
        })
        .on_event(sink)
        .run(move |_batch| {
            counted.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err::<(), _>(std::io::Error::other("handler down")))
        })
        .await;
    assert!(matches!(result, Err(Error::Handler(_))), "{result:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let failures = log
        .lock()
        .expect("events")
        .iter()
        .filter(|e| matches!(e, ConsumerEvent::HandlerFailed { .. }))
        .count();
    assert_eq!(failures, 3);
    // Nothing was checkpointed: the record is delivered again.
    assert_eq!(read_to_tip(&server, "Fail", store).await, ["x"]);
}

#[tokio::test]
async fn a_deleted_tables_stream_is_read_to_its_end_and_the_consumer_stops() {
    let server = server(2, 48);
    let db = server.client();
    create_stream_table(&db, "Gone", StreamViewType::KeysOnly, false).await;
    let Follower { seen, log, handle } =
        follow(StreamConsumer::for_table(streams_client(&server.endpoint), "Gone").config(quick()));
    for i in 0..5 {
        put(&db, "Gone", &format!("k{i}")).await;
    }
    db.delete_table()
        .table_name("Gone")
        .send()
        .await
        .expect("delete");
    let summary = finish(handle).await;
    assert!(summary.stream_ended);
    assert_eq!(seen.lock().expect("seen").len(), 5);
    assert!(
        log.lock()
            .expect("events")
            .iter()
            .any(|e| matches!(e, ConsumerEvent::StreamEnded { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latest_start_skips_history_and_misses_nothing_written_after_it() {
    let server = server(1, 4);
    let db = server.client();
    create_stream_table(&db, "Latest", StreamViewType::KeysOnly, false).await;
    put(&db, "Latest", "old0").await;
    server.advance(4 * 3600 + 1);
    put(&db, "Latest", "old1").await;
    let seen: Seen = Arc::default();
    let started = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&started);
    let handle = tokio::spawn(
        StreamConsumer::for_table(streams_client(&server.endpoint), "Latest")
            .config(ConsumerConfig {
                starting_position: eddy_client::StartingPosition::Latest,
                ..quick()
            })
            .on_event(move |e| {
                if matches!(e, ConsumerEvent::ShardStarted { .. }) {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            })
            .run(recorder("w", &seen)),
    );
    for _ in 0..200 {
        if started.load(Ordering::SeqCst) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "only the open shard starts"
    );
    put(&db, "Latest", "new0").await;
    // Checkpointed before the clock jumps past the iterator's lifetime: a LATEST start with no
    // checkpoint yet has nothing to resume after, and goes back to TRIM_HORIZON rather than
    // risk skipping a record.
    wait_for(&seen, 1).await;
    server.advance(4 * 3600 + 1);
    put(&db, "Latest", "new1").await;
    wait_for(&seen, 2).await;
    disable(&db, "Latest").await;
    finish(handle).await;
    let keys: Vec<String> = seen
        .lock()
        .expect("seen")
        .iter()
        .map(|(_, _, r)| key(r, "pk"))
        .collect();
    assert_eq!(keys, ["new0", "new1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_polling_too_fast_backs_off_and_loses_nothing() {
    let server = server(1, 48);
    let db = server.client();
    create_stream_table(&db, "Throttled", StreamViewType::NewImage, false).await;
    // Ten polls a second on one shard: twice what the service allows. The SDK's own retries
    // are off, so every refusal reaches the consumer's backoff.
    let Follower { seen, log, handle } = follow(
        StreamConsumer::for_table(
            common::client::streams_client_without_retries(&server.endpoint),
            "Throttled",
        )
        .config(ConsumerConfig {
            idle_poll: Duration::from_millis(100),
            ..quick()
        }),
    );
    let mut expected = HashMap::new();
    for round in 1..=4 {
        for i in 0..5 {
            bump(&db, "Throttled", &format!("k{i}")).await;
            expected.insert(format!("k{i}"), round);
        }
        wait_for(&seen, round as usize * 5).await;
    }
    for _ in 0..100 {
        let throttled = log.lock().expect("events").iter().any(|e| {
            matches!(e, ConsumerEvent::Backoff { error, .. } if error.contains("LimitExceededException"))
        });
        if throttled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    disable(&db, "Throttled").await;
    finish(handle).await;
    assert_exactly_once_in_order(&seen.lock().expect("seen"), &expected);
    assert!(
        log.lock().expect("events").iter().any(|e| matches!(
            e,
            ConsumerEvent::Backoff { error, .. } if error.contains("LimitExceededException")
        )),
        "the server throttled the consumer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_batch_in_hand_and_releases_the_leases() {
    let server = server(2, 48);
    let db = server.client();
    let client = streams_client(&server.endpoint);
    create_stream_table(&db, "Stop", StreamViewType::NewImage, false).await;
    LeaseTableStore::create_if_missing(&client, "StopLeases")
        .await
        .expect("lease table");
    for i in 0..6 {
        bump(&db, "Stop", &format!("k{i}")).await;
    }
    // The handler is slow; shutdown is asked for while it holds the first batch.
    let seen: Seen = Arc::default();
    let in_handler = Arc::new(tokio::sync::Notify::new());
    let consumer = StreamConsumer::for_table(client.clone(), "Stop")
        .checkpoint_store(Arc::new(LeaseTableStore::new(&client, "StopLeases")))
        .config(ConsumerConfig {
            worker_id: "stopper".into(),
            max_concurrent_shards: 1,
            ..quick()
        });
    let shutdown = consumer.shutdown_handle();
    let handler_seen = Arc::clone(&seen);
    let notify = Arc::clone(&in_handler);
    let handle = tokio::spawn(consumer.run(move |batch: Batch| {
        let seen = Arc::clone(&handler_seen);
        let notify = Arc::clone(&notify);
        async move {
            notify.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut seen = seen.lock().expect("seen");
            for r in batch.records.iter().cloned() {
                seen.push(("w".into(), batch.shard_id.clone(), r));
            }
            Ok::<(), std::io::Error>(())
        }
    }));
    in_handler.notified().await;
    shutdown.shutdown();
    let summary = finish(handle).await;
    assert!(!summary.stream_ended);
    let first = seen.lock().expect("seen").len();
    assert!(
        first > 0 && first < 6,
        "one shard's batch was finished: {first}"
    );

    let leases = db
        .scan()
        .table_name("StopLeases")
        .send()
        .await
        .expect("scan leases");
    assert!(!leases.items().is_empty());
    for lease in leases.items() {
        assert!(!lease.contains_key("leaseOwner"), "released: {lease:?}");
    }
    // Another worker goes on at once (no lease to wait out) from the checkpoint.
    StreamConsumer::for_table(client.clone(), "Stop")
        .checkpoint_store(Arc::new(LeaseTableStore::new(&client, "StopLeases")))
        .config(ConsumerConfig {
            worker_id: "next".into(),
            stop_at_tip: true,
            lease_duration: Duration::from_secs(60),
            ..quick()
        })
        .run(recorder("next", &seen))
        .await
        .expect("second run");
    let expected: HashMap<String, i64> = (0..6).map(|i| (format!("k{i}"), 1)).collect();
    assert_exactly_once_in_order(&seen.lock().expect("seen"), &expected);
}
