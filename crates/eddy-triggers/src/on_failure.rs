//! The on-failure destination: what Lambda sends about a batch it discarded, in the shape of
//! its on-failure destination record for DynamoDB Streams.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::deliver::HttpClient;
use crate::event::EventRecord;
use crate::spec::Destination;

/// Why a batch was discarded, as the record's `condition` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// MaximumRetryAttempts was reached.
    RetryAttemptsExhausted,
    /// Its records grew older than MaximumRecordAgeInSeconds (or expired from the stream).
    RecordAgeExceeded,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Self::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Self::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// What is known about a discarded batch.
pub struct Discarded<'a> {
    /// The records.
    pub records: &'a [EventRecord],
    /// Why.
    pub condition: Condition,
    /// Invocations made with them.
    pub invocations: u32,
    /// The function's ARN.
    pub function_arn: &'a str,
    /// The stream and shard.
    pub stream_arn: &'a str,
    /// The shard.
    pub shard_id: &'a str,
    /// Now, in epoch milliseconds.
    pub now_ms: u64,
}

/// The destination record.
pub fn record(d: &Discarded<'_>) -> Value {
    let first = d.records.first();
    let last = d.records.last();
    let mut out = json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": d.function_arn,
            "condition": d.condition.as_str(),
            "approximateInvokeCount": d.invocations,
        },
        "version": "1.0",
        "timestamp": iso(d.now_ms, true),
        "DDBStreamBatchInfo": {
            "shardId": d.shard_id,
            "startSequenceNumber": first.map(|r| r.sequence_number.as_str()),
            "endSequenceNumber": last.map(|r| r.sequence_number.as_str()),
            "approximateArrivalOfFirstRecord": first.map(|r| iso(r.created_ms, false)),
            "approximateArrivalOfLastRecord": last.map(|r| iso(r.created_ms, false)),
            "batchSize": d.records.len(),
            "streamArn": d.stream_arn,
        },
    });
    if d.invocations > 0 {
        out["responseContext"] = json!({
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        });
    }
    out
}

/// Epoch milliseconds as `2019-11-14T00:13:49.717Z` (or without the fraction).
fn iso(ms: u64, millis: bool) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return String::new();
    };
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if millis {
        format!("{base}.{:03}Z", t.millisecond())
    } else {
        format!("{base}Z")
    }
}

/// Sends the record to the destination.
///
/// # Errors
/// The file or the URL's failure, as text.
pub async fn send(to: &Destination, http: &HttpClient, record: &Value) -> Result<(), String> {
    let mut line = record.to_string().into_bytes();
    match to {
        Destination::File(path) => {
            line.push(b'\n');
            let fail = |e: std::io::Error| format!("on-failure {}: {e}", path.display());
            let mut file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .await
                .map_err(fail)?;
            file.write_all(&line).await.map_err(fail)?;
            file.sync_data().await.map_err(fail)
        }
        Destination::Url(url) => {
            match http
                .post(url, line, Duration::from_secs(10), None, &[])
                .await
            {
                Ok(x) if (200..300).contains(&x.status) => Ok(()),
                Ok(x) => Err(format!("on-failure {url} answered {}", x.status)),
                Err(e) => Err(format!("on-failure {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_in_utc() {
        assert_eq!(iso(1_573_690_429_717, true), "2019-11-14T00:13:49.717Z");
        assert_eq!(iso(1_573_690_399_000, false), "2019-11-14T00:13:19Z");
    }
}
