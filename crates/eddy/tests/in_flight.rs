//! The in-flight limit: past it a request gets ThrottlingException at once instead of waiting
//! in a queue without bound.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::TestServer;
use eddy_engine::EngineConfig;

#[test]
fn requests_past_the_limit_are_throttled_and_the_held_one_completes() {
    let server =
        TestServer::start_configured(EngineConfig::default(), |state| state.with_max_in_flight(1));
    // A request whose body is still arriving holds the only slot.
    let body = br#"{}"#;
    let mut throttled = None;
    let mut slow = hold(&server, body.len());
    for _ in 0..200 {
        let resp = server.raw(Some("DynamoDB_20120810.ListTables"), b"{}");
        if resp.status == 400 {
            throttled = Some(resp);
            break;
        }
        // Either the held request has not reached the server yet, or it arrived while this
        // one held the slot and was throttled itself: then hold the slot again.
        slow.set_read_timeout(Some(std::time::Duration::from_millis(5)))
            .expect("timeout");
        let mut byte = [0u8; 1];
        if slow.read(&mut byte).is_ok_and(|n| n > 0) {
            slow = hold(&server, body.len());
        }
    }
    let throttled = throttled.expect("a request past the limit is throttled");
    assert_eq!(
        throttled.json()["__type"],
        "com.amazon.coral.availability#ThrottlingException"
    );
    assert_eq!(
        throttled.json()["message"],
        "Rate of requests exceeds the allowed throughput."
    );

    slow.set_read_timeout(None).expect("timeout");
    slow.write_all(body).expect("body");
    let mut answer = String::new();
    slow.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("TableNames"), "{answer}");
    let after = server.raw(Some("DynamoDB_20120810.ListTables"), b"{}");
    assert_eq!(after.status, 200);
}

/// Sends a request's headers but not its body, so the server holds a slot for it.
fn hold(server: &TestServer, body_len: usize) -> TcpStream {
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    write!(
        slow,
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\r\nContent-Length: {body_len}\r\n\r\n",
        server.addr
    )
    .expect("headers");
    slow.flush().expect("flush");
    slow
}
