//! Stream triggers through each delivery mode, with real handlers: an HTTP endpoint, a Lambda
//! Invoke API endpoint, the `lambda_runtime` handler example run through eddy's Runtime API,
//! and a Python handler run by `awslambdaric`. Also: the event's shape, order across rollover
//! and split, and bad trigger configurations.

mod common;

use std::collections::HashMap;
use std::process::Command;

use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType, TimeToLiveSpecification};
use common::streams::{create_stream_table, open_shards, put};
use common::triggers::{Answer, Eddy, Sink, lambda_handler, output_lines, pk, seq, wait_until};
use common::{client_for, n, s};

fn trigger(spec: &str) -> Vec<String> {
    vec!["--trigger".to_owned(), spec.to_owned()]
}

#[tokio::test]
async fn a_url_handler_gets_lambdas_event_for_a_table_created_after_the_trigger() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!(
        "table=Orders,url={},batch-size=2",
        sink.url()
    )));
    assert_eq!(eddy.status()["state"], "WaitingForStream");
    let client = client_for(&eddy.endpoint);
    let arn = create_stream_table(&client, "Orders", StreamViewType::NewAndOldImages, false).await;
    put(&client, "Orders", "a").await;
    client
        .update_item()
        .table_name("Orders")
        .key("pk", s("a"))
        .update_expression("SET qty = :q")
        .expression_attribute_values(":q", n("2"))
        .send()
        .await
        .expect("update");
    client
        .delete_item()
        .table_name("Orders")
        .key("pk", s("a"))
        .send()
        .await
        .expect("delete");

    let records = sink.wait_for_records(3);
    assert!(
        sink.received()
            .iter()
            .all(|r| r.records().len() <= 2 && r.path == "/handler")
    );
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    let first = records[0].as_object().expect("record");
    let members: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN"
        ]
    );
    assert_eq!(records[0]["eventVersion"], "1.1");
    assert_eq!(records[0]["eventSource"], "aws:dynamodb");
    assert_eq!(records[0]["awsRegion"], "us-east-1");
    assert_eq!(records[0]["eventSourceARN"], arn.as_str());
    let d = &records[1]["dynamodb"];
    assert!(
        d["ApproximateCreationDateTime"].is_u64(),
        "epoch seconds: {d}"
    );
    assert_eq!(d["Keys"], serde_json::json!({"pk": {"S": "a"}}));
    assert_eq!(d["OldImage"], serde_json::json!({"pk": {"S": "a"}}));
    assert_eq!(
        d["NewImage"],
        serde_json::json!({"pk": {"S": "a"}, "qty": {"N": "2"}})
    );
    assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert!(d["SizeBytes"].as_u64().is_some_and(|b| b > 0));
    assert!(records[2]["dynamodb"].get("NewImage").is_none());

    let status = eddy.status();
    assert_eq!(status["state"], "Enabled");
    assert_eq!(status["streamArn"], arn.as_str());
    assert_eq!(eddy.counter("recordsDelivered"), 3);
    let shard = status["shards"]
        .as_object()
        .and_then(|s| s.values().next().cloned())
        .expect("shard");
    assert_eq!(shard["position"], seq(&records[2]).as_str());
}

#[tokio::test]
async fn a_function_behind_the_lambda_invoke_api_is_retried_after_a_function_error() {
    // The first invocation fails with X-Amz-Function-Error, as `sam local start-lambda`
    // reports an unhandled error; the batch is retried and nothing passes it meanwhile.
    let sink = Sink::start(|_, before| {
        if before == 0 {
            Answer {
                status: 200,
                headers: vec![("X-Amz-Function-Error".into(), "Unhandled".into())],
                body: r#"{"errorMessage":"boom","errorType":"Error"}"#.into(),
            }
        } else {
            Answer::ok("null")
        }
    });
    let eddy = Eddy::start(&trigger(&format!(
        "table=Audit,function=audit-fn,lambda-endpoint={},batch-size=10",
        sink.base()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Audit", StreamViewType::NewImage, false).await;
    put(&client, "Audit", "first").await;
    sink.wait_for(1);
    put(&client, "Audit", "second").await;
    wait_until("the failure recorded", || {
        (eddy.counter("batchesFailed") == 1).then_some(())
    });
    assert!(
        eddy.status()["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("Unhandled"))
    );
    // The retry waits a second on eddy's clock: moving it delivers the retry.
    eddy.advance(1);
    let got = sink.wait_for_records(3);
    let keys: Vec<String> = got.iter().map(pk).collect();
    assert_eq!(
        keys[..2],
        ["first", "first"],
        "the failed batch is retried before anything after it"
    );
    assert_eq!(keys[2..].iter().filter(|k| *k == "second").count(), 1);
    let all = sink.received();
    assert!(
        all.iter()
            .all(|r| r.path == "/2015-03-31/functions/audit-fn/invocations"),
        "{all:?}"
    );
    assert_eq!(eddy.counter("batchesRetried"), 1);
}

#[tokio::test]
async fn a_lambda_runtime_handler_runs_unchanged_and_is_restarted_after_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out.jsonl");
    let handler = lambda_handler();
    let eddy = Eddy::start_with_env(
        &trigger(&format!(
            "table=Jobs,command={},batch-size=1,max-retries=1,name=jobs,memory=256,timeout=10",
            handler.display()
        )),
        &[("HANDLER_OUTPUT", output.display().to_string())],
    );
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Jobs", StreamViewType::NewAndOldImages, false).await;
    put(&client, "Jobs", "one").await;
    wait_until("the first invocation", || {
        (output_lines(&output).len() == 1).then_some(())
    });
    // A crash fails the invocation in hand; the next one starts a fresh process.
    client
        .put_item()
        .table_name("Jobs")
        .item("pk", s("boom"))
        .item("crash", aws_sdk_dynamodb::types::AttributeValue::Bool(true))
        .send()
        .await
        .expect("put");
    put(&client, "Jobs", "two").await;
    wait_until("the crashing record discarded", || {
        (eddy.counter("batchesDiscarded") == 1).then_some(())
    });
    // An error the handler returns goes through the Runtime API's /error: retried, it passes.
    client
        .put_item()
        .table_name("Jobs")
        .item("pk", s("flaky"))
        .item("failOnce", s("token-1"))
        .send()
        .await
        .expect("put");
    let lines = wait_until("the flaky record's retry", || {
        let lines = output_lines(&output);
        (lines.len() == 4).then_some(lines)
    });
    assert_eq!(lines[2]["outcome"], "error");
    assert_eq!(lines[3]["outcome"], "ok");
    assert_eq!(lines[3]["records"][0]["keys"]["pk"]["S"], "flaky");
    assert_eq!(
        lines[2]["pid"], lines[3]["pid"],
        "the process stays warm after an error"
    );
    assert_eq!(
        eddy.counter("batchesFailed"),
        3,
        "two crashes and one error"
    );
    assert_ne!(
        lines[0]["pid"], lines[1]["pid"],
        "a fresh process after the crash"
    );
    assert_eq!(lines[0]["records"][0]["keys"]["pk"]["S"], "one");
    assert_eq!(lines[1]["records"][0]["keys"]["pk"]["S"], "two");
    assert_eq!(lines[0]["functionName"], "jobs");
    assert!(
        lines[0]["deadlineMs"]
            .as_u64()
            .is_some_and(|d| d > 1_000_000_000_000)
    );
    assert!(lines[..2].iter().all(|l| l["outcome"] == "ok"));
}

#[tokio::test]
async fn a_ttl_deletion_reaches_the_handler_with_its_user_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out.jsonl");
    let eddy = Eddy::start_with_env(
        &trigger(&format!(
            "table=Sessions,command={}",
            lambda_handler().display()
        )),
        &[("HANDLER_OUTPUT", output.display().to_string())],
    );
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Sessions", StreamViewType::NewAndOldImages, false).await;
    client
        .update_time_to_live()
        .table_name("Sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires")
                .enabled(true)
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("ttl on");
    // Expiring in ten seconds (DynamoDB leaves alone times more than five years past).
    let expires = eddy.advance(0) / 1000 + 10;
    client
        .put_item()
        .table_name("Sessions")
        .item("pk", s("old"))
        .item("expires", n(&expires.to_string()))
        .send()
        .await
        .expect("put");
    wait_until("the insert", || {
        (output_lines(&output).len() == 1).then_some(())
    });
    eddy.advance(3600);
    let lines = wait_until("the TTL deletion", || {
        let lines = output_lines(&output);
        (lines.len() == 2).then_some(lines)
    });
    let removal = &lines[1]["records"][0];
    assert_eq!(removal["eventName"], "REMOVE");
    assert_eq!(
        removal["userIdentity"],
        serde_json::json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );
    assert!(lines[0]["records"][0]["userIdentity"].is_null());
}

#[tokio::test]
async fn a_python_handler_runs_under_awslambdaric() {
    let python = python_with_awslambdaric();
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out.jsonl");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let command = format!(
        "cd {fixtures} && exec {} -m awslambdaric lambda_handler.handler",
        python.display()
    );
    let eddy = Eddy::start_with_env(
        &trigger(&format!(
            "table=Python,command='{command}',report-batch-item-failures=true,batching-window=60"
        )),
        &[("HANDLER_OUTPUT", output.display().to_string())],
    );
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Python", StreamViewType::NewImage, false).await;
    put(&client, "Python", "a").await;
    client
        .put_item()
        .table_name("Python")
        .item("pk", s("b"))
        .item(
            "partial",
            aws_sdk_dynamodb::types::AttributeValue::Bool(true),
        )
        .send()
        .await
        .expect("put");
    put(&client, "Python", "c").await;
    wait_until("the batch gathered", || {
        (eddy.counter("gathering") == 3).then_some(())
    });
    eddy.advance(60);
    let first = wait_until("the batch", || output_lines(&output).first().cloned());
    let seqs: Vec<&str> = first["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["seq"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(seqs.len(), 3);
    assert_eq!(first["outcome"], "partial");
    // Delivery resumes from the record reported failed: b and c come again, a does not.
    eddy.advance(1);
    let again = wait_until("the retry", || output_lines(&output).get(1).cloned());
    let keys: Vec<&str> = again["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["keys"]["pk"]["S"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(keys[0], "b");
    assert!(!keys.contains(&"a"));
}

/// The Python that runs the awslambdaric test: `EDDY_TEST_PYTHON`, else the virtual
/// environment `scripts/test` prepares in `target/py`.
fn python_with_awslambdaric() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("EDDY_TEST_PYTHON") {
        return p.into();
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/py/bin/python");
    let path = std::path::PathBuf::from(venv);
    assert!(
        path.exists(),
        "awslambdaric's Python is missing: run scripts/test, or set EDDY_TEST_PYTHON"
    );
    path
}

#[tokio::test]
async fn records_arrive_in_order_per_key_across_rollover_and_split() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!(
        "table=Lineage,url={},batch-size=5",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    let arn = create_stream_table(&client, "Lineage", StreamViewType::KeysOnly, false).await;
    let write = |round: usize| {
        let client = client.clone();
        async move {
            for k in 0..6 {
                client
                    .put_item()
                    .table_name("Lineage")
                    .item("pk", s(&format!("k{k}")))
                    .item("round", n(&round.to_string()))
                    .send()
                    .await
                    .expect("put");
            }
        }
    };
    write(0).await;
    let sc = common::streams_client_for(&eddy.endpoint);
    let open = open_shards(&sc, &arn).await;
    assert_eq!(eddy.split(&arn, &open[0]).status, 200);
    write(1).await;
    // The shard's lifetime ends: it rolls over to a child.
    eddy.advance(5 * 3600);
    write(2).await;
    let records = sink.wait_for_records(18);
    assert_eq!(records.len(), 18, "each record once");
    let mut last: HashMap<String, u128> = HashMap::new();
    for r in &records {
        let seq: u128 = seq(r).parse().expect("number");
        if let Some(before) = last.insert(pk(r), seq) {
            assert!(before < seq, "{} out of order", pk(r));
        }
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &records {
        *counts.entry(pk(r)).or_default() += 1;
    }
    assert!(counts.values().all(|c| *c == 3), "{counts:?}");
    assert!(sink.received().iter().all(|r| r.records().len() <= 5));
}

#[tokio::test]
async fn a_re_enabled_stream_is_followed() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!("table=Again,url={}", sink.url())));
    let client = client_for(&eddy.endpoint);
    let first = create_stream_table(&client, "Again", StreamViewType::KeysOnly, false).await;
    put(&client, "Again", "before").await;
    sink.wait_for_records(1);
    let spec = |on: bool| {
        let b = StreamSpecification::builder().stream_enabled(on);
        if on {
            b.stream_view_type(StreamViewType::KeysOnly)
        } else {
            b
        }
        .build()
        .expect("spec")
    };
    client
        .update_table()
        .table_name("Again")
        .stream_specification(spec(false))
        .send()
        .await
        .expect("disable");
    client
        .update_table()
        .table_name("Again")
        .stream_specification(spec(true))
        .send()
        .await
        .expect("enable");
    put(&client, "Again", "after").await;
    let records = sink.wait_for_records(2);
    assert_eq!(pk(&records[1]), "after");
    assert_ne!(records[1]["eventSourceARN"], first.as_str());
}

#[test]
fn a_bad_trigger_stops_eddy_from_starting_with_the_parameter_named() {
    for (spec, needle) in [
        (
            "table=Orders,url=http://127.0.0.1:1/h,batch-size=10001",
            "batch-size must be a whole number from 1 to 10000",
        ),
        (
            "table=Orders,url=http://127.0.0.1:1/h,parallelization-factor=0",
            "parallelization-factor",
        ),
        ("table=Orders", "a handler is required"),
        (
            "table=Orders,url=http://127.0.0.1:1/h,filter={\"eventName\":\"INSERT\"}",
            "filter pattern 1 is not valid",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_eddy"))
            .args([
                "serve",
                "--in-memory",
                "--listen",
                "127.0.0.1:0",
                "--trigger",
                spec,
            ])
            .output()
            .expect("run eddy");
        assert!(!out.status.success(), "{spec} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{spec}: {err}");
        assert!(out.stdout.is_empty(), "it never listened: {spec}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("triggers.toml");
    std::fs::write(
        &file,
        "[[trigger]]\ntable = \"Orders\"\nurl = \"http://127.0.0.1:1/h\"\nmax-record-age = 30\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args([
            "serve",
            "--in-memory",
            "--listen",
            "127.0.0.1:0",
            "--triggers",
        ])
        .arg(&file)
        .output()
        .expect("run eddy");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[[trigger]] 1: max-record-age must be from 60 to 604800 seconds"),
        "{err}"
    );
}

#[tokio::test]
async fn status_lists_every_trigger_and_a_disabled_one_does_not_poll() {
    let quiet = Sink::ok();
    let busy = Sink::ok();
    let eddy = Eddy::start(&[
        "--trigger".to_owned(),
        format!("table=Quiet,url={},enabled=false", quiet.url()),
        "--trigger".to_owned(),
        format!("table=Quiet,url={},name=busy", busy.url()),
    ]);
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Quiet", StreamViewType::KeysOnly, false).await;
    put(&client, "Quiet", "a").await;
    busy.wait_for(1);
    let all = eddy.statuses();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["name"], "Quiet-1");
    assert_eq!(all[0]["state"], "Disabled");
    assert_eq!(all[0]["shards"], serde_json::json!({}));
    assert_eq!(all[1]["name"], "busy");
    assert_eq!(all[1]["state"], "Enabled");
    assert!(
        quiet.received().is_empty(),
        "the disabled trigger delivered"
    );
}
