//! The threads that build new global indexes in the background, one per UpdateTable (or per
//! table at start-up), while the table keeps serving writes. What a thread does is the index
//! administration's; this pool only starts the threads and stops them together.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use parking_lot::Mutex;

/// Backfill threads and the flag that stops them.
#[derive(Default)]
pub(crate) struct Backfills {
    stop: Arc<AtomicBool>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Backfills {
    /// Runs `job` on a thread of its own; the job is handed the stop flag, which it checks
    /// between two chunks of work.
    pub(crate) fn spawn(&self, job: impl FnOnce(&AtomicBool) + Send + 'static) {
        let stop = Arc::clone(&self.stop);
        let spawned = std::thread::Builder::new()
            .name("eddy-backfill".into())
            .spawn(move || job(&stop));
        match spawned {
            Ok(thread) => {
                let mut threads = self.threads.lock();
                threads.retain(|t| !t.is_finished());
                threads.push(thread);
            }
            Err(e) => tracing::error!(error = %e, "could not start a backfill thread"),
        }
    }

    /// Stops every backfill between two chunks; a restart starts them again.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.lock().drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Backfills {
    fn drop(&mut self) {
        self.stop();
    }
}
