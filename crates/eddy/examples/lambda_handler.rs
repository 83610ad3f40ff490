//! The Lambda handler the trigger tests run through eddy's Lambda Runtime API.
//!
//! It is an ordinary `lambda_runtime` function, unchanged from what would run on
//! Lambda: it polls `AWS_LAMBDA_RUNTIME_API` and reads the function configuration
//! from `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and
//! `AWS_LAMBDA_FUNCTION_VERSION` (lambda_runtime panics at start without them).
//!
//! Each event is parsed strictly as `aws_lambda_events`' DynamoDB `Event`: a payload
//! that does not deserialize, or that carries a field the type does not know,
//! fails the invocation with a message saying what was unexpected.
//!
//! For every invocation that parses, one JSON line is appended to the file named by
//! `HANDLER_OUTPUT`:
//! `{"pid", "requestId", "deadlineMs", "functionName", "records": [{"eventID",
//! "eventName", "seq", "keys", "newImage", "eventSourceARN", "userIdentity"}],
//! "outcome": "ok" | "error" | "partial"}`.
//!
//! Attributes of a record's NewImage steer the outcome:
//! - `crash` = `{"BOOL": true}`: the process exits with status 3 before writing;
//! - `failOnce` = `{"S": token}`: an error the first time this handler (any of its
//!   processes) sees the token, success afterwards; seen tokens are kept one a
//!   line in `$HANDLER_OUTPUT.seen`;
//! - `partial` = `{"BOOL": true}`: the record's sequence number is reported in
//!   `batchItemFailures`.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<DynamoDbEventResponse, Error> {
    let output = std::env::var("HANDLER_OUTPUT").map_err(|_| "HANDLER_OUTPUT is not set")?;
    let parsed = strict_parse(event.payload)?;
    let records = &parsed.records;

    if records.iter().any(|r| is_true(&attr(r, "crash"))) {
        std::process::exit(3);
    }
    let tokens: Vec<String> = records
        .iter()
        .filter_map(|r| attr(r, "failOnce")["S"].as_str().map(str::to_owned))
        .collect();
    let first_sighting = remember_tokens(&format!("{output}.seen"), &tokens)?;
    let failed = first_sighting;
    let partial: Vec<String> = records
        .iter()
        .filter(|r| is_true(&attr(r, "partial")))
        .map(|r| r.change.sequence_number.clone().unwrap_or_default())
        .collect();
    let outcome = if failed {
        "error"
    } else if partial.is_empty() {
        "ok"
    } else {
        "partial"
    };

    let line = json!({
        "pid": std::process::id(),
        "requestId": event.context.request_id,
        "deadlineMs": event.context.deadline,
        "functionName": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        "records": records.iter().map(record_summary).collect::<Vec<_>>(),
        "outcome": outcome,
    });
    append_line(&output, &line)?;

    if failed {
        return Err("record asked to fail".into());
    }
    let mut response = DynamoDbEventResponse::default();
    for seq in partial {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(seq);
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

/// Deserializes through the typed event and refuses any field the types do not
/// know (each of them collects such fields in its `other` map).
fn strict_parse(payload: Value) -> Result<Event, Error> {
    let event: Event = serde_json::from_value(payload)
        .map_err(|e| format!("event is not an aws_lambda_events DynamoDB Event: {e}"))?;
    let mut unexpected = Vec::new();
    let mut note = |place: String, other: &serde_json::Map<String, Value>| {
        if !other.is_empty() {
            unexpected.push(format!("{place}: {:?}", other.keys().collect::<Vec<_>>()));
        }
    };
    note("event".to_owned(), &event.other);
    for (i, record) in event.records.iter().enumerate() {
        note(format!("Records[{i}]"), &record.other);
        note(format!("Records[{i}].dynamodb"), &record.change.other);
        if let Some(identity) = &record.user_identity {
            note(format!("Records[{i}].userIdentity"), &identity.other);
        }
    }
    if !unexpected.is_empty() {
        return Err(format!("unexpected fields in event: {}", unexpected.join("; ")).into());
    }
    Ok(event)
}

fn record_summary(record: &EventRecord) -> Value {
    let stream = &record.change;
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name,
        "seq": stream.sequence_number,
        "keys": stream.keys,
        "newImage": if stream.new_image.is_empty() { Value::Null } else { json!(stream.new_image) },
        "eventSourceARN": record.event_source_arn,
        "userIdentity": record.user_identity,
    })
}

/// The NewImage attribute `name` as DynamoDB JSON, or null.
fn attr(record: &EventRecord, name: &str) -> Value {
    record
        .change
        .new_image
        .get(name)
        .map_or(Value::Null, |v| json!(v))
}

fn is_true(value: &Value) -> bool {
    *value == json!({"BOOL": true})
}

/// Appends the tokens not yet in the seen file; true if there were any.
fn remember_tokens(path: &str, tokens: &[String]) -> Result<bool, Error> {
    if tokens.is_empty() {
        return Ok(false);
    }
    let seen = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    let mut known: HashSet<&str> = seen.lines().collect();
    let new: String = tokens
        .iter()
        .filter(|t| known.insert(t.as_str()))
        .map(|t| format!("{t}\n"))
        .collect();
    if new.is_empty() {
        return Ok(false);
    }
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(new.as_bytes())?;
    Ok(true)
}

/// One line, one write, so lines from concurrent processes do not interleave.
fn append_line(path: &str, line: &Value) -> Result<(), Error> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.flush()?;
    Ok(())
}
