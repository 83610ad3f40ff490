//! The live record feed at `/_eddy/streams/events`: server-sent events of a stream's records,
//! in the account and region its ARN names, and only to a presigned request when the server
//! verifies signatures.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::StreamViewType;
use common::{TestServer, client_with_credentials};
use eddy_engine::EngineConfig;

/// Opens the feed and reads until `wanted` appears (or the answer ends, or 10 s pass);
/// answers everything read.
fn read_feed(server: &TestServer, arn: &str, wanted: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let arn: String = arn
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    write!(
        stream,
        "GET /_eddy/streams/events?StreamArn={arn} HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.addr
    )
    .expect("write");
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    while started.elapsed() < Duration::from_secs(10) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if String::from_utf8_lossy(&seen).contains(wanted) {
            break;
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_feed_replays_a_streams_records_in_its_arns_account() {
    let server = TestServer::start();
    // A 12-digit access key acts in that account: the feed follows the ARN there.
    let client = client_with_credentials(&server.endpoint, "123456789012", "secret");
    let arn = common::streams::create_stream_table(
        &client,
        "fed",
        StreamViewType::NewAndOldImages,
        false,
    )
    .await;
    assert!(arn.contains(":123456789012:"), "{arn}");
    common::streams::put(&client, "fed", "a").await;
    common::streams::put(&client, "fed", "b").await;
    let feed = read_feed(&server, &arn, "\"pk\":{\"S\":\"b\"}");
    assert!(feed.starts_with("HTTP/1.1 200"), "{feed}");
    assert!(feed.contains("content-type: text/event-stream"), "{feed}");
    assert_eq!(feed.matches("event: record").count(), 2, "{feed}");
    assert!(feed.contains("\"eventName\":\"INSERT\""), "{feed}");

    let missing = arn.replace("table/fed/", "table/gone/");
    let refused = read_feed(&server, &missing, "ResourceNotFoundException");
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verifying_server_serves_the_feed_only_to_a_signature() {
    let server = TestServer::start_configured(EngineConfig::default(), |state| {
        state.with_signature_verification([("test".to_owned(), "test".to_owned())])
    });
    let client = client_with_credentials(&server.endpoint, "test", "test");
    let arn = common::streams::create_stream_table(
        &client,
        "guarded",
        StreamViewType::NewAndOldImages,
        false,
    )
    .await;
    common::streams::put(&client, "guarded", "secret").await;
    let refused = read_feed(&server, &arn, "MissingAuthenticationToken");
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    assert!(!refused.contains("event: record"), "{refused}");
}
