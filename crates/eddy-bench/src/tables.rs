//! A workload's table on one target: create it, wait until it is ACTIVE, preload its items,
//! and delete it afterwards (peers outlive the harness; their tables should not pile up).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::client::{ApiError, Conn, Endpoint, Op, call_json};
use crate::workloads::{BATCH, Params, Workload};

/// How long a peer may keep a new table CREATING.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries of a batch whose items come back unprocessed (throttling peers).
const UNPROCESSED_RETRIES: u32 = 100;

/// The outcome of preparing a table.
pub enum Setup {
    /// Created and ACTIVE; the note says something worth printing (e.g. streams ignored).
    Ready { note: Option<String> },
    /// The target cannot run this workload as asked; the reason is printed instead of figures.
    Skipped(String),
}

/// Creates `table` for workload `w` and waits until it is ACTIVE.
///
/// # Errors
/// Connection failures and any DynamoDB error other than a rejected stream specification.
pub async fn create(endpoint: &Endpoint, w: Workload, table: &str, streams: bool) -> Result<Setup> {
    let mut conn = Conn::open(endpoint).await?;
    if let Err(e) = call_json(&mut conn, Op::CreateTable, &w.create_table(table, streams)).await {
        if let Some(api) = e.downcast_ref::<ApiError>()
            && streams
            && api.kind == "ValidationException"
        {
            return Ok(Setup::Skipped(format!(
                "rejects StreamSpecification NEW_AND_OLD_IMAGES ({}); skipped",
                api.message
            )));
        }
        return Err(e.context(format!("creating table {table}")));
    }
    let description = wait_active(&mut conn, table).await?;
    let note = (streams && description.get("LatestStreamArn").is_none())
        .then(|| "accepted the stream specification but reports no stream".to_string());
    Ok(Setup::Ready { note })
}

/// Deletes `table`.
///
/// # Errors
/// Connection failures and DynamoDB errors.
pub async fn delete(endpoint: &Endpoint, table: &str) -> Result<()> {
    let mut conn = Conn::open(endpoint).await?;
    call_json(&mut conn, Op::DeleteTable, &json!({"TableName": table})).await?;
    Ok(())
}

async fn wait_active(conn: &mut Conn, table: &str) -> Result<Value> {
    let start = Instant::now();
    loop {
        let out = call_json(conn, Op::DescribeTable, &json!({"TableName": table})).await?;
        let description = out.get("Table").cloned().unwrap_or(Value::Null);
        if description.get("TableStatus").and_then(Value::as_str) == Some("ACTIVE") {
            return Ok(description);
        }
        if start.elapsed() > ACTIVE_TIMEOUT {
            bail!("table {table} not ACTIVE after {ACTIVE_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Loads the items workload `w` reads with BatchWriteItem, over `connections` connections.
///
/// # Errors
/// Connection failures, DynamoDB errors, or items still unprocessed after many retries.
pub async fn preload(
    endpoint: &Endpoint,
    w: Workload,
    table: &str,
    p: Params,
    connections: usize,
) -> Result<()> {
    let count = w.preload_count(p);
    if count == 0 {
        return Ok(());
    }
    let next_batch = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let endpoint = endpoint.clone();
        let table = table.to_string();
        let next_batch = next_batch.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&endpoint).await?;
            loop {
                let first = next_batch.fetch_add(1, Ordering::Relaxed) * BATCH as u64;
                if first >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                let items: Vec<Value> = (first..(first + BATCH as u64).min(count))
                    .map(|i| json!({"PutRequest": {"Item": w.preload_item(i, p)}}))
                    .collect();
                write_batch(&mut conn, &table, items).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Writes one batch, resending whatever the target leaves unprocessed.
async fn write_batch(conn: &mut Conn, table: &str, mut items: Vec<Value>) -> Result<()> {
    for attempt in 0..UNPROCESSED_RETRIES {
        let out = call_json(
            conn,
            Op::BatchWriteItem,
            &json!({"RequestItems": {table: items}}),
        )
        .await?;
        match out["UnprocessedItems"].get(table).and_then(Value::as_array) {
            Some(left) if !left.is_empty() => items = left.clone(),
            _ => return Ok(()),
        }
        tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt + 1).min(20))).await;
    }
    bail!("preloading {table}: items still unprocessed after {UNPROCESSED_RETRIES} attempts")
}
