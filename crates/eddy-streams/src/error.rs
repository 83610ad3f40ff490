//! The crate's one error type. Each `Display` is the text a DynamoDB Streams client reads;
//! `eddy-server` maps the variants to `__type` names (see each variant's doc).

use crate::shard::ShardId;

/// Why a streams operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamsError {
    /// A stream ARN that is not of the shape eddy issues (ValidationException).
    #[error("Invalid StreamArn")]
    InvalidStreamArn,
    /// A sequence number that is not 21 to 40 decimal digits, or is larger than any eddy
    /// issues (ValidationException).
    #[error("Invalid SequenceNumber")]
    InvalidSequenceNumber,
    /// A shard iterator that eddy did not issue with this key, or that was altered
    /// (ValidationException).
    #[error("Invalid ShardIterator")]
    InvalidShardIterator,
    /// A shard iterator older than the iterator lifetime (ExpiredIteratorException). The
    /// caller raises it after [`ShardIterator::is_expired`](crate::ShardIterator::is_expired).
    #[error("Shard iterator has expired")]
    ExpiredIterator,
    /// A position before the shard's trim horizon (TrimmedDataAccessException).
    #[error("The data you are trying to access has been trimmed.")]
    TrimmedDataAccess,
    /// A shard id that is not in the stream's shard map (ResourceNotFoundException); holds
    /// the id as given.
    #[error("Requested resource not found: Shard does not exist")]
    ShardNotFound(String),
    /// Rollover or split asked of a shard that is already closed (ValidationException; only
    /// the admin API can ask).
    #[error("Shard {0} is closed")]
    ShardClosed(ShardId),
    /// Split asked of a shard whose hash range holds a single value (ValidationException;
    /// only the admin API can ask).
    #[error("Shard {0} covers a single hash value and cannot be split")]
    ShardTooSmallToSplit(ShardId),
    /// Stored bytes that are not a stream record or shard map eddy wrote: corruption, never
    /// client input (InternalServerError).
    #[error("stored stream data is corrupt: {0}")]
    Corrupt(&'static str),
}
