//! Fault injection for testing retry code: `--inject-errors` answers a share of requests with
//! DynamoDB's throttling errors (with their ThrottlingReasons) or a server error,
//! `--inject-latency` delays them, and `/_eddy/faults` replaces the rules while eddy runs.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use common::{EddyProcess, client_for, create_table, s};

fn with_retries(client: &Client, retry: RetryConfig) -> Client {
    Client::from_conf(client.config().to_builder().retry_config(retry).build())
}

fn control(eddy: &EddyProcess, method: &str, body: &str) -> (u16, serde_json::Value) {
    let addr = eddy
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let answer = common::http_request(addr, method, "/_eddy/faults", &[], body.as_bytes());
    let json = serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
    (answer.status, json)
}

async fn put(client: &Client, pk: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    client
        .put_item()
        .table_name("faulty")
        .item("pk", s(pk))
        .send()
        .await
        .map(|_| ())
        .map_err(Into::into)
}

#[tokio::test]
async fn injected_throttling_has_dynamodbs_shape() {
    let eddy = EddyProcess::serve(&[
        "--in-memory",
        "--inject-errors",
        "op=PutItem,rate=1,error=ProvisionedThroughputExceededException",
        "--inject-errors",
        "op=DeleteItem,rate=1,error=RequestLimitExceeded",
    ]);
    let client = with_retries(&client_for(&eddy.endpoint), RetryConfig::disabled());
    create_table(&client, "faulty", None).await;

    let err = client
        .put_item()
        .table_name("faulty")
        .item("pk", s("a"))
        .send()
        .await
        .expect_err("injected")
        .into_service_error();
    assert_eq!(err.code(), Some("ProvisionedThroughputExceededException"));
    assert_eq!(
        err.message(),
        Some(
            "The level of configured provisioned throughput for the table was exceeded. \
             Consider increasing your provisioning level with the UpdateTable API."
        )
    );
    let aws_sdk_dynamodb::operation::put_item::PutItemError::ProvisionedThroughputExceededException(
        e,
    ) = err
    else {
        panic!("{err:?}");
    };
    let reasons = e.throttling_reasons();
    assert_eq!(reasons.len(), 1);
    assert_eq!(
        reasons[0].reason(),
        Some("TableWriteProvisionedThroughputExceeded")
    );
    assert_eq!(
        reasons[0].resource(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/faulty")
    );

    let err = client
        .delete_item()
        .table_name("faulty")
        .key("pk", s("a"))
        .send()
        .await
        .expect_err("injected")
        .into_service_error();
    assert_eq!(err.code(), Some("RequestLimitExceeded"));
    // Operations without a rule run.
    let got = client
        .get_item()
        .table_name("faulty")
        .key("pk", s("a"))
        .send()
        .await
        .expect("get");
    assert!(got.item().is_none());
}

#[tokio::test]
async fn the_sdks_retries_get_through_a_share_of_throttling() {
    let eddy = EddyProcess::serve(&[
        "--in-memory",
        "--inject-errors",
        "op=PutItem,rate=0.3,error=ThrottlingException",
    ]);
    let plain = client_for(&eddy.endpoint);
    create_table(&plain, "faulty", None).await;
    // Twenty attempts at 0.3 each: a put fails them all with probability 3e-11.
    let retrying = with_retries(
        &plain,
        RetryConfig::standard()
            .with_max_attempts(20)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(5)),
    );
    for i in 0..20 {
        put(&retrying, &format!("k{i}")).await.expect("retried put");
    }
    let count = plain
        .scan()
        .table_name("faulty")
        .send()
        .await
        .expect("scan")
        .count();
    assert_eq!(count, 20);
}

#[tokio::test]
async fn rules_change_while_eddy_runs() {
    let eddy = EddyProcess::serve(&["--in-memory", "--test-control"]);
    let client = with_retries(&client_for(&eddy.endpoint), RetryConfig::disabled());
    create_table(&client, "faulty", None).await;
    put(&client, "a").await.expect("no rules yet");

    let (status, rules) = control(
        &eddy,
        "POST",
        r#"{"rules": ["op=PutItem,rate=1,error=InternalServerError", "op=GetItem,p=1,delay=300ms"]}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(
        rules["rules"],
        serde_json::json!([
            "op=PutItem,rate=1,error=InternalServerError",
            "op=GetItem,p=1,delay=300ms"
        ])
    );
    let err = put(&client, "b").await.expect_err("injected");
    assert_eq!(err.code(), Some("InternalServerError"));
    // A delay is at least what the rule says.
    let started = Instant::now();
    client
        .get_item()
        .table_name("faulty")
        .key("pk", s("a"))
        .send()
        .await
        .expect("get");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A bad rule is refused by name and changes nothing.
    let (status, answer) = control(
        &eddy,
        "POST",
        r#"{"rules": ["op=PutItem,rate=1,error=Oops"]}"#,
    );
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap_or_default()
            .contains("error=`Oops`"),
        "{answer}"
    );
    assert_eq!(
        control(&eddy, "GET", "").1["rules"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (status, rules) = control(&eddy, "DELETE", "");
    assert_eq!(status, 200);
    assert_eq!(rules["rules"], serde_json::json!([]));
    put(&client, "b").await.expect("rules cleared");
}

#[test]
fn faults_endpoint_needs_test_control() {
    let eddy = EddyProcess::serve(&["--in-memory"]);
    assert_eq!(control(&eddy, "GET", "").0, 404);
    assert_eq!(control(&eddy, "POST", r#"{"rules": []}"#).0, 404);
}

#[test]
fn bad_flags_name_the_rule() {
    for (flag, rule, expected) in [
        (
            "--inject-errors",
            "op=Put,rate=1,error=InternalServerError",
            "op=`Put`",
        ),
        ("--inject-errors", "op=*,p=0.5,delay=2s", "--inject-latency"),
        (
            "--inject-latency",
            "op=*,p=0.5,error=InternalServerError",
            "--inject-errors",
        ),
        ("--inject-latency", "op=*,p=1.5,delay=2s", "between 0 and 1"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_eddy"))
            .args([
                "serve",
                "--in-memory",
                "--listen",
                "127.0.0.1:0",
                flag,
                rule,
            ])
            .output()
            .expect("run eddy");
        assert!(!out.status.success(), "{flag} {rule} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(expected),
            "{stderr}"
        );
    }
}
