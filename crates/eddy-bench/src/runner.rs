//! One measured run: N connections, each a task sending requests, closed loop (back to back)
//! or open loop (on a schedule), latencies in an HDR histogram. The window and the tallies
//! also serve the stream drain.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use hyper::StatusCode;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::{Conn, Endpoint, api_error};
use crate::process_stats;
use crate::workloads::Template;

/// Highest latency the histogram holds (longer ones are clamped to it): 60 s in µs.
const MAX_LATENCY_US: u64 = 60_000_000;
/// Pause after a failed connect, so a dead server is not hammered in a spin.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// How to drive the load.
#[derive(Clone, Copy, Debug)]
pub struct LoadShape {
    pub connections: usize,
    /// Total requests per second for the open loop; `None` for the closed loop.
    pub rate: Option<f64>,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one run measured.
pub struct RunResult {
    /// Successful requests sent during the measured window.
    pub ops: u64,
    /// Failed requests (error status or broken connection) sent during the window.
    pub errors: u64,
    /// From the window's start to the last measured reply.
    pub elapsed: Duration,
    /// Latencies of the successful requests, in microseconds.
    pub latency_us: Histogram<u64>,
    /// The first error seen, to show what kind of failures the count holds.
    pub first_error: Option<String>,
    /// Stream records read during the window (get-records only).
    pub records: Option<u64>,
    /// CPU time the server used during the window (servers the harness started).
    pub server_cpu: Option<Duration>,
    /// The server's peak resident memory so far, in bytes (servers the harness started).
    pub server_peak_rss: Option<u64>,
}

/// What one connection counted; the run's figures are the sum over its connections.
pub struct Tally {
    ops: u64,
    errors: u64,
    /// Stream records read, for tallies that count them.
    records: Option<u64>,
    last_reply: Option<Instant>,
    latency_us: Histogram<u64>,
    first_error: Option<String>,
}

impl Tally {
    /// An empty tally; `counts_records` for connections that read stream records.
    pub fn new(counts_records: bool) -> Result<Tally> {
        Ok(Tally {
            ops: 0,
            errors: 0,
            records: counts_records.then_some(0),
            last_reply: None,
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?,
            first_error: None,
        })
    }

    /// A successful request sent at `since` and answered at `now`, if it was measured.
    pub fn success(&mut self, measured: bool, since: Instant, now: Instant) {
        if measured {
            self.ops += 1;
            self.last_reply = Some(now);
            let us = (now - since).as_micros();
            self.latency_us
                .saturating_record(u64::try_from(us).unwrap_or(MAX_LATENCY_US));
        }
    }

    /// Stream records a measured request read.
    pub fn read_records(&mut self, measured: bool, n: usize) {
        if measured && let Some(records) = &mut self.records {
            *records += n as u64;
        }
    }

    /// A failed request, if it was measured; `describe` runs only for the first.
    pub fn fail(&mut self, measured: bool, describe: impl FnOnce() -> String) {
        if measured {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(describe());
            }
        }
    }

    fn add(&mut self, other: Tally) -> Result<()> {
        self.ops += other.ops;
        self.errors += other.errors;
        self.records = match (self.records, other.records) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.last_reply = self.last_reply.max(other.last_reply);
        self.latency_us.add(&other.latency_us)?;
        self.first_error = self.first_error.take().or(other.first_error);
        Ok(())
    }
}

/// A run's timeline: warm-up, then the measured window, with the server's CPU time sampled
/// at the window's start and end.
pub struct Window {
    pub start: Instant,
    pub measure_from: Instant,
    pub stop_at: Instant,
    server_pid: Option<u32>,
    cpu_before: JoinHandle<Option<Duration>>,
}

impl Window {
    /// Starts the clock: warm-up from now, then the measured duration.
    pub fn open(shape: LoadShape, server_pid: Option<u32>) -> Window {
        let start = Instant::now();
        let measure_from = start + shape.warmup;
        let cpu_before = tokio::spawn(async move {
            tokio::time::sleep_until(measure_from).await;
            server_pid.and_then(|pid| process_stats::cpu_time(pid).ok())
        });
        Window {
            start,
            measure_from,
            stop_at: measure_from + shape.duration,
            server_pid,
            cpu_before,
        }
    }

    /// Waits for the connection tasks and sums what they counted.
    ///
    /// # Errors
    /// Only internal failures (a task panicked).
    pub async fn close(self, tasks: Vec<JoinHandle<Result<Tally>>>) -> Result<RunResult> {
        let mut total = Tally::new(false)?;
        for task in tasks {
            total.add(task.await.context("a connection task failed")??)?;
        }
        let cpu_after = self
            .server_pid
            .and_then(|pid| process_stats::cpu_time(pid).ok());
        let cpu_before = self.cpu_before.await.context("the CPU sampler failed")?;
        let window_end = total
            .last_reply
            .map_or(self.stop_at, |t| t.max(self.stop_at));
        Ok(RunResult {
            ops: total.ops,
            errors: total.errors,
            elapsed: window_end - self.measure_from,
            latency_us: total.latency_us,
            first_error: total.first_error,
            records: total.records,
            server_cpu: cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b)),
            server_peak_rss: self
                .server_pid
                .and_then(|pid| process_stats::peak_rss(pid).ok()),
        })
    }
}

/// Runs `template` against `endpoint` for warm-up plus duration.
///
/// # Errors
/// Only internal failures (a task panicked); request failures are counted, not returned.
pub async fn run(
    endpoint: &Endpoint,
    template: Arc<Template>,
    shape: LoadShape,
    server_pid: Option<u32>,
) -> Result<RunResult> {
    let window = Window::open(shape, server_pid);
    let start = window.start;
    let mut tasks = Vec::with_capacity(shape.connections);
    for i in 0..shape.connections {
        let conn = ConnLoop {
            endpoint: endpoint.clone(),
            template: template.clone(),
            measure_from: window.measure_from,
            stop_at: window.stop_at,
            // Each connection's share of the rate; the first sends are staggered over one
            // interval so the connections don't fire in lockstep.
            schedule: shape.rate.map(|rate| {
                let interval = Duration::from_secs_f64(shape.connections as f64 / rate);
                (
                    interval,
                    start + interval.mul_f64(i as f64 / shape.connections as f64),
                )
            }),
            rng: SmallRng::from_os_rng(),
        };
        tasks.push(tokio::spawn(conn.run()));
    }
    window.close(tasks).await
}

/// One connection's loop.
struct ConnLoop {
    endpoint: Endpoint,
    template: Arc<Template>,
    measure_from: Instant,
    stop_at: Instant,
    /// Open loop: the interval between this connection's sends and its first send time.
    schedule: Option<(Duration, Instant)>,
    rng: SmallRng,
}

impl ConnLoop {
    async fn run(mut self) -> Result<Tally> {
        let mut r = Tally::new(false)?;
        let mut conn: Option<Conn> = None;
        loop {
            // `since` is where latency counts from. Open loop, behind schedule: from when the
            // request was due, not when it went out, because a server that stalls delays the
            // sends queued behind it and that delay is its latency too (coordinated omission).
            // Ahead of schedule: from the actual send, since the timer wakes up to 1 ms late
            // and that lateness is the generator's, not the server's.
            let (due, since) = match &mut self.schedule {
                Some((interval, next)) => {
                    let due = *next;
                    *next += *interval;
                    if Instant::now() < due {
                        tokio::time::sleep_until(due).await;
                        (due, Instant::now())
                    } else {
                        (due, due)
                    }
                }
                None => {
                    let now = Instant::now();
                    (now, now)
                }
            };
            if due >= self.stop_at {
                return Ok(r);
            }
            let measured = due >= self.measure_from;
            let body = self.template.body(&mut self.rng);
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
            match c.call(self.template.op, body).await {
                Ok(reply) if reply.status == StatusCode::OK => {
                    r.success(measured, since, Instant::now());
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
}
