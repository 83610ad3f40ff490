//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use eddy_engine::Engine;

/// Server-wide state.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub engine: Arc<Engine>,
    /// Whether the `/_eddy/` test-control endpoints answer.
    pub test_control: bool,
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
            request_counter: AtomicU64::new(0),
            request_seed: seed,
        }
    }

    /// A fresh request id.
    pub fn next_request_id(&self) -> String {
        crate::http::request_id(&self.request_counter, self.request_seed)
    }
}
