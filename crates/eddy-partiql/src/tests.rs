//! End-to-end tests: text → statement → bound statement → what the executor asks.
