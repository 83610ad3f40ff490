//! Nodes on one fresh database, a client for each, and the helpers every test shares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, StreamViewType};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;

use crate::common::streams::create_stream_table;
use crate::common::{EddyProcess, client_for, create_table, http_request, s, streams_client_for};

/// Nodes on one fresh database, and a client for each.
pub struct Cluster {
    url: String,
    pub nodes: Vec<Option<EddyProcess>>,
    pub clients: Vec<Client>,
    pub streams: Vec<aws_sdk_dynamodbstreams::Client>,
    /// Which nodes are still running.
    alive: Vec<bool>,
    seed: AtomicU64,
    /// Every node's flags besides the storage's.
    flags: Vec<String>,
}

impl Cluster {
    /// `count` nodes on a database of their own; None without a PostgreSQL server.
    pub fn start(count: usize) -> Option<Self> {
        Self::start_with(count, &[])
    }

    /// `count` nodes given these flags besides; None without a PostgreSQL server.
    pub fn start_with(count: usize, flags: &[String]) -> Option<Self> {
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

    pub fn add_node(&mut self) {
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
    pub fn pick(&self) -> usize {
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

    pub fn any(&self) -> &Client {
        &self.clients[self.pick()]
    }

    pub fn any_streams(&self) -> &aws_sdk_dynamodbstreams::Client {
        &self.streams[self.pick()]
    }

    pub fn endpoint(&self, i: usize) -> &str {
        &self.nodes[i].as_ref().expect("running").endpoint
    }

    /// SIGKILLs node `i`.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i] = None;
        self.alive[i] = false;
    }

    /// GET /_eddy/info of node `i`.
    pub fn info(&self, i: usize) -> serde_json::Value {
        let addr = self
            .endpoint(i)
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        http_request(addr, "GET", "/_eddy/info", &[], b"").json()
    }

    /// The running node that leads, waiting for one to be chosen (each node tries once a
    /// second; a dead leader's lock goes once PostgreSQL sees its connection closed).
    pub fn leader(&self) -> usize {
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
    pub fn advance(&self, i: usize, seconds: u64) {
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

/// An on-demand table keyed by string `pk`, with a NEW_AND_OLD_IMAGES stream if `stream`,
/// created through a random node.
pub async fn create(cluster: &Cluster, table: &str, stream: bool) {
    if stream {
        create_stream_table(cluster.any(), table, StreamViewType::NewAndOldImages, false).await;
    } else {
        create_table(cluster.any(), table, None).await;
    }
}

/// A strongly consistent GetItem of `pk` through a random node.
pub async fn read(
    cluster: &Cluster,
    table: &str,
    pk: &str,
) -> Option<HashMap<String, AttributeValue>> {
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
pub async fn stream_arn(cluster: &Cluster, table: &str) -> String {
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

pub fn int(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {item:?}"))
}

/// Every record of a stream, read through random nodes, following lineage: per shard in
/// order, parents before children.
pub async fn read_stream(
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
