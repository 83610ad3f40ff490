//! [`StreamConsumer`]: reads every record of a stream exactly once per checkpoint, in order per
//! shard, parents before children.
//!
//! The coordinator finds shards with paged DescribeStream, and asks for a finished shard's
//! children with `ShardFilter` CHILD_SHARDS. A shard is read only once its parent has been read
//! to its end (its checkpoint says so, in whichever worker read it) and its lease is taken;
//! shards that do not depend on each other are read concurrently, up to a limit. It
//! re-describes the stream periodically for splits it has not seen, and stops once the stream
//! is disabled (or its table deleted) and every shard was read to its end.

mod event;
mod shard_reader;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::types::{ShardFilter, ShardFilterType, StreamStatus};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use event::{Batch, ConsumerEvent};
use shard_reader::{Exit, ShardReader, backoff, pause};

use crate::checkpoint::{Checkpoint, CheckpointStore, MemoryCheckpointStore};
use crate::client::StreamsClient;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

/// A handler's error.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
type HandlerFuture = Pin<Box<dyn Future<Output = Result<Handled, HandlerError>> + Send>>;
type Handler = dyn Fn(Batch) -> HandlerFuture + Send + Sync;
type EventSink = dyn Fn(ConsumerEvent) + Send + Sync;

/// How much of a batch a handler dealt with (see [`StreamConsumer::run_with_progress`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Every record: the batch is checkpointed.
    All,
    /// The records up to and including this sequence number: they are checkpointed, and the
    /// rest of the batch comes to the handler again as the next batch.
    Through(String),
}

/// Where a shard with no checkpoint starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record still in the shard.
    #[default]
    TrimHorizon,
    /// After the newest record: shards open when the consumer starts begin at LATEST, shards
    /// already closed then are history and are not read, and shards found later (children)
    /// begin at TRIM_HORIZON, so nothing written after the start is skipped. Shards with a
    /// checkpoint resume from it either way.
    Latest,
}

/// A consumer's settings.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    /// Where shards without a checkpoint start.
    pub starting_position: StartingPosition,
    /// Shards read at the same time, at most.
    pub max_concurrent_shards: usize,
    /// GetRecords' `Limit` (1-1000).
    pub records_per_call: i32,
    /// Records handed to the handler in one batch, at most: pages are gathered until there
    /// are this many, the batching window ends, the shard ends, or its tip is reached with
    /// `stop_at_tip`.
    pub max_batch_records: usize,
    /// How long a batch may gather records, from its first one, before it goes to the
    /// handler; zero hands over each page as it comes.
    pub batching_window: Duration,
    /// A gathering batch goes to the handler once its records, in GetRecords' JSON, reach
    /// this many bytes (None: no limit but `max_batch_records`).
    pub max_batch_bytes: Option<usize>,
    /// Pause after an empty page of an open shard.
    pub idle_poll: Duration,
    /// How often the stream is described again for new shards, its status, and leases to take.
    pub rediscover_interval: Duration,
    /// How long a lease lasts without renewal.
    pub lease_duration: Duration,
    /// This worker's name in lease stores.
    pub worker_id: String,
    /// Stop once every shard is read to its end or to its tip, instead of following it.
    pub stop_at_tip: bool,
    /// Retries of a failed handler call before the consumer stops with
    /// [`Error::Handler`].
    pub handler_retries: u32,
    /// First backoff delay after throttling or a failure; doubles per attempt.
    pub backoff_base: Duration,
    /// Longest backoff delay.
    pub backoff_max: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            starting_position: StartingPosition::TrimHorizon,
            max_concurrent_shards: 16,
            records_per_call: 1000,
            max_batch_records: 1000,
            batching_window: Duration::ZERO,
            max_batch_bytes: None,
            idle_poll: Duration::from_secs(1),
            rediscover_interval: Duration::from_secs(10),
            lease_duration: Duration::from_secs(10),
            worker_id: format!("worker-{:016x}", rand::random::<u64>()),
            stop_at_tip: false,
            handler_retries: 3,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// What a finished run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// The stream read.
    pub stream_arn: String,
    /// Shards read to their end during the run.
    pub shards_ended: usize,
    /// Whether the run stopped because the stream ended (disabled or table deleted, and
    /// fully read).
    pub stream_ended: bool,
}

/// Stops a running consumer gracefully: the batch in hand is finished and checkpointed, and
/// the leases are released.
#[derive(Clone, Debug)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Asks the consumer to stop.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

enum Source {
    Table(String),
    Stream(String),
}

/// What every shard reader of a run shares.
pub(crate) struct Context {
    client: StreamsClient,
    clock: Arc<dyn Clock>,
    store: Arc<dyn CheckpointStore>,
    config: ConsumerConfig,
    handler: Arc<Handler>,
    events: Option<Arc<EventSink>>,
    stream_arn: String,
    shutdown: watch::Receiver<bool>,
    stop: Arc<watch::Sender<bool>>,
}

impl Context {
    fn emit(&self, event: ConsumerEvent) {
        if let Some(sink) = &self.events {
            sink(event);
        }
    }
}

/// Reads a stream's records and hands them, a page at a time, to a handler.
///
/// ```no_run
/// # async fn example(client: eddy_client::StreamsClient) -> Result<(), eddy_client::Error> {
/// use eddy_client::{ConsumerConfig, StreamConsumer};
/// let summary = StreamConsumer::for_table(client, "Orders")
///     .config(ConsumerConfig { stop_at_tip: true, ..Default::default() })
///     .run(|batch| async move {
///         for record in batch.records.iter() {
///             println!("{:?} {:?}", record.event_name(), record.dynamodb());
///         }
///         Ok::<(), std::io::Error>(())
///     })
///     .await?;
/// # Ok(()) }
/// ```
pub struct StreamConsumer {
    client: StreamsClient,
    clock: Arc<dyn Clock>,
    source: Source,
    store: Arc<dyn CheckpointStore>,
    config: ConsumerConfig,
    events: Option<Arc<EventSink>>,
    shutdown: Arc<watch::Sender<bool>>,
}

impl StreamConsumer {
    /// A consumer of the table's latest stream, checkpointing in memory.
    pub fn for_table(client: StreamsClient, table: impl Into<String>) -> Self {
        Self::new(client, Source::Table(table.into()))
    }

    /// A consumer of the stream with this ARN, checkpointing in memory.
    pub fn for_stream(client: StreamsClient, stream_arn: impl Into<String>) -> Self {
        Self::new(client, Source::Stream(stream_arn.into()))
    }

    fn new(client: StreamsClient, source: Source) -> Self {
        Self {
            client,
            clock: Arc::new(SystemClock),
            source,
            store: Arc::new(MemoryCheckpointStore::new()),
            config: ConsumerConfig::default(),
            events: None,
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    /// Where checkpoints (and leases) are kept.
    pub fn checkpoint_store(mut self, store: Arc<dyn CheckpointStore>) -> Self {
        self.store = store;
        self
    }

    /// The consumer's settings.
    pub fn config(mut self, config: ConsumerConfig) -> Self {
        self.config = config;
        self
    }

    /// The clock that idle polls, backoffs and batching windows wait by (the system's by
    /// default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Calls `sink` with every [`ConsumerEvent`] (gaps, expired iterators, backoffs, …).
    pub fn on_event(mut self, sink: impl Fn(ConsumerEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(sink));
        self
    }

    /// A handle that stops the consumer gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(Arc::clone(&self.shutdown))
    }

    /// Reads until the stream ends, the consumer is shut down, or (with `stop_at_tip`) every
    /// shard is read to its end or tip. Each page of records goes to `handler`; it is
    /// checkpointed only once the handler returned Ok.
    ///
    /// # Errors
    /// [`Error::NoStream`] or [`Error::ResourceNotFound`] when the table or stream is not
    /// there; [`Error::Handler`] when the handler kept failing; a checkpoint store's failure;
    /// a service error that retrying cannot cure.
    pub async fn run<F, Fut, E>(self, handler: F) -> Result<RunSummary>
    where
        F: Fn(Batch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        self.run_with_progress(move |batch| {
            let fut = handler(batch);
            async move { fut.await.map(|()| Handled::All) }
        })
        .await
    }

    /// As [`StreamConsumer::run`], with a handler that may deal with only the first part of
    /// a batch ([`Handled::Through`]): that part is checkpointed, and the rest is handed to
    /// it again as the next batch.
    ///
    /// # Errors
    /// As [`StreamConsumer::run`].
    pub async fn run_with_progress<F, Fut, E>(self, handler: F) -> Result<RunSummary>
    where
        F: Fn(Batch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Handled, E>> + Send + 'static,
        E: Into<HandlerError> + 'static,
    {
        let stream_arn = match &self.source {
            Source::Stream(arn) => arn.clone(),
            Source::Table(table) => self.client.latest_stream_arn(table).await?,
        };
        let handler = Arc::new(move |batch: Batch| -> HandlerFuture {
            let fut = handler(batch);
            Box::pin(async move { fut.await.map_err(Into::into) })
        });
        let ctx = Arc::new(Context {
            client: self.client,
            clock: self.clock,
            store: self.store,
            config: self.config,
            handler,
            events: self.events,
            stream_arn,
            shutdown: self.shutdown.subscribe(),
            stop: self.shutdown,
        });
        Coordinator::new(ctx).run().await
    }
}

#[derive(Clone, Debug)]
struct ShardInfo {
    parent: Option<String>,
    closed: bool,
}

/// Decides which shards to read, and when the run is over.
struct Coordinator {
    ctx: Arc<Context>,
    known: BTreeMap<String, ShardInfo>,
    /// Shards open when the run started: only they may start at LATEST.
    open_at_start: HashSet<String>,
    finished: HashSet<String>,
    at_tip: HashSet<String>,
    running: HashSet<String>,
    gaps_reported: HashSet<String>,
    disabled: bool,
    summary: RunSummary,
}

impl Coordinator {
    fn new(ctx: Arc<Context>) -> Self {
        let summary = RunSummary {
            stream_arn: ctx.stream_arn.clone(),
            ..RunSummary::default()
        };
        Self {
            ctx,
            known: BTreeMap::new(),
            open_at_start: HashSet::new(),
            finished: HashSet::new(),
            at_tip: HashSet::new(),
            running: HashSet::new(),
            gaps_reported: HashSet::new(),
            disabled: false,
            summary,
        }
    }

    async fn run(mut self) -> Result<RunSummary> {
        let ctx = Arc::clone(&self.ctx);
        let open = self.discover_all().await?;
        if ctx.config.starting_position == StartingPosition::Latest {
            self.skip_history().await?;
        }
        self.open_at_start = open;
        let mut readers: JoinSet<(String, Result<Exit>)> = JoinSet::new();
        let mut tasks: HashMap<tokio::task::Id, String> = HashMap::new();
        let mut shutdown = ctx.shutdown.clone();
        let mut failure: Option<Error> = None;
        let mut next_discovery = tokio::time::Instant::now() + ctx.config.rediscover_interval;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.schedule(&mut readers, &mut tasks).await {
                failure = Some(e);
                break;
            }
            if readers.is_empty() {
                let all_finished = self.known.keys().all(|s| self.finished.contains(s));
                if self.disabled && all_finished {
                    self.summary.stream_ended = true;
                    ctx.emit(ConsumerEvent::StreamEnded {
                        stream_arn: ctx.stream_arn.clone(),
                    });
                    break;
                }
                if ctx.config.stop_at_tip
                    && self
                        .known
                        .keys()
                        .all(|s| self.finished.contains(s) || self.at_tip.contains(s))
                {
                    break;
                }
            }
            tokio::select! {
                Some(joined) = readers.join_next_with_id(), if !readers.is_empty() => {
                    let (shard, exit) = match joined {
                        Ok((id, done)) => {
                            tasks.remove(&id);
                            done
                        }
                        Err(e) => {
                            // A reader that panicked (in the handler): its lease is released
                            // so the shard does not wait for the lease to expire.
                            if let Some(shard) = tasks.remove(&e.id()) {
                                self.running.remove(&shard);
                                self.release(&shard).await;
                            }
                            failure = Some(Error::Handler(Box::new(e)));
                            break;
                        }
                    };
                    if let Err(e) = self.reader_done(shard, exit).await {
                        failure = Some(e);
                        break;
                    }
                }
                () = tokio::time::sleep_until(next_discovery) => {
                    next_discovery = tokio::time::Instant::now() + ctx.config.rediscover_interval;
                    match self.discover_all().await {
                        Ok(_) => {}
                        Err(Error::ResourceNotFound(_)) => {
                            // Retention removed the whole stream: nothing more to read.
                            self.disabled = true;
                            self.known.retain(|s, _| self.running.contains(s));
                        }
                        Err(e) if e.is_retryable() => ctx.emit(ConsumerEvent::Backoff {
                            shard_id: None,
                            error: e.to_string(),
                        }),
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                _ = shutdown.changed() => {}
            }
        }
        // Readers finish the batch in hand and checkpoint it; then every lease is released.
        self.ctx.shutdown_readers();
        while let Some(joined) = readers.join_next_with_id().await {
            let (shard, exit) = match joined {
                Ok((_, done)) => done,
                Err(e) => match tasks.remove(&e.id()) {
                    Some(shard) => (shard, Err(Error::Handler(Box::new(e)))),
                    None => continue,
                },
            };
            if let Err(e) = exit {
                failure.get_or_insert(e);
            }
            self.release(&shard).await;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(self.summary),
        }
    }

    /// Starts readers for every shard that may be read now, up to the concurrency limit.
    async fn schedule(
        &mut self,
        readers: &mut JoinSet<(String, Result<Exit>)>,
        tasks: &mut HashMap<tokio::task::Id, String>,
    ) -> Result<()> {
        let ctx = Arc::clone(&self.ctx);
        let candidates: Vec<(String, ShardInfo)> = self
            .known
            .iter()
            .filter(|(s, _)| {
                !self.finished.contains(*s)
                    && !self.running.contains(*s)
                    && !self.at_tip.contains(*s)
            })
            .map(|(s, i)| (s.clone(), i.clone()))
            .collect();
        for (shard, info) in candidates {
            if self.running.len() >= ctx.config.max_concurrent_shards.max(1) {
                break;
            }
            if let Some(parent) = &info.parent {
                if !self.known.contains_key(parent) {
                    self.report_lost_parent(parent).await?;
                }
                if !self.is_finished(parent).await? {
                    continue;
                }
            }
            if self.is_finished(&shard).await? {
                continue;
            }
            let leased = ctx
                .store
                .acquire(
                    &ctx.stream_arn,
                    &shard,
                    &ctx.config.worker_id,
                    ctx.config.lease_duration,
                )
                .await?;
            if !leased {
                continue;
            }
            let latest = ctx.config.starting_position == StartingPosition::Latest
                && self.open_at_start.contains(&shard);
            let reader = ShardReader::new(Arc::clone(&ctx), shard.clone());
            self.running.insert(shard.clone());
            let closed = info.closed;
            let task = shard.clone();
            let handle = readers.spawn(async move {
                let exit = reader.run(latest, closed).await;
                (task, exit)
            });
            tasks.insert(handle.id(), shard);
        }
        Ok(())
    }

    /// A LATEST start leaves out shards that were closed before it and hold no checkpoint:
    /// their records came before the start.
    async fn skip_history(&mut self) -> Result<()> {
        let closed: Vec<String> = self
            .known
            .iter()
            .filter(|(_, info)| info.closed)
            .map(|(id, _)| id.clone())
            .collect();
        for shard in closed {
            if self
                .ctx
                .store
                .get(&self.ctx.stream_arn, &shard)
                .await?
                .is_none()
            {
                self.finished.insert(shard);
            }
        }
        Ok(())
    }

    /// Whether the shard was read to its end, by this worker or another; a shard no longer
    /// described (trimmed away) counts as finished.
    async fn is_finished(&mut self, shard: &str) -> Result<bool> {
        if self.finished.contains(shard) {
            return Ok(true);
        }
        if !self.known.contains_key(shard) {
            return Ok(true);
        }
        let ctx = &self.ctx;
        if ctx.store.get(&ctx.stream_arn, shard).await? == Some(Checkpoint::ShardEnd) {
            self.finished.insert(shard.to_owned());
            return Ok(true);
        }
        Ok(false)
    }

    /// A parent that retention removed before it was read to its end: what it held after
    /// its checkpoint is lost to this consumer, which says so once.
    async fn report_lost_parent(&mut self, parent: &str) -> Result<()> {
        if !self.gaps_reported.insert(parent.to_owned()) {
            return Ok(());
        }
        let ctx = &self.ctx;
        if let Some(Checkpoint::Sequence(after)) = ctx.store.get(&ctx.stream_arn, parent).await? {
            ctx.emit(ConsumerEvent::Gap {
                shard_id: parent.to_owned(),
                after: Some(after),
            });
        }
        Ok(())
    }

    async fn reader_done(&mut self, shard: String, exit: Result<Exit>) -> Result<()> {
        self.running.remove(&shard);
        let exit = match exit {
            Ok(exit) => exit,
            Err(e) => {
                self.release(&shard).await;
                return Err(e);
            }
        };
        match exit {
            Exit::Ended => {
                self.finished.insert(shard.clone());
                self.summary.shards_ended += 1;
                self.release(&shard).await;
                self.discover_children(&shard).await?;
            }
            Exit::AtTip => {
                self.at_tip.insert(shard.clone());
                self.release(&shard).await;
            }
            Exit::Gone => {
                self.finished.insert(shard.clone());
                self.release(&shard).await;
            }
            // Another worker reads it now; it is tried again after that lease expires.
            Exit::LeaseLost | Exit::Stopped => {}
        }
        Ok(())
    }

    async fn release(&self, shard: &str) {
        let ctx = &self.ctx;
        if let Err(e) = ctx
            .store
            .release(&ctx.stream_arn, shard, &ctx.config.worker_id)
            .await
        {
            tracing::warn!(shard, error = %e, "releasing a lease failed; it will expire");
        }
    }

    /// Describes the whole stream; returns the open shards.
    async fn discover_all(&mut self) -> Result<HashSet<String>> {
        let ctx = Arc::clone(&self.ctx);
        let input = DescribeStreamInput::builder()
            .stream_arn(&ctx.stream_arn)
            .build()
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let description = retry(&ctx, || {
            ctx.client
                .describe_stream_paginator(input.clone())
                .collect()
        })
        .await?;
        self.disabled = matches!(
            description.stream_status(),
            Some(StreamStatus::Disabled | StreamStatus::Disabling)
        );
        let mut known = BTreeMap::new();
        let mut open = HashSet::new();
        for shard in description.shards() {
            let Some(id) = shard.shard_id() else { continue };
            let closed = shard
                .sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .is_some();
            if closed {
                // A shard left at its tip has closed since: read it to its end, or its
                // children would wait for it forever.
                self.at_tip.remove(id);
            } else {
                open.insert(id.to_owned());
            }
            known.insert(
                id.to_owned(),
                ShardInfo {
                    parent: shard.parent_shard_id().map(str::to_owned),
                    closed,
                },
            );
        }
        for running in &self.running {
            if !known.contains_key(running)
                && let Some(info) = self.known.get(running)
            {
                known.insert(running.clone(), info.clone());
            }
        }
        self.known = known;
        Ok(open)
    }

    /// Asks for a finished shard's children (`ShardFilter` CHILD_SHARDS), so they are read
    /// without waiting for the next full description.
    async fn discover_children(&mut self, shard: &str) -> Result<()> {
        let ctx = Arc::clone(&self.ctx);
        let input = DescribeStreamInput::builder()
            .stream_arn(&ctx.stream_arn)
            .shard_filter(
                ShardFilter::builder()
                    .r#type(ShardFilterType::ChildShards)
                    .shard_id(shard)
                    .build(),
            )
            .build()
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let children = retry(&ctx, || {
            let input = input.clone();
            let client = ctx.client.clone();
            async move {
                let mut shards = client.describe_stream_paginator(input).items();
                let mut out = Vec::new();
                while let Some(s) = shards.next().await {
                    out.push(s?);
                }
                Ok(out)
            }
        })
        .await;
        let children = match children {
            Ok(c) => c,
            Err(Error::ResourceNotFound(_)) => return Ok(()),
            // The next full description finds the children all the same.
            Err(e) if e.is_retryable() => return Ok(()),
            Err(e) => return Err(e),
        };
        for child in children {
            if let Some(id) = child.shard_id() {
                let closed = child
                    .sequence_number_range()
                    .and_then(|r| r.ending_sequence_number())
                    .is_some();
                self.known.entry(id.to_owned()).or_insert(ShardInfo {
                    parent: Some(shard.to_owned()),
                    closed,
                });
            }
        }
        Ok(())
    }
}

impl Context {
    /// Tells every reader to stop after the batch in hand.
    fn shutdown_readers(&self) {
        self.stop.send_replace(true);
    }
}

/// Runs `f` until it succeeds or fails with an error retrying cannot cure, backing off with
/// jitter between attempts.
pub(crate) async fn retry<T, F, Fut>(ctx: &Context, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt < 8 => {
                ctx.emit(ConsumerEvent::Backoff {
                    shard_id: None,
                    error: e.to_string(),
                });
                attempt += 1;
                if pause(ctx, backoff(ctx, attempt)).await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}
