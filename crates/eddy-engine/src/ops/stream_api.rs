//! The DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator, GetRecords), the
//! stream side of CreateTable/UpdateTable/DeleteTable, the test-control split, and the
//! background work that rolls shards over and trims records.

use std::ops::Bound;
use std::sync::Arc;

use eddy_storage::{Direction, WriteBatch};
use eddy_streams::{
    Position, SequenceNumber, ShardIterator, StreamRecord, StreamViewType, StreamsError,
    parse_stream_arn, stream_arn, stream_creation_ms, stream_label,
};

use crate::keys::prefix_end;
use crate::keys::{record_key, shard_prefix};
use crate::model::error::{EngineError, Result};
use crate::model::schema::{KeySchema, TableDef};
use crate::model::scope::Scope;
use crate::state::catalog::Table;
use crate::state::cluster::{CatalogGuard, Lead};
use crate::state::engine::Engine;
use crate::state::streams::Stream;

/// The most record data one GetRecords returns.
const MAX_RECORDS_BYTES: usize = 1024 * 1024;

/// One entry of ListStreams.
#[derive(Clone, Debug)]
pub struct StreamSummary {
    /// StreamArn.
    pub stream_arn: String,
    /// TableName.
    pub table_name: String,
    /// StreamLabel.
    pub stream_label: String,
}

/// One shard of DescribeStream.
#[derive(Clone, Debug)]
pub struct ShardDescription {
    /// ShardId.
    pub shard_id: String,
    /// ParentShardId.
    pub parent_shard_id: Option<String>,
    /// StartingSequenceNumber.
    pub starting_sequence_number: String,
    /// EndingSequenceNumber (closed shards).
    pub ending_sequence_number: Option<String>,
}

/// DescribeStream's StreamDescription.
#[derive(Clone, Debug)]
pub struct StreamDescription {
    /// StreamArn.
    pub stream_arn: String,
    /// StreamLabel.
    pub stream_label: String,
    /// ENABLED or DISABLED.
    pub stream_status: &'static str,
    /// StreamViewType.
    pub view_type: StreamViewType,
    /// CreationRequestDateTime, epoch ms.
    pub created_ms: u64,
    /// TableName.
    pub table_name: String,
    /// The table's KeySchema.
    pub key_schema: KeySchema,
    /// This page of shards.
    pub shards: Vec<ShardDescription>,
    /// LastEvaluatedShardId.
    pub last_evaluated_shard_id: Option<String>,
}

/// GetShardIterator's ShardIteratorType with its sequence number.
#[derive(Clone, Copy, Debug)]
pub enum IteratorType {
    /// TRIM_HORIZON.
    TrimHorizon,
    /// LATEST.
    Latest,
    /// AT_SEQUENCE_NUMBER.
    AtSequence(SequenceNumber),
    /// AFTER_SEQUENCE_NUMBER.
    AfterSequence(SequenceNumber),
}

/// A stream's size, for the metrics.
#[derive(Clone, Debug)]
pub struct StreamGauge {
    /// The stream's ARN.
    pub arn: String,
    /// Its table's name.
    pub table: String,
    /// Records appended since the stream was enabled (trimmed ones included).
    pub records_written: u64,
    /// Shards open for writes.
    pub open_shards: usize,
}

/// GetRecords' answer.
#[derive(Clone, Debug)]
pub struct RecordsPage {
    /// The stream the records belong to (for eventID).
    pub stream_arn: String,
    /// Records in sequence order.
    pub records: Vec<StreamRecord>,
    /// NextShardIterator; None once a closed shard was read to its end.
    pub next_iterator: Option<String>,
}

fn stream_not_found(arn: &str) -> EngineError {
    EngineError::ResourceNotFound(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

impl Engine {
    fn stream(&self, arn: &str) -> Result<Arc<Stream>> {
        parse_stream_arn(arn).map_err(EngineError::Streams)?;
        if !self.scope().owns_arn(arn) {
            return Err(stream_not_found(arn));
        }
        self.find_stream(arn)?.ok_or_else(|| stream_not_found(arn))
    }

    /// The live table a stream belongs to (in the stream's own scope, whichever this view's
    /// is), unless it was deleted or re-created since.
    fn stream_table(&self, stream: &Stream) -> Option<Arc<Table>> {
        let parts = parse_stream_arn(&stream.arn).ok()?;
        self.catalog()
            .get(&Scope::new(parts.account, parts.region), &stream.table_name)
            .filter(|t| t.def().id == stream.table_id)
    }

    /// Enables a new stream on a table (CreateTable, UpdateTable): records it in `def` and adds
    /// the stream's records to `batch`, which the caller commits with the new `def`, so the
    /// table and its stream change together. The caller holds the table's write lock or owns
    /// the table alone, and points the table at the returned stream once committed.
    pub(crate) fn enable_stream(
        &self,
        ids: &CatalogGuard,
        batch: &mut WriteBatch,
        def: &mut TableDef,
        view_type: StreamViewType,
    ) -> Result<Arc<Stream>> {
        let mut created_ms = stream_creation_ms(self.clock().now_ms(), def.last_stream_ms);
        // A table deleted and re-created under the same name within one millisecond has no
        // `last_stream_ms`, and its predecessor's stream lives on: never reuse its ARN.
        let (label, arn) = loop {
            let label = stream_label(created_ms);
            let arn = stream_arn(&def.scope.region, &def.scope.account_id, &def.name, &label);
            if self.streams().get(&arn).is_none() {
                break (label, arn);
            }
            created_ms += 1;
        };
        let stream = self.streams().create(
            ids,
            batch,
            arn.clone(),
            label.clone(),
            created_ms,
            &def.name,
            def.id,
            view_type,
            def.key_schema.clone(),
        )?;
        def.stream_view_type = Some(view_type);
        def.latest_stream_arn = Some(arn);
        def.latest_stream_label = Some(label);
        def.last_stream_ms = Some(created_ms);
        Ok(stream)
    }

    /// Disables a table's enabled stream (UpdateTable, DeleteTable): records it in `def` and
    /// adds the stream's record to `batch`, committed with the table change. The caller holds
    /// the table's write lock and clears the table's stream once committed.
    pub(crate) fn disable_stream(
        &self,
        batch: &mut WriteBatch,
        table: &Table,
        def: &mut TableDef,
    ) -> Result<()> {
        if let Some(stream) = table.stream() {
            self.streams()
                .disable(batch, &stream, self.clock().now_ms())?;
        }
        def.stream_view_type = None;
        Ok(())
    }

    /// Every stream's size, in every scope, for the metrics: a disabled stream has no open
    /// shards.
    pub fn stream_gauges(&self) -> Vec<StreamGauge> {
        self.streams()
            .all()
            .iter()
            .map(|stream| {
                let state = stream.state.lock();
                StreamGauge {
                    arn: stream.arn.clone(),
                    table: stream.table_name.clone(),
                    records_written: state
                        .map
                        .next_sequence_number()
                        .value()
                        .saturating_sub(SequenceNumber::FIRST.value())
                        as u64,
                    open_shards: state.map.open_shards().count(),
                }
            })
            .collect()
    }

    /// ListStreams: streams in ARN order after `exclusive_start`, of one table if given;
    /// LastEvaluatedStreamArn when the page is full.
    ///
    /// # Errors
    /// ValidationException for a malformed start ARN.
    pub fn list_streams(
        &self,
        table_name: Option<&str>,
        limit: usize,
        exclusive_start: Option<&str>,
    ) -> Result<(Vec<StreamSummary>, Option<String>)> {
        if let Some(arn) = exclusive_start {
            parse_stream_arn(arn).map_err(EngineError::Streams)?;
        }
        self.refresh()?;
        let page: Vec<StreamSummary> = self
            .streams()
            .after(exclusive_start)
            .into_iter()
            .filter(|s| self.scope().owns_arn(&s.arn))
            .filter(|s| table_name.is_none_or(|t| t == s.table_name))
            .take(limit)
            .map(|s| StreamSummary {
                stream_arn: s.arn.clone(),
                table_name: s.table_name.clone(),
                stream_label: s.label.clone(),
            })
            .collect();
        let last = (page.len() == limit)
            .then(|| page.last().map(|s| s.stream_arn.clone()))
            .flatten();
        Ok((page, last))
    }

    /// DescribeStream.
    ///
    /// # Errors
    /// ValidationException for a malformed ARN; ResourceNotFoundException for a stream that
    /// doesn't exist.
    pub fn describe_stream(
        &self,
        arn: &str,
        limit: usize,
        exclusive_start_shard_id: Option<&str>,
        children_of: Option<&str>,
    ) -> Result<StreamDescription> {
        let stream = self.stream(arn)?;
        let state = stream.state.lock();
        let (page, last) = state
            .map
            .describe(exclusive_start_shard_id, limit, children_of);
        let shards = page
            .into_iter()
            .map(|s| ShardDescription {
                shard_id: s.shard_id().to_string(),
                parent_shard_id: s.parent_shard_id().map(ToString::to_string),
                starting_sequence_number: s.starting_sequence_number().to_string(),
                ending_sequence_number: s.ending_sequence_number().map(|e| e.to_string()),
            })
            .collect();
        Ok(StreamDescription {
            stream_arn: stream.arn.clone(),
            stream_label: stream.label.clone(),
            stream_status: if state.enabled { "ENABLED" } else { "DISABLED" },
            view_type: stream.view_type,
            created_ms: stream.created_ms,
            table_name: stream.table_name.clone(),
            key_schema: stream.key_schema.clone(),
            shards,
            last_evaluated_shard_id: last.map(|l| l.to_string()),
        })
    }

    /// GetShardIterator.
    ///
    /// # Errors
    /// ValidationException for a malformed ARN; ResourceNotFoundException for an unknown
    /// stream or shard; TrimmedDataAccessException for a trimmed sequence number.
    pub fn get_shard_iterator(
        &self,
        arn: &str,
        shard_id: &str,
        kind: IteratorType,
    ) -> Result<String> {
        let stream = self.stream(arn)?;
        let state = stream.state.lock();
        let shard = state.map.shard(shard_id).ok_or_else(|| {
            EngineError::Streams(StreamsError::ShardNotFound(shard_id.to_owned()))
        })?;
        let position = match kind {
            IteratorType::TrimHorizon => Position::TrimHorizon,
            IteratorType::Latest => shard.latest_position(),
            IteratorType::AtSequence(seq) => Position::AtSequence(seq),
            IteratorType::AfterSequence(seq) => Position::AfterSequence(seq),
        };
        shard.read_start(&position).map_err(EngineError::Streams)?;
        let iterator = ShardIterator {
            stream_arn: stream.arn.clone(),
            shard_id: shard.shard_id().clone(),
            position,
            issued_ms: self.clock().now_ms(),
        };
        Ok(iterator.encode(&self.streams().iterator_key))
    }

    /// The stream ARN and shard id an iterator reads, or None when eddy did not issue it.
    /// Lets the server rate-limit GetRecords per shard before reading.
    pub fn iterator_shard(&self, iterator: &str) -> Option<(String, String)> {
        let it = ShardIterator::decode(&self.streams().iterator_key, iterator).ok()?;
        Some((it.stream_arn, it.shard_id.as_str().to_owned()))
    }

    /// GetRecords: up to `limit` records (and 1 MB) from the iterator's position.
    ///
    /// # Errors
    /// ValidationException for an iterator eddy did not issue; ExpiredIteratorException;
    /// TrimmedDataAccessException when the position was trimmed.
    pub fn get_records(&self, iterator: &str, limit: usize) -> Result<RecordsPage> {
        let registry = self.streams();
        let it = ShardIterator::decode(&registry.iterator_key, iterator)
            .map_err(EngineError::Streams)?;
        let now = self.clock().now_ms();
        if it.is_expired(now, registry.config.iterator_lifetime_ms) {
            return Err(EngineError::Streams(StreamsError::ExpiredIterator));
        }
        let stream = self
            .find_stream(&it.stream_arn)?
            .ok_or(EngineError::Streams(StreamsError::TrimmedDataAccess))?;
        let shard = stream
            .state
            .lock()
            .map
            .shard(it.shard_id.as_str())
            .cloned()
            .ok_or(EngineError::Streams(StreamsError::TrimmedDataAccess))?;
        // The shard is looked at before the snapshot is taken: a shard closes only under its
        // table's write lock, so if it was closed then, the snapshot holds all its records
        // and reading them to the end really is the end.
        let start = shard
            .read_start(&it.position)
            .map_err(EngineError::Streams)?;
        let from = record_key(stream.id, it.shard_id.as_str(), start);
        let end = prefix_end(&shard_prefix(stream.id, it.shard_id.as_str()));
        let snap = self.storage().snapshot();
        let mut records = Vec::new();
        let mut bytes = 0usize;
        let mut reached_end = true;
        for entry in snap.range(
            Bound::Included(&from[..]),
            Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            if records.len() >= limit {
                reached_end = false;
                break;
            }
            let (_, value) = entry?;
            let record = StreamRecord::decode(&value).map_err(EngineError::Streams)?;
            // The page stays within 1 MB; a record never exceeds it alone (two 400 KB images
            // and keys), so every page with records left to read returns at least one.
            if !records.is_empty() && bytes + record.size_bytes() > MAX_RECORDS_BYTES {
                reached_end = false;
                break;
            }
            bytes += record.size_bytes();
            records.push(record);
        }
        let last = records.last().map(StreamRecord::sequence_number);
        let next = shard
            .next_position(&it.position, last, reached_end)
            .map(|position| {
                ShardIterator {
                    stream_arn: it.stream_arn.clone(),
                    shard_id: it.shard_id.clone(),
                    position,
                    issued_ms: now,
                }
                .encode(&registry.iterator_key)
            });
        Ok(RecordsPage {
            stream_arn: it.stream_arn,
            records,
            next_iterator: next,
        })
    }

    /// Splits an open shard's partition (test control): the shard closes and two children
    /// open.
    ///
    /// # Errors
    /// ResourceNotFoundException for an unknown stream or shard; ValidationException for a
    /// closed shard.
    pub fn split_shard(&self, arn: &str, shard_id: &str) -> Result<()> {
        let stream = self.stream(arn)?;
        let table = self.stream_table(&stream);
        let _guard = table.as_ref().map(|t| self.lock_table(t)).transpose()?;
        let mut state = stream.state.lock();
        if state.map.shard(shard_id).is_none() {
            return Err(EngineError::Streams(StreamsError::ShardNotFound(
                shard_id.to_owned(),
            )));
        }
        state
            .map
            .split(shard_id, self.clock().now_ms())
            .map_err(EngineError::Streams)?;
        let mut batch = eddy_storage::WriteBatch::new();
        stream.persist(&mut state, &mut batch)?;
        self.storage().commit(batch)?;
        Ok(())
    }

    /// Runs the work that has become due by the engine's clock: shard rollover, record
    /// trimming and (when its interval has passed, or `force_ttl`) the TTL sweep. The server
    /// calls it periodically, and with `force_ttl` after every clock advance.
    ///
    /// # Errors
    /// A storage error.
    pub fn run_due_work(&self, force_ttl: bool) -> Result<()> {
        self.sync_clock()?;
        self.sweep_ttl_if_due(force_ttl)?;
        let now = self.clock().now_ms();
        for stream in self.streams().all() {
            if stream.state.lock().enabled
                && let Some(table) = self.stream_table(&stream)
            {
                let _guard = self.lock_table(&table)?;
                self.streams().roll_over(self.storage(), &stream, now)?;
            }
            self.streams().trim(self.storage(), &stream, now)?;
        }
        Ok(())
    }

    /// What the server does once a second: on shared storage, catches up with what other
    /// processes changed; then, on the one process leading (see `state/cluster.rs`), runs
    /// the due background work. A process that has just become the leader first takes over
    /// what the previous one left: deletions of dropped tables, unfinished index builds.
    ///
    /// # Errors
    /// A storage error.
    pub fn tick(&self) -> Result<()> {
        self.refresh()?;
        match self.lead()? {
            Lead::Follower => return Ok(()),
            Lead::Elected if self.is_shared() => {
                if let Err(e) = self.janitor().resume(self.storage()) {
                    // Without the takeover, leading would leave the previous leader's work
                    // undone for good: give the leadership up, to be taken (and the takeover
                    // tried) again.
                    self.resign();
                    return Err(e);
                }
                self.restart_backfills();
            }
            Lead::Elected | Lead::Leading => {}
        }
        if self.is_shared() {
            crate::state::tokens::Tokens::forget_stored(self.storage(), self.clock().now_ms())?;
        }
        self.run_due_work(false)
    }
}
