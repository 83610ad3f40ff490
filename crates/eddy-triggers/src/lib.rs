//! Stream triggers: each one reads a table's DynamoDB stream with the `eddy-client`
//! [`StreamConsumer`] (lineage order, checkpoints, recovery) and delivers the records to a
//! handler with the semantics of Lambda's event source mappings (see [`batches`]).
//!
//! A trigger talks to its stream through the DynamoDB Streams API like any client; it needs
//! no server internals, only a clock that moves with the server's test clock.

#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod batches;
pub mod deliver;
pub mod event;
pub mod filter;
pub mod on_failure;
pub mod spec;
pub mod status;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eddy_client::{
    CheckpointStore, Clock, ConsumerConfig, ConsumerEvent, Error as ClientError,
    FileCheckpointStore, MemoryCheckpointStore, StartingPosition, StreamConsumer, StreamsClient,
};

use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::types::KeyType;
pub use eddy_types::parse_duration;
pub use spec::{TriggerSpec, parse_all};

use batches::{Delivery, Parts};
use deliver::{CommandHandler, FunctionEnv, HttpClient, Invoke, InvokeApi, UrlHandler};
use spec::{Source, Start, Target};
use status::{State, TriggerStatus};

/// How often a trigger looks for its table's stream while there is none.
const LOOKUP_INTERVAL: Duration = Duration::from_millis(500);

/// How often an open shard is polled at its tip: Lambda polls each shard four times a second.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What every trigger of a server shares.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// The server's endpoint, for handlers that write back to it.
    pub endpoint: String,
    /// The region and account handlers are told they run in.
    pub region: String,
    /// The account in function ARNs.
    pub account_id: String,
    /// Where checkpoints are kept.
    pub checkpoints: Checkpoints,
    /// How long the stream keeps records: failing records are retried until then.
    pub record_expiry: Duration,
    /// The access key pair the triggers sign with, also given to `command=` handlers.
    pub credentials: (String, String),
}

/// Where each trigger keeps its checkpoints, and when it first started (a trigger starting at
/// LATEST skips, after a restart, only what came before its first start).
#[derive(Clone, Debug)]
pub enum Checkpoints {
    /// In memory: a restart starts over.
    Memory,
    /// In files: `<dir>/<trigger>.json` and `<dir>/<trigger>.start`.
    Directory(PathBuf),
    /// Where the host keeps them: a database that every server sharing it reads, so a trigger
    /// moved to another server goes on from where it was.
    Host(Arc<dyn HostCheckpoints>),
}

/// Checkpoints a host keeps for its triggers ([`Checkpoints::Host`]).
#[async_trait::async_trait]
pub trait HostCheckpoints: Send + Sync + std::fmt::Debug {
    /// The store of the trigger `trigger`'s checkpoints.
    fn store(&self, trigger: &str) -> Arc<dyn CheckpointStore>;

    /// When the trigger first started, epoch ms: the time kept, or `now_ms`, kept from now on.
    ///
    /// # Errors
    /// The host's store failed.
    async fn start_time(&self, trigger: &str, now_ms: u64) -> Result<u64, String>;
}

/// The running triggers of a server.
#[derive(Clone)]
pub struct Triggers {
    statuses: Vec<Arc<TriggerStatus>>,
    runners: Vec<tokio::task::AbortHandle>,
}

impl Triggers {
    /// Starts every trigger on the current tokio runtime.
    ///
    /// # Errors
    /// A checkpoint file that cannot be read.
    pub async fn start(
        specs: Vec<TriggerSpec>,
        client: StreamsClient,
        clock: Arc<dyn Clock>,
        host: HostConfig,
    ) -> Result<Self, String> {
        let mut statuses = Vec::new();
        let mut runners = Vec::new();
        for spec in specs {
            let source = match &spec.source {
                Source::Table(t) => format!("table/{t}"),
                Source::Stream(s) => s.clone(),
            };
            let handler = match &spec.target {
                Target::Url(u) => u.clone(),
                Target::Function { name, endpoint } => format!("{endpoint} function {name}"),
                Target::Command(c) => format!("command {c}"),
            };
            let state = if spec.enabled {
                State::WaitingForStream
            } else {
                State::Disabled
            };
            let status = Arc::new(TriggerStatus::new(&spec.name, &source, &handler, state));
            statuses.push(Arc::clone(&status));
            if !spec.enabled {
                continue;
            }
            let store: Arc<dyn CheckpointStore> = match &host.checkpoints {
                Checkpoints::Directory(dir) => {
                    tokio::fs::create_dir_all(dir)
                        .await
                        .map_err(|e| format!("{}: {e}", dir.display()))?;
                    let path = dir.join(format!("{}.json", spec.name));
                    Arc::new(
                        FileCheckpointStore::open(&path)
                            .await
                            .map_err(|e| e.to_string())?,
                    )
                }
                Checkpoints::Host(host) => host.store(&spec.name),
                Checkpoints::Memory => Arc::new(MemoryCheckpointStore::new()),
            };
            let start_ms = match spec.starting_position {
                Start::Latest => Some(start_time(&host, &spec.name, clock.now_ms()).await?),
                Start::TrimHorizon => None,
            };
            let runner = Runner::new(
                spec,
                &client,
                Arc::clone(&clock),
                store,
                status,
                &host,
                start_ms,
            );
            runners.push(tokio::spawn(runner.run()).abort_handle());
        }
        Ok(Self { statuses, runners })
    }

    /// Stops every trigger where it is: a batch being delivered is delivered again by
    /// whoever runs the trigger next, from its last checkpoint, as Lambda retries.
    pub fn stop(&self) {
        for runner in &self.runners {
            runner.abort();
        }
    }

    /// `GET /_eddy/triggers`: every trigger's status.
    pub fn status_json(&self) -> Vec<u8> {
        let list: Vec<serde_json::Value> = self.statuses.iter().map(|s| s.to_json()).collect();
        serde_json::to_vec_pretty(&serde_json::json!({ "triggers": list })).unwrap_or_default()
    }
}

/// When a `starting-position=latest` trigger first started (epoch ms): kept beside its
/// checkpoints (`<name>.start`), so a restart skips only what came before the first start.
async fn start_time(host: &HostConfig, name: &str, now_ms: u64) -> Result<u64, String> {
    let dir = match &host.checkpoints {
        Checkpoints::Memory => return Ok(now_ms),
        Checkpoints::Host(host) => return host.start_time(name, now_ms).await,
        Checkpoints::Directory(dir) => dir,
    };
    let path = dir.join(format!("{name}.start"));
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{}: not a start time", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let fail = |e: std::io::Error| format!("{}: {e}", path.display());
            let mut tmp = path.clone().into_os_string();
            tmp.push(".tmp");
            tokio::fs::write(&tmp, now_ms.to_string())
                .await
                .map_err(fail)?;
            let file = tokio::fs::File::open(&tmp).await.map_err(fail)?;
            file.sync_all().await.map_err(fail)?;
            tokio::fs::rename(&tmp, &path).await.map_err(fail)?;
            Ok(now_ms)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The partition key attribute of a stream's table, from DescribeStream's KeySchema.
async fn partition_key(client: &StreamsClient, stream_arn: &str) -> Option<String> {
    let input = DescribeStreamInput::builder()
        .stream_arn(stream_arn)
        .limit(1)
        .build()
        .ok()?;
    let out = client.describe_stream(input).await.ok()?;
    out.stream_description()?
        .key_schema()
        .iter()
        .find(|k| k.key_type() == &KeyType::Hash)
        .map(|k| k.attribute_name().to_owned())
}

/// One trigger: finds its stream, consumes it, and moves on to the next stream of its table.
struct Runner {
    client: StreamsClient,
    clock: Arc<dyn Clock>,
    store: Arc<dyn CheckpointStore>,
    delivery: Arc<Delivery>,
    status: Arc<TriggerStatus>,
}

impl Runner {
    fn new(
        spec: TriggerSpec,
        client: &StreamsClient,
        clock: Arc<dyn Clock>,
        store: Arc<dyn CheckpointStore>,
        status: Arc<TriggerStatus>,
        host: &HostConfig,
        start_ms: Option<u64>,
    ) -> Self {
        let http = HttpClient::default();
        let function = match &spec.target {
            Target::Function { name, .. } => name.clone(),
            _ => spec.name.clone(),
        };
        let function_arn = format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            host.region, host.account_id
        );
        let invoker: Box<dyn Invoke> = match &spec.target {
            Target::Url(url) => Box::new(UrlHandler {
                url: url.clone(),
                client: http.clone(),
            }),
            Target::Function { name, endpoint } => {
                Box::new(InvokeApi::new(endpoint, name, http.clone()))
            }
            Target::Command(command) => Box::new(CommandHandler::new(FunctionEnv {
                command: command.clone(),
                name: function,
                memory_mb: spec.memory_mb,
                region: host.region.clone(),
                account_id: host.account_id.clone(),
                endpoint: host.endpoint.clone(),
                credentials: host.credentials.clone(),
            })),
        };
        let delivery = Delivery::new(Parts {
            spec,
            invoker,
            http,
            clock: Arc::clone(&clock),
            status: Arc::clone(&status),
            function_arn,
            record_expiry: host.record_expiry,
            start_ms,
        });
        Self {
            client: client.clone(),
            clock,
            store,
            delivery: Arc::new(delivery),
            status,
        }
    }

    async fn run(self) {
        let spec = self.delivery.spec();
        // Streams read to their end: a table's next stream is waited for instead.
        let mut ended: HashSet<String> = HashSet::new();
        loop {
            let arn = match &spec.source {
                Source::Stream(arn) => Ok(arn.clone()),
                Source::Table(table) => self.client.latest_stream_arn(table).await,
            };
            let arn = match arn {
                Ok(arn) if !ended.contains(&arn) => arn,
                Ok(_) | Err(ClientError::NoStream { .. } | ClientError::ResourceNotFound(_)) => {
                    self.status.set_state(State::WaitingForStream, None);
                    if matches!(spec.source, Source::Stream(_)) && !ended.is_empty() {
                        return;
                    }
                    self.clock.sleep(LOOKUP_INTERVAL).await;
                    continue;
                }
                Err(e) => {
                    self.status.set_error(e.to_string());
                    self.clock.sleep(LOOKUP_INTERVAL).await;
                    continue;
                }
            };
            self.status.set_state(State::Enabled, Some(&arn));
            self.delivery
                .set_partition_key(partition_key(&self.client, &arn).await);
            let config = ConsumerConfig {
                // A LATEST trigger reads from the start too, skipping what came before its
                // first start (see `start_time`): so no restart, error or new shard skips a
                // record made after it.
                starting_position: StartingPosition::TrimHorizon,
                records_per_call: i32::try_from(
                    (spec.batch_size * spec.parallelization_factor).min(1000),
                )
                .unwrap_or(1000),
                max_batch_records: spec.batch_size * spec.parallelization_factor,
                batching_window: spec.batching_window,
                max_batch_bytes: Some(event::MAX_PAYLOAD_BYTES),
                idle_poll: POLL_INTERVAL,
                rediscover_interval: Duration::from_secs(1),
                handler_retries: u32::MAX,
                worker_id: format!("trigger-{}", spec.name),
                ..ConsumerConfig::default()
            };
            let delivery = Arc::clone(&self.delivery);
            let status = Arc::clone(&self.status);
            let stream = arn.clone();
            let result = StreamConsumer::for_stream(self.client.clone(), &arn)
                .checkpoint_store(Arc::clone(&self.store))
                .clock(Arc::clone(&self.clock))
                .config(config)
                .on_event(move |event| {
                    if let ConsumerEvent::Gathering { shard_id, records } = event {
                        status.shard(&stream, &shard_id, |s| s.gathering = records);
                    }
                })
                .run_with_progress(move |batch| {
                    let delivery = Arc::clone(&delivery);
                    async move { Ok::<_, std::convert::Infallible>(delivery.handle(batch).await) }
                })
                .await;
            match result {
                Ok(summary) if summary.stream_ended => {
                    ended.insert(arn);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(trigger = %spec.name, error = %e, "trigger's consumer stopped");
                    self.status.set_error(e.to_string());
                    self.clock.sleep(LOOKUP_INTERVAL).await;
                }
            }
        }
    }
}
