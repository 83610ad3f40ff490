//! eddy's HTTP server: DynamoDB's JSON 1.0 protocol over HTTP/1.1 on one port, request and
//! response shapes, and the one mapping of errors to DynamoDB's error names.
//!
//! This crate holds no database logic: handlers turn JSON into engine calls and engine results
//! into JSON. It must never reach into a concrete storage engine.

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod console;
mod content_coding;
mod control;
mod error;
mod expressions;
mod faults;
mod handlers;
mod http;
mod input;
mod protocol;
mod render;
mod reply;
mod sigv4;
mod state;
mod streams_limits;
mod telemetry;
mod tls;

use std::future::Future;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use error::{ApiError, ErrorKind, ThrottlingReason};
pub use faults::{Effect, FaultRule, Faults, InjectedError, OpMatch};
pub use http::MAX_BODY_BYTES;
pub use protocol::Operation;
pub use state::{AppState, ConnectionLimits, DEFAULT_MAX_IN_FLIGHT, StatusPage};
pub use tls::server_config as tls_config;

/// Stack of each runtime thread. Expressions are parsed and evaluated recursively, and
/// DynamoDB accepts conditions nested well over a hundred levels deep (its limit is 300
/// operators in 4 KB), which needs more than the default 2 MiB in a debug build. The stack is
/// reserved, not committed, so idle threads cost no memory for it.
pub const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

/// The multi-threaded tokio runtime eddy serves on, with [`THREAD_STACK_BYTES`] stacks.
pub fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_stack_size(THREAD_STACK_BYTES);
    builder
}

/// Runs one request of DynamoDB's JSON protocol without HTTP: `target` is what the
/// `X-Amz-Target` header would hold and `body` the uncompressed JSON. Answers the response
/// body, or the error DynamoDB would answer. Embedders and the fuzz targets call it; the HTTP
/// front runs the same code after its transport checks.
pub fn execute(state: &AppState, target: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let op = http::operation_of(target)?;
    let view = http::View {
        scope: None,
        stream_records: true,
    };
    http::run_operation(state, op, view, body, None, &state.next_request_id())
}

/// Serves requests on `listener` until `shutdown` completes. Also runs the engine's due
/// background work (shard rollover, record trimming) once a second, when it leads the
/// processes sharing its storage.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let ticker_state = state.clone();
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = http::tick(&ticker_state).await {
                tracing::error!(error = %e, "background work failed");
            }
        }
    });
    let connections = Arc::new(tokio::sync::Semaphore::new(
        state.limits.max_connections.max(1),
    ));
    loop {
        // At the limit, new connections wait in the listen queue until one closes.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
            () = &mut shutdown => {
                ticker.abort();
                return;
            }
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => {
                ticker.abort();
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match state.tls.clone() {
                Some(config) => {
                    // The handshake is bounded like a request's headers.
                    let handshake = tokio::time::timeout(
                        state.limits.header_timeout,
                        tokio_rustls::TlsAcceptor::from(config).accept(stream),
                    );
                    match handshake.await {
                        Ok(Ok(tls)) => serve_connection(state, tls).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
                None => serve_connection(state, stream).await,
            }
        });
    }
}

/// Serves HTTP/1.1 on one connection, plain or TLS.
async fn serve_connection<S>(state: Arc<AppState>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let header_timeout = state.limits.header_timeout;
    let service = service_fn(move |req| http::handle(state.clone(), req));
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(error = %e, "connection closed");
    }
}
