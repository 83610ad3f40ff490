//! eddy's own endpoints under `/_eddy/`: what the server is (info), its triggers' status and
//! metrics pages, and the test-control endpoints (clock, shard split, fault rules), which answer
//! only with `--test-control`.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};

use crate::error::ApiError;
use crate::faults::FaultRule;
use crate::http::{Resp, full, json_response, plain, run_due_work};
use crate::reply::Out;
use crate::state::AppState;

/// A small control request's body, or the answer refusing it.
async fn body_of(req: Request<Incoming>, limit: usize) -> Result<Bytes, Resp> {
    Limited::new(req.into_body(), limit)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|_| control_error(StatusCode::BAD_REQUEST, "body too large"))
}

/// `GET /_eddy/info`: what a client such as the console needs to know of the server.
pub(crate) fn info(state: &AppState) -> Resp {
    let scope = state.engine.scope();
    let mut out = Out::default();
    out.set("region", scope.region.as_str());
    out.set("accountId", scope.account_id.as_str());
    out.set("testControl", state.test_control);
    out.set("leader", state.engine.is_leader());
    out.set("version", env!("CARGO_PKG_VERSION"));
    plain_json(out.done().into_bytes())
}

/// `GET /_eddy/faults`: the fault rules in force.
pub(crate) fn faults(state: &AppState) -> Resp {
    let rules: Vec<String> = state
        .faults
        .rules()
        .iter()
        .map(ToString::to_string)
        .collect();
    plain_json(Out::only("rules", rules).into_bytes())
}

/// `POST /_eddy/faults {"rules": [...]}` puts these rules in force instead of the current ones;
/// `DELETE /_eddy/faults` clears them. A bad rule changes nothing and is named in the answer.
pub(crate) async fn replace_faults(state: &AppState, req: Option<Request<Incoming>>) -> Resp {
    let rules = match req {
        None => Vec::new(),
        Some(req) => {
            let body = match body_of(req, 64 * 1024).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Rules {
                rules: Vec<String>,
            }
            let Ok(Rules { rules }) = serde_json::from_slice::<Rules>(&body) else {
                return control_error(
                    StatusCode::BAD_REQUEST,
                    "expected {\"rules\": [\"op=PutItem,rate=0.1,error=...\", \"op=*,p=0.01,delay=200ms\"]}",
                );
            };
            match rules.iter().map(|r| r.parse::<FaultRule>()).collect() {
                Ok(rules) => rules,
                Err(e) => return control_error(StatusCode::BAD_REQUEST, &e),
            }
        }
    };
    state.faults.replace(rules);
    faults(state)
}

fn plain_json(body: Vec<u8>) -> Resp {
    let mut resp = json_response(StatusCode::OK, body);
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

pub(crate) async fn clock_advance(state: &AppState, req: Request<Incoming>) -> Resp {
    let body = match body_of(req, 4096).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    #[derive(serde::Deserialize)]
    struct Advance {
        seconds: f64,
    }
    let seconds = serde_json::from_slice::<Advance>(&body)
        .ok()
        .map(|a| a.seconds)
        .filter(|s| *s >= 0.0 && s.is_finite());
    let Some(seconds) = seconds else {
        return plain(
            StatusCode::BAD_REQUEST,
            "expected {\"seconds\": N} with N >= 0\n",
        );
    };
    let now = match state.engine.advance_clock((seconds * 1000.0) as u64) {
        Ok(now) => now,
        Err(e) => return control_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    // Whatever became due runs before the answer, so the caller sees its effects at once.
    if let Err(e) = run_due_work(state, true).await {
        return control_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    state.clock_advanced.send_replace(now);
    let body = Out::only("now", now).into_bytes();
    json_response(StatusCode::OK, body)
}

/// Every trigger's status; a server without triggers has an empty list.
pub(crate) fn triggers(state: &AppState) -> Resp {
    let body = match &state.triggers {
        Some(page) => (page.0)(),
        None => b"{\"triggers\": []}".to_vec(),
    };
    plain_json(body)
}

/// `GET /_eddy/metrics`: Prometheus's text format, from the recorder the binary installed.
pub(crate) fn metrics_page(state: &AppState) -> Resp {
    let Some(page) = &state.metrics else {
        return plain(StatusCode::NOT_FOUND, "no metrics recorder\n");
    };
    // The streams' gauges are read from the engine when scraped, so they are never stale.
    crate::telemetry::streams(&state.engine);
    let mut resp = Response::new(full((page.0)()));
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

fn control_error(status: StatusCode, message: &str) -> Resp {
    let body = Out::only("message", message).into_bytes();
    json_response(status, body)
}

pub(crate) async fn streams_split(state: &AppState, req: Request<Incoming>) -> Resp {
    let body = match body_of(req, 16 * 1024).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Split {
        stream_arn: String,
        shard_id: String,
    }
    let Ok(Split {
        stream_arn: arn,
        shard_id: shard,
    }) = serde_json::from_slice::<Split>(&body)
    else {
        return control_error(
            StatusCode::BAD_REQUEST,
            "expected {\"StreamArn\": ..., \"ShardId\": ...}",
        );
    };
    match state.engine.split_shard(&arn, &shard) {
        Ok(()) => json_response(StatusCode::OK, b"{}".to_vec()),
        Err(e) => {
            let e = ApiError::from(e);
            let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
            json_response(status, e.body())
        }
    }
}
