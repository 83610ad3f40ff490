//! `--tls-cert` and `--tls-key`: eddy serves HTTPS, the AWS SDK talks to it trusting the
//! certificate, plain HTTP gets no answer, and a trigger reads its stream over HTTPS too.

mod common;

use std::io::{Read, Write};
use std::process::Command;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::StreamViewType;
use aws_smithy_http_client::tls;
use common::streams::{create_stream_table, put};
use common::triggers::Sink;

/// A self-signed certificate for 127.0.0.1 and localhost, made by openssl: (cert, key) paths.
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // A server certificate, not a CA: rustls refuses a CA as the end entity.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl made no certificate");
    (cert, key)
}

fn client(endpoint: &str, cert: &std::path::Path) -> aws_sdk_dynamodb::Client {
    let pem = std::fs::read(cert).expect("cert");
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .tls_context(
            tls::TlsContext::builder()
                .with_trust_store(tls::TrustStore::empty().with_pem_certificate(pem))
                .build()
                .expect("tls context"),
        )
        .build_https();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .http_client(http)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[tokio::test]
async fn the_sdk_and_a_trigger_speak_https_to_eddy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = certificate(dir.path());
    let sink = Sink::ok();
    let (mut child, endpoint) = common::spawn_eddy(
        Command::new(env!("CARGO_BIN_EXE_eddy"))
            .args([
                "serve",
                "--in-memory",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
            ])
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .arg("--trigger")
            .arg(format!("table=Secure,url={}", sink.url())),
    );
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    let db = client(&endpoint, &cert);
    create_stream_table(&db, "Secure", StreamViewType::KeysOnly, false).await;
    put(&db, "Secure", "over-tls").await;
    let got = db
        .get_item()
        .table_name("Secure")
        .key("pk", common::s("over-tls"))
        .send()
        .await
        .expect("get over https");
    assert!(got.item().is_some());
    let records = sink.wait_for_records(1);
    assert_eq!(common::triggers::pk(&records[0]), "over-tls");

    // Plain HTTP on the HTTPS port gets no HTTP answer.
    let addr = endpoint.trim_start_matches("https://");
    let mut plain = std::net::TcpStream::connect(addr).expect("connect");
    plain
        .write_all(b"GET /_eddy/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_key_that_does_not_match_the_certificate_stops_eddy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, _) = certificate(dir.path());
    let other = tempfile::tempdir().expect("tempdir");
    let (_, wrong_key) = certificate(other.path());
    let out = Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args([
            "serve",
            "--in-memory",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
        ])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&wrong_key)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("do not go together"), "{err}");
}
