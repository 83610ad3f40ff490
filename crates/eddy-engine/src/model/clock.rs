//! The engine's clock: wall time plus an offset that tests move forward, so that hours of
//! stream rollover, expiry and TTL pass in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time shifted by a monotonically growing offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicU64,
}

impl Clock {
    /// A clock at wall time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        wall.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward; returns the new now.
    pub fn advance(&self, ms: u64) -> u64 {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
        self.now_ms()
    }
}
