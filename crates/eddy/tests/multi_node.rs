//! Several eddy processes serving one PostgreSQL database, each request sent to a node chosen
//! at random (a load balancer without affinity): conditional writes racing from every node
//! have one winner, transactions stay atomic, a stream consumer reading through any node sees
//! every write once in per-item order, and killing a node or the leader loses nothing
//! acknowledged while background duties move to a survivor.
//!
//! Needs `EDDY_TEST_POSTGRES_URL` (`scripts/test` starts a server); without it each test says
//! it skipped.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Get, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
    TransactGetItem, TransactWriteItem, Update,
};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::triggers::Sink;
use common::{EddyProcess, client_for, code, http_request, n, s, streams_client_for};

/// Nodes on one fresh database, and a client for each.
struct Cluster {
    url: String,
    nodes: Vec<Option<EddyProcess>>,
    clients: Vec<Client>,
    streams: Vec<aws_sdk_dynamodbstreams::Client>,
    /// Which nodes are still running.
    alive: Vec<bool>,
    seed: AtomicU64,
    /// Every node's flags besides the storage's.
    flags: Vec<String>,
}

impl Cluster {
    /// `count` nodes on a database of their own; None without a PostgreSQL server.
    fn start(count: usize) -> Option<Self> {
        Self::start_with(count, &[])
    }

    /// `count` nodes given these flags besides; None without a PostgreSQL server.
    fn start_with(count: usize, flags: &[String]) -> Option<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let Ok(admin) = std::env::var("EDDY_TEST_POSTGRES_URL") else {
            eprintln!(
                "skipped: EDDY_TEST_POSTGRES_URL names no PostgreSQL server (scripts/test starts one)"
            );
            return None;
        };
        let name = format!(
            "cluster_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let url =
            eddy_storage::PostgresStorage::create_database(&admin, &name).expect("create database");
        let mut cluster = Self {
            url,
            nodes: Vec::new(),
            clients: Vec::new(),
            streams: Vec::new(),
            alive: Vec::new(),
            seed: AtomicU64::new(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id())),
            flags: flags.to_vec(),
        };
        for _ in 0..count {
            cluster.add_node();
        }
        Some(cluster)
    }

    fn add_node(&mut self) {
        let mut flags = [
            "--storage",
            self.url.as_str(),
            "--storage-pool-size",
            "8",
            "--test-control",
            "--ttl-sweep-interval",
            "1s",
        ]
        .map(str::to_owned)
        .to_vec();
        flags.extend(self.flags.iter().cloned());
        let node = EddyProcess::serve(&flags);
        self.clients.push(client_for(&node.endpoint));
        self.streams.push(streams_client_for(&node.endpoint));
        self.nodes.push(Some(node));
        self.alive.push(true);
    }

    /// A node chosen at random among the running ones.
    fn pick(&self) -> usize {
        loop {
            // xorshift: cheap, and different for every call across threads.
            let mut x = self
                .seed
                .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % self.nodes.len() as u64) as usize;
            if self.alive[i] {
                return i;
            }
        }
    }

    fn any(&self) -> &Client {
        &self.clients[self.pick()]
    }

    fn any_streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        &self.streams[self.pick()]
    }

    fn endpoint(&self, i: usize) -> &str {
        &self.nodes[i].as_ref().expect("running").endpoint
    }

    /// SIGKILLs node `i`.
    fn kill(&mut self, i: usize) {
        self.nodes[i] = None;
        self.alive[i] = false;
    }

    /// GET /_eddy/info of node `i`.
    fn info(&self, i: usize) -> serde_json::Value {
        let addr = self
            .endpoint(i)
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        http_request(addr, "GET", "/_eddy/info", &[], b"").json()
    }

    /// The running node that leads, waiting for one to be chosen (each node tries once a
    /// second; a dead leader's lock goes once PostgreSQL sees its connection closed).
    fn leader(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let leaders: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.alive[i] && self.info(i)["leader"] == true)
                .collect();
            assert!(leaders.len() <= 1, "two leaders at once: {leaders:?}");
            if let [leader] = leaders[..] {
                return leader;
            }
            assert!(Instant::now() < deadline, "no node became the leader");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Moves the shared clock forward through node `i`.
    fn advance(&self, i: usize, seconds: u64) {
        let addr = self
            .endpoint(i)
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        let body = format!("{{\"seconds\":{seconds}}}");
        let resp = http_request(addr, "POST", "/_eddy/clock/advance", &[], body.as_bytes());
        assert_eq!(resp.status, 200, "{:?}", resp.json());
    }
}

async fn create(cluster: &Cluster, table: &str, stream: bool) {
    let mut request = cluster
        .any()
        .create_table()
        .table_name(table)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .billing_mode(BillingMode::PayPerRequest);
    if stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream"),
        );
    }
    request.send().await.expect("create table");
}

/// A strongly consistent GetItem of `pk` through a random node.
async fn read(cluster: &Cluster, table: &str, pk: &str) -> Option<HashMap<String, AttributeValue>> {
    cluster
        .any()
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item
}

/// A table's latest stream ARN, asked of a random node.
async fn stream_arn(cluster: &Cluster, table: &str) -> String {
    cluster
        .any()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe")
        .table
        .expect("table")
        .latest_stream_arn
        .expect("stream arn")
}

fn int(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {item:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conditional_writes_racing_from_every_node_have_one_winner_per_round() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let cluster = Arc::new(cluster);
    create(&cluster, "race", false).await;
    for round in 0..15 {
        let mut racers = Vec::new();
        for racer in 0..9 {
            let cluster = Arc::clone(&cluster);
            racers.push(tokio::spawn(async move {
                let put = cluster
                    .any()
                    .put_item()
                    .table_name("race")
                    .item("pk", s(&format!("round-{round}")))
                    .item("winner", n(&racer.to_string()))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                match put {
                    Ok(_) => Some(racer),
                    Err(e) => {
                        assert_eq!(code(&e), "ConditionalCheckFailedException", "{e:?}");
                        None
                    }
                }
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            winners.extend(racer.await.expect("racer"));
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let item = read(&cluster, "race", &format!("round-{round}"))
            .await
            .expect("the winner's item");
        assert_eq!(int(&item, "winner"), winners[0]);
    }

    // Optimistic counters: read, then write only if no one wrote since. Every success counts
    // once; none is lost between nodes.
    cluster
        .any()
        .put_item()
        .table_name("race")
        .item("pk", s("counter"))
        .item("version", n("0"))
        .send()
        .await
        .expect("counter");
    let mut workers = Vec::new();
    for _ in 0..6 {
        let cluster = Arc::clone(&cluster);
        workers.push(tokio::spawn(async move {
            let mut won = 0;
            for _ in 0..25 {
                let item = read(&cluster, "race", "counter").await.expect("counter");
                let version = int(&item, "version");
                let update = cluster
                    .any()
                    .update_item()
                    .table_name("race")
                    .key("pk", s("counter"))
                    .update_expression("SET version = :next")
                    .condition_expression("version = :seen")
                    .expression_attribute_values(":seen", n(&version.to_string()))
                    .expression_attribute_values(":next", n(&(version + 1).to_string()))
                    .send()
                    .await;
                match update {
                    Ok(_) => won += 1,
                    Err(e) => assert_eq!(code(&e), "ConditionalCheckFailedException", "{e:?}"),
                }
            }
            won
        }));
    }
    let mut successes = 0;
    for worker in workers {
        successes += worker.await.expect("worker");
    }
    let item = read(&cluster, "race", "counter").await.expect("counter");
    assert!(successes > 0);
    assert_eq!(int(&item, "version"), successes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_across_nodes_stay_atomic() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let cluster = Arc::new(cluster);
    create(&cluster, "bank", false).await;
    create(&cluster, "ledger", false).await;
    const TOTAL: i64 = 40;
    for (account, balance) in [("a", TOTAL), ("b", 0)] {
        cluster
            .any()
            .put_item()
            .table_name("bank")
            .item("pk", s(account))
            .item("balance", n(&balance.to_string()))
            .send()
            .await
            .expect("account");
    }
    // Movers take one unit from a to b, with a ledger line per move, in one transaction across
    // two tables; readers check through any node that no half of a move is ever seen.
    let mut movers = Vec::new();
    for mover in 0..6 {
        let cluster = Arc::clone(&cluster);
        movers.push(tokio::spawn(async move {
            let mut moved = Vec::new();
            for attempt in 0..12 {
                let line = format!("move-{mover}-{attempt}");
                let debit = Update::builder()
                    .table_name("bank")
                    .key("pk", s("a"))
                    .update_expression("SET balance = balance - :one")
                    .condition_expression("balance > :zero")
                    .expression_attribute_values(":one", n("1"))
                    .expression_attribute_values(":zero", n("0"))
                    .build()
                    .expect("debit");
                let credit = Update::builder()
                    .table_name("bank")
                    .key("pk", s("b"))
                    .update_expression("SET balance = balance + :one")
                    .expression_attribute_values(":one", n("1"))
                    .build()
                    .expect("credit");
                let record = Put::builder()
                    .table_name("ledger")
                    .item("pk", s(&line))
                    .build()
                    .expect("ledger line");
                let sent = cluster
                    .any()
                    .transact_write_items()
                    .transact_items(TransactWriteItem::builder().update(debit).build())
                    .transact_items(TransactWriteItem::builder().update(credit).build())
                    .transact_items(TransactWriteItem::builder().put(record).build())
                    .send()
                    .await;
                match sent {
                    Ok(_) => moved.push(line),
                    Err(e) => assert!(
                        [
                            "TransactionCanceledException",
                            "TransactionConflictException"
                        ]
                        .contains(&code(&e).as_str()),
                        "{e:?}"
                    ),
                }
            }
            moved
        }));
    }
    let reader = {
        let cluster = Arc::clone(&cluster);
        tokio::spawn(async move {
            let mut reads = 0;
            for _ in 0..60 {
                let got = cluster
                    .any()
                    .transact_get_items()
                    .transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .key("pk", s("a"))
                                    .build()
                                    .expect("get"),
                            )
                            .build(),
                    )
                    .transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .key("pk", s("b"))
                                    .build()
                                    .expect("get"),
                            )
                            .build(),
                    )
                    .send()
                    .await;
                let Ok(got) = got else { continue };
                let responses = got.responses.expect("responses");
                let sum: i64 = responses
                    .iter()
                    .map(|r| int(r.item.as_ref().expect("account"), "balance"))
                    .sum();
                assert_eq!(sum, TOTAL, "a transaction was seen half applied");
                reads += 1;
            }
            reads
        })
    };
    let mut moved = Vec::new();
    for mover in movers {
        moved.extend(mover.await.expect("mover"));
    }
    assert!(reader.await.expect("reader") > 0);
    let balance = |account: &'static str| {
        let cluster = Arc::clone(&cluster);
        async move {
            let item = read(&cluster, "bank", account).await.expect("account");
            int(&item, "balance")
        }
    };
    let (a, b) = (balance("a").await, balance("b").await);
    assert_eq!(a + b, TOTAL);
    assert_eq!(
        b,
        moved.len() as i64,
        "every committed move, and only those, moved money"
    );
    let mut lines = Vec::new();
    let mut start = None;
    loop {
        let page = cluster
            .any()
            .scan()
            .table_name("ledger")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        lines.extend(
            page.items()
                .iter()
                .map(|item| item["pk"].as_s().expect("line").clone()),
        );
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    lines.sort();
    moved.sort();
    assert_eq!(
        lines, moved,
        "a ledger line for each committed move, and no other"
    );
}

/// Every record of a stream, read through random nodes, following lineage: per shard in
/// order, parents before children.
async fn read_stream(
    cluster: &Cluster,
    arn: &str,
) -> Vec<(String, aws_sdk_dynamodbstreams::types::Record)> {
    let shards = cluster
        .any_streams()
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .expect("describe")
        .stream_description
        .expect("description")
        .shards
        .unwrap_or_default();
    let mut out = Vec::new();
    for shard in shards {
        let shard_id = shard.shard_id.expect("id");
        let mut iterator = cluster
            .any_streams()
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(&shard_id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("iterator")
            .shard_iterator;
        let closed = shard
            .sequence_number_range
            .as_ref()
            .and_then(|r| r.ending_sequence_number.as_ref())
            .is_some();
        while let Some(current) = iterator {
            let page = cluster
                .any_streams()
                .get_records()
                .shard_iterator(current)
                .send()
                .await
                .expect("records");
            let empty = page.records().is_empty();
            out.extend(
                page.records
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| (shard_id.clone(), r)),
            );
            iterator = page.next_shard_iterator;
            // An open shard's iterator never ends: stop once it is drained.
            if empty && !closed {
                break;
            }
        }
    }
    out
}

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
async fn killing_a_node_or_the_leader_loses_nothing_and_duties_move() {
    let Some(mut cluster) = Cluster::start(3) else {
        return;
    };
    create(&cluster, "survive", true).await;
    let leader = cluster.leader();
    let follower = (leader + 1) % 3;
    let mut acknowledged = Vec::new();
    let mut write = |cluster: &Cluster, i: usize| {
        let key = format!("item-{i}");
        acknowledged.push(key.clone());
        let client = cluster.any().clone();
        async move {
            client
                .put_item()
                .table_name("survive")
                .item("pk", s(&key))
                .send()
                .await
                .expect("put");
        }
    };
    for i in 0..30 {
        write(&cluster, i).await;
    }
    cluster.kill(follower);
    for i in 30..60 {
        write(&cluster, i).await;
    }
    cluster.kill(leader);
    let survivor = cluster.leader();
    assert_ne!(survivor, leader);
    for i in 60..90 {
        write(&cluster, i).await;
    }
    for key in &acknowledged {
        let item = read(&cluster, "survive", key).await;
        assert!(item.is_some(), "{key} was acknowledged and is gone");
    }

    // A duty of the leader's alone: the TTL sweep (every second here) deletes an expired item
    // without anything asking for it.
    cluster
        .any()
        .update_time_to_live()
        .table_name("survive")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("ttl");
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
        - 60;
    cluster
        .any()
        .put_item()
        .table_name("survive")
        .item("pk", s("expired"))
        .item("expires", n(&past.to_string()))
        .send()
        .await
        .expect("put");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let item = cluster
            .any()
            .get_item()
            .table_name("survive")
            .key("pk", s("expired"))
            .send()
            .await
            .expect("get")
            .item;
        if item.is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "no node swept the expired item");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Deleted once: one REMOVE record, from the TTL service.
    let arn = stream_arn(&cluster, "survive").await;
    let records = read_stream(&cluster, &arn).await;
    let removes: Vec<_> = records
        .iter()
        .filter(|(_, r)| r.event_name.as_ref().map(|e| e.as_str()) == Some("REMOVE"))
        .collect();
    assert_eq!(removes.len(), 1);
    assert_eq!(
        removes[0]
            .1
            .user_identity
            .as_ref()
            .and_then(|u| u.principal_id.as_deref()),
        Some("dynamodb.amazonaws.com")
    );
    let inserts = records
        .iter()
        .filter(|(_, r)| r.event_name.as_ref().map(|e| e.as_str()) == Some("INSERT"))
        .count();
    assert_eq!(
        inserts, 91,
        "one record per acknowledged write, none lost with a node"
    );

    // A node joining later serves the same data, and does not lead while another does.
    cluster.add_node();
    let newest = cluster.nodes.len() - 1;
    let count = cluster.clients[newest]
        .scan()
        .table_name("survive")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan")
        .count;
    assert_eq!(count, 90);
    assert_eq!(cluster.leader(), survivor);
}

/// The keys of every record a sink received, in order of arrival.
fn delivered(sink: &Sink) -> Vec<String> {
    sink.received()
        .iter()
        .flat_map(|r| r.records())
        .map(|record| common::triggers::pk(&record))
        .collect()
}

/// Waits until the sink has received a record of each of `keys`.
fn wait_for_keys(sink: &Sink, keys: &[String]) -> Vec<String> {
    common::triggers::wait_until(&format!("{} keys delivered", keys.len()), || {
        let got = delivered(sink);
        keys.iter().all(|k| got.contains(k)).then_some(got)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trigger_given_to_every_node_runs_on_the_leader_and_moves_with_it() {
    let sink = Sink::ok();
    let trigger = format!(
        "table=orders,url={},starting-position=trim-horizon,batch-size=5",
        sink.url()
    );
    let Some(mut cluster) = Cluster::start_with(2, &["--trigger".to_owned(), trigger]) else {
        return;
    };
    create(&cluster, "orders", true).await;
    let leader = cluster.leader();
    let put = |cluster: &Cluster, key: String| {
        let client = cluster.any().clone();
        async move {
            client
                .put_item()
                .table_name("orders")
                .item("pk", s(&key))
                .send()
                .await
                .expect("put");
        }
    };
    let before: Vec<String> = (0..30).map(|i| format!("before-{i}")).collect();
    for key in &before {
        put(&cluster, key.clone()).await;
    }
    let got = wait_for_keys(&sink, &before);
    assert_eq!(
        got.len(),
        before.len(),
        "each record delivered once, by one node: {got:?}"
    );
    let followers_page = {
        let follower = 1 - leader;
        let addr = cluster
            .endpoint(follower)
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        http_request(addr, "GET", "/_eddy/triggers", &[], b"").json()
    };
    assert_eq!(
        followers_page["triggers"],
        serde_json::json!([]),
        "the follower runs none"
    );

    // The leader dies; the other node leads and goes on from the checkpoints in the database.
    cluster.kill(leader);
    assert_ne!(cluster.leader(), leader);
    let after: Vec<String> = (0..30).map(|i| format!("after-{i}")).collect();
    for key in &after {
        put(&cluster, key.clone()).await;
    }
    let got = wait_for_keys(&sink, &after);
    for key in &after {
        assert_eq!(
            got.iter().filter(|k| *k == key).count(),
            1,
            "{key} once: {got:?}"
        );
    }
    // At most the batch in flight when the leader died comes again (at least once, as
    // Lambda): not the stream from its start.
    let again = got.len() - before.len() - after.len();
    assert!(again <= 5, "{again} records delivered twice: {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_request_token_holds_across_nodes() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    create(&cluster, "tokens", false).await;
    let bump = |amount: &str| {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name("tokens")
                    .key("pk", s("counter"))
                    .update_expression("ADD amount_sum :amount")
                    .expression_attribute_values(":amount", n(amount))
                    .build()
                    .expect("update"),
            )
            .build()
    };
    // The first try reaches one node, its retry another: it runs once.
    for client in &cluster.clients {
        client
            .transact_write_items()
            .client_request_token("retried-token")
            .transact_items(bump("1"))
            .send()
            .await
            .expect("transaction");
    }
    let item = read(&cluster, "tokens", "counter").await.expect("counter");
    assert_eq!(
        int(&item, "amount_sum"),
        1,
        "the retry through another node ran again"
    );
    let other = cluster.clients[1]
        .transact_write_items()
        .client_request_token("retried-token")
        .transact_items(bump("5"))
        .send()
        .await
        .expect_err("another request with the same token");
    assert_eq!(code(&other), "IdempotentParameterMismatchException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_made_through_one_node_is_listed_and_restored_through_another() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    create(&cluster, "kept", false).await;
    for i in 0..5 {
        cluster.clients[0]
            .put_item()
            .table_name("kept")
            .item("pk", s(&format!("item-{i}")))
            .send()
            .await
            .expect("put");
    }
    let arn = cluster.clients[0]
        .create_backup()
        .table_name("kept")
        .backup_name("nightly")
        .send()
        .await
        .expect("backup")
        .backup_details
        .expect("details")
        .backup_arn;
    let listed = cluster.clients[1]
        .list_backups()
        .send()
        .await
        .expect("list")
        .backup_summaries
        .unwrap_or_default();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].backup_arn.as_deref(), Some(arn.as_str()));
    cluster.clients[1]
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("kept-again")
        .send()
        .await
        .expect("restore through the other node");
    let count = cluster.clients[0]
        .scan()
        .table_name("kept-again")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan")
        .count;
    assert_eq!(count, 5);
    cluster.clients[0]
        .delete_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect("delete");
    let gone = cluster.clients[1]
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect_err("deleted through the other node");
    assert_eq!(code(&gone), "BackupNotFoundException");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_follows_another_nodes_table_changes() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (&cluster.clients[0], &cluster.clients[1]);
    create(&cluster, "changing", false).await;
    // Node b knows the table from a write before the index exists.
    b.put_item()
        .table_name("changing")
        .item("pk", s("before"))
        .item("colour", s("red"))
        .send()
        .await
        .expect("put");
    a.update_table()
        .table_name("changing")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("colour")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-colour")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("colour")
                                .key_type(KeyType::Hash)
                                .build()
                                .expect("key"),
                        )
                        .projection(
                            aws_sdk_dynamodb::types::Projection::builder()
                                .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .expect("index"),
                )
                .build(),
        )
        .send()
        .await
        .expect("add an index through node a");
    // A write through node b maintains the index node a added.
    b.put_item()
        .table_name("changing")
        .item("pk", s("after"))
        .item("colour", s("red"))
        .send()
        .await
        .expect("put");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = b
            .describe_table()
            .table_name("changing")
            .send()
            .await
            .expect("describe")
            .table
            .expect("table")
            .global_secondary_indexes
            .unwrap_or_default()
            .first()
            .and_then(|i| i.index_status.clone());
        if status == Some(aws_sdk_dynamodb::types::IndexStatus::Active) {
            break;
        }
        assert!(Instant::now() < deadline, "the index was never built");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let found = b
        .query()
        .table_name("changing")
        .index_name("by-colour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s("red"))
        .send()
        .await
        .expect("query the new index through node b")
        .count;
    assert_eq!(
        found, 2,
        "both items, the one node b wrote after the index included"
    );

    // Deleted through node a, the table is gone for node b's writes at once.
    a.delete_table()
        .table_name("changing")
        .send()
        .await
        .expect("delete");
    let gone = b
        .put_item()
        .table_name("changing")
        .item("pk", s("late"))
        .send()
        .await
        .expect_err("a write to a table deleted through another node");
    assert_eq!(code(&gone), "ResourceNotFoundException");
}
