//! eddy-bench: a load generator for eddy and other DynamoDB-compatible servers.
//!
//! It starts the eddy targets itself (or uses endpoints already running), gives each
//! workload its own preloaded table, runs the targets in turns, and prints medians: ops/s,
//! latency percentiles, errors, and for servers it started, CPU per 1k ops and peak RSS; with
//! `--streams both`, what a stream costs each target; and how each eddy target compares with
//! each peer and with the bare ceiling. Other modes time start-ups and weigh eddy's memory
//! with many items loaded. The same figures go to a JSON file and to Markdown tables, and
//! workload figures also to a chart (SVG). It checks nothing: slow is a figure, not a failure.
//!
//! It depends on nothing of eddy's but the binary, so it measures what a client sees.

#![deny(unsafe_code)]

mod bare_server;
mod chart;
mod cli;
mod client;
mod drain;
mod footprint;
mod isolation;
mod markdown;
mod process_stats;
mod ratios;
mod report;
mod runner;
mod tables;
mod targets;
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use clap::Parser;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use crate::cli::{Args, Streams, TargetKind};
use crate::isolation::Paused;
use crate::ratios::Ratios;
use crate::report::{
    Figures, Report, Setting, StartupReport, StreamCost, TargetReport, WorkloadReport,
};
use crate::runner::LoadShape;
use crate::tables::Setup;
use crate::targets::{Running, Target};
use crate::workloads::{Params, Workload};

fn main() -> ExitCode {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.client_threads.unwrap_or(cores).max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("eddy-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(args, threads, cores)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eddy-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: Args, client_threads: usize, cores: usize) -> Result<()> {
    let mut targets: Vec<Target> = args.targets.iter().map(|k| Target::Started(*k)).collect();
    targets.extend(args.endpoints.iter().map(|e| Target::Endpoint {
        name: e.name.clone(),
        url: e.url.clone(),
    }));
    if targets.is_empty() {
        targets = vec![
            Target::Started(TargetKind::EddyMemory),
            Target::Started(TargetKind::EddyDisk),
        ];
    }
    // Rows, ratios and chart bars are told apart by name alone.
    for (i, t) in targets.iter().enumerate() {
        if targets[..i].iter().any(|u| u.name() == t.name()) {
            bail!(
                "two targets are named {:?}; name endpoints with --endpoint NAME=URL",
                t.name()
            );
        }
    }
    let starts_eddy = targets
        .iter()
        .any(|t| matches!(t, Target::Started(k) if *k != TargetKind::Bare));
    let eddy_bin = if starts_eddy || args.startup || !args.rss_items.is_empty() {
        targets::eddy_bin(args.eddy_bin.as_deref())?
    } else {
        PathBuf::new()
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!("targets take their turns in an order shuffled per round; --seed {seed}");
    let setting = Setting {
        seed,
        connections: args.connections.max(1),
        rate: args.rate.filter(|r| *r > 0.0),
        duration_s: args.duration.as_secs_f64(),
        warmup_s: args.warmup.as_secs_f64(),
        runs: args.runs,
        item_bytes: args.item_bytes,
        keys: args.keys,
        streams: args.streams,
        rss_items: args.rss_items.clone(),
        startup_runs: args.startup.then_some(args.startup_runs),
        client_threads,
        cores,
    };
    let mut report = Report {
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        setting,
        workloads: Vec::new(),
        startup: Vec::new(),
        footprint: Vec::new(),
    };
    eprintln!(
        "eddy-bench: generator on {client_threads} thread(s), {cores} core(s) shared with the servers it starts"
    );

    if args.startup {
        report.startup = startup(&eddy_bin, &targets, args.startup_runs).await;
        report::print_startup(&report.startup);
    }
    for &items in &args.rss_items {
        let load = footprint::Load {
            items,
            item_bytes: args.item_bytes,
            connections: report.setting.connections,
            restarts: args.runs,
        };
        let kinds = eddy_kinds(&targets);
        report
            .footprint
            .extend(footprint::measure(&eddy_bin, &kinds, load).await);
    }
    report::print_footprint(&report.footprint, &report.setting);
    if !args.startup && args.rss_items.is_empty() {
        let params = Params {
            item_bytes: args.item_bytes,
            keys: args.keys,
        };
        let mut running = Vec::with_capacity(targets.len());
        let mut start_notes = Vec::with_capacity(targets.len());
        for target in &targets {
            match Running::start(target, &eddy_bin, params).await {
                Ok(r) => {
                    running.push(Some(r));
                    start_notes.push(None);
                }
                Err(e) => {
                    running.push(None);
                    start_notes.push(Some(format!("did not start: {e:#}")));
                }
            }
        }
        let bench = WorkloadBench {
            targets: &targets,
            running: &running,
            start_notes: &start_notes,
            params,
            shape: LoadShape {
                connections: report.setting.connections,
                rate: report.setting.rate,
                warmup: args.warmup,
                duration: args.duration,
            },
            runs: args.runs,
            streams: args.streams,
            table_suffix: format!("{:08x}", rand::random::<u32>()),
            seed: report.setting.seed,
        };
        for w in &args.workloads {
            let wr = bench.run(*w).await;
            report::print_workload(&wr, &report.setting);
            report.workloads.push(wr);
        }
        for (target, running) in targets.iter().zip(running) {
            if let Some(running) = running
                && let Err(e) = running.stop().await
            {
                eprintln!("{}: could not stop: {e:#}", target.name());
            }
        }
    }
    report::write_json(&args.out, &report)?;
    println!();
    println!("wrote {}", args.out.display());
    // A chart of no workloads would be an empty axis; start-up and memory figures are few
    // enough for tables alone.
    if !report.workloads.is_empty() {
        let chart = args.chart.unwrap_or_else(|| args.out.with_extension("svg"));
        report::write_file(&chart, chart::svg(&report).as_bytes())?;
        println!("wrote {}", chart.display());
    }
    let markdown = args
        .markdown
        .unwrap_or_else(|| args.out.with_extension("md"));
    report::write_file(&markdown, markdown::render(&report).as_bytes())?;
    println!("wrote {}", markdown.display());
    Ok(())
}

/// The eddy processes among the targets (peers and the bare server have no data to weigh
/// or restart).
fn eddy_kinds(targets: &[Target]) -> Vec<TargetKind> {
    targets
        .iter()
        .filter_map(|t| match t {
            Target::Started(k) if *k != TargetKind::Bare => Some(*k),
            _ => None,
        })
        .collect()
}

/// Start-up times of each eddy target (eddy-disk when none is named), in turns.
async fn startup(eddy_bin: &std::path::Path, targets: &[Target], runs: u32) -> Vec<StartupReport> {
    let mut kinds = eddy_kinds(targets);
    if kinds.is_empty() {
        kinds.push(TargetKind::EddyDisk);
    }
    let mut times = vec![Vec::new(); kinds.len()];
    let mut notes = vec![None; kinds.len()];
    for run in 1..=runs {
        for (i, kind) in kinds.iter().enumerate() {
            if notes[i].is_some() {
                continue;
            }
            eprintln!("start-up {run}/{runs}: {}", kind.name());
            match targets::measure_startup(eddy_bin, *kind).await {
                Ok(t) => times[i].push(t),
                Err(e) => notes[i] = Some(format!("failed: {e:#}")),
            }
        }
    }
    kinds
        .iter()
        .zip(times)
        .zip(notes)
        .map(|((kind, runs), note)| StartupReport {
            target: kind.name().to_string(),
            runs_ms: runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect(),
            median_ms: report::median_ms(&runs),
            note,
        })
        .collect()
}

/// Connections that preload a workload's table in parallel.
const PRELOAD_CONNECTIONS: usize = 8;

/// What every workload is run with.
struct WorkloadBench<'a> {
    targets: &'a [Target],
    /// Each target's server, started once for the whole invocation, so that eddy, like the
    /// peers, carries what earlier workloads left (compaction, allocator state) into later
    /// ones; `None` when it did not start, with the reason in `start_notes`.
    running: &'a [Option<Running>],
    start_notes: &'a [Option<String>],
    params: Params,
    shape: LoadShape,
    runs: u32,
    streams: Streams,
    /// Makes table names unique per invocation, so a peer's leftovers never collide.
    table_suffix: String,
    /// Seed of each round's order of targets.
    seed: u64,
}

/// A target's table during one workload (with `--streams both`, each target has two).
struct Slot {
    /// Index into the targets.
    target: usize,
    table: String,
    /// Whether it is ready to measure (started, table created and preloaded).
    ready: bool,
    /// Whether the table exists on it (to delete afterwards).
    has_table: bool,
    report: TargetReport,
}

impl WorkloadBench<'_> {
    /// Prepares each target's tables, runs the targets in turns (shuffled per round, every
    /// other process paused during a target's window), and deletes the tables. Failures
    /// become notes in the report.
    async fn run(&self, w: Workload) -> WorkloadReport {
        let streams = if w.needs_stream() {
            Streams::On
        } else {
            self.streams
        };
        let mut slots = Vec::with_capacity(self.targets.len() * streams.variants().len());
        for (index, target) in self.targets.iter().enumerate() {
            for &with_stream in streams.variants() {
                // Two tables of one target are told apart by name.
                let both = streams == Streams::Both;
                let table = format!(
                    "eddy_bench_{}{}_{}",
                    w.name().replace('-', "_"),
                    if both && with_stream { "_streams" } else { "" },
                    self.table_suffix
                );
                let label = if both && with_stream {
                    format!("{} +streams", target.name())
                } else {
                    target.name()
                };
                eprintln!("{}: preparing {label}", w.name());
                slots.push(self.prepare(index, w, table, label, with_stream).await);
            }
        }

        let pids: Vec<u32> = self
            .running
            .iter()
            .flatten()
            .filter_map(Running::pid)
            .collect();
        for run in 1..=self.runs {
            // A fixed order would give the same target the same position (after the same
            // neighbour's work, on a machine as warm) every round.
            let mut order: Vec<usize> = (0..slots.len()).collect();
            order.shuffle(&mut SmallRng::seed_from_u64(self.seed ^ u64::from(run)));
            for i in order {
                let slot = &mut slots[i];
                if !slot.ready {
                    continue;
                }
                let Some(running) = &self.running[slot.target] else {
                    continue;
                };
                eprintln!(
                    "{}: run {run}/{}: {}",
                    w.name(),
                    self.runs,
                    slot.report.target
                );
                let pid = running.pid();
                let outcome = {
                    let _others = Paused::all_but(&pids, pid);
                    match w.template(&slot.table, self.params) {
                        Some(t) => {
                            runner::run(&running.endpoint, Arc::new(t), self.shape, pid).await
                        }
                        None => drain::run(&running.endpoint, &slot.table, self.shape, pid).await,
                    }
                };
                match outcome {
                    Ok(result) => {
                        slot.report.runs.push(Figures::of(&result));
                        if slot.report.first_error.is_none() {
                            slot.report.first_error = result.first_error;
                        }
                    }
                    Err(e) => {
                        slot.report.note = Some(format!("run failed: {e:#}"));
                        slot.ready = false;
                    }
                }
            }
        }

        let mut targets = Vec::with_capacity(slots.len());
        for mut slot in slots {
            if let Some(running) = &self.running[slot.target]
                && slot.has_table
                && let Err(e) = tables::delete(&running.endpoint, &slot.table).await
            {
                eprintln!(
                    "{}: could not delete {}: {e:#}",
                    slot.report.target, slot.table
                );
            }
            slot.report.median = Figures::median(&slot.report.runs);
            targets.push(slot.report);
        }
        let mut stream_cost = Vec::new();
        if streams == Streams::Both {
            // Slots come in pairs per target: without a stream, then with one.
            for (target, pair) in self.targets.iter().zip(targets.chunks_exact(2)) {
                if let (Some(without), Some(with)) = (&pair[0].median, &pair[1].median)
                    && !matches!(target, Target::Started(TargetKind::Bare))
                {
                    stream_cost.push(StreamCost::of(&target.name(), without, with));
                }
            }
        }
        WorkloadReport {
            workload: w.name().to_string(),
            description: w.describe(self.params),
            streams,
            ratios: Ratios::of(&targets, w == Workload::Get),
            targets,
            stream_cost,
        }
    }

    async fn prepare(
        &self,
        index: usize,
        w: Workload,
        table: String,
        label: String,
        with_stream: bool,
    ) -> Slot {
        let target = &self.targets[index];
        let mut slot = Slot {
            target: index,
            table,
            ready: false,
            has_table: false,
            report: TargetReport {
                target: label,
                role: target.role(),
                streams: with_stream,
                runs: Vec::new(),
                median: None,
                note: None,
                first_error: None,
            },
        };
        let Some(running) = &self.running[index] else {
            slot.report.note = self.start_notes[index].clone();
            return slot;
        };
        if !running.has_tables() {
            slot.report.note = Some("answers one fixed GetItem response to everything".into());
            slot.ready = true;
            return slot;
        }
        match tables::create(&running.endpoint, w, &slot.table, with_stream).await {
            Ok(Setup::Ready { note }) => {
                slot.has_table = true;
                slot.report.note = note;
            }
            Ok(Setup::Skipped(why)) => {
                eprintln!("{}: {}: {why}", w.name(), slot.report.target);
                slot.report.note = Some(why);
                return slot;
            }
            Err(e) => {
                slot.report.note = Some(format!("setup failed: {e:#}"));
                return slot;
            }
        }
        match tables::preload(
            &running.endpoint,
            w,
            &slot.table,
            self.params,
            PRELOAD_CONNECTIONS,
        )
        .await
        {
            Ok(()) => slot.ready = true,
            Err(e) => slot.report.note = Some(format!("preload failed: {e:#}")),
        }
        slot
    }
}
