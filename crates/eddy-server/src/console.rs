//! The web console at `/_eddy/console` (plain JavaScript modules, embedded at build time so
//! building eddy needs no Node) and the live record feed it reads,
//! `/_eddy/streams/events?StreamArn=…`: server-sent events replaying a stream from its trim
//! horizon, parents before children, then following it as records are written.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use eddy_engine::Engine;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;

use crate::error::{ApiError, ErrorKind};
use crate::handlers;
use crate::http::check_signature;
use crate::http::{Resp, full, plain};
use crate::input::{Arena, Input};
use crate::protocol::Operation;
use crate::sigv4::query_params;
use crate::state::AppState;

/// The console's files: (name under `/_eddy/console/`, content type, contents).
const FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("console/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("console/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("console/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("console/api.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_str!("console/dom.js"),
    ),
    (
        "items.js",
        "text/javascript; charset=utf-8",
        include_str!("console/items.js"),
    ),
    (
        "stream.js",
        "text/javascript; charset=utf-8",
        include_str!("console/stream.js"),
    ),
];

/// `GET /_eddy/console` and the files under it.
pub(crate) fn file(path: &str) -> Resp {
    let name = path
        .strip_prefix("/_eddy/console")
        .unwrap_or_default()
        .trim_start_matches('/');
    let name = if name == "index.html" { "" } else { name };
    let Some((_, content_type, contents)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return plain(StatusCode::NOT_FOUND, "no such console file\n");
    };
    let mut resp = Response::new(full(contents.as_bytes()));
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    resp
}

/// How often the feed looks for new records and shards.
const POLL: Duration = Duration::from_millis(200);
/// An idle feed sends a comment this often, so proxies keep it open and a closed page is
/// noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /_eddy/streams/events?StreamArn=…`: presigned (SigV4 in the query, as an EventSource
/// sends no headers) when the server verifies signatures. It reads the stream its ARN names,
/// in that ARN's account and region.
pub(crate) fn events(state: &Arc<AppState>, req: Request<Incoming>) -> Resp {
    let (parts, _) = req.into_parts();
    if state.verifier.is_some()
        && let Err(e) = check_signature(state, &parts, b"")
    {
        return error_response(&e);
    }
    let arn = parts
        .uri
        .query()
        .map(query_params)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "StreamArn")
        .map(|(_, v)| v);
    let Some(arn) = arn else {
        return plain(StatusCode::BAD_REQUEST, "expected ?StreamArn=ARN\n");
    };
    let engine = match eddy_streams::parse_stream_arn(&arn) {
        Ok(parts) => Arc::new(
            state
                .engine
                .scoped(eddy_engine::Scope::new(parts.account, parts.region)),
        ),
        Err(e) => return error_response(&ApiError::from(eddy_engine::EngineError::Streams(e))),
    };
    // A stream that does not exist is refused before the feed starts.
    if let Err(e) = call(
        &engine,
        Operation::DescribeStream,
        &json!({"StreamArn": arn, "Limit": 1}),
    ) {
        return error_response(&e);
    }
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(follow(engine, arn, tx));
    let mut resp = Response::new(EventBody(rx).boxed_unsync());
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    resp
}

/// The feed's body: whatever the follower sends, until it stops.
struct EventBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// Where the feed is in one shard.
struct Position {
    /// None once the shard is closed and read to its end.
    iterator: Option<String>,
    /// The last record sent, to resume after an expired iterator.
    last_sequence: Option<String>,
}

fn error_response(e: &ApiError) -> Resp {
    let mut resp = Response::new(full(e.body()));
    *resp.status_mut() = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    resp
}

/// Sends the stream's records as events until the page goes away.
async fn follow(engine: Arc<Engine>, arn: String, tx: mpsc::Sender<Bytes>) {
    let mut shards: HashMap<String, Position> = HashMap::new();
    let mut idle = Duration::ZERO;
    loop {
        if tx.is_closed() {
            return;
        }
        let batch = {
            let engine = Arc::clone(&engine);
            let arn = arn.clone();
            let mut moved = std::mem::take(&mut shards);
            tokio::task::spawn_blocking(move || {
                let events = read_new(&engine, &arn, &mut moved);
                (moved, events)
            })
            .await
        };
        let Ok((moved, events)) = batch else { return };
        shards = moved;
        let events = match events {
            Ok(events) => events,
            Err(e) => {
                // The stream was disabled or its table deleted: say so, and end the feed.
                let data = json!({"error": e.kind.name(), "message": e.message});
                let _ = tx
                    .send(Bytes::from(format!("event: end\ndata: {data}\n\n")))
                    .await;
                return;
            }
        };
        if events.is_empty() {
            idle += POLL;
            if idle >= KEEP_ALIVE {
                idle = Duration::ZERO;
                if tx
                    .send(Bytes::from_static(b": keep-alive\n\n"))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        } else {
            idle = Duration::ZERO;
        }
        for event in events {
            if tx.send(Bytes::from(event)).await.is_err() {
                return;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One pass over the stream: starts reading shards whose parents are read to their end (or
/// gone), and reads what is new in each open position. Answers the events to send.
fn read_new(
    engine: &Engine,
    arn: &str,
    shards: &mut HashMap<String, Position>,
) -> Result<Vec<String>, ApiError> {
    let mut events = Vec::new();
    let listed = all_shards(engine, arn)?;
    let present: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    for (id, parent) in &listed {
        if shards.contains_key(id) {
            continue;
        }
        let parent_done = match parent {
            Some(p) if present.contains(&p.as_str()) => {
                shards.get(p).is_some_and(|pos| pos.iterator.is_none())
            }
            _ => true,
        };
        if parent_done {
            let iterator = shard_iterator(engine, arn, id, None)?;
            shards.insert(
                id.clone(),
                Position {
                    iterator: Some(iterator),
                    last_sequence: None,
                },
            );
        }
    }
    for (id, _) in &listed {
        let Some(pos) = shards.get_mut(id) else {
            continue;
        };
        let Some(iterator) = pos.iterator.clone() else {
            continue;
        };
        let page = match call(
            engine,
            Operation::GetRecords,
            &json!({"ShardIterator": iterator, "Limit": 1000}),
        ) {
            Ok(page) => page,
            // Time moved past the iterator's lifetime (a clock advance does): carry on from
            // the last record sent.
            Err(e)
                if e.kind == ErrorKind::ExpiredIterator
                    || e.kind == ErrorKind::TrimmedDataAccess =>
            {
                let after = if e.kind == ErrorKind::ExpiredIterator {
                    pos.last_sequence.as_deref()
                } else {
                    None
                };
                pos.iterator = Some(shard_iterator(engine, arn, id, after)?);
                continue;
            }
            Err(e) => return Err(e),
        };
        for record in page["Records"].as_array().into_iter().flatten() {
            if let Some(seq) = record["dynamodb"]["SequenceNumber"].as_str() {
                pos.last_sequence = Some(seq.to_owned());
            }
            let data = json!({"ShardId": id, "Record": record});
            events.push(format!("event: record\ndata: {data}\n\n"));
        }
        pos.iterator = page["NextShardIterator"].as_str().map(str::to_owned);
    }
    Ok(events)
}

/// Every shard of the stream, as (id, parent id), in DescribeStream's order.
fn all_shards(engine: &Engine, arn: &str) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut request = json!({"StreamArn": arn, "Limit": 100});
        if let Some(s) = &start {
            request["ExclusiveStartShardId"] = json!(s);
        }
        let page = call(engine, Operation::DescribeStream, &request)?;
        let description = &page["StreamDescription"];
        for shard in description["Shards"].as_array().into_iter().flatten() {
            if let Some(id) = shard["ShardId"].as_str() {
                let parent = shard["ParentShardId"].as_str().map(str::to_owned);
                shards.push((id.to_owned(), parent));
            }
        }
        match description["LastEvaluatedShardId"].as_str() {
            Some(last) => start = Some(last.to_owned()),
            None => return Ok(shards),
        }
    }
}

/// An iterator at the shard's trim horizon, or after `after`.
fn shard_iterator(
    engine: &Engine,
    arn: &str,
    shard: &str,
    after: Option<&str>,
) -> Result<String, ApiError> {
    let request = match after {
        Some(seq) => json!({"StreamArn": arn, "ShardId": shard,
            "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq}),
        None => json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    };
    let answer = call(engine, Operation::GetShardIterator, &request)?;
    Ok(answer["ShardIterator"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Runs a Streams API call as a client's request runs (the same decoding and rendering), but
/// without fault injection or request metrics: the feed is the console's, not a client's.
fn call(engine: &Engine, op: Operation, request: &Value) -> Result<Value, ApiError> {
    let body = request.to_string();
    let arena = Arena::new();
    let input = Input::parse(body.as_bytes(), &arena)?;
    let reply = handlers::dispatch(engine, op, &input, None)?;
    serde_json::from_slice(&reply.into_bytes())
        .map_err(|_| ApiError::new(ErrorKind::InternalServerError, "Internal server error"))
}
