//! The `--rss-items` measurement: eddy's resident memory with N items loaded, against the
//! items' size, and for on-disk targets how long a restart takes to answer with them.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use serde_json::json;

use crate::cli::TargetKind;
use crate::client::{Conn, Endpoint, Op, call_json};
use crate::process_stats;
use crate::report::{self, FootprintReport, mib};
use crate::tables::{self, Setup};
use crate::targets::EddyProcess;
use crate::workloads::{Params, Workload};

/// What each target is loaded with, and how.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub items: u64,
    pub item_bytes: usize,
    /// Connections sending BatchWriteItem in parallel.
    pub connections: usize,
    /// Restarts of on-disk targets.
    pub restarts: u32,
}

/// Loads each kind in turn (one fresh process each) and measures it; failures become notes.
pub async fn measure(bin: &Path, kinds: &[TargetKind], load: Load) -> Vec<FootprintReport> {
    let mut reports = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let mut report = FootprintReport {
            target: kind.name().to_string(),
            items: load.items,
            data_mib: mib(load.items * load.item_bytes as u64),
            load_s: None,
            rss_empty_mib: None,
            rss_loaded_mib: None,
            peak_rss_mib: None,
            restarts_ms: Vec::new(),
            restart_median_ms: None,
            kill_restarts_ms: Vec::new(),
            kill_restart_median_ms: None,
            rss_restarted_mib: None,
            note: None,
        };
        if let Err(e) = measure_one(bin, *kind, load, &mut report).await {
            report.note = Some(format!("{e:#}"));
        }
        reports.push(report);
    }
    reports
}

async fn measure_one(
    bin: &Path,
    kind: TargetKind,
    load: Load,
    report: &mut FootprintReport,
) -> Result<()> {
    eprintln!("memory: {}: loading {} items", kind.name(), load.items);
    let (mut process, endpoint) = EddyProcess::spawn(bin, kind).await?;
    let pid = process
        .pid()
        .ok_or_else(|| anyhow!("eddy has no process id"))?;
    let table = format!("eddy_bench_rss_{:08x}", rand::random::<u32>());
    if let Setup::Skipped(why) = tables::create(&endpoint, Workload::Get, &table, false).await? {
        bail!("{why}");
    }
    report.rss_empty_mib = Some(mib(process_stats::rss(pid)?));
    let params = Params {
        item_bytes: load.item_bytes,
        keys: load.items,
    };
    let start = Instant::now();
    tables::preload(&endpoint, Workload::Get, &table, params, load.connections).await?;
    report.load_s = Some(start.elapsed().as_secs_f64());
    report.rss_loaded_mib = Some(mib(process_stats::rss(pid)?));
    report.peak_rss_mib = Some(mib(process_stats::peak_rss(pid)?));
    if kind == TargetKind::EddyMemory {
        return process.stop().await;
    }

    // The last item loaded: answering it means the restart has everything.
    let key = json!({"pk": {"S": format!("k{:08}", load.items - 1)}});
    // Killed first, while the load is still in the journal and not yet flushed: each of these
    // restarts replays it.
    let mut killed = Vec::new();
    for run in 1..=load.restarts {
        eprintln!(
            "memory: {}: restart {run}/{} after SIGKILL",
            kind.name(),
            load.restarts
        );
        let dir = process.kill().await?;
        let start = Instant::now();
        let (restarted, endpoint) = EddyProcess::spawn_in(bin, kind, dir).await?;
        process = restarted;
        first_item(&endpoint, &table, &key).await?;
        killed.push(start.elapsed());
    }
    report.kill_restarts_ms = killed.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    report.kill_restart_median_ms = report::median_ms(&killed);
    let mut restarts = Vec::new();
    for run in 1..=load.restarts {
        eprintln!(
            "memory: {}: restart {run}/{} after SIGTERM",
            kind.name(),
            load.restarts
        );
        let dir = process.halt().await?;
        let start = Instant::now();
        let (restarted, endpoint) = EddyProcess::spawn_in(bin, kind, dir).await?;
        process = restarted;
        first_item(&endpoint, &table, &key).await?;
        restarts.push(start.elapsed());
        if let Some(pid) = process.pid() {
            report.rss_restarted_mib = Some(mib(process_stats::rss(pid)?));
        }
    }
    report.restarts_ms = restarts.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    report.restart_median_ms = report::median_ms(&restarts);
    process.stop().await
}

/// Sends GetItem until the server answers it, and checks the answer holds the item.
async fn first_item(endpoint: &Endpoint, table: &str, key: &serde_json::Value) -> Result<()> {
    let input = json!({"TableName": table, "Key": key});
    let start = Instant::now();
    loop {
        if let Ok(mut conn) = Conn::open(endpoint).await
            && let Ok(out) = call_json(&mut conn, Op::GetItem, &input).await
        {
            if out.get("Item").is_none() {
                bail!("the restarted server does not have item {key} of {table}");
            }
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("the restarted server answered no GetItem in 30 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
