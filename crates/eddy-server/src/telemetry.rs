//! Request metrics through the `metrics` facade, named after DynamoDB's CloudWatch metrics and
//! counted with their meaning: a failed condition counts in ConditionalCheckFailedRequests, not
//! in UserErrors; throttling in ThrottledRequests; a transaction canceled by a conflict in
//! TransactionConflict. Whichever recorder the binary installs (Prometheus at
//! `/_eddy/metrics`) receives them; without one they cost a no-op call.

use std::time::Duration;

use crate::error::{ApiError, ErrorKind};
use crate::protocol::Operation;

/// Records one API request's outcome. `table` is the request's TableName, when it has one.
pub(crate) fn record(
    op: Operation,
    table: Option<&str>,
    elapsed: Duration,
    outcome: &Result<Vec<u8>, ApiError>,
    request_id: &str,
) {
    let operation = format!("{op:?}");
    tracing::debug!(
        operation,
        table = table.unwrap_or_default(),
        status = outcome.as_ref().map_or_else(|e| e.kind.status(), |_| 200),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        request_id,
        "request"
    );
    let table = table.unwrap_or_default().to_owned();
    let Err(error) = outcome else {
        metrics::histogram!(
            "eddy_successful_request_latency_seconds",
            "operation" => operation,
            "table" => table
        )
        .record(elapsed.as_secs_f64());
        return;
    };
    let name = match error.kind {
        ErrorKind::ConditionalCheckFailed => "eddy_conditional_check_failed_requests_total",
        ErrorKind::Throttling
        | ErrorKind::LimitExceeded
        | ErrorKind::ProvisionedThroughputExceeded
        | ErrorKind::RequestLimitExceeded => "eddy_throttled_requests_total",
        ErrorKind::TransactionCanceled
            if error
                .reasons
                .iter()
                .flatten()
                .any(|r| r.code == "TransactionConflict") =>
        {
            "eddy_transaction_conflict_total"
        }
        kind if kind.status() >= 500 => "eddy_system_errors_total",
        _ => "eddy_user_errors_total",
    };
    metrics::counter!(name, "operation" => operation, "table" => table).increment(1);
}
