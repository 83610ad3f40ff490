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

use eddy_storage::{Direction, HeldLock, Storage, WriteBatch};
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
use crate::state::cluster::{CATALOG_LOCK, CatalogGuard, table_lock};

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
    /// Raised by every persist: on shared storage, a process reading streams outside their
    /// table's lock keeps the newer of two versions it sees.
    #[serde(default)]
    version: u64,
}

/// The part of a stream that changes.
#[derive(Debug)]
pub(crate) struct StreamState {
    /// False once disabled or its table deleted: no new records, shards closed.
    pub enabled: bool,
    /// Shards and their lineage.
    pub map: ShardMap,
    /// The version last persisted or read (see `StoredStream::version`).
    version: u64,
    /// On shared storage: the stored description last read, so reading it again unchanged
    /// costs no decoding.
    seen: Vec<u8>,
}

impl StreamState {
    fn new(enabled: bool, map: ShardMap, version: u64) -> Self {
        Self {
            enabled,
            map,
            version,
            seen: Vec::new(),
        }
    }
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
    /// A stream as stored, its state as `stored` holds it.
    fn from_stored(stored: StoredStream) -> Self {
        Stream {
            id: stored.id,
            arn: stored.arn,
            table_name: stored.table_name,
            table_id: stored.table_id,
            label: stored.label,
            created_ms: stored.created_ms,
            view_type: stored.view_type,
            key_schema: stored.key_schema,
            state: Mutex::new(StreamState::new(stored.enabled, stored.map, stored.version)),
        }
    }

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
            version: state.version,
        }
    }

    /// Adds the description and shard map to `batch`, as a new version.
    pub(crate) fn persist(&self, state: &mut StreamState, batch: &mut WriteBatch) -> Result<()> {
        state.version += 1;
        let bytes = serde_json::to_vec(&self.stored(state))
            .map_err(|e| EngineError::Corrupt(format!("stream record: {e}")))?;
        batch.put(stream_key(self.id), bytes);
        Ok(())
    }

    /// Takes the stored description `bytes` (None: the stream is gone from storage) as the
    /// stream's state. `under_lock`: read under the table's shared lock, so it is the latest
    /// and replaces whatever this process holds; otherwise it replaces only an older version.
    pub(crate) fn adopt(&self, bytes: Option<Vec<u8>>, under_lock: bool) -> Result<()> {
        let mut state = self.state.lock();
        let Some(bytes) = bytes else {
            state.enabled = false;
            return Ok(());
        };
        if state.seen == bytes {
            return Ok(());
        }
        let stored: StoredStream = serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::Corrupt(format!("stream record: {e}")))?;
        if under_lock || stored.version > state.version {
            state.enabled = stored.enabled;
            state.map = stored.map;
            state.version = stored.version;
            state.seen = bytes;
        }
        Ok(())
    }

    /// Adds the record of an item change to `batch` (none when the stream is disabled). The
    /// caller has established that the item changed (`stage_change` returns early on equal
    /// versions, so the items are not compared again here) and holds the table's write lock
    /// through the commit, so records commit in sequence-number order.
    ///
    /// On shared storage (`persist_map`) the shard map goes into the batch too: the sequence
    /// counter lives in the database, where the next writer of any process reads it.
    pub(crate) fn append(
        &self,
        batch: &mut WriteBatch,
        old: Option<&Item>,
        new: Option<&Item>,
        now_ms: u64,
        ttl_delete: bool,
        persist_map: bool,
    ) -> Result<()> {
        let Some(item) = new.or(old) else {
            return Ok(());
        };
        let mut keys = Item::new();
        for attr in std::iter::once(&self.key_schema.hash).chain(self.key_schema.range.as_ref()) {
            if let Some(v) = item.get(&attr.name) {
                keys.insert(attr.name.clone(), v.clone());
            }
        }
        let Some(pk) = keys.get(&self.key_schema.hash.name) else {
            return Ok(());
        };
        let mut encoded = Vec::with_capacity(32);
        encode_key_value(pk, &mut encoded);
        let hash = shard_hash(&encoded);
        let mut state = self.state.lock();
        if !state.enabled {
            return Ok(());
        }
        let Some((shard, seq)) = state.map.assign(hash, now_ms) else {
            return Ok(());
        };
        let key = record_key(self.id, shard.as_str(), seq);
        if persist_map {
            self.persist(&mut state, batch)?;
        }
        drop(state);
        if let Some(record) = build_record(self.view_type, keys, old, new, seq, now_ms, ttl_delete)
        {
            batch.put(key, record.encode());
        }
        Ok(())
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
        // Processes starting together on one shared storage must agree on one key.
        let (_held, stored_key) = storage.lock(CATALOG_LOCK, &[ITERATOR_KEY])?;
        let snap = storage.snapshot();
        let iterator_key = match stored_key.into_iter().next().flatten() {
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
            let arn = stored.arn.clone();
            let stream = Stream::from_stored(StoredStream { map, ..stored });
            streams.insert(arn, Arc::new(stream));
        }
        Ok(Self {
            streams: RwLock::new(streams),
            next_id: Mutex::new(next_id),
            iterator_key,
            config,
        })
    }

    /// Makes the registry what `snap` holds, on shared storage, where other processes create,
    /// change and forget streams: streams new to this process join it, forgotten ones leave
    /// it, and the others take a newer stored version.
    pub(crate) fn reconcile(&self, snap: &dyn eddy_storage::Snapshot) -> Result<()> {
        let start = [STREAM];
        let end = [STREAM + 1];
        let mut stored_arns = std::collections::HashSet::new();
        let mut highest_id = 0;
        for entry in snap.range(
            Bound::Included(&start[..]),
            Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            let (_, bytes) = entry?;
            let stored: StoredStream = serde_json::from_slice(&bytes)
                .map_err(|e| EngineError::Corrupt(format!("stream record: {e}")))?;
            highest_id = highest_id.max(stored.id);
            stored_arns.insert(stored.arn.clone());
            match self.get(&stored.arn) {
                Some(stream) => stream.adopt(Some(bytes), false)?,
                None => {
                    let arn = stored.arn.clone();
                    let stream = Stream::from_stored(stored);
                    stream.state.lock().seen = bytes;
                    self.streams.write().insert(arn, Arc::new(stream));
                }
            }
        }
        self.streams
            .write()
            .retain(|arn, _| stored_arns.contains(arn));
        self.raise_next_id(highest_id + 1);
        Ok(())
    }

    /// Moves the next stream id up to `stored`, under the catalog lock of shared storage.
    pub(crate) fn raise_next_id(&self, stored: u64) {
        let mut next_id = self.next_id.lock();
        *next_id = (*next_id).max(stored);
    }

    /// The stream a table's definition says it writes to.
    pub(crate) fn for_def(&self, def: &crate::model::schema::TableDef) -> Option<Arc<Stream>> {
        def.stream_view_type?;
        self.get(def.latest_stream_arn.as_deref()?)
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
        _ids: &CatalogGuard,
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
            state: Mutex::new(StreamState::new(
                true,
                ShardMap::new(created_ms, self.config.table_partitions),
                0,
            )),
        };
        batch.put(
            NEXT_STREAM_ID.to_vec(),
            (*next_id + 1).to_be_bytes().to_vec(),
        );
        stream.persist(&mut stream.state.lock(), batch)?;
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
        stream.persist(&mut state, batch)
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
        stream.persist(&mut state, &mut batch)?;
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
                    let _shared = lock_stream_table(storage, stream)?;
                    let mut state = stream.state.lock();
                    state
                        .map
                        .note_trimmed(shard.as_str(), through)
                        .map_err(EngineError::Streams)?;
                    stream.persist(&mut state, &mut batch)?;
                    storage.commit(batch)?;
                }
                changed = true;
                trimmed_through = Some(through);
                if !more {
                    break;
                }
            }
        }
        let _shared = lock_stream_table(storage, stream)?;
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
        stream.persist(&mut state, &mut batch)?;
        Ok(storage.commit(batch)?)
    }
}

/// On shared storage, takes the lock of the stream's table, which every process's writers to
/// it hold, and brings the stream's state up to date under it: trimming then persists a map
/// no write of another process has moved past. Elsewhere the state lock the caller takes
/// next is enough.
fn lock_stream_table(storage: &dyn Storage, stream: &Stream) -> Result<Option<HeldLock>> {
    if !storage.shared() {
        return Ok(None);
    }
    let key = stream_key(stream.id);
    let (held, values) = storage.lock(table_lock(stream.table_id), &[&key])?;
    stream.adopt(values.into_iter().next().flatten(), true)?;
    Ok(Some(held))
}
