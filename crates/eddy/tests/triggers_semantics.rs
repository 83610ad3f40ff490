//! Lambda's event source mapping semantics, each through a real HTTP handler: the batching
//! window on eddy's clock, filters, bisecting, partial batch responses, retries running out,
//! record age, parallelization with per-key order, and a restart in the middle of a retry.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, StreamViewType, WriteRequest};
use common::client_for;
use common::s;
use common::streams::{create_stream_table, put};
use common::triggers::{Answer, Eddy, Received, Sink, pk, seq, wait_until};
use serde_json::Value;

fn trigger(spec: &str) -> Vec<String> {
    vec!["--trigger".to_owned(), spec.to_owned()]
}

/// Writes these keys in one BatchWriteItem, so a poll sees all of them or none.
async fn put_all(client: &aws_sdk_dynamodb::Client, table: &str, items: &[(&str, bool)]) {
    let requests = items
        .iter()
        .map(|(k, bad)| {
            let mut item = PutRequest::builder().item("pk", s(k));
            if *bad {
                item = item.item("bad", AttributeValue::Bool(true));
            }
            WriteRequest::builder()
                .put_request(item.build().expect("put"))
                .build()
        })
        .collect();
    client
        .batch_write_item()
        .request_items(table, requests)
        .send()
        .await
        .expect("batch write");
}

fn has_bad(r: &Received) -> bool {
    r.records()
        .iter()
        .any(|rec| rec["dynamodb"]["NewImage"]["bad"]["BOOL"] == true)
}

/// The on-failure file's records.
fn discarded(path: &std::path::Path) -> Vec<Value> {
    common::triggers::output_lines(path)
}

#[tokio::test]
async fn the_batching_window_follows_eddys_clock_and_a_full_batch_goes_at_once() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!(
        "table=Window,url={},batching-window=120,batch-size=4",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Window", StreamViewType::KeysOnly, false).await;
    for k in ["a", "b", "c"] {
        put(&client, "Window", k).await;
    }
    wait_until("three records gathered", || {
        (eddy.counter("gathering") == 3).then_some(())
    });
    assert!(sink.received().is_empty(), "the window has not ended");
    eddy.advance(120);
    let got = sink.wait_for(1);
    assert_eq!(got[0].records().len(), 3, "one invocation for the window");
    // Four records fill a batch: it goes without waiting for the window.
    put_all(
        &client,
        "Window",
        &[("d", false), ("e", false), ("f", false), ("g", false)],
    )
    .await;
    let got = sink.wait_for(2);
    assert_eq!(got[1].records().len(), 4);
}

#[tokio::test]
async fn records_the_filter_rejects_are_skipped_and_checkpointed() {
    let sink = Sink::ok();
    let filter = r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"status":{"S":["open"]}}}}"#;
    let eddy = Eddy::start(&trigger(&format!(
        "table=Filtered,url={},filter={filter}",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Filtered", StreamViewType::NewImage, false).await;
    for (k, status) in [("a", "open"), ("b", "closed"), ("c", "open")] {
        client
            .put_item()
            .table_name("Filtered")
            .item("pk", s(k))
            .item("status", s(status))
            .send()
            .await
            .expect("put");
    }
    // A MODIFY of an open item: not an INSERT.
    client
        .put_item()
        .table_name("Filtered")
        .item("pk", s("a"))
        .item("status", s("open"))
        .item("n", s("2"))
        .send()
        .await
        .expect("put");
    put(&client, "Filtered", "last").await;
    wait_until("every record dealt with", || {
        (eddy.counter("recordsFiltered") + eddy.counter("recordsDelivered") == 5).then_some(())
    });
    let keys: Vec<String> = sink
        .received()
        .iter()
        .flat_map(|r| r.records())
        .map(|r| pk(&r))
        .collect();
    assert_eq!(keys, ["a", "c"]);
    assert_eq!(eddy.counter("recordsFiltered"), 3);
}

#[tokio::test]
async fn bisecting_isolates_the_bad_record_which_goes_to_on_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let on_failure = dir.path().join("discarded.jsonl");
    let sink = Sink::start(|r, _| {
        if has_bad(r) {
            Answer::status(500)
        } else {
            Answer::ok("{}")
        }
    });
    let eddy = Eddy::start(&trigger(&format!(
        "table=Bisect,url={},bisect-on-error=true,max-retries=0,on-failure={}",
        sink.url(),
        on_failure.display()
    )));
    let client = client_for(&eddy.endpoint);
    let arn = create_stream_table(&client, "Bisect", StreamViewType::NewImage, false).await;
    put_all(
        &client,
        "Bisect",
        &[("a", false), ("b", false), ("c", true), ("d", false)],
    )
    .await;
    wait_until("the good records", || {
        (eddy.counter("recordsDelivered") == 3).then_some(())
    });
    let lines = wait_until("the discard", || {
        let lines = discarded(&on_failure);
        (!lines.is_empty()).then_some(lines)
    });
    let delivered: Vec<String> = sink
        .received()
        .iter()
        .filter(|r| !has_bad(r))
        .flat_map(|r| r.records())
        .map(|r| pk(&r))
        .collect();
    let mut sorted = delivered.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "b", "d"]);
    // The 4 fail; of the halves one succeeds and one fails and is split again.
    let mut sizes: Vec<usize> = sink.received().iter().map(|r| r.records().len()).collect();
    assert_eq!(sizes[0], 4);
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 1, 2, 2, 4]);
    assert_eq!(lines.len(), 1);
    let info = &lines[0]["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["streamArn"], arn.as_str());
    let bad = sink
        .received()
        .iter()
        .find(|r| r.records().len() == 1 && has_bad(r))
        .map(|r| r.records()[0].clone())
        .expect("the bad record alone");
    assert_eq!(info["startSequenceNumber"], seq(&bad).as_str());
    assert_eq!(info["endSequenceNumber"], seq(&bad).as_str());
    assert!(
        info["shardId"]
            .as_str()
            .is_some_and(|s| s.starts_with("shardId-"))
    );
    assert_eq!(
        lines[0]["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(lines[0]["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(
        lines[0]["requestContext"]["functionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:Bisect-1"
    );
    assert_eq!(lines[0]["version"], "1.0");
    assert_eq!(eddy.counter("batchesDiscarded"), 1);
}

#[tokio::test]
async fn a_partial_batch_response_resumes_from_the_lowest_failed_record() {
    let failed_once = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&failed_once);
    let sink = Sink::start(move |r, _| {
        let records = r.records();
        match records.iter().find(|rec| pk(rec) == "c") {
            Some(c) if !flag.swap(true, Ordering::SeqCst) => Answer::ok(&format!(
                r#"{{"batchItemFailures":[{{"itemIdentifier":"{}"}}]}}"#,
                seq(c)
            )),
            _ => Answer::ok(r#"{"batchItemFailures":[]}"#),
        }
    });
    let eddy = Eddy::start_on_disk(&trigger(&format!(
        "table=Partial,url={},report-batch-item-failures=true,batching-window=10",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Partial", StreamViewType::KeysOnly, false).await;
    for k in ["a", "b", "c", "d"] {
        put(&client, "Partial", k).await;
    }
    wait_until("the batch gathered", || {
        (eddy.counter("gathering") == 4).then_some(())
    });
    eddy.advance(10);
    let first = sink.wait_for(1)[0].records();
    let keys: Vec<String> = first.iter().map(pk).collect();
    assert_eq!(keys, ["a", "b", "c", "d"]);
    // The records before the failed one are checkpointed before the retry's wait: a restart
    // then repeats none of them.
    let checkpoint = eddy.data_dir().join("triggers").join("Partial-1.json");
    wait_until("b checkpointed", || {
        std::fs::read_to_string(&checkpoint)
            .ok()
            .filter(|text| text.contains(&seq(&first[1])))
    });
    let eddy = eddy.restart();
    let got = sink.wait_for(2);
    let second: Vec<String> = got[1].records().iter().map(pk).collect();
    assert_eq!(second, ["c", "d"], "the retry starts at the failed record");
    assert_eq!(eddy.counter("recordsDelivered"), 2);
}

#[tokio::test]
async fn record_age_discards_on_eddys_clock_to_an_on_failure_url() {
    let on_failure = Sink::ok();
    let sink = Sink::start(|_, _| Answer::status(500));
    let eddy = Eddy::start(&trigger(&format!(
        "table=Ageing,url={},max-record-age=60,on-failure={}",
        sink.url(),
        on_failure.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Ageing", StreamViewType::KeysOnly, false).await;
    put(&client, "Ageing", "old").await;
    sink.wait_for(1);
    // With retries unbounded, only age ends them: a minute on eddy's clock.
    eddy.advance(61);
    let lines: Vec<Value> = on_failure.wait_for(1).into_iter().map(|r| r.body).collect();
    assert_eq!(lines[0]["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(lines[0]["DDBStreamBatchInfo"]["batchSize"], 1);
    let before = sink.received().len();
    put(&client, "Ageing", "new").await;
    let got = sink.wait_for(before + 1);
    assert_eq!(
        pk(&got[before].records()[0]),
        "new",
        "the shard moved past the discard"
    );
}

#[tokio::test]
async fn parallel_batches_of_a_shard_keep_each_partition_keys_order() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!(
        "table=Parallel,url={},parallelization-factor=4,batch-size=3",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    // Each round writes a new sort key under every partition key: lanes go by partition key,
    // so one partition key's items stay in order whatever their sort keys.
    create_stream_table(&client, "Parallel", StreamViewType::NewImage, true).await;
    for round in 0..4 {
        let items: Vec<String> = (0..8).map(|k| format!("k{k}")).collect();
        let requests = items
            .iter()
            .map(|k| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s(k))
                            .item("sk", s(&format!("r{round}")))
                            .item("round", common::n(&round.to_string()))
                            .build()
                            .expect("put"),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items("Parallel", requests)
            .send()
            .await
            .expect("batch write");
    }
    let records = sink.wait_for_records(32);
    let mut rounds: HashMap<String, Vec<String>> = HashMap::new();
    for r in &records {
        rounds.entry(pk(r)).or_default().push(
            r["dynamodb"]["NewImage"]["round"]["N"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    assert_eq!(rounds.len(), 8);
    for (key, seen) in rounds {
        assert_eq!(seen, ["0", "1", "2", "3"], "{key} out of order");
    }
    assert!(sink.received().iter().all(|r| r.records().len() <= 3));
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_retry_goes_on_from_the_last_success() {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let sink = Sink::start(move |r, _| {
        if has_bad(r) && !flag.load(Ordering::SeqCst) {
            Answer::status(500)
        } else {
            Answer::ok("{}")
        }
    });
    let eddy = Eddy::start_on_disk(&trigger(&format!("table=Restart,url={}", sink.url())));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Restart", StreamViewType::NewImage, false).await;
    put(&client, "Restart", "good").await;
    sink.wait_for(1);
    put_all(&client, "Restart", &[("bad", true)]).await;
    wait_until("a failed attempt", || {
        (eddy.counter("batchesFailed") >= 1).then_some(())
    });
    let eddy = eddy.restart();
    healthy.store(true, Ordering::SeqCst);
    let client = client_for(&eddy.endpoint);
    put(&client, "Restart", "later").await;
    let records = wait_until("the retried batch and the next", || {
        let keys: Vec<String> = sink
            .received()
            .iter()
            .flat_map(|r| r.records())
            .map(|r| pk(&r))
            .collect();
        keys.contains(&"later".to_owned()).then_some(keys)
    });
    assert_eq!(
        records.iter().filter(|k| *k == "good").count(),
        1,
        "a success is not repeated: {records:?}"
    );
    let after_restart = records
        .iter()
        .rposition(|k| k == "bad")
        .expect("bad delivered");
    assert!(after_restart < records.iter().position(|k| k == "later").expect("later"));
}

#[tokio::test]
async fn a_latest_trigger_skips_what_came_before_its_first_start_and_nothing_after() {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let sink = Sink::start(move |r, _| {
        if has_bad(r) && !flag.load(Ordering::SeqCst) {
            Answer::status(500)
        } else {
            Answer::ok("{}")
        }
    });
    let eddy = Eddy::start_on_disk(&[]);
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Latest", StreamViewType::NewImage, false).await;
    put(&client, "Latest", "history").await;
    // Records carry whole seconds: the trigger first starts in a later second.
    let written = eddy.advance(0) / 1000;
    wait_until("the next second", || {
        (eddy.advance(0) / 1000 > written).then_some(())
    });
    let args = trigger(&format!(
        "table=Latest,url={},starting-position=latest",
        sink.url()
    ));
    let eddy = eddy.restart_with(&args);
    let client = client_for(&eddy.endpoint);
    put(&client, "Latest", "new").await;
    sink.wait_for(1);
    put_all(&client, "Latest", &[("bad", true)]).await;
    wait_until("a failed attempt", || {
        (eddy.counter("batchesFailed") >= 1).then_some(())
    });
    // Restarted while the record fails and nothing after "new" is checkpointed: the record
    // is still delivered, and what came before the first start still is not.
    let eddy = eddy.restart_with(&args);
    healthy.store(true, Ordering::SeqCst);
    let client = client_for(&eddy.endpoint);
    put(&client, "Latest", "later").await;
    let keys = wait_until("every record after the start", || {
        let keys: Vec<String> = sink
            .received()
            .iter()
            .flat_map(|r| r.records())
            .map(|r| pk(&r))
            .collect();
        keys.contains(&"later".to_owned()).then_some(keys)
    });
    assert!(!keys.contains(&"history".to_owned()), "{keys:?}");
    assert_eq!(keys.iter().filter(|k| *k == "new").count(), 1, "{keys:?}");
    assert!(keys.contains(&"bad".to_owned()), "{keys:?}");
}

#[tokio::test]
async fn a_batch_goes_when_its_payload_would_pass_six_megabytes() {
    let sink = Sink::ok();
    let eddy = Eddy::start(&trigger(&format!(
        "table=Large,url={},batching-window=300,batch-size=100",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Large", StreamViewType::NewImage, false).await;
    let blob = "x".repeat(380_000);
    for i in 0..20 {
        client
            .put_item()
            .table_name("Large")
            .item("pk", s(&format!("big-{i:02}")))
            .item("blob", s(&blob))
            .send()
            .await
            .expect("put");
    }
    // About 16 such records make 6 MB: those go without waiting for the window, cut so that
    // no invocation passes 6 MB; the rest wait for it.
    wait_until("every record delivered or gathering", || {
        let delivered = eddy.counter("recordsDelivered");
        (delivered > 0 && delivered + eddy.counter("gathering") == 20).then_some(())
    });
    assert!(eddy.counter("recordsDelivered") < 20);
    eddy.advance(300);
    let records = sink.wait_for_records(20);
    let keys: Vec<String> = records.iter().map(pk).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("big-{i:02}")).collect();
    assert_eq!(keys, expected);
    for r in sink.received() {
        assert!(r.body.to_string().len() <= 6 * 1024 * 1024);
    }
}

#[tokio::test]
async fn a_handler_past_its_timeout_fails_the_invocation() {
    let sink = Sink::start(|_, before| {
        if before == 0 {
            std::thread::sleep(std::time::Duration::from_millis(2500));
        }
        Answer::ok("{}")
    });
    let eddy = Eddy::start(&trigger(&format!(
        "table=Slow,url={},timeout=1",
        sink.url()
    )));
    let client = client_for(&eddy.endpoint);
    create_stream_table(&client, "Slow", StreamViewType::KeysOnly, false).await;
    put(&client, "Slow", "a").await;
    wait_until("the timeout", || {
        (eddy.counter("batchesFailed") == 1).then_some(())
    });
    assert!(
        eddy.status()["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("Task timed out after 1.00 seconds")),
        "{}",
        eddy.status()
    );
    eddy.advance(1);
    let got = sink.wait_for(2);
    assert_eq!(got[1].records().len(), 1);
    wait_until("the retry delivered", || {
        (eddy.counter("batchesDelivered") == 1).then_some(())
    });
}
