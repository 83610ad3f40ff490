//! SigV4 on the wire: presigned (query-string) requests built with the `aws-sigv4` crate,
//! their expiry on the server's clock, and signature verification (`--verify-signatures`) of
//! both presigned and header-signed SDK requests.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::config::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use common::{RawResponse, TestServer, client_with_credentials, code, message};
use eddy_engine::EngineConfig;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const LIST_STREAMS: &str = "DynamoDBStreams_20120810.ListStreams";
const JSON: &str = "application/x-amz-json-1.0";

fn verifying() -> TestServer {
    TestServer::start_configured(EngineConfig::default(), |s| {
        s.with_signature_verification([(KEY.to_owned(), SECRET.to_owned())])
    })
}

/// SigV4's query-value encoding: everything but unreserved characters as `%XX`.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends `body` to `target` as a presigned `POST /?X-Amz-...` signed with `secret`, valid
/// for `expires` seconds.
fn presigned(
    server: &TestServer,
    secret: &str,
    target: &str,
    body: &[u8],
    expires: u64,
) -> RawResponse {
    let path = presign(server, secret, target, body, expires);
    send(server, &path, target, body)
}

/// The path and query of a presigned request for `body`.
fn presign(server: &TestServer, secret: &str, target: &str, body: &[u8], expires: u64) -> String {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    let request = Signed {
        key: KEY,
        secret,
        region: "us-east-1",
        service: "dynamodb",
        time: SystemTime::now(),
    };
    let (_, query) = request.sign(server, settings, target, body).into_parts();
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("/?{}", query.join("&"))
}

/// Who signs a request, for where and when.
struct Signed<'a> {
    key: &'a str,
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    time: SystemTime,
}

impl Signed<'_> {
    /// Signs a POST of `body` to `target` with `aws-sigv4`, as an SDK would.
    fn sign(
        &self,
        server: &TestServer,
        settings: SigningSettings,
        target: &str,
        body: &[u8],
    ) -> aws_sigv4::http_request::SigningInstructions {
        let identity = Credentials::new(self.key, self.secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let headers = signed_headers(server, target);
        let request = SignableRequest::new(
            "POST",
            format!("{}/", server.endpoint),
            headers.iter().map(|(n, v)| (*n, v.as_str())),
            SignableBody::Bytes(body),
        )
        .expect("signable request");
        sign(request, &params).expect("sign").into_parts().0
    }
}

/// The headers every signed request here carries.
fn signed_headers(server: &TestServer, target: &str) -> [(&'static str, String); 3] {
    [
        ("host", server.addr.to_string()),
        ("x-amz-target", target.to_owned()),
        ("content-type", JSON.to_owned()),
    ]
}

fn send(server: &TestServer, path: &str, target: &str, body: &[u8]) -> RawResponse {
    server.raw_request(
        "POST",
        path,
        &[
            ("Content-Type", JSON.to_owned()),
            ("X-Amz-Target", target.to_owned()),
        ],
        body,
    )
}

fn assert_error(r: &RawResponse, name: &str) {
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.error_type(), format!("com.amazon.coral.service#{name}"));
}

#[test]
fn presigned_requests_are_accepted_without_verification() {
    let server = TestServer::start();
    let r = presigned(&server, "any secret", LIST_STREAMS, b"{}", 60);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["Streams"], serde_json::json!([]));
}

#[test]
fn presigned_requests_expire_on_the_server_clock() {
    let server = TestServer::start();
    server.advance(120);
    let r = presigned(&server, SECRET, LIST_STREAMS, b"{}", 60);
    assert_error(&r, "InvalidSignatureException");
    let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(msg.starts_with("Signature expired: "), "{msg}");
    assert!(msg.ends_with(" - 1 min.)"), "{msg}");
}

#[test]
fn presigned_requests_are_verified_against_the_secret() {
    let server = verifying();
    let ok = presigned(&server, SECRET, LIST_STREAMS, b"{}", 300);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let wrong = presigned(&server, "not the secret", LIST_STREAMS, b"{}", 300);
    assert_error(&wrong, "InvalidSignatureException");
    assert!(
        wrong.json()["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("The request signature we calculated does not match")
    );
    // The body is signed: another body under the same signature fails.
    let path = presign(&server, SECRET, LIST_STREAMS, b"{}", 300);
    let other = send(&server, &path, LIST_STREAMS, br#"{"Limit":1}"#);
    assert_error(&other, "InvalidSignatureException");
    assert_eq!(send(&server, &path, LIST_STREAMS, b"{}").status, 200);
    server.advance(301);
    let late = presigned(&server, SECRET, LIST_STREAMS, b"{}", 300);
    assert_error(&late, "InvalidSignatureException");
}

#[test]
fn query_auth_problems_are_reported() {
    let server = TestServer::start();
    let r = server.raw_request(
        "POST",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
        &[("X-Amz-Target", LIST_STREAMS.to_owned())],
        b"{}",
    );
    assert_error(&r, "IncompleteSignatureException");
    assert_eq!(
        r.json()["message"],
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
    let week = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
    let r = server.raw_request(
        "POST",
        week,
        &[("X-Amz-Target", LIST_STREAMS.to_owned())],
        b"{}",
    );
    assert_error(&r, "IncompleteSignatureException");
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_requests_are_verified_against_the_secret() {
    let server = verifying();
    let good = client_with_credentials(&server.endpoint, KEY, SECRET);
    good.list_tables()
        .send()
        .await
        .expect("matching credentials");

    let wrong_secret = client_with_credentials(&server.endpoint, KEY, "not the secret");
    let e = wrong_secret
        .list_tables()
        .send()
        .await
        .expect_err("wrong secret");
    let e = e.into_service_error();
    assert_eq!(code(&e), "InvalidSignatureException");
    assert_eq!(
        message(&e),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );

    let unknown = client_with_credentials(&server.endpoint, "AKIDUNKNOWN", SECRET);
    let e = unknown.list_tables().send().await.expect_err("unknown key");
    let e = e.into_service_error();
    assert_eq!(code(&e), "UnrecognizedClientException");
    assert_eq!(
        message(&e),
        "The security token included in the request is invalid."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn header_signatures_older_than_fifteen_minutes_are_refused() {
    let server = verifying();
    server.advance(16 * 60);
    let client = client_with_credentials(&server.endpoint, KEY, SECRET);
    let e = client.list_tables().send().await.expect_err("skewed");
    let e = e.into_service_error();
    assert_eq!(code(&e), "InvalidSignatureException");
    assert!(
        message(&e).starts_with("Signature expired: "),
        "{}",
        message(&e)
    );
    assert!(message(&e).ends_with(" - 15 min.)"), "{}", message(&e));
}

/// `eddy serve --credentials-file`: every profile's key pair of an AWS shared credentials file
/// is accepted, and anything else is refused with DynamoDB's errors.
#[tokio::test]
async fn a_credentials_file_turns_verification_on_for_each_profiles_pair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        format!(
            "[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n\n\
             [ci]\naws_access_key_id = AKIDSECOND\naws_secret_access_key = second-secret\n"
        ),
    )
    .expect("write");
    let (mut child, endpoint) = common::spawn_eddy(
        std::process::Command::new(env!("CARGO_BIN_EXE_eddy"))
            .args([
                "serve",
                "--in-memory",
                "--listen",
                "127.0.0.1:0",
                "--credentials-file",
            ])
            .arg(&file),
    );
    for (key, secret) in [(KEY, SECRET), ("AKIDSECOND", "second-secret")] {
        client_with_credentials(&endpoint, key, secret)
            .list_tables()
            .send()
            .await
            .expect("a profile's pair");
    }
    for (key, secret, expected) in [
        (KEY, "second-secret", "InvalidSignatureException"),
        ("AKIDNOTINFILE", SECRET, "UnrecognizedClientException"),
    ] {
        let e = client_with_credentials(&endpoint, key, secret)
            .list_tables()
            .send()
            .await
            .expect_err("refused")
            .into_service_error();
        assert_eq!(code(&e), expected);
    }
    let _ = child.kill();
    let _ = child.wait();
    std::fs::write(&file, "[default]\naws_access_key_id = A\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args([
            "serve",
            "--in-memory",
            "--listen",
            "127.0.0.1:0",
            "--credentials-file",
        ])
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("needs both aws_access_key_id and aws_secret_access_key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A header-signed request, as an SDK signs it: `target` and `body` signed with `secret` for
/// `region` and `service` at `time`. Returns the headers to send.
fn header_signed(
    server: &TestServer,
    (key, secret): (&str, &str),
    (region, service): (&str, &str),
    time: SystemTime,
    target: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let signer = Signed {
        key,
        secret,
        region,
        service,
        time,
    };
    let instructions = signer.sign(server, SigningSettings::default(), target, body);
    let mut out: Vec<(String, String)> = signed_headers(server, target)
        .into_iter()
        .filter(|(name, _)| *name != "host")
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    out.extend(
        instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned())),
    );
    out
}

/// A case's name, headers and body, and the error and message (if exact) it must get.
type SignatureCase<'a> = (
    &'a str,
    Vec<(String, String)>,
    &'a [u8],
    &'a str,
    Option<String>,
);

/// Every way a signature can be wrong, against a verifying server, each with DynamoDB's
/// error: the canonical request (body, a signed header), the key pair, the credential scope
/// (service, date, region) and the clock skew either way; then what a request without any
/// signature, or with half of one, gets.
#[test]
fn every_signature_case_gets_dynamodbs_answer() {
    let server = verifying();
    let body = br#"{"Limit":1}"#;
    let now = SystemTime::now();
    let minutes = |m: u64| Duration::from_secs(m * 60);
    let valid = ((KEY, SECRET), ("us-east-1", "dynamodb"));
    let post = |headers: &[(String, String)], body: &[u8]| {
        let headers: Vec<(&str, String)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        server.raw_request("POST", "/", &headers, body)
    };
    let signed = |(creds, scope): ((&str, &str), (&str, &str)), time| {
        header_signed(&server, creds, scope, time, LIST_STREAMS, body)
    };
    let invalid = "InvalidSignatureException";
    let mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

    let ok = post(&signed(valid, now), body);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let west = post(
        &signed(((KEY, SECRET), ("eu-west-1", "dynamodb")), now),
        body,
    );
    assert_eq!(west.status, 200, "any region: the request acts in it");
    let skewed_in = post(&signed(valid, now - minutes(14)), body);
    assert_eq!(
        skewed_in.status, 200,
        "14 minutes of skew is within the limit"
    );

    let mut cases: Vec<SignatureCase> = vec![
        (
            "body altered",
            signed(valid, now),
            br#"{"Limit":2}"#,
            invalid,
            Some(mismatch.into()),
        ),
        (
            "wrong secret",
            signed(((KEY, "not the secret"), ("us-east-1", "dynamodb")), now),
            body,
            invalid,
            Some(mismatch.into()),
        ),
        (
            "unknown access key",
            signed((("AKIDUNKNOWN", SECRET), ("us-east-1", "dynamodb")), now),
            body,
            "UnrecognizedClientException",
            Some("The security token included in the request is invalid.".into()),
        ),
        (
            "another service",
            signed(((KEY, SECRET), ("us-east-1", "dynamodbstreams")), now),
            body,
            invalid,
            Some("Credential should be scoped to correct service: 'dynamodb'. ".into()),
        ),
        (
            "16 minutes old",
            signed(valid, now - minutes(16)),
            body,
            invalid,
            None,
        ),
        (
            "16 minutes ahead",
            signed(valid, now + minutes(16)),
            body,
            invalid,
            None,
        ),
        (
            "no signature",
            vec![("X-Amz-Target".into(), LIST_STREAMS.into())],
            body,
            "MissingAuthenticationTokenException",
            Some("Request is missing Authentication Token".into()),
        ),
    ];
    let mut target_altered = signed(valid, now);
    for (name, value) in &mut target_altered {
        if name == "x-amz-target" {
            *value = "DynamoDB_20120810.ListTables".into();
        }
    }
    cases.push((
        "signed header altered",
        target_altered,
        body,
        invalid,
        Some(mismatch.into()),
    ));
    let mut half = signed(valid, now);
    for (name, value) in &mut half {
        if name == "authorization" {
            *value = value
                .split(", Signature=")
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    }
    cases.push((
        "no Signature= part",
        half,
        body,
        "IncompleteSignatureException",
        None,
    ));
    let mut scope_day = signed(valid, now);
    let yesterday = aws_smithy_types::DateTime::from(now - Duration::from_secs(86_400))
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .expect("date")
        .replace('-', "");
    for (name, value) in &mut scope_day {
        if name == "authorization" {
            let today = value.split('/').nth(1).unwrap_or_default().to_owned();
            *value = value.replacen(&format!("/{today}/"), &format!("/{}/", &yesterday[..8]), 1);
        }
    }
    cases.push(("scope of another day", scope_day, body, invalid, None));

    for (case, headers, body, error, expected_message) in cases {
        let r = post(&headers, body);
        assert_eq!(
            r.status,
            400,
            "{case}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.error_type(),
            format!("com.amazon.coral.service#{error}"),
            "{case}"
        );
        let msg = r.json()["message"].as_str().unwrap_or_default().to_owned();
        match expected_message {
            Some(expected) => assert_eq!(msg, expected, "{case}"),
            None => assert!(!msg.is_empty(), "{case}"),
        }
    }
}
