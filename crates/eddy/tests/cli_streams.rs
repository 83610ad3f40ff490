//! `eddy streams` against a real server: list, describe's lineage tree, tail in both formats,
//! with a checkpoint file and with --follow across rollovers and splits, and the one-line
//! errors for bad input.

mod common;

use common::streams::bump;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::StreamViewType;
use common::TestServer;
use common::streams::{create_stream_table, open_shards, spec};
use eddy_engine::{EngineConfig, StreamsConfig};
use serde_json::Value;

/// `eddy streams ARGS` against `endpoint`, with credentials and region from the environment
/// (and instance metadata off, so the AWS chain never looks beyond it).
fn eddy(endpoint: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eddy"));
    cmd.arg("streams")
        .args(args)
        .arg("--endpoint")
        .arg(endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB");
    cmd
}

fn run(endpoint: &str, args: &[&str]) -> Output {
    eddy(endpoint, args).output().expect("run eddy streams")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "eddy streams failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record per line"))
        .collect()
}

fn two_partitions() -> TestServer {
    TestServer::start_with(EngineConfig {
        streams: StreamsConfig {
            table_partitions: 2,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_describe_draw_the_lineage() {
    let server = two_partitions();
    let db = server.client();
    let arn = create_stream_table(&db, "Orders", StreamViewType::NewImage, false).await;
    let listed = stdout(&run(&server.endpoint, &["list", "--table", "Orders"]));
    assert!(
        listed
            .lines()
            .next()
            .is_some_and(|h| h.starts_with("TABLE")),
        "{listed}"
    );
    assert!(listed.contains(&arn), "{listed}");

    server.advance(4 * 3600 + 1);
    let open = open_shards(&server.streams_client(), &arn).await;
    assert_eq!(server.split(&arn, &open[0]).status, 200);
    let described = stdout(&run(&server.endpoint, &["describe", "--table", "Orders"]));
    assert!(described.contains("Status   ENABLED"), "{described}");
    assert!(described.contains("Shards   6 (3 open)"), "{described}");
    assert_eq!(described.matches("closed").count(), 3, "{described}");
    assert!(described.contains("└── shardId-"), "{described}");
    assert!(
        described.contains("    ├── shardId-") || described.contains("│   "),
        "{described}"
    );
    let by_arn = stdout(&run(&server.endpoint, &["describe", "--arn", &arn]));
    assert_eq!(by_arn, described);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_prints_every_record_in_lineage_order_and_resumes_from_a_checkpoint() {
    let server = two_partitions();
    let db = server.client();
    create_stream_table(&db, "Tail", StreamViewType::NewAndOldImages, false).await;
    for i in 0..4 {
        bump(&db, "Tail", &format!("k{i}")).await;
    }
    server.advance(4 * 3600 + 1);
    for i in 0..4 {
        bump(&db, "Tail", &format!("k{i}")).await;
    }
    let lines = json_lines(&stdout(&run(
        &server.endpoint,
        &["tail", "--table", "Tail"],
    )));
    assert_eq!(lines.len(), 8);
    for i in 0..4 {
        let events: Vec<&str> = lines
            .iter()
            .filter(|r| r["dynamodb"]["Keys"]["pk"]["S"] == format!("k{i}"))
            .map(|r| r["eventName"].as_str().expect("eventName"))
            .collect();
        assert_eq!(events, ["INSERT", "MODIFY"], "k{i}");
    }
    assert_eq!(lines[0]["eventSource"], "aws:dynamodb");
    assert!(lines[0]["dynamodb"]["SequenceNumber"].is_string());

    let pretty = stdout(&run(
        &server.endpoint,
        &["tail", "--table", "Tail", "--format", "pretty"],
    ));
    assert!(pretty.contains("INSERT {pk: \"k0\"}  {c: 1}"), "{pretty}");
    assert!(pretty.contains("MODIFY {pk: \"k0\"}  c: 1 → 2"), "{pretty}");

    let dir = tempfile::tempdir().expect("tempdir");
    let checkpoint = dir.path().join("tail.json");
    let cp = checkpoint.to_str().expect("path");
    let first = json_lines(&stdout(&run(
        &server.endpoint,
        &["tail", "--table", "Tail", "--checkpoint", cp],
    )));
    assert_eq!(first.len(), 8);
    bump(&db, "Tail", "k9").await;
    let second = json_lines(&stdout(&run(
        &server.endpoint,
        &["tail", "--table", "Tail", "--checkpoint", cp],
    )));
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["dynamodb"]["Keys"]["pk"]["S"], "k9");
    let latest = stdout(&run(
        &server.endpoint,
        &["tail", "--table", "Tail", "--from", "latest"],
    ));
    assert!(latest.is_empty(), "{latest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_follow_goes_on_across_rollovers_and_splits_until_the_stream_ends() {
    let server = two_partitions();
    let db = server.client();
    let arn = create_stream_table(&db, "Follow", StreamViewType::KeysOnly, false).await;
    let mut child = eddy(&server.endpoint, &["tail", "--table", "Follow", "-f"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tail -f");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let expect = |count: usize, seen: &mut Vec<String>| {
        while seen.len() < count {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("tail -f prints the new record");
            seen.push(line);
        }
    };
    for i in 0..3 {
        bump(&db, "Follow", &format!("a{i}")).await;
    }
    expect(3, &mut seen);
    server.advance(4 * 3600 + 1);
    for i in 0..3 {
        bump(&db, "Follow", &format!("b{i}")).await;
    }
    expect(6, &mut seen);
    let open = open_shards(&server.streams_client(), &arn).await;
    assert_eq!(server.split(&arn, &open[0]).status, 200);
    for i in 0..6 {
        bump(&db, "Follow", &format!("c{i}")).await;
    }
    expect(12, &mut seen);
    db.update_table()
        .table_name("Follow")
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("disable");
    let mut status = None;
    for _ in 0..300 {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("tail -f did not stop once the stream was disabled")
    });
    assert!(status.success());
    let keys: std::collections::BTreeSet<String> = json_lines(&seen.join("\n"))
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["pk"]["S"]
                .as_str()
                .expect("pk")
                .to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 12);
}

fn failure(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    let err = String::from_utf8(out.stderr.clone()).expect("utf-8");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_one_line_and_a_failing_exit() {
    let server = TestServer::start();
    let db = server.client();
    common::create_table(&db, "Plain", None).await;
    create_stream_table(&db, "Streamed", StreamViewType::KeysOnly, false).await;

    let missing = failure(&run(&server.endpoint, &["tail", "--table", "Nope"]));
    assert!(missing.contains("not found"), "{missing}");
    let no_stream = failure(&run(&server.endpoint, &["describe", "--table", "Plain"]));
    assert!(no_stream.contains("has no stream"), "{no_stream}");

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "not a checkpoint").expect("write");
    let bad_file = failure(&run(
        &server.endpoint,
        &[
            "tail",
            "--table",
            "Streamed",
            "--checkpoint",
            bad.to_str().expect("path"),
        ],
    ));
    assert!(bad_file.contains("checkpoint"), "{bad_file}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let unreachable = failure(&run(&dead, &["list"]));
    assert!(unreachable.contains("cannot reach"), "{unreachable}");
}

#[test]
fn the_endpoint_comes_from_the_environment_when_no_flag_is_given() {
    let server = TestServer::start();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eddy"));
    let out = cmd
        .args(["streams", "list"])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &server.endpoint)
        .output()
        .expect("run");
    assert!(stdout(&out).starts_with("TABLE"));
}
