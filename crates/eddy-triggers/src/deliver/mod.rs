//! The three ways to reach a handler, behind one call: hand it a payload, get its answer or
//! its function error.

mod http;
mod runtime_api;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub use http::{HttpClient, InvokeApi, UrlHandler};
pub use runtime_api::{CommandHandler, FunctionEnv};

/// How an invocation ended.
#[derive(Debug)]
pub enum Reply {
    /// The handler answered; this is its response body.
    Answered(Bytes),
    /// A function error: it failed, timed out, crashed, or its endpoint answered an error.
    FunctionError(String),
}

/// A handler that takes one invocation at a time per caller; callers may invoke concurrently.
#[async_trait]
pub trait Invoke: Send + Sync {
    /// Invokes the handler with `payload`, waiting at most `timeout`.
    async fn invoke(&self, payload: Vec<u8>, timeout: Duration) -> Reply;
}
