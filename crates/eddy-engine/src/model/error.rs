//! The engine's one error type. `Display` is the message a DynamoDB client reads; the server maps
//! each variant to its `__type` name in one place.

use eddy_expr::ExprError;
use eddy_storage::StorageError;
use eddy_types::Item;

use crate::model::invalid::Invalid;

/// Everything an engine operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is invalid (ValidationException); the variant says why.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A table, index or stream does not exist (ResourceNotFoundException).
    #[error("{0}")]
    ResourceNotFound(String),
    /// A table the backup and recovery calls name does not exist (TableNotFoundException).
    #[error("Table not found: {0}")]
    TableNotFound(String),
    /// No backup has this ARN (BackupNotFoundException).
    #[error("Backup not found: {0}")]
    BackupNotFound(String),
    /// A resource has no policy, or not the one expected (PolicyNotFoundException).
    #[error("{0}")]
    PolicyNotFound(String),
    /// A restore's target table exists (TableAlreadyExistsException).
    #[error("Table already exists: {0}")]
    TableAlreadyExists(String),
    /// A point-in-time restore of a table without point-in-time recovery
    /// (PointInTimeRecoveryUnavailableException).
    #[error("Point in time recovery is not enabled for table '{0}'")]
    PointInTimeRecoveryUnavailable(String),
    /// A point-in-time restore to a time outside what can be restored
    /// (InvalidRestoreTimeException); the text says why.
    #[error("{0}")]
    InvalidRestoreTime(String),
    /// The resource exists already or is busy (ResourceInUseException).
    #[error("{0}")]
    ResourceInUse(String),
    /// A condition expression evaluated to false (ConditionalCheckFailedException); `item` is
    /// the existing item when the caller asked for it with ReturnValuesOnConditionCheckFailure.
    #[error("The conditional request failed")]
    ConditionalCheckFailed {
        /// The item as it was, when requested.
        item: Option<Item>,
    },
    /// A PartiQL INSERT of a key that exists (DuplicateItemException).
    #[error("Duplicate primary key exists in table")]
    DuplicateItem,
    /// A PartiQL statement that does not parse, bind or fit its table; its text is already
    /// DynamoDB's message (ValidationException, or the request's constraint failure for the
    /// statement's length).
    #[error(transparent)]
    Partiql(#[from] eddy_partiql::PartiqlError),
    /// The caller may not act on the resource (AccessDeniedException).
    #[error("{0}")]
    AccessDenied(String),
    /// An account or table limit was reached (LimitExceededException).
    #[error("{0}")]
    LimitExceeded(String),
    /// An expression failed to parse or evaluate; its text is already DynamoDB's message.
    #[error(transparent)]
    Expr(#[from] ExprError),
    /// A transaction was cancelled; one reason per action, in order.
    #[error("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", reasons.iter().map(|r| r.code).collect::<Vec<_>>().join(", "))]
    TransactionCanceled {
        /// The reasons.
        reasons: Vec<CancellationReason>,
    },
    /// A ClientRequestToken reused for another request (IdempotentParameterMismatchException).
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// A transaction with the same ClientRequestToken is still running
    /// (TransactionInProgressException).
    #[error("The transaction with the given request token is already in progress.")]
    TransactionInProgress,
    /// A streams error; its text is already the client's message.
    #[error(transparent)]
    Streams(eddy_streams::StreamsError),
    /// The storage engine failed (InternalServerError).
    #[error("Internal server error: {0}")]
    Storage(#[from] StorageError),
    /// Stored data could not be decoded (InternalServerError).
    #[error("Internal server error: {0}")]
    Corrupt(String),
}

impl EngineError {
    /// The data-plane "Requested resource not found" (no table suffix).
    pub fn table_not_found() -> Self {
        Self::ResourceNotFound("Requested resource not found".into())
    }
}

/// Result alias for engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Why one action of a cancelled transaction failed (or `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct CancellationReason {
    /// None, ConditionalCheckFailed, ValidationError, TransactionConflict.
    pub code: &'static str,
    /// The reason's message.
    pub message: Option<String>,
    /// The item, for ConditionalCheckFailed with ReturnValuesOnConditionCheckFailure.
    pub item: Option<Item>,
}

impl CancellationReason {
    pub(crate) fn none() -> Self {
        Self {
            code: "None",
            message: None,
            item: None,
        }
    }

    /// The reason for an action the rules refused: its failed condition (with the item when
    /// it was asked for), or a ValidationError with the refusal's message.
    pub(crate) fn from_error(e: EngineError) -> Self {
        match e {
            EngineError::ConditionalCheckFailed { item } => Self {
                code: "ConditionalCheckFailed",
                message: Some(EngineError::ConditionalCheckFailed { item: None }.to_string()),
                item,
            },
            EngineError::DuplicateItem => Self {
                code: "DuplicateItem",
                message: Some(EngineError::DuplicateItem.to_string()),
                item: None,
            },
            other => Self {
                code: "ValidationError",
                message: Some(other.to_string()),
                item: None,
            },
        }
    }
}
