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

    /// A clock resumed from what [`Clock::saved`] gave: the same offset, raised if the wall
    /// clock now reads earlier than the saved now, so time never runs backwards across a
    /// restart. Anything but 16 bytes starts at wall time.
    pub fn resume(saved: Option<&[u8]>) -> Self {
        let clock = Self::new();
        let Some(bytes) = saved.and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
            return clock;
        };
        let (offset, then) = bytes.split_at(8);
        let offset = u64::from_be_bytes(offset.try_into().unwrap_or_default());
        let then = u64::from_be_bytes(then.try_into().unwrap_or_default());
        clock.offset_ms.store(offset, Ordering::Relaxed);
        let behind = then.saturating_sub(clock.now_ms());
        clock.offset_ms.fetch_add(behind, Ordering::Relaxed);
        clock
    }

    /// Takes the offset of `saved` (what [`Clock::saved`] gave, in another process sharing
    /// the storage) when it is further ahead: offsets only grow.
    pub fn catch_up(&self, saved: Option<&[u8]>) {
        if let Some(offset) = saved
            .and_then(|b| b.get(..8))
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
        {
            self.offset_ms
                .fetch_max(u64::from_be_bytes(offset), Ordering::Relaxed);
        }
    }

    /// The offset and now, for [`Clock::resume`] after a restart.
    pub fn saved(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.offset_ms.load(Ordering::Relaxed).to_be_bytes());
        out[8..].copy_from_slice(&self.now_ms().to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resumed_clock_keeps_its_offset_and_never_runs_backwards() {
        let clock = Clock::new();
        clock.advance(3_600_000);
        let saved = clock.saved();
        let resumed = Clock::resume(Some(&saved));
        assert!(resumed.now_ms() >= clock.now_ms() - 5);
        assert!(resumed.now_ms() >= Clock::new().now_ms() + 3_599_000);
        // A saved now far ahead of the wall clock (the wall clock went back) is kept.
        let mut ahead = [0u8; 16];
        ahead[8..].copy_from_slice(&(Clock::new().now_ms() + 86_400_000).to_be_bytes());
        assert!(Clock::resume(Some(&ahead)).now_ms() >= Clock::new().now_ms() + 86_399_000);
        assert!(Clock::resume(Some(b"short")).now_ms() <= Clock::new().now_ms() + 5);
    }
}
