//! The HTTP front: one port, a fixed pipeline per API request (body limit → read body →
//! signature: shape, presigned expiry, verification when on → decode its Content-Encoding →
//! operation → parse → Streams rate limits when on → handler → render → compress for the
//! client's Accept-Encoding), plus the health and test-control endpoints; every answer carries
//! DynamoDB's `Server` header and, for a cross-origin request, its CORS headers.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::console;
use crate::content_coding;
use crate::control;
use crate::error::{ApiError, ErrorKind};
use crate::handlers;
use crate::input::{Arena, Input};
use crate::protocol::Operation;
use crate::reply::Reply;
use crate::sigv4::{self, Auth, SignedParts};
use crate::state::AppState;
use crate::telemetry;

/// The largest request body DynamoDB accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A response body: whole, or streamed (server-sent events).
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;
pub(crate) type Resp = Response<Body>;

/// A whole response body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// Answers one HTTP request.
pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let cors = Cors::of(&req);
    let path = req.uri().path();
    let mut resp = match (req.method(), path) {
        _ if oversized_head(&req) => plain(StatusCode::BAD_REQUEST, "Bad Request\n"),
        // The path leaves out the query, so presigned requests (`POST /?X-Amz-...`) land here.
        (&Method::POST, "/") => api(&state, req).await,
        (&Method::GET, "/_eddy/health") => plain(StatusCode::OK, "ok\n"),
        (&Method::GET, "/_eddy/info") => control::info(&state),
        // hyper sends no body in answer to HEAD, so link checkers find the files too.
        (&Method::GET | &Method::HEAD, p)
            if p == "/_eddy/console" || p.starts_with("/_eddy/console/") =>
        {
            console::file(p)
        }
        (&Method::GET, "/_eddy/streams/events") => console::events(&state, req),
        (&Method::POST, "/_eddy/clock/advance") if state.test_control => {
            control::clock_advance(&state, req).await
        }
        (&Method::POST, "/_eddy/streams/split") if state.test_control => {
            control::streams_split(&state, req).await
        }
        (&Method::GET, "/_eddy/faults") if state.test_control => control::faults(&state),
        (&Method::POST, "/_eddy/faults") if state.test_control => {
            control::replace_faults(&state, Some(req)).await
        }
        (&Method::DELETE, "/_eddy/faults") if state.test_control => {
            control::replace_faults(&state, None).await
        }
        (&Method::GET, "/_eddy/triggers") => control::triggers(&state),
        (&Method::GET, "/_eddy/metrics") => control::metrics_page(&state),
        (&Method::GET, "/") => healthy(&state, &req),
        (&Method::OPTIONS, _) => Response::new(full(Bytes::new())),
        _ => plain(StatusCode::NOT_FOUND, "<UnknownOperationException/>\n"),
    };
    let headers = resp.headers_mut();
    // DynamoDB names itself this way on every answer.
    headers.insert("server", HeaderValue::from_static("Server"));
    cors.apply(headers);
    Ok(resp)
}

/// The most bytes DynamoDB takes in a request line, and in a request's headers together.
const MAX_HEAD_PART_BYTES: usize = 16 * 1024;

/// A request line or header block over DynamoDB's 16 KB: answered 400 Bad Request before
/// anything reads the request.
fn oversized_head(req: &Request<Incoming>) -> bool {
    let line = req.uri().path().len() + req.uri().query().map_or(0, str::len);
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    line > MAX_HEAD_PART_BYTES || headers > MAX_HEAD_PART_BYTES
}

/// What a cross-origin request gets, as DynamoDB answers it: any origin is allowed, the
/// request id and error headers are exposed to the page, and a preflight (OPTIONS) is allowed
/// the methods and headers it asks for. A request without `Origin` gets no CORS headers.
struct Cors {
    origin: bool,
    preflight: Option<(Option<HeaderValue>, Option<HeaderValue>)>,
}

impl Cors {
    fn of(req: &Request<Incoming>) -> Self {
        let h = req.headers();
        Self {
            origin: h.contains_key("origin"),
            preflight: (req.method() == Method::OPTIONS).then(|| {
                (
                    h.get("access-control-request-headers").cloned(),
                    h.get("access-control-request-method").cloned(),
                )
            }),
        }
    }

    fn apply(self, h: &mut HeaderMap) {
        if !self.origin {
            return;
        }
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_static("x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"),
        );
        if let Some((headers, method)) = self.preflight {
            h.insert("access-control-max-age", HeaderValue::from_static("172800"));
            if let Some(v) = headers {
                h.insert("access-control-allow-headers", v);
            }
            if let Some(v) = method {
                h.insert("access-control-allow-methods", v);
            }
        }
    }
}

async fn api(state: &Arc<AppState>, req: Request<Incoming>) -> Resp {
    let request_id = state.next_request_id();
    let coding = content_coding::negotiate(
        req.headers()
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok()),
    );
    let (status, body) = match api_inner(state, req, &request_id).await {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (
            StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(),
        ),
    };
    let mut resp = match coding {
        Some(coding) if body.len() >= content_coding::COMPRESS_FROM => {
            let mut resp = json_response(status, content_coding::encode(coding, &body));
            resp.headers_mut()
                .insert("content-encoding", HeaderValue::from_static(coding.name()));
            resp
        }
        _ => json_response(status, body),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

async fn api_inner(
    state: &Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    // An injected delay comes first, so that it never holds an in-flight slot: a slow rule must
    // not turn into throttling nobody asked for.
    if state.faults.any()
        && let Some(op) = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(Operation::from_target)
    {
        let delay = state.faults.delay(op);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    // Held until the answer is ready: a server at its limit throttles, as DynamoDB does,
    // rather than queueing requests (and their bodies) without bound.
    let _permit = Arc::clone(&state.in_flight)
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::new(
                ErrorKind::Throttling,
                "Rate of requests exceeds the allowed throughput.",
            )
        })?;
    let (parts, body) = req.into_parts();
    if let Some(len) = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > MAX_BODY_BYTES
    {
        return Err(too_large());
    }
    let body = match tokio::time::timeout(
        state.limits.body_timeout,
        Limited::new(body, MAX_BODY_BYTES).collect(),
    )
    .await
    {
        Ok(body) => body.map_err(|_| too_large())?.to_bytes(),
        Err(_) => {
            return Err(ApiError::new(
                ErrorKind::RequestTimeout,
                "The request body did not arrive in time",
            ));
        }
    };
    let scope = check_signature(state, &parts, &body)?;
    let body = content_coding::decode_request(
        parts
            .headers
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        body,
        MAX_BODY_BYTES,
        too_large,
    )?;
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let op = operation_of(target)?;
    // Decoding, the rate limits and the handler run together, wherever the handler runs: the
    // parsed input borrows from the body and from its request's arena.
    // Only DescribeEndpoints answers with it.
    let host = (op == Operation::DescribeEndpoints)
        .then(|| parts.headers.get("host").and_then(|v| v.to_str().ok()))
        .flatten()
        .map(str::to_owned);
    let request_id = request_id.to_owned();
    let stream_records = !parts
        .headers
        .get(STREAM_RECORDS_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"off"));
    let run = move |state: &AppState| {
        let view = View {
            scope,
            stream_records,
        };
        // Under test control, a clock advance through another process sharing the storage
        // counts from the next request on, as it does through this one.
        if state.test_control {
            state.engine.sync_clock()?;
        }
        run_operation(state, op, view, &body, host.as_deref(), &request_id)
    };
    if op.may_take_long()
        || state.engine.storage_is_remote()
        || (state.engine.writes_wait_for_sync() && !op.is_read_only())
    {
        // Long engine work, any call to a storage on another machine, or a write waiting
        // milliseconds for a disk sync that concurrent writes share, would hold up every
        // connection of a runtime worker; and with as many workers as cores, only that many
        // writes could ever share a sync.
        let state = Arc::clone(state);
        return tokio::task::spawn_blocking(move || run(&state))
            .await
            .map_err(|_| ApiError::new(ErrorKind::InternalServerError, "Internal server error"))?;
    }
    run(state)
}

/// eddy's one request header: `off` makes the request's item writes skip their tables'
/// streams, as a bulk import (`eddy import`) wants.
const STREAM_RECORDS_HEADER: &str = "x-eddy-stream-records";

/// Which view of the database a request acts in.
#[derive(Clone, Debug)]
pub(crate) struct View {
    /// Its account and region (None: the engine's default).
    pub(crate) scope: Option<eddy_engine::Scope>,
    /// Whether its item writes make stream records.
    pub(crate) stream_records: bool,
}

/// The operation an `X-Amz-Target` header names.
pub(crate) fn operation_of(target: &str) -> Result<Operation, ApiError> {
    Operation::from_target(target).ok_or_else(|| ApiError::bare(ErrorKind::UnknownOperation))
}

/// Parses a decoded request body and runs its operation in `view`, returning the response
/// body.
pub(crate) fn run_operation(
    state: &AppState,
    op: Operation,
    view: View,
    body: &[u8],
    host: Option<&str>,
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let started = std::time::Instant::now();
    let arena = Arena::new();
    let input = Input::parse(body, &arena);
    let table = input
        .as_ref()
        .ok()
        .and_then(|i| i.string("TableName").ok().flatten());
    let injected = state
        .faults
        .any()
        .then(|| {
            let scope = view.scope.as_ref().unwrap_or_else(|| state.engine.scope());
            state.faults.error(op, table, scope)
        })
        .flatten();
    let outcome = match injected {
        Some(error) => Err(error),
        None => input.and_then(|input| dispatch_in_view(state, op, view, &input, host)),
    };
    telemetry::record(op, table, started.elapsed(), &outcome, request_id);
    outcome
}

fn dispatch_in_view(
    state: &AppState,
    op: Operation,
    view: View,
    input: &Input<'_>,
    host: Option<&str>,
) -> Result<Vec<u8>, ApiError> {
    let viewed;
    let engine = match view {
        View {
            scope: None,
            stream_records: true,
        } => &*state.engine,
        View {
            scope,
            stream_records,
        } => {
            let scoped = scope.map_or_else(|| (*state.engine).clone(), |s| state.engine.scoped(s));
            viewed = if stream_records {
                scoped
            } else {
                scoped.without_stream_records()
            };
            &viewed
        }
    };
    if let Some(limits) = &state.streams_limits {
        limits.check(engine, op, input)?;
    }
    handlers::dispatch(engine, op, input, host).map(Reply::into_bytes)
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::RequestEntityTooLarge,
        format!("Request body exceeds the maximum size of {MAX_BODY_BYTES} bytes"),
    )
}

/// Finds and checks the request's SigV4 signature: its shape always, a presigned request's
/// lifetime always, and the signature itself when the server holds credentials. Returns the
/// scope the request acts in (None: the engine's default).
pub(crate) fn check_signature(
    state: &AppState,
    parts: &hyper::http::request::Parts,
    body: &[u8],
) -> Result<Option<eddy_engine::Scope>, ApiError> {
    let auth = sigv4::authenticate(&parts.headers, parts.uri.query())?;
    let (access_key, region) = auth.access_key_and_region();
    let scope = state.scope_of(access_key, region);
    let presigned = match &auth {
        Auth::Query(q) => Some(q),
        Auth::Header(_) => None,
    };
    if presigned.is_none() && state.verifier.is_none() {
        return Ok(scope);
    }
    let now = state.engine.clock().now_ms();
    if let Some(q) = presigned {
        q.check_expiry(now)?;
    }
    if let Some(verifier) = &state.verifier {
        let signed = SignedParts {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body,
        };
        verifier.verify(&auth, &signed, now)?;
    }
    Ok(scope)
}

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Resp {
    let crc = crc32fast::hash(&body);
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    h.insert("x-amz-crc32", HeaderValue::from(crc));
    resp
}

pub(crate) fn plain(status: StatusCode, body: &'static str) -> Resp {
    let crc = crc32fast::hash(body.as_bytes());
    let mut resp = Response::new(full(body.as_bytes()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert("x-amz-crc32", HeaderValue::from(crc));
    resp
}

/// `GET /`: DynamoDB's health answer names the host the client used.
fn healthy(state: &AppState, req: &Request<Incoming>) -> Resp {
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map_or_else(
            || format!("dynamodb.{}.amazonaws.com", state.engine.config().region),
            str::to_owned,
        );
    let body = format!("healthy: {host} ");
    let crc = crc32fast::hash(body.as_bytes());
    let mut resp = Response::new(full(body));
    resp.headers_mut()
        .insert("x-amz-crc32", HeaderValue::from(crc));
    resp
}

/// The engine's once-a-second work (`Engine::tick`), off the async threads.
pub(crate) async fn tick(state: &AppState) -> Result<(), eddy_engine::EngineError> {
    let engine = state.engine.clone();
    tokio::task::spawn_blocking(move || engine.tick())
        .await
        .unwrap_or_else(|e| Err(eddy_engine::EngineError::Corrupt(e.to_string())))
}

/// Runs the engine's due background work off the async threads.
pub(crate) async fn run_due_work(
    state: &AppState,
    force_ttl: bool,
) -> Result<(), eddy_engine::EngineError> {
    let engine = state.engine.clone();
    tokio::task::spawn_blocking(move || engine.run_due_work(force_ttl))
        .await
        .unwrap_or_else(|e| Err(eddy_engine::EngineError::Corrupt(e.to_string())))
}

/// Request ids: 52 characters of [A-Z0-9], as DynamoDB's, unique per server run.
pub(crate) fn request_id(counter: &AtomicU64, seed: u64) -> String {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let mut x = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut id = String::with_capacity(52);
    for i in 0..52u64 {
        // xorshift keeps the id cheap while looking random.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let c = ALPHABET[((x ^ i) % 36) as usize];
        id.push(c as char);
    }
    id
}
