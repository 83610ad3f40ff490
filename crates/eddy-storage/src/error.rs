//! The one error type of the storage layer.

/// Why a storage operation failed.
///
/// `Display` is a sentence an operator can read; the server maps every variant to an internal
/// server error, except [`StorageError::InvalidKey`], which means a caller built a bad key.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The operating system refused a read, write or sync.
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// Data on disk failed a checksum or could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// An earlier write or sync failed; the engine refuses further writes because it can no
    /// longer tell what reached the disk.
    #[error("storage refuses writes after an earlier write failure; restart the server")]
    Poisoned,
    /// The disk holding the data has less free space than the reserve; writes succeed again
    /// once space is freed.
    #[error(
        "the disk holding the data is full: {free} bytes free, {reserve} reserved for flushes \
         and compactions; writes resume once space is freed"
    )]
    DiskFull {
        /// Bytes free when the write was refused.
        free: u64,
        /// Bytes kept free.
        reserve: u64,
    },
    /// Another process holds the database directory.
    #[error("the database directory is locked by another process")]
    Locked,
    /// A key was empty or longer than the engines accept.
    #[error("storage keys must be 1 to {max} bytes long, got {len}")]
    InvalidKey {
        /// Length of the rejected key.
        len: usize,
        /// Longest key accepted.
        max: usize,
    },
    /// Any other failure inside the storage engine.
    #[error("storage engine failed: {0}")]
    Engine(String),
}

impl From<fjall::Error> for StorageError {
    fn from(error: fjall::Error) -> Self {
        // fjall's own Display is its Debug text; translate the cases we can name.
        match error {
            fjall::Error::Io(io) => Self::Io(io),
            fjall::Error::Storage(fjall::LsmError::Io(io)) => Self::Io(io),
            fjall::Error::Poisoned => Self::Poisoned,
            fjall::Error::Locked => Self::Locked,
            fjall::Error::Storage(inner) => Self::Corrupt(format!("{inner:?}")),
            fjall::Error::JournalRecovery(inner) => {
                Self::Corrupt(format!("journal recovery failed: {inner:?}"))
            }
            fjall::Error::Decompress(kind) => {
                Self::Corrupt(format!("{kind:?} decompression failed"))
            }
            fjall::Error::InvalidTrailer => Self::Corrupt("invalid journal trailer".to_owned()),
            fjall::Error::InvalidTag((what, tag)) => {
                Self::Corrupt(format!("invalid {what} tag {tag}"))
            }
            fjall::Error::InvalidVersion(version) => {
                Self::Corrupt(format!("unsupported data format version {version:?}"))
            }
            other => Self::Engine(format!("{other:?}")),
        }
    }
}
