//! Command-line flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use serde::Serialize;

use crate::workloads::Workload;

/// Load generator and benchmark report for eddy and other DynamoDB-compatible servers.
///
/// Prints figures and asserts nothing: a slow run is a result, not a failure.
#[derive(Parser, Debug)]
#[command(name = "eddy-bench", version, about)]
pub struct Args {
    /// Workloads to run, in order (comma-separated or repeated).
    #[arg(long = "workload", value_enum, value_delimiter = ',', default_values = ["put", "get", "query"])]
    pub workloads: Vec<Workload>,

    /// Servers the harness starts itself (comma-separated or repeated). Without any
    /// --target or --endpoint: eddy-memory,eddy-disk.
    #[arg(long = "target", value_enum, value_delimiter = ',')]
    pub targets: Vec<TargetKind>,

    /// A server that is already running, as URL or NAME=URL (repeatable), e.g.
    /// dynoxide=http://127.0.0.1:8000; the name labels it in the reports (default: the URL).
    #[arg(long = "endpoint", value_name = "[NAME=]URL", value_parser = parse_endpoint)]
    pub endpoints: Vec<EndpointArg>,

    /// Keep-alive connections, one task each.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,

    /// Open loop: this many requests per second in total, spread over the connections;
    /// latency counts from the intended send time. Without it, each connection sends back
    /// to back (closed loop).
    #[arg(long)]
    pub rate: Option<f64>,

    /// Measured time per run, e.g. 10s, 500ms, 1m.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub duration: Duration,

    /// Unmeasured load before each run's measurement.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub warmup: Duration,

    /// Runs per workload and target; targets take turns, and the report shows medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,

    /// Seed of the order targets take their turns in, shuffled anew each round (default:
    /// random; printed, so a run's order can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,

    /// Approximate size of each written or preloaded item (DynamoDB item size).
    #[arg(long, default_value_t = 200)]
    pub item_bytes: usize,

    /// Preloaded items for get, update, scan and gsi-query (query preloads this many too,
    /// ten per partition), and the stream records get-records drains.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(10..100_000_000))]
    pub keys: u64,

    /// Tables with a NEW_AND_OLD_IMAGES stream: `on` (the same as a bare --streams), `off`,
    /// or `both`: each target twice, with and without, and the throughput a stream costs.
    #[arg(long, value_enum, num_args = 0..=1, default_value = "off", default_missing_value = "on")]
    pub streams: Streams,

    /// The eddy binary to start (default: `eddy` next to this binary, i.e. target/release/eddy).
    #[arg(long)]
    pub eddy_bin: Option<PathBuf>,

    /// Measure start-up time (spawn to first 200 of GET /_eddy/health on an empty data dir)
    /// instead of running workloads.
    #[arg(long)]
    pub startup: bool,

    /// Start-ups per eddy target with --startup.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub startup_runs: u32,

    /// Measure memory instead of running workloads: load this many items of --item-bytes
    /// into each eddy target and report resident memory against the data's size; on-disk
    /// targets are then restarted --runs times and timed to their first answered request.
    /// Several counts (comma-separated) are measured one after the other, each on fresh
    /// processes.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..100_000_000))]
    pub rss_items: Vec<u64>,

    /// Worker threads of the load generator (default: one per core).
    #[arg(long)]
    pub client_threads: Option<usize>,

    /// Where to write the JSON report.
    #[arg(long, default_value = "bench/results/latest.json")]
    pub out: PathBuf,

    /// Where to write the chart of median ops/s per workload and target (SVG; default: --out
    /// with .svg). Only when workloads ran.
    #[arg(long)]
    pub chart: Option<PathBuf>,

    /// Where to write the tables as Markdown (default: --out with .md): per workload with its
    /// ratios, or the start-up times, or the memory and restart figures.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

/// A `--endpoint` value: the server's URL and the name reports give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointArg {
    pub name: String,
    pub url: String,
}

/// A server the harness runs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    /// `eddy serve --in-memory`.
    EddyMemory,
    /// `eddy serve --data-dir <temp>` (buffered durability).
    EddyDisk,
    /// `eddy serve --data-dir <temp> --durability fsync`.
    EddyFsync,
    /// An in-process server that answers every request with one fixed GetItem response:
    /// the generator's own ceiling.
    Bare,
}

impl TargetKind {
    /// The name printed in reports, the same as the flag value.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::EddyMemory => "eddy-memory",
            TargetKind::EddyDisk => "eddy-disk",
            TargetKind::EddyFsync => "eddy-fsync",
            TargetKind::Bare => "bare",
        }
    }
}

/// Whether workload tables have a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Streams {
    Off,
    On,
    /// Each target twice, one table of each kind, in turns.
    Both,
}

impl Streams {
    /// Whether each table has a stream, one entry per copy of each target.
    pub fn variants(self) -> &'static [bool] {
        match self {
            Streams::Off => &[false],
            Streams::On => &[true],
            Streams::Both => &[false, true],
        }
    }
}

/// Parses `NAME=URL` or a plain URL (named by itself). A URL's `://` comes before any `=`
/// of its own, so an `=` before `://` ends a name.
fn parse_endpoint(s: &str) -> Result<EndpointArg, String> {
    match s.split_once('=') {
        Some((name, url)) if !name.contains("://") => {
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!(
                    "not an endpoint name: {name:?} (try moto=http://127.0.0.1:5000)"
                ));
            }
            if url.is_empty() {
                return Err(format!("no URL after {name}="));
            }
            Ok(EndpointArg {
                name: name.to_string(),
                url: url.to_string(),
            })
        }
        _ => Ok(EndpointArg {
            name: s.to_string(),
            url: s.to_string(),
        }),
    }
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds (fractions allowed).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (try 5s, 500ms or 1m)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("not a duration: {s:?}"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn endpoints_with_and_without_a_name() {
        let named = parse_endpoint("dynoxide=http://127.0.0.1:1234").expect("named");
        assert_eq!(named.name, "dynoxide");
        assert_eq!(named.url, "http://127.0.0.1:1234");
        let plain = parse_endpoint("http://127.0.0.1:1234").expect("plain");
        assert_eq!(plain.name, "http://127.0.0.1:1234");
        assert_eq!(plain.url, plain.name);
        // An '=' inside the URL is the URL's own.
        let odd = parse_endpoint("http://h:1/?a=b").expect("url with =");
        assert_eq!(odd.url, "http://h:1/?a=b");
        assert!(parse_endpoint("=http://h:1").is_err());
        assert!(parse_endpoint("moto=").is_err());
        assert!(parse_endpoint("my peer=http://h:1").is_err());
    }

    #[test]
    fn streams_flag_alone_means_on() {
        let parse = |a: &[&str]| Args::try_parse_from(a).map(|a| a.streams).ok();
        assert_eq!(parse(&["eddy-bench"]), Some(Streams::Off));
        assert_eq!(parse(&["eddy-bench", "--streams"]), Some(Streams::On));
        assert_eq!(
            parse(&["eddy-bench", "--streams", "--runs", "1"]),
            Some(Streams::On)
        );
        assert_eq!(
            parse(&["eddy-bench", "--streams", "both"]),
            Some(Streams::Both)
        );
    }

    #[test]
    fn several_rss_item_counts() {
        let parse = |a: &[&str]| Args::try_parse_from(a).map(|a| a.rss_items).ok();
        assert_eq!(parse(&["eddy-bench"]), Some(vec![]));
        assert_eq!(
            parse(&["eddy-bench", "--rss-items", "100000,1000000"]),
            Some(vec![100_000, 1_000_000])
        );
        assert_eq!(parse(&["eddy-bench", "--rss-items", "0"]), None);
    }
}
