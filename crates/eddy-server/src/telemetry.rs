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
    let operation = op.name();
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
        _ => {
            // CloudWatch's UserErrors has no table: and a name a client made up (a missing
            // table, an invalid name) must not become a series of its own, which any client
            // could multiply without bound.
            metrics::counter!("eddy_user_errors_total", "operation" => operation).increment(1);
            return;
        }
    };
    metrics::counter!(name, "operation" => operation, "table" => table).increment(1);
}

/// Counts the capacity units a request consumed on `table` (CloudWatch's
/// ConsumedReadCapacityUnits and ConsumedWriteCapacityUnits, summed). Units come in halves, so
/// they accumulate in gauges rather than integer counters.
pub(crate) fn consumed(table: &str, read: f64, write: f64) {
    if read > 0.0 {
        metrics::gauge!("eddy_consumed_read_capacity_units", "table" => table.to_owned())
            .increment(read);
    }
    if write > 0.0 {
        metrics::gauge!("eddy_consumed_write_capacity_units", "table" => table.to_owned())
            .increment(write);
    }
}

/// Counts the items a Query or Scan returned (CloudWatch's ReturnedItemCount).
pub(crate) fn returned_items(op: Operation, table: &str, count: usize) {
    metrics::counter!(
        "eddy_returned_item_count_total",
        "operation" => op.name(),
        "table" => table.to_owned()
    )
    .increment(count as u64);
}

/// Counts the records and bytes a GetRecords returned from a stream (CloudWatch's
/// ReturnedRecordsCount and ReturnedBytes): the stream's records read.
pub(crate) fn returned_records(stream_arn: &str, records: usize, bytes: usize) {
    metrics::counter!("eddy_returned_records_count_total", "stream" => stream_arn.to_owned())
        .increment(records as u64);
    metrics::counter!("eddy_returned_bytes_total", "stream" => stream_arn.to_owned())
        .increment(bytes as u64);
}

/// Sets each stream's gauges: records written and open shards, as the engine holds them.
pub(crate) fn streams(engine: &eddy_engine::Engine) {
    for stream in engine.stream_gauges() {
        let labels = [("stream", stream.arn), ("table", stream.table)];
        metrics::gauge!("eddy_stream_records_written", &labels).set(stream.records_written as f64);
        metrics::gauge!("eddy_stream_open_shards", &labels).set(stream.open_shards as f64);
    }
}
