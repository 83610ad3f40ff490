//! Handlers over HTTP: a plain endpoint that takes the event as a POST (`url=`), and the
//! Lambda Invoke API of an endpoint such as `sam local start-lambda` (`function=`).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Invoke, Reply};

/// A pooled HTTP/1 client, shared by a trigger's deliveries and on-failure destination.
#[derive(Clone, Debug)]
pub struct HttpClient(Client<HttpConnector, Full<Bytes>>);

impl Default for HttpClient {
    fn default() -> Self {
        Self(Client::builder(TokioExecutor::new()).build_http())
    }
}

/// What an HTTP exchange came to: the status, one header's value, and the body.
pub struct Exchange {
    /// The HTTP status.
    pub status: u16,
    /// The asked-for header's value.
    pub header: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl HttpClient {
    /// POSTs a JSON body to `url` within `timeout`; `header` names a response header to keep.
    ///
    /// # Errors
    /// The transport's failure or the timeout, as text.
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        timeout: Duration,
        header: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<Exchange, String> {
        let mut req = hyper::Request::post(url).header("content-type", "application/json");
        for (name, value) in extra {
            req = req.header(*name, *value);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad request to {url}: {e}"))?;
        let exchange = async {
            let resp = self
                .0
                .request(req)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status().as_u16();
            let header = header.and_then(|h| {
                resp.headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            });
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("{url}: {e}"))?
                .to_bytes();
            Ok(Exchange {
                status,
                header,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            )),
        }
    }
}

/// `url=`: a 2xx answer is the function's response; anything else, or no answer in time, is
/// a function error.
pub struct UrlHandler {
    /// Where events go.
    pub url: String,
    /// The client.
    pub client: HttpClient,
}

#[async_trait]
impl Invoke for UrlHandler {
    async fn invoke(&self, payload: Vec<u8>, timeout: Duration) -> Reply {
        match self
            .client
            .post(&self.url, payload, timeout, None, &[])
            .await
        {
            Ok(x) if (200..300).contains(&x.status) => Reply::Answered(x.body),
            Ok(x) => Reply::FunctionError(format!(
                "{} answered {}: {}",
                self.url,
                x.status,
                String::from_utf8_lossy(&x.body)
            )),
            Err(e) => Reply::FunctionError(e),
        }
    }
}

/// `function=NAME,lambda-endpoint=URL`: `POST /2015-03-31/functions/NAME/invocations`, a
/// RequestResponse invocation; `X-Amz-Function-Error` marks a function error.
pub struct InvokeApi {
    /// The invocation URL.
    pub url: String,
    /// The client.
    pub client: HttpClient,
}

impl InvokeApi {
    /// The Invoke API of `endpoint` for the function `name`.
    pub fn new(endpoint: &str, name: &str, client: HttpClient) -> Self {
        Self {
            url: format!(
                "{}/2015-03-31/functions/{name}/invocations",
                endpoint.trim_end_matches('/')
            ),
            client,
        }
    }
}

#[async_trait]
impl Invoke for InvokeApi {
    async fn invoke(&self, payload: Vec<u8>, timeout: Duration) -> Reply {
        let sent = self
            .client
            .post(
                &self.url,
                payload,
                timeout,
                Some("x-amz-function-error"),
                &[("x-amz-invocation-type", "RequestResponse")],
            )
            .await;
        match sent {
            Ok(x) if x.header.is_some() => Reply::FunctionError(format!(
                "{}: {}",
                x.header.unwrap_or_default(),
                String::from_utf8_lossy(&x.body)
            )),
            Ok(x) if (200..300).contains(&x.status) => Reply::Answered(x.body),
            Ok(x) => Reply::FunctionError(format!(
                "the Lambda API answered {}: {}",
                x.status,
                String::from_utf8_lossy(&x.body)
            )),
            Err(e) => Reply::FunctionError(e),
        }
    }
}
