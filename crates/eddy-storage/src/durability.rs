//! How durable an acknowledged commit is.

/// When [`Storage::commit`](crate::Storage::commit) may return. Only disk engines honour it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// The batch has been written to the journal and handed to the operating system (the
    /// `write` syscall is done): it survives `kill -9` of the process, not a power loss or OS
    /// crash.
    #[default]
    Buffered,
    /// The journal has been synced to the device. Concurrent committers share syncs (group
    /// commit), so throughput grows with the number of writers.
    Fsync,
}
