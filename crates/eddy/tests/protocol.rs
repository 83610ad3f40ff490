//! The wire protocol through raw HTTP: headers, CRC32, error shapes for malformed requests,
//! gzip bodies, body limits, health and test-control endpoints.

mod common;

use std::io::Write;

use common::TestServer;

const PUT: &str = "DynamoDB_20120810.PutItem";

fn create(server: &TestServer) {
    let r = server.raw(
        Some("DynamoDB_20120810.CreateTable"),
        br#"{"TableName":"raw","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn every_response_has_request_id_and_crc32() {
    let server = TestServer::start();
    create(&server);
    for (target, body) in [
        (Some("DynamoDB_20120810.ListTables"), &b"{}"[..]),
        (
            Some("DynamoDB_20120810.DescribeTable"),
            &br#"{"TableName":"nope"}"#[..],
        ),
        (None, &b"{}"[..]),
    ] {
        let r = server.raw(target, body);
        let id = r.header("x-amzn-requestid").expect("request id");
        assert_eq!(id.len(), 52);
        let crc: u32 = r
            .header("x-amz-crc32")
            .expect("crc")
            .parse()
            .expect("number");
        assert_eq!(crc, crc32fast::hash(&r.body));
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    }
}

#[test]
fn malformed_requests_get_dynamodb_errors() {
    let server = TestServer::start();
    create(&server);
    let r = server.raw(None, b"{}");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#UnknownOperationException"
    );
    let r = server.raw(Some("DynamoDB_20120810.Frobnicate"), b"{}");
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#UnknownOperationException"
    );

    let r = server.raw(Some(PUT), b"not json");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    let r = server.raw(Some(PUT), b"");
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    let r = server.raw(Some(PUT), b"[1,2]");
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    let r = server.raw(Some(PUT), b"{\"TableName\":\"raw\xff\xfe\"}");
    assert_eq!(r.status, 400);

    let r = server.raw(Some(PUT), br#"{"TableName":123,"Item":{}}"#);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    assert!(
        r.json()["Message"].as_str().is_some(),
        "capital M: {:?}",
        r.json()
    );

    let r = server.raw(Some(PUT), br#"{"TableName":"raw"}"#);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );
    assert_eq!(
        r.json()["message"],
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null"
    );

    let r = server.raw(Some(PUT), br#"{"TableName":"raw","Item":{"pk":{}}}"#);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Supplied AttributeValue is empty")
    );

    let r = server.raw(
        Some(PUT),
        br#"{"TableName":"raw","Item":{"pk":{"S":"a"},"s":{"SS":[]}}}"#,
    );
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );

    let r = server.raw(
        Some(PUT),
        br#"{"TableName":"missing","Item":{"pk":{"S":"a"}}}"#,
    );
    assert_eq!(
        r.error_type(),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
}

#[test]
fn nesting_beyond_32_levels_is_rejected() {
    let server = TestServer::start();
    create(&server);
    let nest = |depth: usize| {
        let mut v = String::from(r#"{"S":"leaf"}"#);
        for _ in 0..depth {
            v = format!(r#"{{"M":{{"x":{v}}}}}"#);
        }
        format!(r#"{{"TableName":"raw","Item":{{"pk":{{"S":"a"}},"deep":{v}}}}}"#)
    };
    let ok = server.raw(Some(PUT), nest(31).as_bytes());
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let bad = server.raw(Some(PUT), nest(32).as_bytes());
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );
    let absurd = server.raw(Some(PUT), nest(5000).as_bytes());
    assert_eq!(absurd.status, 400, "deep JSON is an error, not a crash");
}

#[test]
fn missing_authorization_is_rejected() {
    let server = TestServer::start();
    let r = server.raw_request(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0".into()),
            ("X-Amz-Target", "DynamoDB_20120810.ListTables".into()),
        ],
        b"{}",
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error_type(),
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
}

#[test]
fn gzip_bodies_are_accepted() {
    let server = TestServer::start();
    create(&server);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(br#"{"TableName":"raw","Item":{"pk":{"S":"gz"}}}"#)
        .expect("gzip");
    let body = enc.finish().expect("gzip");
    let r = server.raw_request(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0".into()),
            ("Content-Encoding", "gzip".into()),
            ("X-Amz-Target", PUT.into()),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c".into(),
            ),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let got = server.raw(
        Some("DynamoDB_20120810.GetItem"),
        br#"{"TableName":"raw","Key":{"pk":{"S":"gz"}}}"#,
    );
    assert_eq!(got.json()["Item"]["pk"]["S"], "gz");
}

#[test]
fn oversized_bodies_are_refused() {
    let server = TestServer::start();
    let body = vec![b' '; eddy_server::MAX_BODY_BYTES + 1];
    let r = server.raw(Some(PUT), &body);
    assert_eq!(r.status, 413);
}

#[test]
fn health_root_and_test_control() {
    let server = TestServer::start();
    let r = server.raw_request("GET", "/_eddy/health", &[], b"");
    assert_eq!(r.status, 200);
    let r = server.raw_request("GET", "/", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, format!("healthy: {} ", server.addr).as_bytes());
    let r = server.raw_request("GET", "/nope", &[], b"");
    assert_eq!(r.status, 404);
    let before = server.raw_request("POST", "/_eddy/clock/advance", &[], br#"{"seconds":0}"#);
    let after = server.raw_request("POST", "/_eddy/clock/advance", &[], br#"{"seconds":3600}"#);
    let (b, a) = (
        before.json()["now"].as_u64().expect("now"),
        after.json()["now"].as_u64().expect("now"),
    );
    assert!(a >= b + 3_600_000, "{b} -> {a}");
}
