//! What every restart must show: each key as last acknowledged (or as a write in flight at
//! the kill left it), no transaction half applied, indexes that agree with their tables, and
//! streams holding exactly one record per change, in per-item order, whose images chain,
//! numbered above everything before the restart; and iterators from before the kill still
//! read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsInput;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorInput;
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, Record, ShardIteratorType};
use eddy_client::{ConsumerConfig, MemoryCheckpointStore, StreamConsumer};

use crate::model::{Key, Model, TABLE_A, Table, indexed};
use crate::server::Server;

/// One record of an item: its sequence number, and the versions of its old and new images.
type RecordLink = (String, Option<u64>, Option<u64>);

/// The verifier's memory across cycles.
#[derive(Default)]
pub struct Verifier {
    pub violations: Vec<String>,
    pub records_checked: u64,
    /// How far each stream has been read.
    checkpoints: Arc<MemoryCheckpointStore>,
    /// Each key's state as its stream's last record left it.
    stream_state: HashMap<Key, Option<u64>>,
    /// Versions seen in a record's NewImage.
    seen: HashSet<(Table, u64)>,
    /// The highest sequence number read, per table.
    max_seq: HashMap<Table, String>,
    /// An iterator taken before the last kill.
    pub pending_iterator: Option<String>,
}

/// Sequence numbers compare as numbers.
fn seq_key(s: &str) -> (usize, &str) {
    (s.len(), s)
}

impl Verifier {
    fn violation(&mut self, cycle: u32, what: String) {
        self.violations.push(format!("cycle {cycle}: {what}"));
    }

    /// Checks everything after a restart and brings the model up to what was found.
    pub async fn check(
        &mut self,
        server: &Server,
        model: &mut Model,
        cycle: u32,
    ) -> anyhow::Result<()> {
        if let Some(it) = self.pending_iterator.take() {
            let read = server
                .streams
                .get_records(GetRecordsInput::builder().shard_iterator(it).build()?)
                .await;
            if let Err(e) = read {
                self.violation(
                    cycle,
                    format!("an iterator from before the kill no longer reads: {e}"),
                );
            }
        }
        let mut actual = BTreeMap::new();
        for table in [Table::A, Table::B] {
            for item in scan(server, table, None).await? {
                match parse_item(table, &item) {
                    Ok((k, v)) => {
                        actual.insert(k, v);
                    }
                    Err(e) => self.violation(cycle, e),
                }
            }
        }
        self.check_items(model, &actual, cycle);
        model.state = actual.iter().map(|(k, v)| (k.clone(), Some(*v))).collect();
        model.pending.clear();
        self.check_indexes(server, &actual, cycle).await?;
        self.check_streams(server, model, &actual, cycle).await?;
        model.acked_versions.clear();
        Ok(())
    }

    fn check_items(&mut self, model: &Model, actual: &BTreeMap<Key, u64>, cycle: u32) {
        let mut maybe: HashMap<&Key, Vec<Option<u64>>> = HashMap::new();
        for f in &model.pending {
            for e in &f.effects {
                maybe.entry(&e.key).or_default().push(e.value);
            }
        }
        let keys: HashSet<&Key> = model.state.keys().chain(actual.keys()).collect();
        let mut found = Vec::new();
        for k in keys {
            let expected = model.state.get(k).copied().flatten();
            let got = actual.get(k).copied();
            let in_flight = maybe.get(k).cloned().unwrap_or_default();
            if got != expected && !in_flight.contains(&got) {
                found.push(format!(
                    "{k:?} holds {got:?}; acknowledged {expected:?}, in flight {in_flight:?}"
                ));
            }
        }
        for f in model.pending.iter().filter(|f| f.transaction) {
            let applied: Vec<bool> = f
                .effects
                .iter()
                .map(|e| actual.get(&e.key).copied() == e.value)
                .collect();
            if applied.iter().any(|a| *a) && !applied.iter().all(|a| *a) {
                found.push(format!("a transaction is half applied: {:?}", f.effects));
            }
        }
        for v in found {
            self.violation(cycle, v);
        }
    }

    async fn check_indexes(
        &mut self,
        server: &Server,
        actual: &BTreeMap<Key, u64>,
        cycle: u32,
    ) -> anyhow::Result<()> {
        for (table, index) in [(Table::A, "by_g"), (Table::B, "by_l")] {
            let mut in_index = BTreeMap::new();
            for item in scan(server, table, Some(index)).await? {
                match parse_item(table, &item) {
                    Ok((k, v)) => {
                        in_index.insert(k, v);
                    }
                    Err(e) => self.violation(cycle, format!("index {index}: {e}")),
                }
            }
            let in_table: BTreeMap<Key, u64> = actual
                .iter()
                .filter(|(k, _)| k.0 == table)
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            if in_index != in_table {
                self.violation(
                    cycle,
                    format!(
                        "index {index} holds {} items, its table {}; they differ",
                        in_index.len(),
                        in_table.len()
                    ),
                );
            }
        }
        Ok(())
    }

    async fn check_streams(
        &mut self,
        server: &Server,
        model: &Model,
        actual: &BTreeMap<Key, u64>,
        cycle: u32,
    ) -> anyhow::Result<()> {
        for table in [Table::A, Table::B] {
            let arn = server
                .dynamodb
                .describe_table()
                .table_name(table.name())
                .send()
                .await?
                .table()
                .and_then(|t| t.latest_stream_arn())
                .map(str::to_owned)
                .context("no stream")?;
            let records = self.read_new(server, &arn).await?;
            self.records_checked += records.len() as u64;
            let mut by_key: BTreeMap<Key, Vec<RecordLink>> = BTreeMap::new();
            let before = self.max_seq.get(&table).cloned();
            for r in &records {
                let Some(d) = r.dynamodb() else { continue };
                let seq = d.sequence_number().unwrap_or_default().to_owned();
                if let Some(b) = &before
                    && seq_key(&seq) <= seq_key(b)
                {
                    self.violation(
                        cycle,
                        format!("record {seq} is not above {b}, read before the restart"),
                    );
                }
                let key = stream_key(table, d.keys());
                let old = version(d.old_image());
                let new = version(d.new_image());
                if let Some(v) = new
                    && !self.seen.insert((table, v))
                {
                    self.violation(
                        cycle,
                        format!("two records of version {v} in {}", table.name()),
                    );
                }
                let top = self.max_seq.entry(table).or_default();
                if seq_key(&seq) > seq_key(top) {
                    *top = seq.clone();
                }
                by_key.entry(key).or_default().push((seq, old, new));
            }
            for (key, mut list) in by_key {
                list.sort_by(|x, y| seq_key(&x.0).cmp(&seq_key(&y.0)));
                let mut last = self.stream_state.get(&key).copied().flatten();
                for (seq, old, new) in list {
                    if old != last {
                        self.violation(
                            cycle,
                            format!("{key:?}: record {seq} has OldImage {old:?}, the record before left {last:?}"),
                        );
                    }
                    if old.is_none() && new.is_none() {
                        self.violation(cycle, format!("{key:?}: record {seq} changes nothing"));
                    }
                    last = new;
                }
                self.stream_state.insert(key, last);
            }
            let keys: HashSet<Key> = self
                .stream_state
                .keys()
                .filter(|k| k.0 == table)
                .chain(actual.keys().filter(|k| k.0 == table))
                .cloned()
                .collect();
            for k in keys {
                let streamed = self.stream_state.get(&k).copied().flatten();
                let item = actual.get(&k).copied();
                if streamed != item {
                    self.violation(
                        cycle,
                        format!(
                            "{k:?}: the stream's last image is {streamed:?}, the item {item:?}"
                        ),
                    );
                }
            }
        }
        for (table, v) in &model.acked_versions {
            if !self.seen.contains(&(*table, *v)) {
                self.violation(
                    cycle,
                    format!(
                        "acknowledged version {v} in {} has no stream record",
                        table.name()
                    ),
                );
            }
        }
        Ok(())
    }

    /// The records written since the last check, read with the consumer.
    async fn read_new(&self, server: &Server, arn: &str) -> anyhow::Result<Vec<Record>> {
        let got: Arc<Mutex<Vec<Record>>> = Arc::default();
        let sink = Arc::clone(&got);
        StreamConsumer::for_stream(server.streams.clone(), arn)
            .checkpoint_store(self.checkpoints.clone())
            .config(ConsumerConfig {
                stop_at_tip: true,
                worker_id: "torture".into(),
                ..ConsumerConfig::default()
            })
            .run(move |batch| {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(batch.records.iter().cloned());
                async { Ok::<(), std::io::Error>(()) }
            })
            .await?;
        let records = std::mem::take(&mut *got.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(records)
    }

    /// An iterator at TRIM_HORIZON of table A's first shard, to read after the next kill.
    pub async fn iterator_for_later(&self, server: &Server) -> anyhow::Result<Option<String>> {
        let arn = server
            .dynamodb
            .describe_table()
            .table_name(TABLE_A)
            .send()
            .await?
            .table()
            .and_then(|t| t.latest_stream_arn())
            .map(str::to_owned)
            .context("no stream")?;
        let described = server
            .streams
            .describe_stream(DescribeStreamInput::builder().stream_arn(&arn).build()?)
            .await?;
        let Some(shard) = described
            .stream_description()
            .and_then(|d| d.shards().first())
            .and_then(|s| s.shard_id())
        else {
            return Ok(None);
        };
        let out = server
            .streams
            .get_shard_iterator(
                GetShardIteratorInput::builder()
                    .stream_arn(arn)
                    .shard_id(shard)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .build()?,
            )
            .await?;
        Ok(out.shard_iterator)
    }
}

/// Every item of a table, or of one of its indexes, by a consistent Scan (eventual for a
/// global index, which eddy keeps in step with its table).
async fn scan(
    server: &Server,
    table: Table,
    index: Option<&str>,
) -> anyhow::Result<Vec<HashMap<String, AttributeValue>>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut req = server
            .dynamodb
            .scan()
            .table_name(table.name())
            .set_index_name(index.map(str::to_owned))
            .set_exclusive_start_key(start);
        if index != Some("by_g") {
            req = req.consistent_read(true);
        }
        let out = req.send().await.context("scan")?;
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return Ok(items),
        }
    }
}

/// An item's key and version, checking it holds exactly what its version wrote.
fn parse_item(table: Table, item: &HashMap<String, AttributeValue>) -> Result<(Key, u64), String> {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let pk = s("pk").ok_or_else(|| format!("an item without pk: {item:?}"))?;
    let v: u64 = item
        .get("v")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("an item without v: {item:?}"))?;
    let (sk, indexed_name, width) = match table {
        Table::A => (String::new(), "g", 3),
        Table::B => (s("sk").unwrap_or_default(), "l", 4),
    };
    if s(indexed_name) != Some(indexed(v)) || item.len() != width {
        return Err(format!("an item not as its version {v} wrote it: {item:?}"));
    }
    Ok(((table, pk, sk), v))
}

fn stream_key(table: Table, keys: Option<&HashMap<String, StreamValue>>) -> Key {
    let s = |name: &str| {
        keys.and_then(|k| k.get(name))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    (
        table,
        s("pk"),
        if table == Table::B {
            s("sk")
        } else {
            String::new()
        },
    )
}

fn version(image: Option<&HashMap<String, StreamValue>>) -> Option<u64> {
    image
        .and_then(|i| i.get("v"))
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}
