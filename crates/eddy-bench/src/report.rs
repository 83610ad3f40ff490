//! Figures per run, medians over runs, the printed tables and the JSON file.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::runner::RunResult;

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
}

impl Figures {
    /// The figures of one run.
    pub fn of(run: &RunResult) -> Figures {
        let ms = |q: f64| run.latency_us.value_at_quantile(q) as f64 / 1000.0;
        let secs = run.elapsed.as_secs_f64();
        Figures {
            ops_per_sec: if secs > 0.0 {
                run.ops as f64 / secs
            } else {
                0.0
            },
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            errors: run.errors,
            cpu_s_per_1k_ops: run
                .server_cpu
                .filter(|_| run.ops > 0)
                .map(|cpu| cpu.as_secs_f64() * 1000.0 / run.ops as f64),
            peak_rss_mib: run.server_peak_rss.map(|b| b as f64 / (1024.0 * 1024.0)),
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
        })
    }
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
    pub targets: Vec<TargetReport>,
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
    pub item_bytes: usize,
    pub keys: u64,
    pub streams: bool,
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
}

/// Prints one workload's table.
pub fn print_workload(w: &WorkloadReport, setting: &Setting) {
    let lp = match setting.rate {
        Some(rate) => format!("open loop at {rate} req/s"),
        None => "closed loop".to_string(),
    };
    println!();
    println!("== {}: {}", w.workload, w.description);
    println!(
        "   {} connections, {lp}, {} run(s) of {}s after {}s warm-up; medians, errors summed",
        setting.connections, setting.runs, setting.duration_s, setting.warmup_s
    );
    let name_width = w
        .targets
        .iter()
        .map(|t| t.target.len())
        .max()
        .unwrap_or(0)
        .max(6);
    println!(
        "{:<name_width$} {:>10} {:>9} {:>9} {:>9} {:>7} {:>12} {:>9}",
        "target", "ops/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "cpu s/1k op", "rss MiB"
    );
    for t in &w.targets {
        match &t.median {
            Some(m) => println!(
                "{:<name_width$} {:>10.0} {:>9.3} {:>9.3} {:>9.3} {:>7} {:>12} {:>9}",
                t.target,
                m.ops_per_sec,
                m.p50_ms,
                m.p99_ms,
                m.p999_ms,
                m.errors,
                opt(m.cpu_s_per_1k_ops, 3),
                opt(m.peak_rss_mib, 1),
            ),
            None => println!("{:<name_width$} {:>10}", t.target, "-"),
        }
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

/// Prints the start-up times.
pub fn print_startup(startup: &[StartupReport]) {
    println!();
    println!("== start-up: spawn to first 200 of GET /_eddy/health, empty data dir");
    println!(
        "{:<12} {:>10} {:>10} {:>10}",
        "target", "median ms", "min ms", "max ms"
    );
    for s in startup {
        let min = s.runs_ms.iter().copied().reduce(f64::min);
        let max = s.runs_ms.iter().copied().reduce(f64::max);
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

/// The median of start-up durations, in ms.
pub fn median_ms(runs: &[Duration]) -> Option<f64> {
    (!runs.is_empty()).then(|| median(runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect()))
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

/// Writes the report as pretty JSON, creating the directory.
///
/// # Errors
/// The file cannot be written.
pub fn write_json(path: &Path, report: &Report) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let json = serde_json::to_vec_pretty(report)?;
    std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(ops: f64, errors: u64, cpu: Option<f64>) -> Figures {
        Figures {
            ops_per_sec: ops,
            p50_ms: ops / 1000.0,
            p99_ms: 1.0,
            p999_ms: 2.0,
            errors,
            cpu_s_per_1k_ops: cpu,
            peak_rss_mib: None,
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
}
