//! The crate's one error type. Service errors keep the code and message the service sent.

use std::fmt;

use aws_sdk_dynamodbstreams::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What a service answered when it refused a request: its error code (`__type` without the
/// prefix) and its message, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// The error code, e.g. `ExpiredIteratorException`.
    pub code: String,
    /// The message, as the service wrote it (may be empty).
    pub message: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The stream, shard or table does not exist (`ResourceNotFoundException`).
    ResourceNotFound(ServiceError),
    /// The shard iterator is older than its lifetime (`ExpiredIteratorException`).
    ExpiredIterator(ServiceError),
    /// The position asked for was trimmed away by retention (`TrimmedDataAccessException`).
    TrimmedDataAccess(ServiceError),
    /// Too many requests (`LimitExceededException`).
    LimitExceeded(ServiceError),
    /// Throttled (`ThrottlingException`, `ProvisionedThroughputExceededException`,
    /// `RequestLimitExceeded`).
    Throttling(ServiceError),
    /// The request was malformed (`ValidationException`).
    Validation(ServiceError),
    /// The service failed (`InternalServerError`, `ServiceUnavailable`).
    InternalServerError(ServiceError),
    /// A conditional write failed (`ConditionalCheckFailedException`).
    ConditionalCheckFailed(ServiceError),
    /// Any other error the service answered, with its code.
    Service(ServiceError),
    /// The request never got an answer: the endpoint is unreachable, the connection broke, a
    /// time-out, or an answer that could not be read.
    Transport(String),
    /// A waiter ran out of attempts; `last_state` is what it saw last.
    WaiterExhausted {
        /// The waiter's name, e.g. `stream_enabled`.
        waiter: &'static str,
        /// How many times it asked.
        attempts: u32,
        /// The state it saw on its last attempt.
        last_state: String,
    },
    /// The table has no stream, or the stream was not found for the table.
    NoStream {
        /// The table.
        table: String,
    },
    /// A checkpoint could not be read or written (the store's own failure, not a lost lease).
    Checkpoint(String),
    /// This worker's lease on a shard was taken by another worker.
    LeaseLost {
        /// The shard.
        shard_id: String,
    },
    /// The record handler failed and its retries ran out.
    Handler(Box<dyn std::error::Error + Send + Sync>),
    /// An argument or configuration is invalid (e.g. a bad pagination token).
    InvalidArgument(String),
    /// Signing a presigned request failed.
    Signing(String),
}

impl Error {
    /// The service's error, when the service answered one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Self::ResourceNotFound(e)
            | Self::ExpiredIterator(e)
            | Self::TrimmedDataAccess(e)
            | Self::LimitExceeded(e)
            | Self::Throttling(e)
            | Self::Validation(e)
            | Self::InternalServerError(e)
            | Self::ConditionalCheckFailed(e)
            | Self::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Whether trying the same request again later may succeed: throttling, the service's own
    /// failures and transport failures.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::LimitExceeded(_)
                | Self::Throttling(_)
                | Self::InternalServerError(_)
                | Self::Transport(_)
        )
    }

    /// Classifies a service's answer by its error code.
    pub fn from_service(code: &str, message: &str) -> Self {
        let e = ServiceError {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        match code {
            "ResourceNotFoundException" => Self::ResourceNotFound(e),
            "ExpiredIteratorException" => Self::ExpiredIterator(e),
            "TrimmedDataAccessException" => Self::TrimmedDataAccess(e),
            "LimitExceededException" => Self::LimitExceeded(e),
            "ThrottlingException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded" => Self::Throttling(e),
            "ValidationException" => Self::Validation(e),
            "InternalServerError" | "ServiceUnavailable" => Self::InternalServerError(e),
            "ConditionalCheckFailedException" => Self::ConditionalCheckFailed(e),
            _ => Self::Service(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResourceNotFound(e)
            | Self::ExpiredIterator(e)
            | Self::TrimmedDataAccess(e)
            | Self::LimitExceeded(e)
            | Self::Throttling(e)
            | Self::Validation(e)
            | Self::InternalServerError(e)
            | Self::ConditionalCheckFailed(e)
            | Self::Service(e) => e.fmt(f),
            Self::Transport(m) => write!(f, "no answer from the service: {m}"),
            Self::WaiterExhausted {
                waiter,
                attempts,
                last_state,
            } => write!(
                f,
                "waiter {waiter} gave up after {attempts} attempts; last state: {last_state}"
            ),
            Self::NoStream { table } => write!(f, "table {table} has no stream"),
            Self::Checkpoint(m) => write!(f, "checkpoint store: {m}"),
            Self::LeaseLost { shard_id } => write!(f, "lease on {shard_id} was taken over"),
            Self::Handler(e) => write!(f, "record handler failed: {e}"),
            Self::InvalidArgument(m) => f.write_str(m),
            Self::Signing(m) => write!(f, "signing failed: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Handler(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl<E, R> From<SdkError<E, R>> for Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        if let SdkError::ServiceError(service) = &err {
            let e = service.err();
            if let Some(code) = e.code() {
                return Self::from_service(code, e.message().unwrap_or_default());
            }
        }
        Self::Transport(DisplayErrorContext(&err).to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_variants_and_keep_their_text() {
        let e = Error::from_service("ExpiredIteratorException", "Iterator expired");
        assert!(matches!(e, Error::ExpiredIterator(_)));
        assert_eq!(e.to_string(), "ExpiredIteratorException: Iterator expired");
        assert!(matches!(
            Error::from_service("TrimmedDataAccessException", ""),
            Error::TrimmedDataAccess(_)
        ));
        let other = Error::from_service("AccessDeniedException", "no");
        assert_eq!(
            other.service_error().map(|s| s.code.as_str()),
            Some("AccessDeniedException")
        );
        assert!(Error::from_service("LimitExceededException", "").is_retryable());
        assert!(!Error::from_service("ValidationException", "").is_retryable());
    }
}
