//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use eddy_engine::Engine;

use crate::sigv4::Verifier;
use crate::streams_limits::StreamsLimits;

/// API requests served at once unless `with_max_in_flight` says otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// Server-wide state.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub engine: Arc<Engine>,
    /// Whether the `/_eddy/` test-control endpoints answer.
    pub test_control: bool,
    /// The credentials signatures are verified against; None accepts any SigV4-shaped one.
    pub(crate) verifier: Option<Verifier>,
    /// DynamoDB Streams' request rates; None leaves the Streams API unthrottled.
    pub(crate) streams_limits: Option<StreamsLimits>,
    /// API requests being served at once, at most; past it a request is throttled instead of
    /// queued without bound.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
    request_counter: AtomicU64,
    request_seed: u64,
}

impl AppState {
    /// State over an engine.
    pub fn new(engine: Arc<Engine>, test_control: bool) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed)
            | 1;
        Self {
            engine,
            test_control,
            verifier: None,
            streams_limits: None,
            in_flight: Arc::new(tokio::sync::Semaphore::new(DEFAULT_MAX_IN_FLIGHT)),
            request_counter: AtomicU64::new(0),
            request_seed: seed,
        }
    }

    /// Verifies every API request's SigV4 signature against these (access key id, secret
    /// access key) pairs instead of accepting any well-shaped one.
    pub fn with_signature_verification(
        mut self,
        credentials: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        self.verifier = Some(Verifier::new(credentials));
        self
    }

    /// Serves at most `n` API requests at once; more answer ThrottlingException.
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.in_flight = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        self
    }

    /// Enforces DynamoDB Streams' published request rates with LimitExceededException.
    pub fn with_streams_rate_limits(mut self) -> Self {
        self.streams_limits = Some(StreamsLimits::default());
        self
    }

    /// A fresh request id.
    pub fn next_request_id(&self) -> String {
        crate::http::request_id(&self.request_counter, self.request_seed)
    }
}
