//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use eddy_engine::Engine;

use crate::sigv4::Verifier;
use crate::streams_limits::StreamsLimits;

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
