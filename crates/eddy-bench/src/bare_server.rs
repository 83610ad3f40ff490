//! An in-process HTTP server that answers every request with one fixed GetItem response and
//! its CRC32 header. It does no work of its own, so what the generator reaches against it is
//! the generator's ceiling on this machine (it shares the cores with the generator, as eddy
//! does when run here).

use std::convert::Infallible;
use std::net::SocketAddr;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::workloads::{Params, Workload};

/// A running bare server; dropping it stops accepting connections.
pub struct BareServer {
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl BareServer {
    /// Listens on a free loopback port. The answer is a GetItem response holding an item
    /// of the benchmark's item size.
    ///
    /// # Errors
    /// The port cannot be bound.
    pub async fn start(p: Params) -> Result<BareServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let body = Bytes::from(json!({"Item": Workload::Get.preload_item(42, p)}).to_string());
        let crc = HeaderValue::from(crc32fast::hash(&body));
        let accept = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Accept errors (e.g. out of file descriptors) pass; don't spin on them.
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                if stream.set_nodelay(true).is_err() {
                    continue;
                }
                let body = body.clone();
                let crc = crc.clone();
                let service = service_fn(move |req: Request<Incoming>| {
                    let body = body.clone();
                    let crc = crc.clone();
                    async move {
                        // Read the request as eddy would, so the comparison is fair.
                        let _request = req.into_body().collect().await;
                        let mut resp = Response::new(Full::new(body));
                        let h = resp.headers_mut();
                        h.insert(
                            "content-type",
                            HeaderValue::from_static("application/x-amz-json-1.0"),
                        );
                        h.insert("x-amz-crc32", crc);
                        Ok::<_, Infallible>(resp)
                    }
                });
                tokio::spawn(async move {
                    // A client hanging up mid-request ends only its own connection.
                    let _closed = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(BareServer { addr, accept })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections (open ones end when their clients hang up).
    pub fn stop(self) {
        self.accept.abort();
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
