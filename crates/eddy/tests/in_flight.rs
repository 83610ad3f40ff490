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
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    write!(
        slow,
        "POST / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    )
    .expect("headers");
    slow.flush().expect("flush");

    let mut throttled = None;
    for _ in 0..200 {
        let resp = server.raw(Some("DynamoDB_20120810.ListTables"), b"{}");
        if resp.status == 400 {
            throttled = Some(resp);
            break;
        }
        // The slow request may not have reached the server yet.
        std::thread::sleep(std::time::Duration::from_millis(5));
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

    slow.write_all(body).expect("body");
    let mut answer = String::new();
    slow.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("TableNames"), "{answer}");
    let after = server.raw(Some("DynamoDB_20120810.ListTables"), b"{}");
    assert_eq!(after.status, 200);
}
