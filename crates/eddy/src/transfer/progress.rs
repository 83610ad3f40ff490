//! What a transfer shows while it runs: a progress bar when stderr is a terminal, nothing
//! otherwise (logs and pipes get only the summary line at the end).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A transfer's progress bar, if one is drawn, and its clock. Clones draw on the same bar.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Items counted as they are written, with no known total (an export).
    pub fn items() -> Self {
        Self::drawn(
            ProgressBar::new_spinner,
            "{spinner} {human_pos} items ({per_sec}) {elapsed}",
        )
    }

    /// A bar over `total` bytes of input; the items written so far are in its message (an
    /// import).
    pub fn bytes(total: u64) -> Self {
        Self::drawn(
            || ProgressBar::new(total),
            "{bar:30} {bytes}/{total_bytes} {msg} {elapsed}",
        )
    }

    fn drawn(bar: impl FnOnce() -> ProgressBar, template: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = bar();
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            started: Instant::now(),
        }
    }

    /// Moves the bar on: by items written (an export) or bytes read (an import).
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Shows the items written so far and their rate.
    pub fn show_items(&self, items: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{items} items ({} items/s)", self.rate(items)));
        }
    }

    /// Prints a line on stderr above the bar.
    pub fn report(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar; returns `in 1.2 s (8300 items/s)` for the summary line.
    pub fn finish(&self, items: u64) -> String {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        format!(
            "in {:.1} s ({} items/s)",
            self.started.elapsed().as_secs_f64(),
            self.rate(items)
        )
    }

    fn rate(&self, items: u64) -> u64 {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds > 0.0 {
            (items as f64 / seconds).round() as u64
        } else {
            items
        }
    }
}
