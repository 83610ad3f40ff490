//! Crash durability: the real binary on disk, killed with SIGKILL in the middle of a write
//! load; after a restart every acknowledged write is there. Also checks that the test-control
//! endpoints are off by default and that start-up is fast.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{EddyProcess as Eddy, client_for, create_table, s};
use tokio::sync::Mutex;

fn spawn(data_dir: &std::path::Path, extra: &[&str]) -> Eddy {
    let mut flags = vec![std::ffi::OsStr::new("--data-dir"), data_dir.as_os_str()];
    flags.extend(extra.iter().map(std::ffi::OsStr::new));
    Eddy::serve(&flags)
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    writes_survive_sigkill(&[]).await;
}

/// Fsync mode's group commit (writes acknowledged after a journal sync shared with those
/// queued behind the table's lock) must survive a process kill as buffered mode does. What
/// fsync adds, surviving power loss, a process kill cannot show: the OS keeps unsynced writes;
/// `eddy-torture crash --durability fsync --power-loss` is its test (a short run is in
/// scripts/test).
#[tokio::test]
async fn acknowledged_writes_survive_sigkill_in_fsync_mode() {
    writes_survive_sigkill(&["--durability", "fsync"]).await;
}

async fn writes_survive_sigkill(flags: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let eddy = spawn(dir.path(), flags);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "durable", None).await;

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = client.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("w{w}-{i}");
                let res = client
                    .put_item()
                    .table_name("durable")
                    .item("pk", s(&key))
                    .item("payload", s(&"p".repeat(64)))
                    .send()
                    .await;
                if res.is_ok() {
                    acked.lock().await.push(key);
                } else {
                    break;
                }
                i += 1;
            }
        }));
    }
    // The kill comes after a number of acknowledged writes, not after a time: the load is
    // the same on a slow machine as on a fast one, and writes are in flight when it comes.
    while acked.lock().await.len() < 300 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut eddy = eddy;
    // SIGKILL: no shutdown hook runs.
    eddy.child.kill().expect("kill");
    let _ = eddy.child.wait();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().await.clone();

    let restarted = spawn(dir.path(), flags);
    let client = client_for(&restarted.endpoint);
    for chunk in acked.chunks(100) {
        let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .set_keys(Some(
                chunk
                    .iter()
                    .map(|k| [("pk".to_owned(), s(k))].into())
                    .collect(),
            ))
            .build()
            .expect("keys");
        let got = client
            .batch_get_item()
            .request_items("durable", keys)
            .send()
            .await
            .expect("batch get");
        let mut found: Vec<&str> = got
            .responses()
            .and_then(|r| r.get("durable"))
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()))
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default();
        found.sort_unstable();
        let mut wanted: Vec<&str> = chunk.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        assert_eq!(found, wanted, "an acknowledged write was lost");
    }
    eprintln!("{} acknowledged writes all survived SIGKILL", acked.len());

    // ItemCount is counted after start-up, off the request path; it settles on what a full
    // Scan finds.
    let mut stored = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("durable")
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        stored += page.count();
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let mut item_count = None;
    for _ in 0..200 {
        let d = client
            .describe_table()
            .table_name("durable")
            .send()
            .await
            .expect("describe");
        item_count = d.table().and_then(|t| t.item_count());
        if item_count == Some(i64::from(stored)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        item_count,
        Some(i64::from(stored)),
        "ItemCount after restart"
    );
}

#[tokio::test]
async fn test_control_is_off_by_default_and_startup_is_fast() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let eddy = spawn(dir.path(), &[]);
    let addr = eddy.endpoint.trim_start_matches("http://").to_owned();
    let health = raw_post(&addr, "GET", "/_eddy/health", "");
    let elapsed = started.elapsed();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    eprintln!("start-up to first health answer: {elapsed:?}");
    let advance = raw_post(&addr, "POST", "/_eddy/clock/advance", r#"{"seconds":1}"#);
    assert!(advance.starts_with("HTTP/1.1 404"), "{advance}");
}

/// The test clock's advance is kept with the data: after a SIGKILL and a restart, time goes on
/// from where the clock was, and a new stream record is never dated before an older one.
#[tokio::test]
async fn the_test_clock_never_runs_backwards_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let eddy = spawn(dir.path(), &["--test-control"]);
    let addr = eddy.endpoint.trim_start_matches("http://").to_owned();
    let client = client_for(&eddy.endpoint);
    let arn = common::streams::create_stream_table(
        &client,
        "clocked",
        aws_sdk_dynamodb::types::StreamViewType::KeysOnly,
        false,
    )
    .await;
    let advanced = now_of(&raw_post(
        &addr,
        "POST",
        "/_eddy/clock/advance",
        r#"{"seconds":7200}"#,
    ));
    common::streams::put(&client, "clocked", "before").await;
    let mut eddy = eddy;
    eddy.child.kill().expect("kill");
    let _ = eddy.child.wait();

    let eddy = spawn(dir.path(), &["--test-control"]);
    let addr = eddy.endpoint.trim_start_matches("http://").to_owned();
    let now = now_of(&raw_post(
        &addr,
        "POST",
        "/_eddy/clock/advance",
        r#"{"seconds":0}"#,
    ));
    assert!(
        now >= advanced,
        "the clock went back from {advanced} to {now}"
    );
    let client = client_for(&eddy.endpoint);
    common::streams::put(&client, "clocked", "after").await;
    let records =
        common::streams::read_all(&common::streams_client_for(&eddy.endpoint), &arn).await;
    let times: Vec<i64> = records
        .iter()
        .filter_map(|r| {
            r.dynamodb()
                .and_then(|d| d.approximate_creation_date_time())
        })
        .map(|t| t.secs())
        .collect();
    assert_eq!(times.len(), 2);
    assert!(
        times[0] * 1000 >= advanced as i64 - 1000,
        "dated on the advanced clock"
    );
    assert!(times[1] >= times[0], "{times:?}");
}

fn now_of(response: &str) -> u64 {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("json");
    json["now"].as_u64().expect("now")
}

fn raw_post(addr: &str, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out
}
