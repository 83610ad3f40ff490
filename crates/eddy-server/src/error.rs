//! The one place errors become DynamoDB errors: every crate's error maps to an [`ApiError`],
//! which knows its `__type`, HTTP status and message.

use eddy_engine::{CancellationReason, EngineError};
use eddy_expr::ExprError;
use eddy_streams::StreamsError;
use eddy_types::{Item, ValueError};

use crate::reply::Out;

const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
const CORAL_VALIDATE: &str = "com.amazon.coral.validate#";
const CORAL_SERVICE: &str = "com.amazon.coral.service#";
const CORAL_AVAILABILITY: &str = "com.amazon.coral.availability#";

/// DynamoDB's error names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// ValidationException.
    Validation,
    /// SerializationException.
    Serialization,
    /// UnknownOperationException.
    UnknownOperation,
    /// MissingAuthenticationTokenException.
    MissingAuthenticationToken,
    /// IncompleteSignatureException.
    IncompleteSignature,
    /// InvalidSignatureException: a signature that does not match, or has expired.
    InvalidSignature,
    /// UnrecognizedClientException: an access key the server does not know.
    UnrecognizedClient,
    /// AccessDeniedException.
    AccessDenied,
    /// ResourceNotFoundException.
    ResourceNotFound,
    /// ResourceInUseException.
    ResourceInUse,
    /// ConditionalCheckFailedException.
    ConditionalCheckFailed,
    /// LimitExceededException.
    LimitExceeded,
    /// ExpiredIteratorException.
    ExpiredIterator,
    /// TransactionCanceledException.
    TransactionCanceled,
    /// IdempotentParameterMismatchException.
    IdempotentParameterMismatch,
    /// TransactionInProgressException.
    TransactionInProgress,
    /// TableNotFoundException (the backup and recovery calls).
    TableNotFound,
    /// BackupNotFoundException.
    BackupNotFound,
    /// TableAlreadyExistsException.
    TableAlreadyExists,
    /// PointInTimeRecoveryUnavailableException.
    PointInTimeRecoveryUnavailable,
    /// InvalidRestoreTimeException.
    InvalidRestoreTime,
    /// PolicyNotFoundException.
    PolicyNotFound,
    /// GlobalTableNotFoundException.
    GlobalTableNotFound,
    /// ExportNotFoundException.
    ExportNotFound,
    /// ImportNotFoundException.
    ImportNotFound,
    /// DuplicateItemException (a PartiQL INSERT of an existing key).
    DuplicateItem,
    /// TrimmedDataAccessException.
    TrimmedDataAccess,
    /// The body is over the size limit (HTTP 413).
    RequestEntityTooLarge,
    /// The body did not arrive within the body timeout (HTTP 408).
    RequestTimeout,
    /// ThrottlingException: more requests in flight than the server takes.
    Throttling,
    /// ProvisionedThroughputExceededException (injected: eddy has no capacity to exceed).
    ProvisionedThroughputExceeded,
    /// RequestLimitExceeded (injected: eddy has no account quota to exceed).
    RequestLimitExceeded,
    /// InternalServerError.
    InternalServerError,
}

impl ErrorKind {
    /// The error's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::Serialization => "SerializationException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature => "IncompleteSignatureException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::ResourceInUse => "ResourceInUseException",
            Self::ConditionalCheckFailed => "ConditionalCheckFailedException",
            Self::LimitExceeded => "LimitExceededException",
            Self::ExpiredIterator => "ExpiredIteratorException",
            Self::TransactionCanceled => "TransactionCanceledException",
            Self::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            Self::TransactionInProgress => "TransactionInProgressException",
            Self::TableNotFound => "TableNotFoundException",
            Self::BackupNotFound => "BackupNotFoundException",
            Self::TableAlreadyExists => "TableAlreadyExistsException",
            Self::PointInTimeRecoveryUnavailable => "PointInTimeRecoveryUnavailableException",
            Self::InvalidRestoreTime => "InvalidRestoreTimeException",
            Self::PolicyNotFound => "PolicyNotFoundException",
            Self::GlobalTableNotFound => "GlobalTableNotFoundException",
            Self::ExportNotFound => "ExportNotFoundException",
            Self::ImportNotFound => "ImportNotFoundException",
            Self::DuplicateItem => "DuplicateItemException",
            Self::TrimmedDataAccess => "TrimmedDataAccessException",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::RequestTimeout => "RequestTimeoutException",
            Self::Throttling => "ThrottlingException",
            Self::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Self::RequestLimitExceeded => "RequestLimitExceeded",
            Self::InternalServerError => "InternalServerError",
        }
    }

    /// The `__type` prefix (namespace) of the error.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Validation => CORAL_VALIDATE,
            Self::Serialization
            | Self::UnknownOperation
            | Self::MissingAuthenticationToken
            | Self::IncompleteSignature
            | Self::InvalidSignature
            | Self::UnrecognizedClient
            | Self::AccessDenied
            | Self::RequestEntityTooLarge
            | Self::RequestTimeout => CORAL_SERVICE,
            Self::Throttling => CORAL_AVAILABILITY,
            Self::ResourceNotFound
            | Self::ResourceInUse
            | Self::ConditionalCheckFailed
            | Self::LimitExceeded
            | Self::ExpiredIterator
            | Self::TransactionCanceled
            | Self::IdempotentParameterMismatch
            | Self::TransactionInProgress
            | Self::TableNotFound
            | Self::BackupNotFound
            | Self::TableAlreadyExists
            | Self::PointInTimeRecoveryUnavailable
            | Self::InvalidRestoreTime
            | Self::PolicyNotFound
            | Self::GlobalTableNotFound
            | Self::ExportNotFound
            | Self::ImportNotFound
            | Self::DuplicateItem
            | Self::TrimmedDataAccess
            | Self::ProvisionedThroughputExceeded
            | Self::RequestLimitExceeded
            | Self::InternalServerError => DYNAMODB,
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Self::InternalServerError => 500,
            Self::RequestEntityTooLarge => 413,
            Self::RequestTimeout => 408,
            Self::Validation
            | Self::Serialization
            | Self::UnknownOperation
            | Self::MissingAuthenticationToken
            | Self::IncompleteSignature
            | Self::InvalidSignature
            | Self::UnrecognizedClient
            | Self::AccessDenied
            | Self::Throttling
            | Self::ResourceNotFound
            | Self::ResourceInUse
            | Self::ConditionalCheckFailed
            | Self::LimitExceeded
            | Self::ExpiredIterator
            | Self::TransactionCanceled
            | Self::IdempotentParameterMismatch
            | Self::TransactionInProgress
            | Self::TableNotFound
            | Self::BackupNotFound
            | Self::TableAlreadyExists
            | Self::PointInTimeRecoveryUnavailable
            | Self::InvalidRestoreTime
            | Self::PolicyNotFound
            | Self::GlobalTableNotFound
            | Self::ExportNotFound
            | Self::ImportNotFound
            | Self::DuplicateItem
            | Self::TrimmedDataAccess
            | Self::ProvisionedThroughputExceeded
            | Self::RequestLimitExceeded => 400,
        }
    }
}

/// An error on its way to the client.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// Which error.
    pub kind: ErrorKind,
    /// Its message (None: the body has no message, as for a malformed body).
    pub message: Option<String>,
    /// The item, for ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure.
    pub item: Option<Item>,
    /// CancellationReasons of a TransactionCanceledException.
    pub reasons: Option<Vec<CancellationReason>>,
    /// ThrottlingReasons of a throttling error: why, and which resource (boxed: errors travel
    /// in every `Result`, and most have none).
    pub throttling_reasons: Option<Box<Vec<ThrottlingReason>>>,
}

/// One of a throttling error's ThrottlingReasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottlingReason {
    /// `Table` or `Index`, `Read` or `Write`, then the limit: `TableWriteProvisionedThroughputExceeded`.
    pub reason: String,
    /// The throttled table's or index's ARN.
    pub resource: String,
}

impl ApiError {
    /// An error with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            message: Some(message.into()),
            ..Self::bare(kind)
        }
    }

    /// An error whose body has only its type.
    pub fn bare(kind: ErrorKind) -> Self {
        Self {
            kind,
            message: None,
            item: None,
            reasons: None,
            throttling_reasons: None,
        }
    }

    /// A ValidationException.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// A SerializationException.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }

    /// A ValidationException with one constraint failure in DynamoDB's envelope.
    pub fn constraint(detail: impl std::fmt::Display) -> Self {
        Self::validation(format!("1 validation error detected: {detail}"))
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        let mut body = Out::default();
        body.set(
            "__type",
            format!("{}{}", self.kind.prefix(), self.kind.name()),
        );
        if let Some(message) = &self.message {
            // SerializationException spells its message key with a capital M.
            let key = if self.kind == ErrorKind::Serialization {
                "Message"
            } else {
                "message"
            };
            body.set(key, message.as_str());
        }
        if let Some(item) = &self.item {
            body.set_item("Item", item);
        }
        if let Some(reasons) = &self.reasons {
            body.set_objects("CancellationReasons", reasons, |o, r| {
                o.set("Code", r.code);
                o.set_opt("Message", r.message.as_deref());
                if let Some(item) = &r.item {
                    o.set_item("Item", item);
                }
            });
        }
        if let Some(reasons) = &self.throttling_reasons {
            body.set_objects("ThrottlingReasons", reasons.iter(), |o, r| {
                o.set("reason", r.reason.as_str());
                o.set("resource", r.resource.as_str());
            });
        }
        body.done().into_bytes()
    }
}

impl ApiError {
    /// A failure of eddy's own (storage, I/O, a corrupt record): the client reads DynamoDB's
    /// generic InternalServerError, and the detail goes to the log only.
    fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(ErrorKind::InternalServerError, "Internal server error")
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let kind = match &e {
            EngineError::Invalid(_) | EngineError::Expr(_) => ErrorKind::Validation,
            EngineError::ResourceNotFound(_) => ErrorKind::ResourceNotFound,
            EngineError::ResourceInUse(_) => ErrorKind::ResourceInUse,
            EngineError::TableNotFound(_) => ErrorKind::TableNotFound,
            EngineError::BackupNotFound(_) => ErrorKind::BackupNotFound,
            EngineError::TableAlreadyExists(_) => ErrorKind::TableAlreadyExists,
            EngineError::PointInTimeRecoveryUnavailable(_) => {
                ErrorKind::PointInTimeRecoveryUnavailable
            }
            EngineError::InvalidRestoreTime(_) => ErrorKind::InvalidRestoreTime,
            EngineError::PolicyNotFound(_) => ErrorKind::PolicyNotFound,
            EngineError::ConditionalCheckFailed { .. } => ErrorKind::ConditionalCheckFailed,
            EngineError::LimitExceeded(_) => ErrorKind::LimitExceeded,
            EngineError::AccessDenied(_) => ErrorKind::AccessDenied,
            EngineError::TransactionCanceled { .. } => ErrorKind::TransactionCanceled,
            EngineError::IdempotentParameterMismatch(_) => ErrorKind::IdempotentParameterMismatch,
            EngineError::TransactionInProgress => ErrorKind::TransactionInProgress,
            EngineError::DuplicateItem => ErrorKind::DuplicateItem,
            EngineError::Partiql(p) => return p.clone().into(),
            EngineError::Streams(s) => match s {
                StreamsError::ExpiredIterator => ErrorKind::ExpiredIterator,
                StreamsError::TrimmedDataAccess => ErrorKind::TrimmedDataAccess,
                StreamsError::ShardNotFound(_) => ErrorKind::ResourceNotFound,
                StreamsError::InvalidStreamArn
                | StreamsError::InvalidSequenceNumber
                | StreamsError::InvalidShardIterator
                | StreamsError::ShardClosed(_)
                | StreamsError::ShardTooSmallToSplit(_) => ErrorKind::Validation,
                StreamsError::Corrupt(_) => return Self::internal(&e),
            },
            EngineError::Storage(_) | EngineError::Corrupt(_) => return Self::internal(&e),
        };
        let item = match &e {
            EngineError::ConditionalCheckFailed { item } => item.clone(),
            _ => None,
        };
        let reasons = match &e {
            EngineError::TransactionCanceled { reasons } => Some(reasons.clone()),
            _ => None,
        };
        Self {
            item,
            reasons,
            ..Self::new(kind, e.to_string())
        }
    }
}

impl From<eddy_partiql::PartiqlError> for ApiError {
    fn from(e: eddy_partiql::PartiqlError) -> Self {
        match e {
            // A length constraint on the `Statement` member, reported in the request envelope.
            eddy_partiql::PartiqlError::StatementLength(_) => Self::constraint(e),
            other => Self::validation(other.to_string()),
        }
    }
}

impl From<ExprError> for ApiError {
    fn from(e: ExprError) -> Self {
        Self::validation(e.to_string())
    }
}

impl From<ValueError> for ApiError {
    fn from(e: ValueError) -> Self {
        if e.is_serialization() {
            Self::serialization(e.to_string())
        } else {
            Self::validation(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use eddy_types::item_from_json;
    use serde_json::json;

    use super::*;

    #[test]
    fn bodies_keep_their_member_order() {
        let item = item_from_json(&json!({"pk": {"S": "a"}, "n": {"N": "1"}})).unwrap();
        let canceled = ApiError {
            reasons: Some(vec![
                CancellationReason {
                    code: "None",
                    message: None,
                    item: None,
                },
                CancellationReason {
                    code: "ConditionalCheckFailed",
                    message: Some("The conditional request failed".into()),
                    item: Some(item.clone()),
                },
            ]),
            ..ApiError::new(ErrorKind::TransactionCanceled, "Transaction cancelled")
        };
        let expected = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled",
            "CancellationReasons": [
                {"Code": "None"},
                {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                    "Item": {"n": {"N": "1"}, "pk": {"S": "a"}}
                }
            ]
        });
        assert_eq!(canceled.body(), serde_json::to_vec(&expected).unwrap());
        let failed = ApiError {
            item: Some(item),
            ..ApiError::new(ErrorKind::ConditionalCheckFailed, "failed")
        };
        assert_eq!(
            String::from_utf8(failed.body()).unwrap(),
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"failed","Item":{"n":{"N":"1"},"pk":{"S":"a"}}}"#
        );
        assert_eq!(
            String::from_utf8(ApiError::serialization("bad").body()).unwrap(),
            r#"{"__type":"com.amazon.coral.service#SerializationException","Message":"bad"}"#
        );
    }
}
