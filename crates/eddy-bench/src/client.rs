//! HTTP/1.1 keep-alive connections speaking DynamoDB's JSON 1.0 protocol, one hyper
//! `client::conn::http1` connection per task so no pool or lock sits between a task and its
//! socket.

use std::net::SocketAddr;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// Every request carries a SigV4-shaped header; eddy and most peers accept any credentials,
/// and the generator must not spend time signing.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The DynamoDB and DynamoDB Streams operations the harness calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    CreateTable,
    DescribeTable,
    DeleteTable,
    PutItem,
    GetItem,
    Query,
    UpdateItem,
    BatchWriteItem,
    Scan,
    TransactWriteItems,
    DescribeStream,
    GetShardIterator,
    GetRecords,
}

impl Op {
    /// The `X-Amz-Target` value.
    pub fn target(self) -> &'static str {
        match self {
            Op::CreateTable => "DynamoDB_20120810.CreateTable",
            Op::DescribeTable => "DynamoDB_20120810.DescribeTable",
            Op::DeleteTable => "DynamoDB_20120810.DeleteTable",
            Op::PutItem => "DynamoDB_20120810.PutItem",
            Op::GetItem => "DynamoDB_20120810.GetItem",
            Op::Query => "DynamoDB_20120810.Query",
            Op::UpdateItem => "DynamoDB_20120810.UpdateItem",
            Op::BatchWriteItem => "DynamoDB_20120810.BatchWriteItem",
            Op::Scan => "DynamoDB_20120810.Scan",
            Op::TransactWriteItems => "DynamoDB_20120810.TransactWriteItems",
            Op::DescribeStream => "DynamoDBStreams_20120810.DescribeStream",
            Op::GetShardIterator => "DynamoDBStreams_20120810.GetShardIterator",
            Op::GetRecords => "DynamoDBStreams_20120810.GetRecords",
        }
    }
}

/// Where requests go: a resolved socket address and the `Host` header to send.
#[derive(Clone, Debug)]
pub struct Endpoint {
    addr: SocketAddr,
    host: HeaderValue,
}

impl Endpoint {
    /// An endpoint on a known address (a server the harness started).
    pub fn from_addr(addr: SocketAddr) -> Result<Endpoint> {
        Ok(Endpoint {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
        })
    }

    /// The address requests go to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Parses and resolves `http://host:port` (a trailing `/` is allowed; https is not
    /// spoken).
    pub async fn parse(url: &str) -> Result<Endpoint> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("endpoint {url:?} must start with http://"))?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            bail!("endpoint {url:?} must be http://host:port");
        }
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .with_context(|| format!("resolving {with_port}"))?
            .next()
            .ok_or_else(|| anyhow!("{with_port} resolves to no address"))?;
        Ok(Endpoint {
            addr,
            host: HeaderValue::from_str(authority)?,
        })
    }
}

/// One keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    endpoint: Endpoint,
    // The server answered "Connection: close" (moto does on every reply): reconnect first.
    closing: bool,
}

/// A response read in full (reading it all is what lets the connection be reused).
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Conn {
    /// Connects and performs the HTTP/1.1 handshake.
    pub async fn open(endpoint: &Endpoint) -> Result<Conn> {
        let stream = TcpStream::connect(endpoint.addr)
            .await
            .with_context(|| format!("connecting to {}", endpoint.addr))?;
        // Small requests back to back: Nagle would add delayed-ACK stalls to every one.
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // A broken connection is reported to the sender by its next request.
            let _closed = connection.await;
        });
        Ok(Conn {
            sender,
            host: endpoint.host.clone(),
            endpoint: endpoint.clone(),
            closing: false,
        })
    }

    /// Sends one API request whose body is already serialised.
    pub async fn call(&mut self, op: Op, body: Bytes) -> Result<Reply> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = hyper::Uri::from_static("/");
        let h = req.headers_mut();
        h.insert(header::HOST, self.host.clone());
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        h.insert("x-amz-target", HeaderValue::from_static(op.target()));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static(AUTHORIZATION),
        );
        // dynalite and Dynoxide refuse a SigV4 header without X-Amz-Date or Date.
        h.insert("x-amz-date", HeaderValue::from_static("20260101T000000Z"));
        self.send(req).await
    }

    /// Sends `GET path` (the health endpoint).
    pub async fn get(&mut self, path: &str) -> Result<Reply> {
        let mut req = Request::new(Full::new(Bytes::new()));
        *req.uri_mut() = path.parse()?;
        req.headers_mut().insert(header::HOST, self.host.clone());
        self.send(req).await
    }

    async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Reply> {
        if self.closing {
            let endpoint = self.endpoint.clone();
            *self = Conn::open(&endpoint).await?;
        }
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        if resp
            .headers()
            .get(header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
        {
            self.closing = true;
        }
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
    }
}

/// A DynamoDB error answer: its `__type` without the namespace, and its message.
#[derive(Debug)]
pub struct ApiError {
    pub kind: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Sends a control-plane or preload request and parses the answer. A DynamoDB error comes
/// back as an [`ApiError`] inside the `anyhow::Error`, so callers can tell which it was.
pub async fn call_json(conn: &mut Conn, op: Op, input: &Value) -> Result<Value> {
    let reply = conn
        .call(op, Bytes::from(serde_json::to_vec(input)?))
        .await?;
    let json: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    if reply.status == StatusCode::OK {
        return Ok(json);
    }
    Err(api_error(reply.status, &json, &reply.body).into())
}

/// Reads DynamoDB's error shape (`__type` and `message` or `Message`), or describes the
/// status and body when the answer has some other shape.
pub fn api_error(status: StatusCode, json: &Value, raw: &[u8]) -> ApiError {
    let kind = json
        .get("__type")
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string());
    let message = json
        .get("message")
        .or_else(|| json.get("Message"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match kind {
        Some(kind) => ApiError {
            kind,
            message: message.unwrap_or_default(),
        },
        None => ApiError {
            kind: format!("HTTP {}", status.as_u16()),
            message: String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned(),
        },
    }
}
