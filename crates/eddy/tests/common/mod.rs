//! Shared fixtures: a real eddy server on a free loopback port, AWS SDK clients for it, and a
//! raw HTTP helper. The storage engine comes from `EDDY_TEST_ENGINE` (`memory` or `fjall`,
//! default `fjall`), so the same tests run on both.

#![allow(dead_code)]

pub mod client;
pub mod schema;
pub mod streams;
pub mod triggers;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use eddy_engine::{Engine, EngineConfig};
use eddy_server::AppState;
use eddy_storage::{Durability, FjallStorage, MemoryStorage, PostgresStorage, Storage};

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn storage() -> (Arc<dyn Storage>, Option<tempfile::TempDir>) {
    match std::env::var("EDDY_TEST_ENGINE").as_deref() {
        Ok("memory") => (Arc::new(MemoryStorage::new()), None),
        Ok("postgres") => (Arc::new(fresh_postgres()), None),
        _ => {
            let dir = tempfile::tempdir().expect("tempdir");
            let storage = FjallStorage::open(dir.path(), Durability::Buffered).expect("open fjall");
            (Arc::new(storage), Some(dir))
        }
    }
}

/// A PostgreSQL engine on a database of its own, on the server `EDDY_TEST_POSTGRES_URL` names
/// (`scripts/test` starts one).
pub fn fresh_postgres() -> PostgresStorage {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let admin = std::env::var("EDDY_TEST_POSTGRES_URL")
        .expect("EDDY_TEST_ENGINE=postgres needs EDDY_TEST_POSTGRES_URL");
    let name = format!(
        "eddy_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let url = PostgresStorage::create_database(&admin, &name).expect("create database");
    PostgresStorage::connect(&url, 8).expect("connect to PostgreSQL")
}

impl TestServer {
    /// Starts a server with test control on.
    pub fn start() -> Self {
        Self::start_with(EngineConfig::default())
    }

    /// Starts a server with test control on and these settings (stream partitions and
    /// durations, region, account).
    pub fn start_with(config: EngineConfig) -> Self {
        Self::start_configured(config, |state| state)
    }

    /// Starts a server with test control on, these engine settings, and the server settings
    /// `configure` adds (signature verification, Streams rate limits).
    pub fn start_configured(
        config: EngineConfig,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> Self {
        let (storage, dir) = storage();
        let engine = Arc::new(Engine::open(storage, config).expect("engine"));
        let state = Arc::new(configure(AppState::new(engine, true)));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = eddy_server::runtime_builder()
                .worker_threads(2)
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                eddy_server::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await;
            });
        });
        Self {
            addr,
            endpoint: format!("http://{addr}"),
            stop: Some(tx),
            thread: Some(thread),
            _dir: dir,
        }
    }

    /// A DynamoDB client for this server.
    pub fn client(&self) -> Client {
        client_for(&self.endpoint)
    }

    /// A DynamoDB Streams client for this server.
    pub fn streams_client(&self) -> aws_sdk_dynamodbstreams::Client {
        streams_client_for(&self.endpoint)
    }

    /// Moves the server's clock forward (test control); the due work (shard rollover,
    /// record trimming) has run when this returns. Returns the new now, in epoch ms.
    pub fn advance(&self, seconds: u64) -> u64 {
        let body = format!("{{\"seconds\":{seconds}}}");
        let resp = self.raw_request("POST", "/_eddy/clock/advance", &[], body.as_bytes());
        assert_eq!(resp.status, 200, "clock advance: {:?}", resp.json());
        resp.json()["now"].as_u64().expect("now")
    }

    /// Splits an open shard of a stream (test control).
    pub fn split(&self, stream_arn: &str, shard_id: &str) -> RawResponse {
        let body = serde_json::json!({"StreamArn": stream_arn, "ShardId": shard_id}).to_string();
        self.raw_request("POST", "/_eddy/streams/split", &[], body.as_bytes())
    }

    /// Sends a raw API request; returns (status, headers, body).
    pub fn raw(&self, target: Option<&str>, body: &[u8]) -> RawResponse {
        let mut headers = vec![
            ("Content-Type", "application/x-amz-json-1.0".to_owned()),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc".to_owned(),
            ),
        ];
        if let Some(t) = target {
            headers.push(("X-Amz-Target", t.to_owned()));
        }
        self.raw_request("POST", "/", &headers, body)
    }

    /// Sends any HTTP/1.1 request.
    pub fn raw_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> RawResponse {
        http_request(self.addr, method, path, headers, body)
    }
}

/// An eddy process a test started; killed with SIGKILL when dropped.
pub struct EddyProcess {
    pub child: std::process::Child,
    pub endpoint: String,
}

impl EddyProcess {
    /// Starts `eddy serve --listen 127.0.0.1:0` with these flags.
    pub fn serve<S: AsRef<std::ffi::OsStr>>(flags: &[S]) -> Self {
        let (child, endpoint) = spawn_eddy(
            std::process::Command::new(env!("CARGO_BIN_EXE_eddy"))
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(flags),
        );
        Self { child, endpoint }
    }
}

impl Drop for EddyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the eddy binary as `cmd` describes (`serve` and its flags); returns the process and
/// the endpoint it printed once listening.
pub fn spawn_eddy(cmd: &mut std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn eddy");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read line");
    let endpoint = line
        .trim()
        .strip_prefix("eddy ready on ")
        .unwrap_or_else(|| panic!("eddy did not start: {line:?}"))
        .to_owned();
    (child, endpoint)
}

/// Sends any HTTP/1.1 request to `addr` on a fresh connection.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write");
    // A server that refuses a body early may close before it is all sent; its answer is
    // what matters.
    let _ = stream.write_all(body);
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    RawResponse::parse(&buf)
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    fn parse(buf: &[u8]) -> Self {
        let split = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = String::from_utf8_lossy(&buf[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = buf[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The error name after the `#` of `__type`.
    pub fn error_type(&self) -> String {
        self.json()["__type"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(pos) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..pos]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[pos + 2..pos + 2 + size]);
        body = &body[pos + 2 + size + 2..];
    }
}

/// A DynamoDB client for an endpoint.
pub fn client_for(endpoint: &str) -> Client {
    client_with_credentials(endpoint, "AKIDTEST", "secret")
}

/// A DynamoDB client for an endpoint that signs with these credentials.
pub fn client_with_credentials(endpoint: &str, access_key: &str, secret: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .http_client(http)
        .build();
    Client::from_conf(config)
}

/// A DynamoDB Streams client for an endpoint.
pub fn streams_client_for(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .http_client(http)
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

/// Loads `items` items keyed `pk` = `w<writer>-<n>` with a ~100-byte payload into `table`,
/// with BatchWriteItem from 8 concurrent writers.
pub async fn batch_load(client: &Client, table: &str, items: usize) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let per_writer = items.div_ceil(8);
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, table) = (client.clone(), table.to_owned());
        let count = per_writer.min(items.saturating_sub(w * per_writer));
        writers.push(tokio::spawn(async move {
            for start in (0..count).step_by(25) {
                let puts: Vec<WriteRequest> = (start..(start + 25).min(count))
                    .map(|i| {
                        let put = PutRequest::builder()
                            .item("pk", s(&format!("w{w}-{i}")))
                            .item(
                                "payload",
                                s("a hundred bytes of payload, more or less, like a small order line"),
                            )
                            .build()
                            .expect("put");
                        WriteRequest::builder().put_request(put).build()
                    })
                    .collect();
                let out = client
                    .batch_write_item()
                    .request_items(&table, puts)
                    .send()
                    .await
                    .expect("batch write");
                assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
}

/// Creates an on-demand table with a string hash key `pk` and, if `range` names a type, a
/// sort key `sk` of that type.
pub async fn create_table(client: &Client, name: &str, range: Option<ScalarAttributeType>) {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("def"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        );
    if let Some(ty) = range {
        req = req
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("sk")
                    .attribute_type(ty)
                    .build()
                    .expect("def"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("sk")
                    .key_type(KeyType::Range)
                    .build()
                    .expect("key"),
            );
    }
    req.send().await.expect("create table");
}

pub fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

/// The service error code of an SDK error.
pub fn code<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_owned()
}

/// The service error message of an SDK error.
pub fn message<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or_default().to_owned()
}
