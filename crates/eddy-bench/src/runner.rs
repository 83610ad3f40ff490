//! One measured run: N connections, each a task sending requests, closed loop (back to back)
//! or open loop (on a schedule), latencies in an HDR histogram.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use hyper::StatusCode;
use rand::SeedableRng;
use rand::rngs::SmallRng;
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
    /// CPU time the server used during the window (servers the harness started).
    pub server_cpu: Option<Duration>,
    /// The server's peak resident memory so far, in bytes (servers the harness started).
    pub server_peak_rss: Option<u64>,
}

struct ConnResult {
    ops: u64,
    errors: u64,
    last_reply: Option<Instant>,
    latency_us: Histogram<u64>,
    first_error: Option<String>,
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
    let start = Instant::now();
    let measure_from = start + shape.warmup;
    let stop_at = measure_from + shape.duration;
    let cpu_before = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from).await;
        server_pid.and_then(|pid| process_stats::cpu_time(pid).ok())
    });
    let mut tasks = Vec::with_capacity(shape.connections);
    for i in 0..shape.connections {
        let conn = ConnLoop {
            endpoint: endpoint.clone(),
            template: template.clone(),
            measure_from,
            stop_at,
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

    let mut total = ConnResult {
        ops: 0,
        errors: 0,
        last_reply: None,
        latency_us: new_histogram()?,
        first_error: None,
    };
    for task in tasks {
        let r = task.await.context("a connection task failed")??;
        total.ops += r.ops;
        total.errors += r.errors;
        total.last_reply = total.last_reply.max(r.last_reply);
        total.latency_us.add(&r.latency_us)?;
        total.first_error = total.first_error.or(r.first_error);
    }
    let cpu_after = server_pid.and_then(|pid| process_stats::cpu_time(pid).ok());
    let cpu_before = cpu_before.await.context("the CPU sampler failed")?;
    let window_end = total.last_reply.map_or(stop_at, |t| t.max(stop_at));
    Ok(RunResult {
        ops: total.ops,
        errors: total.errors,
        elapsed: window_end - measure_from,
        latency_us: total.latency_us,
        first_error: total.first_error,
        server_cpu: cpu_before.zip(cpu_after).map(|(b, a)| a.saturating_sub(b)),
        server_peak_rss: server_pid.and_then(|pid| process_stats::peak_rss(pid).ok()),
    })
}

fn new_histogram() -> Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?)
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
    async fn run(mut self) -> Result<ConnResult> {
        let mut r = ConnResult {
            ops: 0,
            errors: 0,
            last_reply: None,
            latency_us: new_histogram()?,
            first_error: None,
        };
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
            let outcome = c.call(self.template.op, body).await;
            let now = Instant::now();
            match outcome {
                Ok(reply) if reply.status == StatusCode::OK => {
                    if measured {
                        r.ops += 1;
                        r.last_reply = Some(now);
                        let us = (now - since).as_micros();
                        r.latency_us
                            .saturating_record(u64::try_from(us).unwrap_or(MAX_LATENCY_US));
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
}

impl ConnResult {
    fn fail(&mut self, measured: bool, describe: impl FnOnce() -> String) {
        if measured {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(describe());
            }
        }
    }
}
