//! Figures per run, medians over runs, the printed tables and the JSON file (the chart and
//! the Markdown tables are drawn from the same [`Report`] in `chart` and `markdown`).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::Streams;
use crate::ratios::{Ratios, Role};
use crate::runner::RunResult;
use crate::workloads::Workload;

/// The figures of one run, or the medians of several.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub ops_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// In one run: its failed requests. In a median: the total over the runs.
    pub errors: u64,
    /// Server CPU seconds (user + system) per 1,000 successful requests.
    pub cpu_s_per_1k_ops: Option<f64>,
    /// The server's peak resident memory, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Stream records read per second (get-records, whose ops are GetRecords pages).
    pub records_per_sec: Option<f64>,
}

impl Figures {
    /// The figures of one run.
    pub fn of(run: &RunResult) -> Figures {
        let ms = |q: f64| run.latency_us.value_at_quantile(q) as f64 / 1000.0;
        let secs = run.elapsed.as_secs_f64();
        let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        Figures {
            ops_per_sec: per_sec(run.ops),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            errors: run.errors,
            cpu_s_per_1k_ops: run
                .server_cpu
                .filter(|_| run.ops > 0)
                .map(|cpu| cpu.as_secs_f64() * 1000.0 / run.ops as f64),
            peak_rss_mib: run.server_peak_rss.map(mib),
            records_per_sec: run.records.map(per_sec),
        }
    }

    /// Each figure's median over the runs (errors summed); `None` without runs.
    pub fn median(runs: &[Figures]) -> Option<Figures> {
        if runs.is_empty() {
            return None;
        }
        let med = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
        let med_opt = |f: fn(&Figures) -> Option<f64>| {
            let values: Vec<f64> = runs.iter().filter_map(f).collect();
            (!values.is_empty()).then(|| median(values))
        };
        Some(Figures {
            ops_per_sec: med(|f| f.ops_per_sec),
            p50_ms: med(|f| f.p50_ms),
            p99_ms: med(|f| f.p99_ms),
            p999_ms: med(|f| f.p999_ms),
            errors: runs.iter().map(|f| f.errors).sum(),
            cpu_s_per_1k_ops: med_opt(|f| f.cpu_s_per_1k_ops),
            peak_rss_mib: med_opt(|f| f.peak_rss_mib),
            records_per_sec: med_opt(|f| f.records_per_sec),
        })
    }
}

/// Bytes in MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One target's part of a workload.
#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub target: String,
    pub role: Role,
    /// Whether its table has a stream.
    pub streams: bool,
    pub runs: Vec<Figures>,
    pub median: Option<Figures>,
    /// Why the target has no figures, or something to know about them.
    pub note: Option<String>,
    pub first_error: Option<String>,
}

/// One workload over all targets.
#[derive(Debug, Serialize)]
pub struct WorkloadReport {
    pub workload: String,
    pub description: String,
    pub streams: Streams,
    pub targets: Vec<TargetReport>,
    /// With `--streams both`: per target, throughput with a stream against without.
    pub stream_cost: Vec<StreamCost>,
    pub ratios: Ratios,
}

impl WorkloadReport {
    /// Whether this is get-records, whose ops are pages and whose figure is records/s.
    pub fn drains(&self) -> bool {
        self.targets.iter().any(|t| {
            t.median
                .as_ref()
                .is_some_and(|m| m.records_per_sec.is_some())
        })
    }
}

/// What a stream costs one target: the medians of one workload on a table without a
/// stream and on one with it, run in turns.
#[derive(Debug, Serialize)]
pub struct StreamCost {
    pub target: String,
    pub ops_per_sec_without: f64,
    pub ops_per_sec_with: f64,
    /// Throughput with a stream over throughput without.
    pub ratio: f64,
    pub p99_ms_without: f64,
    pub p99_ms_with: f64,
    /// Server CPU per op with a stream over without: the cost where throughput is blurred
    /// by a busy machine (servers the harness started).
    pub cpu_ratio: Option<f64>,
}

impl StreamCost {
    pub fn of(target: &str, without: &Figures, with: &Figures) -> StreamCost {
        StreamCost {
            target: target.to_string(),
            ops_per_sec_without: without.ops_per_sec,
            ops_per_sec_with: with.ops_per_sec,
            ratio: if without.ops_per_sec > 0.0 {
                with.ops_per_sec / without.ops_per_sec
            } else {
                0.0
            },
            p99_ms_without: without.p99_ms,
            p99_ms_with: with.p99_ms,
            cpu_ratio: without
                .cpu_s_per_1k_ops
                .zip(with.cpu_s_per_1k_ops)
                .filter(|(w, _)| *w > 0.0)
                .map(|(w, s)| s / w),
        }
    }

    /// The cost in words, for the printed report and the Markdown file.
    pub fn line(&self) -> String {
        let cpu = self.cpu_ratio.map_or_else(String::new, |r| {
            format!("; server CPU per op {:+.1}%", (r - 1.0) * 100.0)
        });
        format!(
            "stream cost: {}: {:.0} ops/s without a stream, {:.0} with: ratio {:.3} ({:+.1}% throughput); p99 {:.3} -> {:.3} ms{cpu}",
            self.target,
            self.ops_per_sec_without,
            self.ops_per_sec_with,
            self.ratio,
            (self.ratio - 1.0) * 100.0,
            self.p99_ms_without,
            self.p99_ms_with,
        )
    }
}

/// Resident memory with many items loaded and, for on-disk targets, restarts with them.
#[derive(Debug, Serialize)]
pub struct FootprintReport {
    pub target: String,
    pub items: u64,
    /// Items times the item size, by DynamoDB's measure, MiB.
    pub data_mib: f64,
    /// Loading time (BatchWriteItem over --connections connections).
    pub load_s: Option<f64>,
    /// Resident memory with the table created and empty, MiB.
    pub rss_empty_mib: Option<f64>,
    /// Resident memory after the load, MiB.
    pub rss_loaded_mib: Option<f64>,
    pub peak_rss_mib: Option<f64>,
    /// Spawn to the first answered GetItem of a loaded item, per restart after SIGTERM (which
    /// flushes the memtable first, so the best case), ms.
    pub restarts_ms: Vec<f64>,
    pub restart_median_ms: Option<f64>,
    /// The same after SIGKILL: the journal is replayed, the case a crash leaves.
    pub kill_restarts_ms: Vec<f64>,
    pub kill_restart_median_ms: Option<f64>,
    /// Resident memory just after the last restart's first answer, MiB.
    pub rss_restarted_mib: Option<f64>,
    pub note: Option<String>,
}

impl FootprintReport {
    /// The restarts measured: after SIGTERM (memtable flushed), after SIGKILL (journal
    /// replayed), each with its runs and median.
    pub fn restart_kinds(&self) -> Vec<(&'static str, &[f64], Option<f64>)> {
        [
            (
                "SIGTERM",
                self.restarts_ms.as_slice(),
                self.restart_median_ms,
            ),
            (
                "SIGKILL",
                self.kill_restarts_ms.as_slice(),
                self.kill_restart_median_ms,
            ),
        ]
        .into_iter()
        .filter(|(_, runs, _)| !runs.is_empty())
        .collect()
    }

    /// Items loaded per second.
    pub fn items_per_sec(&self) -> Option<f64> {
        self.load_s
            .filter(|s| *s > 0.0)
            .map(|s| self.items as f64 / s)
    }

    /// Resident memory after the load over the data's size: what holding the data costs.
    pub fn loaded_per_data(&self) -> Option<f64> {
        self.rss_loaded_mib.and_then(|r| self.per_data(r))
    }

    /// What the load added to resident memory over the data's size: the cost without the
    /// process's fixed part, which dominates small loads.
    pub fn growth_per_data(&self) -> Option<f64> {
        self.rss_loaded_mib
            .zip(self.rss_empty_mib)
            .and_then(|(loaded, empty)| self.per_data(loaded - empty))
    }

    fn per_data(&self, mib: f64) -> Option<f64> {
        (self.data_mib > 0.0).then(|| mib / self.data_mib)
    }
}

/// Start-up times of one target.
#[derive(Debug, Serialize)]
pub struct StartupReport {
    pub target: String,
    pub runs_ms: Vec<f64>,
    pub median_ms: Option<f64>,
    pub note: Option<String>,
}

/// How the figures were made, echoed into the JSON so files can be compared.
#[derive(Debug, Serialize)]
pub struct Setting {
    pub connections: usize,
    pub rate: Option<f64>,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub runs: u32,
    /// Seed of each round's shuffled order of targets.
    pub seed: u64,
    pub item_bytes: usize,
    pub keys: u64,
    pub streams: Streams,
    /// The item counts of --rss-items, each measured in turn (empty without it).
    pub rss_items: Vec<u64>,
    /// Start-ups per target with --startup.
    pub startup_runs: Option<u32>,
    pub client_threads: usize,
    pub cores: usize,
}

/// Everything one invocation measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub unix_time: u64,
    pub setting: Setting,
    pub workloads: Vec<WorkloadReport>,
    pub startup: Vec<StartupReport>,
    pub footprint: Vec<FootprintReport>,
}

/// Prints one workload's table.
pub fn print_workload(w: &WorkloadReport, setting: &Setting) {
    // get-records: an op is a page, and records/s is the figure that matters.
    let drains = w.drains();
    let streams = match w.streams {
        Streams::Off => "",
        Streams::On => ", tables with a stream",
        Streams::Both => ", each target without and with a stream",
    };
    println!();
    println!("== {}: {}", w.workload, w.description);
    if drains {
        println!(
            "   one connection per shard, {} run(s) of {}s after {}s warm-up; medians, errors summed",
            setting.runs, setting.duration_s, setting.warmup_s
        );
    } else {
        println!(
            "   {}{streams}, {} run(s) of {}s after {}s warm-up; medians, errors summed",
            load_shape(setting),
            setting.runs,
            setting.duration_s,
            setting.warmup_s
        );
    }
    let name_width = w
        .targets
        .iter()
        .map(|t| t.target.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let (ops, records) = if drains {
        ("pages/s", format!(" {:>10}", "records/s"))
    } else {
        ("ops/s", String::new())
    };
    println!(
        "{:<name_width$} {ops:>10}{records} {:>9} {:>9} {:>9} {:>7} {:>12} {:>9}",
        "target", "p50 ms", "p99 ms", "p99.9 ms", "errors", "cpu s/1k op", "rss MiB"
    );
    for t in &w.targets {
        match &t.median {
            Some(m) => {
                let records = if drains {
                    format!(" {:>10}", opt(m.records_per_sec, 0))
                } else {
                    String::new()
                };
                println!(
                    "{:<name_width$} {:>10.0}{records} {:>9.3} {:>9.3} {:>9.3} {:>7} {:>12} {:>9}",
                    t.target,
                    m.ops_per_sec,
                    m.p50_ms,
                    m.p99_ms,
                    m.p999_ms,
                    m.errors,
                    opt(m.cpu_s_per_1k_ops, 3),
                    opt(m.peak_rss_mib, 1),
                );
            }
            None => println!("{:<name_width$} {:>10}", t.target, "-"),
        }
    }
    for c in &w.stream_cost {
        println!("   {}", c.line());
    }
    for line in w.ratios.lines() {
        println!("   {line}");
    }
    for t in &w.targets {
        if let Some(note) = &t.note {
            println!("   note: {}: {note}", t.target);
        }
        if let Some(e) = &t.first_error {
            println!("   first error: {}: {e}", t.target);
        }
    }
}

/// How each workload was driven, in words, for headings: `32 connections, closed loop`.
pub fn load_shape(setting: &Setting) -> String {
    match setting.rate {
        Some(rate) => format!(
            "{} connections, open loop at {rate} req/s",
            setting.connections
        ),
        None => format!("{} connections, closed loop", setting.connections),
    }
}

/// Prints the start-up times.
pub fn print_startup(startup: &[StartupReport]) {
    println!();
    println!("== start-up: spawn to first 200 of GET /_eddy/health, empty data dir");
    println!(
        "{:<12} {:>10} {:>10} {:>10}",
        "target", "median ms", "min ms", "max ms"
    );
    for s in startup {
        let (min, max) = min_max(&s.runs_ms);
        println!(
            "{:<12} {:>10} {:>10} {:>10}",
            s.target,
            opt(s.median_ms, 1),
            opt(min, 1),
            opt(max, 1)
        );
        if let Some(note) = &s.note {
            println!("   note: {}: {note}", s.target);
        }
    }
}

/// Prints the memory figures and restart times, a pair of tables per item count.
pub fn print_footprint(footprint: &[FootprintReport], setting: &Setting) {
    for group in footprint.chunk_by(|a, b| a.items == b.items) {
        print_footprint_group(group, setting);
    }
}

/// Prints the figures of one item count.
fn print_footprint_group(footprint: &[FootprintReport], setting: &Setting) {
    let Some(first) = footprint.first() else {
        return;
    };
    println!();
    println!(
        "== memory: {} items of ~{} bytes ({:.1} MiB by DynamoDB's measure), BatchWriteItem of 25 over {} connections",
        first.items, setting.item_bytes, first.data_mib, setting.connections
    );
    println!(
        "{:<12} {:>8} {:>9} {:>10} {:>11} {:>9} {:>12} {:>13}",
        "target",
        "load s",
        "items/s",
        "empty MiB",
        "loaded MiB",
        "peak MiB",
        "loaded/data",
        "growth/data"
    );
    for f in footprint {
        println!(
            "{:<12} {:>8} {:>9} {:>10} {:>11} {:>9} {:>12} {:>13}",
            f.target,
            opt(f.load_s, 2),
            opt(f.items_per_sec(), 0),
            opt(f.rss_empty_mib, 1),
            opt(f.rss_loaded_mib, 1),
            opt(f.peak_rss_mib, 1),
            opt(f.loaded_per_data(), 2),
            opt(f.growth_per_data(), 2),
        );
    }
    let restarted: Vec<&FootprintReport> = footprint
        .iter()
        .filter(|f| !f.restarts_ms.is_empty())
        .collect();
    if !restarted.is_empty() {
        println!();
        println!(
            "== restart with {} items: spawn to the first answered GetItem of a loaded item",
            first.items
        );
        println!(
            "{:<12} {:<8} {:>10} {:>10} {:>10} {:>13}",
            "target", "after", "median ms", "min ms", "max ms", "rss after MiB"
        );
        for f in restarted {
            for (after, runs, median) in f.restart_kinds() {
                let (min, max) = min_max(runs);
                println!(
                    "{:<12} {:<8} {:>10} {:>10} {:>10} {:>13}",
                    f.target,
                    after,
                    opt(median, 1),
                    opt(min, 1),
                    opt(max, 1),
                    opt(f.rss_restarted_mib, 1),
                );
            }
        }
    }
    for f in footprint {
        if let Some(note) = &f.note {
            println!("   note: {}: {note}", f.target);
        }
    }
}

/// The smallest and largest of some figures (`None` when there are none).
pub fn min_max(values: &[f64]) -> (Option<f64>, Option<f64>) {
    (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    )
}

/// The median of start-up durations, in ms.
pub fn median_ms(runs: &[Duration]) -> Option<f64> {
    (!runs.is_empty()).then(|| median(runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect()))
}

/// The setting and day of a report in one line, for the chart's title and the Markdown: how
/// each kind of measurement it holds was made, the cores and the day.
pub fn summary(report: &Report) -> String {
    let s = &report.setting;
    let mut parts = Vec::new();
    if !report.workloads.is_empty() {
        // get-records reads with one connection per shard, whatever --connections says.
        let drains = |w: &WorkloadReport| w.workload == Workload::GetRecords.name();
        let shape = if report.workloads.iter().all(drains) {
            "one connection per shard".to_string()
        } else if report.workloads.iter().any(drains) {
            format!("{} (get-records: one per shard)", load_shape(s))
        } else {
            load_shape(s)
        };
        parts.push(format!(
            "{shape}; median of {} run(s) of {}s after {}s warm-up, targets in turns",
            s.runs, s.duration_s, s.warmup_s
        ));
    }
    if let Some(runs) = s.startup_runs {
        parts.push(format!("median of {runs} start-up(s) per target, in turns"));
    }
    if !s.rss_items.is_empty() {
        let counts: Vec<String> = s.rss_items.iter().map(u64::to_string).collect();
        parts.push(format!(
            "{} items of ~{} bytes loaded over {} connections, on-disk targets then restarted {} time(s)",
            counts.join(" and "),
            s.item_bytes,
            s.connections,
            s.runs
        ));
    }
    parts.push(format!("{} core(s)", s.cores));
    parts.push(format!("{} UTC", utc_date(report.unix_time)));
    parts.join("; ")
}

/// The day of a Unix time, `2026-03-01` (UTC): the civil-from-days conversion of
/// <https://howardhinnant.github.io/date_algorithms.html>, so no date crate is needed.
pub fn utc_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A figure with `decimals` decimals, or `-` when there is none.
pub fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

/// Writes the report as pretty JSON, creating the directory.
///
/// # Errors
/// The file cannot be written.
pub fn write_json(path: &Path, report: &Report) -> Result<()> {
    write_file(path, &serde_json::to_vec_pretty(report)?)
}

/// Writes one output file, creating its directory.
///
/// # Errors
/// The directory cannot be created or the file written.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report of two workloads over eddy, the bare server and two peers (one without
    /// figures), for the chart and Markdown tests.
    pub(crate) fn sample() -> Report {
        let target = |name: &str, role: Role, ops: Option<f64>| TargetReport {
            target: name.to_string(),
            role,
            streams: false,
            runs: Vec::new(),
            median: ops.map(|ops| Figures {
                peak_rss_mib: (role == Role::Eddy).then_some(10.0),
                ..figures(ops, 0, (role == Role::Eddy).then_some(0.02))
            }),
            note: ops.is_none().then(|| "did not start: refused".to_string()),
            first_error: None,
        };
        let workload = |name: &str, targets: Vec<TargetReport>| WorkloadReport {
            workload: name.to_string(),
            description: format!("{name} <things> & more"),
            streams: Streams::Off,
            ratios: Ratios::of(&targets, name == "get"),
            targets,
            stream_cost: Vec::new(),
        };
        Report {
            unix_time: 1_795_610_865,
            setting: Setting {
                seed: 7,
                connections: 32,
                rate: None,
                duration_s: 5.0,
                warmup_s: 1.0,
                runs: 3,
                item_bytes: 200,
                keys: 10_000,
                streams: Streams::Off,
                rss_items: Vec::new(),
                startup_runs: None,
                client_threads: 2,
                cores: 2,
            },
            workloads: vec![
                workload(
                    "get",
                    vec![
                        target("eddy-memory", Role::Eddy, Some(1000.0)),
                        target("bare", Role::Bare, Some(4000.0)),
                        target("moto", Role::Peer, Some(10.0)),
                        target("dynalite", Role::Peer, None),
                    ],
                ),
                workload(
                    "put",
                    vec![
                        target("eddy-memory", Role::Eddy, Some(900.0)),
                        target("moto", Role::Peer, Some(9.0)),
                    ],
                ),
            ],
            startup: Vec::new(),
            footprint: Vec::new(),
        }
    }

    fn figures(ops: f64, errors: u64, cpu: Option<f64>) -> Figures {
        Figures {
            ops_per_sec: ops,
            p50_ms: ops / 1000.0,
            p99_ms: 1.0,
            p999_ms: 2.0,
            errors,
            cpu_s_per_1k_ops: cpu,
            peak_rss_mib: None,
            records_per_sec: None,
        }
    }

    #[test]
    fn medians_per_figure_and_summed_errors() {
        let runs = [
            figures(300.0, 1, Some(0.3)),
            figures(100.0, 2, None),
            figures(200.0, 0, Some(0.1)),
        ];
        let m = Figures::median(&runs).expect("median");
        assert_eq!(m.ops_per_sec, 200.0);
        assert_eq!(m.errors, 3);
        assert_eq!(m.cpu_s_per_1k_ops, Some(0.2));
        assert_eq!(m.peak_rss_mib, None);
        assert!(Figures::median(&[]).is_none());
    }

    #[test]
    fn summary_says_how_the_load_was_driven() {
        let mut report = sample();
        assert_eq!(
            summary(&report),
            "32 connections, closed loop; median of 3 run(s) of 5s after 1s warm-up, targets in turns; 2 core(s); 2026-11-25 UTC"
        );
        report.workloads[0].workload = "get-records".into();
        assert!(
            summary(&report).starts_with(
                "32 connections, closed loop (get-records: one per shard); median of 3"
            )
        );
        report.workloads[1].workload = "get-records".into();
        assert!(summary(&report).starts_with("one connection per shard; median of 3"));
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_795_610_865), "2026-11-25");
    }

    #[test]
    fn stream_cost_ratio() {
        let c = StreamCost::of("t", &figures(200.0, 0, None), &figures(180.0, 0, None));
        assert!((c.ratio - 0.9).abs() < 1e-9);
        assert_eq!(c.cpu_ratio, None);
        let c = StreamCost::of(
            "t",
            &figures(200.0, 0, Some(0.04)),
            &figures(180.0, 0, Some(0.05)),
        );
        assert!((c.cpu_ratio.expect("cpu ratio") - 1.25).abs() < 1e-9);
        assert_eq!(
            StreamCost::of("t", &figures(0.0, 0, None), &figures(1.0, 0, None)).ratio,
            0.0
        );
    }
}
