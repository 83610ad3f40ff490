//! The get-records measurement: a stream's shards read with GetShardIterator(TRIM_HORIZON)
//! and GetRecords (Limit 1000) to their end, one connection per shard, pass after pass, as
//! fast as the server answers. Its figure is how fast a consumer catches up on a backlog.
//!
//! A pass ends at a page without records (an open shard read to its tip) or without a next
//! iterator (a closed shard read to its end); the next pass starts again at TRIM_HORIZON.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use bytes::Bytes;
use hyper::StatusCode;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;
use tokio::time::Instant;

use crate::client::{ApiError, Conn, Endpoint, Op, api_error, call_json};
use crate::runner::{LoadShape, RunResult, Tally, Window};
use crate::workloads::RECORDS_LIMIT;

/// Pause after a failed connect, so a dead server is not hammered in a spin.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// A GetRecords answer, read only as far as the drain needs: records are counted, not built,
/// so the generator's parsing stays small beside the server's work.
#[derive(Deserialize)]
struct RecordsPage {
    #[serde(rename = "Records", default)]
    records: Vec<IgnoredAny>,
    #[serde(rename = "NextShardIterator")]
    next: Option<String>,
}

/// Drains the stream of `table` on `endpoint` for warm-up plus duration. One op is one
/// GetRecords page; the result also counts the records read.
///
/// # Errors
/// The table has no stream or its shards cannot be listed; failures while draining are
/// counted, not returned.
pub async fn run(
    endpoint: &Endpoint,
    table: &str,
    shape: LoadShape,
    server_pid: Option<u32>,
) -> Result<RunResult> {
    let (arn, shards) = shards(endpoint, table).await?;
    let window = Window::open(shape, server_pid);
    let tasks = shards
        .into_iter()
        .map(|shard| {
            let reader = ShardReader {
                endpoint: endpoint.clone(),
                arn: arn.clone(),
                shard,
                measure_from: window.measure_from,
                stop_at: window.stop_at,
            };
            tokio::spawn(reader.run())
        })
        .collect();
    window.close(tasks).await
}

/// The stream ARN (DescribeTable's `LatestStreamArn`) and its shard ids (DescribeStream,
/// every page).
async fn shards(endpoint: &Endpoint, table: &str) -> Result<(String, Vec<String>)> {
    let mut conn = Conn::open(endpoint).await?;
    let out = call_json(&mut conn, Op::DescribeTable, &json!({"TableName": table})).await?;
    let arn = out["Table"]["LatestStreamArn"]
        .as_str()
        .ok_or_else(|| anyhow!("table {table} reports no LatestStreamArn"))?
        .to_string();
    let mut shards = Vec::new();
    let mut input = json!({"StreamArn": arn});
    loop {
        let out = call_json(&mut conn, Op::DescribeStream, &input).await?;
        let description = &out["StreamDescription"];
        shards.extend(
            description["Shards"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["ShardId"].as_str())
                .map(str::to_string),
        );
        match description["LastEvaluatedShardId"].as_str() {
            Some(last) => input["ExclusiveStartShardId"] = json!(last),
            None => break,
        }
    }
    if shards.is_empty() {
        bail!("stream {arn} has no shards");
    }
    Ok((arn, shards))
}

/// One shard's reader, on its own connection.
struct ShardReader {
    endpoint: Endpoint,
    arn: String,
    shard: String,
    measure_from: Instant,
    stop_at: Instant,
}

impl ShardReader {
    async fn run(self) -> Result<Tally> {
        let mut r = Tally::new(true)?;
        let mut conn: Option<Conn> = None;
        let mut iterator: Option<String> = None;
        loop {
            let now = Instant::now();
            if now >= self.stop_at {
                return Ok(r);
            }
            let measured = now >= self.measure_from;
            let c = match &mut conn {
                Some(c) => c,
                None => match Conn::open(&self.endpoint).await {
                    Ok(c) => conn.insert(c),
                    Err(e) => {
                        r.fail(measured, || format!("{e:#}"));
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                        continue;
                    }
                },
            };
            let current = match iterator.take() {
                Some(it) => it,
                None => match self.trim_horizon(c).await {
                    Ok(it) => it,
                    Err(e) => {
                        // A refusal leaves the connection usable; anything else may not.
                        if e.downcast_ref::<ApiError>().is_none() {
                            conn = None;
                        }
                        r.fail(measured, || format!("GetShardIterator: {e:#}"));
                        continue;
                    }
                },
            };
            let body = json!({"ShardIterator": current, "Limit": RECORDS_LIMIT}).to_string();
            let since = Instant::now();
            match c.call(Op::GetRecords, Bytes::from(body)).await {
                Ok(reply) if reply.status == StatusCode::OK => {
                    match serde_json::from_slice::<RecordsPage>(&reply.body) {
                        Ok(page) => {
                            r.success(measured, since, Instant::now());
                            r.read_records(measured, page.records.len());
                            if !page.records.is_empty() {
                                iterator = page.next;
                            }
                        }
                        Err(e) => r.fail(measured, || format!("unreadable GetRecords answer: {e}")),
                    }
                }
                Ok(reply) => r.fail(measured, || {
                    let json = serde_json::from_slice(&reply.body).unwrap_or_default();
                    api_error(reply.status, &json, &reply.body).to_string()
                }),
                Err(e) => {
                    r.fail(measured, || format!("{e:#}"));
                    conn = None;
                }
            }
        }
    }

    async fn trim_horizon(&self, conn: &mut Conn) -> Result<String> {
        let input = json!({
            "StreamArn": self.arn,
            "ShardId": self.shard,
            "ShardIteratorType": "TRIM_HORIZON",
        });
        let out = call_json(conn, Op::GetShardIterator, &input).await?;
        out["ShardIterator"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("GetShardIterator answered no ShardIterator"))
    }
}
