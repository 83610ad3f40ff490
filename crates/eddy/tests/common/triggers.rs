//! Fixtures of the trigger tests: the real eddy binary with `--trigger` flags (on the engine
//! `EDDY_TEST_ENGINE` names), handlers that are HTTP servers recording what they were sent,
//! and the Lambda handler example built in this workspace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{RawResponse, http_request};

/// How long a test waits for a delivery before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// A running eddy process with test control; killed when dropped.
pub struct Eddy {
    child: Child,
    pub addr: SocketAddr,
    pub endpoint: String,
    args: Vec<String>,
    data: Option<Arc<tempfile::TempDir>>,
}

impl Drop for Eddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn memory_engine() -> bool {
    std::env::var("EDDY_TEST_ENGINE").as_deref() == Ok("memory")
}

impl Eddy {
    /// Starts eddy with these extra flags (`--trigger ...`), in memory or on disk as the test
    /// engine says.
    pub fn start(args: &[String]) -> Self {
        let data = (!memory_engine()).then(|| Arc::new(tempfile::tempdir().expect("tempdir")));
        Self::spawn(args.to_vec(), data, &[])
    }

    /// Starts eddy on disk whatever the test engine: for tests that restart it.
    pub fn start_on_disk(args: &[String]) -> Self {
        Self::spawn(
            args.to_vec(),
            Some(Arc::new(tempfile::tempdir().expect("tempdir"))),
            &[],
        )
    }

    /// Starts eddy with these flags and environment variables.
    pub fn start_with_env(args: &[String], env: &[(&str, String)]) -> Self {
        let data = (!memory_engine()).then(|| Arc::new(tempfile::tempdir().expect("tempdir")));
        Self::spawn(args.to_vec(), data, env)
    }

    fn spawn(
        args: Vec<String>,
        data: Option<Arc<tempfile::TempDir>>,
        env: &[(&str, String)],
    ) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eddy"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--test-control"]);
        match &data {
            Some(dir) => cmd.arg("--data-dir").arg(dir.path()),
            None => cmd.arg("--in-memory"),
        };
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (child, endpoint) = super::spawn_eddy(cmd.args(&args));
        let addr = endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("address");
        Self {
            child,
            addr,
            endpoint,
            args,
            data,
        }
    }

    /// Kills eddy with SIGKILL and starts it again on the same data, with the same flags.
    pub fn restart(mut self) -> Self {
        let args = std::mem::take(&mut self.args);
        self.restart_with(&args)
    }

    /// Kills eddy with SIGKILL and starts it again on the same data, with these flags.
    pub fn restart_with(self, args: &[String]) -> Self {
        let data = self.data.clone();
        drop(self);
        Self::spawn(args.to_vec(), data, &[])
    }

    /// The data directory (for a server on disk).
    pub fn data_dir(&self) -> PathBuf {
        self.data.as_ref().expect("on disk").path().to_path_buf()
    }

    /// Moves eddy's clock forward (test control); returns the new now, in epoch ms.
    pub fn advance(&self, seconds: u64) -> u64 {
        let body = format!("{{\"seconds\":{seconds}}}");
        let resp = http_request(
            self.addr,
            "POST",
            "/_eddy/clock/advance",
            &[],
            body.as_bytes(),
        );
        assert_eq!(resp.status, 200, "clock advance");
        resp.json()["now"].as_u64().expect("now")
    }

    /// Splits a shard (test control).
    pub fn split(&self, stream_arn: &str, shard_id: &str) -> RawResponse {
        let body = serde_json::json!({"StreamArn": stream_arn, "ShardId": shard_id}).to_string();
        http_request(
            self.addr,
            "POST",
            "/_eddy/streams/split",
            &[],
            body.as_bytes(),
        )
    }

    /// `GET /_eddy/triggers`: every trigger's status.
    pub fn statuses(&self) -> Vec<Value> {
        let resp = http_request(self.addr, "GET", "/_eddy/triggers", &[], b"");
        assert_eq!(resp.status, 200);
        resp.json()["triggers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The first trigger's status.
    pub fn status(&self) -> Value {
        self.statuses().into_iter().next().unwrap_or_default()
    }

    /// The first trigger's counters summed over its shards.
    pub fn counter(&self, name: &str) -> u64 {
        let status = self.status();
        status["shards"]
            .as_object()
            .map(|shards| shards.values().map(|s| s[name].as_u64().unwrap_or(0)).sum())
            .unwrap_or(0)
    }
}

/// What a handler answers.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// 200 with this body.
    pub fn ok(body: &str) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    /// An answer with this status.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: "{}".to_owned(),
        }
    }
}

/// A request a handler got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub body: Value,
}

impl Received {
    /// The event's records.
    pub fn records(&self) -> Vec<Value> {
        self.body["Records"].as_array().cloned().unwrap_or_default()
    }
}

/// A record's sequence number.
pub fn seq(record: &Value) -> String {
    record["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A record's `pk` (from its Keys).
pub fn pk(record: &Value) -> String {
    record["dynamodb"]["Keys"]["pk"]["S"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

type Respond = dyn Fn(&Received, usize) -> Answer + Send + Sync;

/// An HTTP handler on a loopback port that records every request and answers as `respond`
/// says (given the request and how many came before it).
pub struct Sink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    /// A sink answering 200 `{}` to everything.
    pub fn ok() -> Self {
        Self::start(|_, _| Answer::ok("{}"))
    }

    /// A sink answering as `respond` says.
    pub fn start(respond: impl Fn(&Received, usize) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let respond: Arc<Respond> = Arc::new(respond);
        let seen = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = Arc::clone(&seen);
                let respond = Arc::clone(&respond);
                std::thread::spawn(move || serve_one(stream, &seen, &*respond));
            }
        });
        Self { addr, received }
    }

    /// The URL to give a trigger.
    pub fn url(&self) -> String {
        format!("http://{}/handler", self.addr)
    }

    /// The base URL (for a Lambda API endpoint).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests came; returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        wait_until(&format!("{n} deliveries"), || {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
    }

    /// Waits until the requests hold at least `n` records; returns every record in order of
    /// arrival.
    pub fn wait_for_records(&self, n: usize) -> Vec<Value> {
        wait_until(&format!("{n} records"), || {
            let all: Vec<Value> = self.received().iter().flat_map(Received::records).collect();
            (all.len() >= n).then_some(all)
        })
    }
}

/// Polls `check` until it gives an answer; fails the test after a generous wait.
pub fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn serve_one(mut stream: TcpStream, seen: &Mutex<Vec<Received>>, respond: &Respond) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or("").to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let received = Received {
        path,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let answer = {
        let mut all = seen.lock().expect("lock");
        let before = all.len();
        all.push(received.clone());
        respond(&received, before)
    };
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n",
        answer.status,
        answer.body.len()
    );
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(answer.body.as_bytes());
}

/// The Lambda handler example (`examples/lambda_handler.rs`), built if it is not yet.
pub fn lambda_handler() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_eddy"));
    let path = exe
        .parent()
        .expect("target dir")
        .join("examples")
        .join("lambda_handler");
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "eddy", "--example", "lambda_handler"])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building the handler example");
    }
    path
}

/// The JSON lines a handler wrote to its output file.
pub fn output_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("output line"))
        .collect()
}
