//! DynamoDB Streams inside the engine: the registry of streams, the hook that adds a stream
//! record to an item write's batch, and the background work (rollover, trimming, clean-up).
//!
//! A stream outlives its enabling: after a disable or a DeleteTable it stays readable until
//! retention has trimmed every record. So streams live in their own registry, keyed by ARN,
//! and a table only points at its enabled stream.
//!
//! Storage: the stream's description and shard map under `T | stream id`, each record under
//! `R | stream id | shard id | sequence number (16 bytes BE)`. The shard map is persisted
//! whenever its shape changes (rollover, split, close, trim); the per-write part of it (each
//! shard's newest record and the sequence counter) is rebuilt from the records on load.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use eddy_storage::{Direction, Storage, WriteBatch};
use eddy_streams::{
    IteratorKey, SequenceNumber, ShardId, ShardMap, StreamRecord, StreamViewType, build_record,
    shard_hash,
};
use eddy_types::{Item, encode_key_value};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::keys::{
    ITERATOR_KEY, NEXT_STREAM_ID, STREAM, prefix_end, record_key, record_seq, shard_prefix,
    stream_key,
};
use crate::model::error::{EngineError, Result};
use crate::model::schema::KeySchema;

/// Durations and shape of streams, all settings of the server.
#[derive(Clone, Debug)]
pub struct StreamsConfig {
    /// Partitions (open shards) of a new table's stream.
    pub table_partitions: u32,
    /// How long a shard stays open before it rolls over.
    pub shard_lifetime_ms: u64,
    /// How long records stay readable.
    pub retention_ms: u64,
    /// How long a shard iterator stays valid.
    pub iterator_lifetime_ms: u64,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            table_partitions: 1,
            shard_lifetime_ms: 4 * 3600 * 1000,
            retention_ms: 24 * 3600 * 1000,
            iterator_lifetime_ms: 15 * 60 * 1000,
        }
    }
}

/// What is persisted of a stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredStream {
    id: u64,
    arn: String,
    table_name: String,
    table_id: u64,
    label: String,
    created_ms: u64,
    view_type: StreamViewType,
    key_schema: KeySchema,
    enabled: bool,
    map: ShardMap,
}

/// The part of a stream that changes.
#[derive(Debug)]
pub(crate) struct StreamState {
    /// False once disabled or its table deleted: no new records, shards closed.
    pub enabled: bool,
    /// Shards and their lineage.
    pub map: ShardMap,
}

/// One stream.
#[derive(Debug)]
pub(crate) struct Stream {
    pub id: u64,
    pub arn: String,
    pub table_name: String,
    pub table_id: u64,
    pub label: String,
    pub created_ms: u64,
    pub view_type: StreamViewType,
    pub key_schema: KeySchema,
    pub state: Mutex<StreamState>,
}

impl Stream {
    fn stored(&self, state: &StreamState) -> StoredStream {
        StoredStream {
            id: self.id,
            arn: self.arn.clone(),
            table_name: self.table_name.clone(),
            table_id: self.table_id,
            label: self.label.clone(),
            created_ms: self.created_ms,
            view_type: self.view_type,
            key_schema: self.key_schema.clone(),
            enabled: state.enabled,
            map: state.map.clone(),
        }
    }

    /// Adds the description and shard map to `batch`.
    pub(crate) fn persist(&self, state: &StreamState, batch: &mut WriteBatch) -> Result<()> {
        let bytes = serde_json::to_vec(&self.stored(state))
            .map_err(|e| EngineError::Corrupt(format!("stream record: {e}")))?;
        batch.put(stream_key(self.id), bytes);
        Ok(())
    }

    /// Adds the record of an item change to `batch` (none when the stream is disabled). The
    /// caller has established that the item changed (`stage_change` returns early on equal
    /// versions, so the items are not compared again here) and holds the table's write lock
    /// through the commit, so records commit in sequence-number order.
    pub(crate) fn append(
        &self,
        batch: &mut WriteBatch,
        old: Option<&Item>,
        new: Option<&Item>,
        now_ms: u64,
        ttl_delete: bool,
    ) {
        let Some(item) = new.or(old) else {
            return;
        };
        let mut keys = Item::new();
        for attr in std::iter::once(&self.key_schema.hash).chain(self.key_schema.range.as_ref()) {
            if let Some(v) = item.get(&attr.name) {
                keys.insert(attr.name.clone(), v.clone());
            }
        }
        let Some(pk) = keys.get(&self.key_schema.hash.name) else {
            return;
        };
        let mut encoded = Vec::with_capacity(32);
        encode_key_value(pk, &mut encoded);
        let hash = shard_hash(&encoded);
        let mut state = self.state.lock();
        if !state.enabled {
            return;
        }
        let Some((shard, seq)) = state.map.assign(hash, now_ms) else {
            return;
        };
        let key = record_key(self.id, shard.as_str(), seq);
        drop(state);
        if let Some(record) = build_record(self.view_type, keys, old, new, seq, now_ms, ttl_delete)
        {
            batch.put(key, record.encode());
        }
    }
}

/// Every stream, by ARN.
#[derive(Debug)]
pub(crate) struct StreamRegistry {
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    next_id: Mutex<u64>,
    /// Signs shard iterators; kept in storage so iterators survive a restart.
    pub iterator_key: IteratorKey,
    pub config: StreamsConfig,
}

impl StreamRegistry {
    /// Loads every stream and rebuilds each shard's newest record from storage.
    pub(crate) fn load(storage: &dyn Storage, config: StreamsConfig) -> Result<Self> {
        let snap = storage.snapshot();
        let iterator_key = match snap.get(ITERATOR_KEY)? {
            Some(bytes) => IteratorKey::from_bytes(
                bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| EngineError::Corrupt("iterator key".into()))?,
            ),
            None => {
                let key = IteratorKey::generate(&mut rand::rng());
                let mut batch = WriteBatch::new();
                batch.put(ITERATOR_KEY.to_vec(), key.as_bytes().to_vec());
                storage.commit(batch)?;
                key
            }
        };
        let next_id = match snap.get(NEXT_STREAM_ID)? {
            Some(v) => u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| EngineError::Corrupt("next stream id".into()))?,
            ),
            None => 1,
        };
        let mut streams = BTreeMap::new();
        let start = [STREAM];
        let end = [STREAM + 1];
        for entry in snap.range(
            Bound::Included(&start[..]),
            Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            let (_, value) = entry?;
            let stored: StoredStream = serde_json::from_slice(&value)
                .map_err(|e| EngineError::Corrupt(format!("stream record: {e}")))?;
            let mut map = stored.map;
            let ids: Vec<String> = map
                .shards()
                .iter()
                .map(|s| s.shard_id().to_string())
                .collect();
            for shard in ids {
                let prefix = shard_prefix(stored.id, &shard);
                let end = prefix_end(&prefix);
                let newest = snap
                    .range(
                        Bound::Included(&prefix[..]),
                        Bound::Excluded(&end[..]),
                        Direction::Reverse,
                    )
                    .next()
                    .transpose()?;
                if let Some((key, bytes)) = newest {
                    let record = StreamRecord::decode(&bytes).map_err(EngineError::Streams)?;
                    let seq = record_seq(&key).unwrap_or(record.sequence_number());
                    map.note_record(&shard, seq, record.creation_ms())
                        .map_err(EngineError::Streams)?;
                }
            }
            let stream = Stream {
                id: stored.id,
                arn: stored.arn.clone(),
                table_name: stored.table_name,
                table_id: stored.table_id,
                label: stored.label,
                created_ms: stored.created_ms,
                view_type: stored.view_type,
                key_schema: stored.key_schema,
                state: Mutex::new(StreamState {
                    enabled: stored.enabled,
                    map,
                }),
            };
            streams.insert(stored.arn, Arc::new(stream));
        }
        Ok(Self {
            streams: RwLock::new(streams),
            next_id: Mutex::new(next_id),
            iterator_key,
            config,
        })
    }

    /// The stream with this ARN.
    pub(crate) fn get(&self, arn: &str) -> Option<Arc<Stream>> {
        self.streams.read().get(arn).cloned()
    }

    /// Every stream, in ARN order.
    pub(crate) fn all(&self) -> Vec<Arc<Stream>> {
        self.streams.read().values().cloned().collect()
    }

    /// Streams in ARN order after `exclusive_start`.
    pub(crate) fn after(&self, exclusive_start: Option<&str>) -> Vec<Arc<Stream>> {
        let streams = self.streams.read();
        match exclusive_start {
            Some(start) => streams
                .range::<str, _>((Bound::Excluded(start), Bound::Unbounded))
                .map(|(_, s)| s.clone())
                .collect(),
            None => streams.values().cloned().collect(),
        }
    }

    /// The enabled stream of a table, if any.
    pub(crate) fn enabled_for(&self, table_id: u64) -> Option<Arc<Stream>> {
        self.streams
            .read()
            .values()
            .find(|s| s.table_id == table_id && s.state.lock().enabled)
            .cloned()
    }

    /// Creates a new enabled stream, registers it, and adds its records to `batch`, which the
    /// caller commits together with the table change that enables it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create(
        &self,
        batch: &mut WriteBatch,
        arn: String,
        label: String,
        created_ms: u64,
        table_name: &str,
        table_id: u64,
        view_type: StreamViewType,
        key_schema: KeySchema,
    ) -> Result<Arc<Stream>> {
        let mut next_id = self.next_id.lock();
        let stream = Stream {
            id: *next_id,
            arn: arn.clone(),
            table_name: table_name.to_owned(),
            table_id,
            label,
            created_ms,
            view_type,
            key_schema,
            state: Mutex::new(StreamState {
                enabled: true,
                map: ShardMap::new(created_ms, self.config.table_partitions),
            }),
        };
        batch.put(
            NEXT_STREAM_ID.to_vec(),
            (*next_id + 1).to_be_bytes().to_vec(),
        );
        stream.persist(&stream.state.lock(), batch)?;
        *next_id += 1;
        let stream = Arc::new(stream);
        self.streams.write().insert(arn, stream.clone());
        Ok(stream)
    }

    /// Disables a stream: closes its shards (it stays readable until trimmed) and adds its
    /// record to `batch`, which the caller commits with the table change that disables it.
    pub(crate) fn disable(
        &self,
        batch: &mut WriteBatch,
        stream: &Stream,
        now_ms: u64,
    ) -> Result<()> {
        let mut state = stream.state.lock();
        state.enabled = false;
        state.map.close_all(now_ms);
        stream.persist(&state, batch)
    }

    /// Rolls over the shards that have lived their lifetime. The caller holds the table's
    /// write lock, so no write is between assigning a number in a shard and committing it.
    pub(crate) fn roll_over(
        &self,
        storage: &dyn Storage,
        stream: &Stream,
        now_ms: u64,
    ) -> Result<()> {
        let mut state = stream.state.lock();
        if !state.enabled {
            return Ok(());
        }
        let due = state
            .map
            .due_rollovers(now_ms, self.config.shard_lifetime_ms);
        if due.is_empty() {
            return Ok(());
        }
        for shard in due {
            state
                .map
                .rollover(shard.as_str(), now_ms)
                .map_err(EngineError::Streams)?;
        }
        let mut batch = WriteBatch::new();
        stream.persist(&state, &mut batch)?;
        Ok(storage.commit(batch)?)
    }

    /// Deletes records older than retention, drops closed shards left empty, and forgets a
    /// disabled stream once nothing of it remains.
    pub(crate) fn trim(&self, storage: &dyn Storage, stream: &Stream, now_ms: u64) -> Result<()> {
        const CHUNK: usize = 1024;
        let retention = self.config.retention_ms;
        let shards: Vec<(ShardId, Option<SequenceNumber>)> = stream
            .state
            .lock()
            .map
            .shards()
            .iter()
            .map(|s| (s.shard_id().clone(), s.trimmed_through()))
            .collect();
        let mut changed = false;
        for (shard, mut trimmed_through) in shards {
            let prefix = shard_prefix(stream.id, shard.as_str());
            let end = prefix_end(&prefix);
            loop {
                // Reading from the horizon rather than the shard's start: on an LSM engine the
                // records trimmed before remain as tombstones until compaction, and stepping
                // over them again every second would grow with the shard's history.
                let from = trimmed_through.map(|t| record_key(stream.id, shard.as_str(), t));
                let start = match &from {
                    Some(key) => Bound::Excluded(&key[..]),
                    None => Bound::Included(&prefix[..]),
                };
                let snap = storage.snapshot();
                let mut batch = WriteBatch::new();
                let mut last = None;
                let mut more = false;
                for entry in snap.range(start, Bound::Excluded(&end[..]), Direction::Forward) {
                    let (key, bytes) = entry?;
                    let record = StreamRecord::decode(&bytes).map_err(EngineError::Streams)?;
                    if record.creation_ms().saturating_add(retention) >= now_ms {
                        break;
                    }
                    last = record_seq(&key);
                    batch.delete(key);
                    if batch.len() >= CHUNK {
                        more = true;
                        break;
                    }
                }
                let Some(through) = last else {
                    break;
                };
                // The horizon moves before the records go, so no reader is ever sent to a
                // position whose records are half deleted. The commit happens under the
                // state lock, as every other persist of the map does: committed outside it,
                // this copy of the map could land after a newer one (a rollover, split or
                // disable in between) and take the stored map back in time.
                {
                    let mut state = stream.state.lock();
                    state
                        .map
                        .note_trimmed(shard.as_str(), through)
                        .map_err(EngineError::Streams)?;
                    stream.persist(&state, &mut batch)?;
                    storage.commit(batch)?;
                }
                changed = true;
                trimmed_through = Some(through);
                if !more {
                    break;
                }
            }
        }
        let mut state = stream.state.lock();
        let removed = state.map.remove_trimmed(now_ms, retention);
        if removed.is_empty() && !changed {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        for shard in &removed {
            let prefix = shard_prefix(stream.id, shard.shard_id().as_str());
            crate::state::janitor::delete_range(storage, &prefix, &prefix_end(&prefix))?;
        }
        if !state.enabled && state.map.is_empty() {
            batch.delete(stream_key(stream.id));
            storage.commit(batch)?;
            drop(state);
            self.streams.write().remove(&stream.arn);
            return Ok(());
        }
        stream.persist(&state, &mut batch)?;
        Ok(storage.commit(batch)?)
    }
}
