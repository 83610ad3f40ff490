//! The HTTP front as DynamoDB answers it, through raw requests: compressed request bodies
//! (gzip, deflate) and what fails to decode, compressed responses for the client's
//! Accept-Encoding (and their CRC32), CORS, the `Server` header, the health answer and
//! DescribeEndpoints naming the host the client used.

mod common;

use std::io::{Read, Write};

use common::{RawResponse, TestServer};

const PUT: &str = "DynamoDB_20120810.PutItem";
const GET: &str = "DynamoDB_20120810.GetItem";

fn api_headers(target: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/x-amz-json-1.0".into()),
        ("X-Amz-Target", target.into()),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc".into(),
        ),
    ]
}

fn create(server: &TestServer) {
    let r = server.raw(
        Some("DynamoDB_20120810.CreateTable"),
        br#"{"TableName":"hft","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn put_with(server: &TestServer, encoding: &str, body: &[u8]) -> RawResponse {
    let mut headers = api_headers(PUT);
    headers.push(("Content-Encoding", encoding.into()));
    server.raw_request("POST", "/", &headers, body)
}

fn stored(server: &TestServer, pk: &str) -> bool {
    let r = server.raw(
        Some(GET),
        format!(r#"{{"TableName":"hft","Key":{{"pk":{{"S":"{pk}"}}}}}}"#).as_bytes(),
    );
    r.json().get("Item").is_some()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

fn item(pk: &str) -> Vec<u8> {
    format!(r#"{{"TableName":"hft","Item":{{"pk":{{"S":"{pk}"}}}}}}"#).into_bytes()
}

#[test]
fn compressed_requests_decode_or_fail_as_dynamodb_does() {
    let server = TestServer::start();
    create(&server);
    let r = put_with(&server, "deflate", &deflate(&item("deflated")));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(stored(&server, "deflated"));
    // gzip members may be concatenated.
    let body = item("two");
    let mut two = gzip(&body[..10]);
    two.extend(gzip(&body[10..]));
    assert_eq!(put_with(&server, "gzip", &two).status, 200);
    assert!(stored(&server, "two"));

    let mut junk = gzip(&item("junk"));
    junk.extend_from_slice(b"junk");
    let mut cut = gzip(&item("cut"));
    cut.pop();
    for (name, encoding, body) in [
        ("junk", "gzip", junk),
        ("cut", "gzip", cut),
        ("plain-gzip", "gzip", item("plain-gzip")),
        ("plain-deflate", "deflate", item("plain-deflate")),
        ("garbage", "garbage", item("garbage")),
        ("empty", "gzip", Vec::new()),
    ] {
        let r = put_with(&server, encoding, &body);
        assert_eq!(
            r.status,
            500,
            "{name}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.json()["__type"],
            "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "{name}"
        );
        assert!(!stored(&server, name), "{name} must not be written");
    }
    // A tiny body that inflates past 16 MB is refused.
    let mut huge = br#"{"TableName":"hft","Item":{"pk":{"S":"huge"}}"#.to_vec();
    huge.extend(std::iter::repeat_n(b' ', 17 * 1024 * 1024));
    huge.push(b'}');
    let r = put_with(&server, "gzip", &gzip(&huge));
    assert!(r.status == 413 || r.status == 500, "{}", r.status);
    assert!(!stored(&server, "huge"));
}

fn get_with(server: &TestServer, pk: &str, accept: Option<&str>) -> RawResponse {
    let mut headers = api_headers(GET);
    if let Some(a) = accept {
        headers.push(("Accept-Encoding", a.into()));
    }
    server.raw_request(
        "POST",
        "/",
        &headers,
        format!(r#"{{"TableName":"hft","Key":{{"pk":{{"S":"{pk}"}}}}}}"#).as_bytes(),
    )
}

fn inflate(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        other => panic!("unexpected coding {other}"),
    }
    .expect("inflate");
    out
}

#[test]
fn large_responses_are_compressed_for_clients_that_accept_it() {
    let server = TestServer::start();
    create(&server);
    let big = "x".repeat(6000);
    let put = format!(r#"{{"TableName":"hft","Item":{{"pk":{{"S":"big"}},"v":{{"S":"{big}"}}}}}}"#);
    assert_eq!(server.raw(Some(PUT), put.as_bytes()).status, 200);
    assert_eq!(server.raw(Some(PUT), &item("small")).status, 200);

    for (accept, expected) in [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("br, identity, deflate, gzip", "deflate"),
        ("*, gzip;q=0.5", "deflate"),
    ] {
        let r = get_with(&server, "big", Some(accept));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), Some(expected), "{accept}");
        // The CRC32 covers the bytes sent.
        let crc: u32 = r
            .header("x-amz-crc32")
            .expect("crc")
            .parse()
            .expect("number");
        assert_eq!(crc, crc32fast::hash(&r.body));
        let json: serde_json::Value =
            serde_json::from_slice(&inflate(expected, &r.body)).expect("json");
        assert_eq!(json["Item"]["v"]["S"], big.as_str());
    }
    for accept in [None, Some("identity"), Some("br"), Some("gzip;q=0")] {
        let r = get_with(&server, "big", accept);
        assert_eq!(r.header("content-encoding"), None, "{accept:?}");
        assert_eq!(r.json()["Item"]["v"]["S"], big.as_str());
    }
    // Below 4 KB a response goes out as it is.
    let r = get_with(&server, "small", Some("gzip"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.json()["Item"]["pk"]["S"], "small");
}

const CORS: [&str; 6] = [
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-methods",
    "access-control-allow-headers",
];

#[test]
fn cors_headers_answer_cross_origin_requests_only() {
    let server = TestServer::start();
    for method in ["GET", "POST", "OPTIONS"] {
        let r = server.raw_request(method, "/", &[], b"");
        for h in CORS {
            assert_eq!(r.header(h), None, "{method} without Origin: {h}");
        }
        let asked = [
            ("Origin", "http://example.com".to_owned()),
            ("Access-Control-Request-Method", "dog".to_owned()),
            (
                "Access-Control-Request-Headers",
                "cat, meerkat, mouse".to_owned(),
            ),
        ];
        let r = server.raw_request(method, "/", &asked, b"");
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("*"),
            "{method}"
        );
        assert_eq!(
            r.header("access-control-expose-headers"),
            Some("x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
            "{method}"
        );
        if method == "OPTIONS" {
            assert!(r.header("access-control-max-age").is_some());
            assert_eq!(r.header("access-control-allow-methods"), Some("dog"));
            assert_eq!(
                r.header("access-control-allow-headers"),
                Some("cat, meerkat, mouse")
            );
        } else {
            for h in CORS[3..].iter() {
                assert_eq!(r.header(h), None, "{method}: {h}");
            }
        }
    }
}

#[test]
fn every_answer_names_its_server_and_health_names_the_host() {
    let server = TestServer::start();
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/_eddy/health"),
        ("POST", "/"),
        ("GET", "/nope"),
    ] {
        let r = server.raw_request(method, path, &[], b"");
        assert_eq!(r.header("server"), Some("Server"), "{method} {path}");
    }
    let r = server.raw_request("GET", "/", &[], b"");
    assert_eq!(r.body, format!("healthy: {} ", server.addr).as_bytes());
    let r = server.raw(Some("DynamoDB_20120810.DescribeEndpoints"), b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["Endpoints"][0]["Address"],
        server.addr.to_string().as_str()
    );
    assert_eq!(r.json()["Endpoints"][0]["CachePeriodInMinutes"], 1440);
}

#[test]
fn oversized_request_lines_and_headers_get_400() {
    let server = TestServer::start();
    let body = br#"{}"#;
    let ok = server.raw(Some("DynamoDB_20120810.ListTables"), body);
    assert_eq!(ok.status, 200);
    let long_path = format!("/{}", "x".repeat(17_000));
    let resp = server.raw_request("POST", &long_path, &[], body);
    assert_eq!(resp.status, 400);
    let big = "y".repeat(8_192);
    let resp = server.raw_request(
        "POST",
        "/",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables".to_owned()),
            ("header1", big.clone()),
            ("header2", big),
        ],
        body,
    );
    assert_eq!(resp.status, 400);
}
