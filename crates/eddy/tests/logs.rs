//! `--log-format json --log-level debug`: one JSON object per line, one line per request with
//! its operation, table, status, latency and request id.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{client_for, create_table};

#[tokio::test]
async fn each_request_is_one_json_line_at_debug_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("eddy.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args(["serve", "--in-memory", "--listen", "127.0.0.1:0"])
        .args(["--log-format", "json", "--log-level", "eddy_server=debug"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let mut ready = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut ready)
        .expect("ready line");
    let endpoint = ready.trim().strip_prefix("eddy ready on ").expect("ready");
    let client = client_for(endpoint);
    create_table(&client, "logged", None).await;
    let missing = client.describe_table().table_name("missing").send().await;
    assert!(missing.is_err());
    let _ = child.kill();
    let _ = child.wait();

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = |operation: &str, table: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["operation"] == operation && l["fields"]["table"] == table)
            .unwrap_or_else(|| panic!("no {operation} line in {lines:?}"))
            .clone()
    };
    let created = request("CreateTable", "logged");
    assert_eq!(created["level"], "DEBUG");
    assert_eq!(created["fields"]["status"], 200);
    assert!(created["fields"]["latency_ms"].as_f64().is_some());
    assert!(
        created["fields"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(request("DescribeTable", "missing")["fields"]["status"], 400);
}
