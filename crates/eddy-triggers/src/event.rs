//! Lambda's DynamoDB event: each stream record as Lambda hands it to a function, and the
//! `{"Records": [...]}` payload of one invocation.

use aws_sdk_dynamodbstreams::types::Record;
use serde_json::{Map, Value};

/// The most bytes of one synchronous invocation's payload Lambda accepts.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// One record, ready for invocations: its event form and what batching needs to know.
#[derive(Clone, Debug)]
pub struct EventRecord {
    /// The record's sequence number.
    pub sequence_number: String,
    /// When the change was made, in epoch milliseconds (second precision, as the stream
    /// keeps it).
    pub created_ms: u64,
    /// The record as Lambda's event has it.
    pub json: Value,
    /// `json` serialized, as it goes into a payload.
    pub text: String,
}

impl EventRecord {
    /// The event form of a stream record of `stream_arn`.
    pub fn new(record: &Record, stream_arn: &str) -> Self {
        let wire = eddy_client::record_to_json(record);
        let mut out = Map::new();
        // Lambda's order of members; GetRecords' `userIdentity` members are renamed to the
        // event's camelCase ones.
        for key in [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
        ] {
            if let Some(v) = wire.get(key) {
                out.insert(key.to_owned(), v.clone());
            }
        }
        out.insert("eventSourceARN".into(), Value::from(stream_arn));
        if let Some(identity) = wire.get("userIdentity") {
            let mut renamed = Map::new();
            if let Some(t) = identity.get("Type") {
                renamed.insert("type".into(), t.clone());
            }
            if let Some(p) = identity.get("PrincipalId") {
                renamed.insert("principalId".into(), p.clone());
            }
            out.insert("userIdentity".into(), Value::Object(renamed));
        }
        let dynamodb = record.dynamodb();
        let json = Value::Object(out);
        Self {
            sequence_number: dynamodb
                .and_then(|d| d.sequence_number())
                .unwrap_or_default()
                .to_owned(),
            created_ms: dynamodb
                .and_then(|d| d.approximate_creation_date_time())
                .map_or(0, |t| {
                    u64::try_from(t.to_millis().unwrap_or(0)).unwrap_or(0)
                }),
            text: json.to_string(),
            json,
        }
    }
}

/// The invocation payload for these records: `{"Records":[...]}`.
pub fn payload(records: &[EventRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + records.iter().map(|r| r.text.len() + 1).sum::<usize>());
    out.extend_from_slice(b"{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(r.text.as_bytes());
    }
    out.extend_from_slice(b"]}");
    out
}

/// Cuts records into invocations of at most `batch_size` records and
/// [`MAX_PAYLOAD_BYTES`], in order.
pub fn chunks(records: Vec<EventRecord>, batch_size: usize) -> Vec<Vec<EventRecord>> {
    let mut out = Vec::new();
    let mut current: Vec<EventRecord> = Vec::new();
    let mut bytes = 14;
    for r in records {
        let len = r.text.len() + 1;
        if !current.is_empty() && (current.len() >= batch_size || bytes + len > MAX_PAYLOAD_BYTES) {
            out.push(std::mem::take(&mut current));
            bytes = 14;
        }
        bytes += len;
        current.push(r);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{
        AttributeValue, Identity, OperationType, StreamRecord, StreamViewType,
    };

    fn record(seq: &str) -> Record {
        Record::builder()
            .event_id("e1")
            .event_name(OperationType::Remove)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .user_identity(
                Identity::builder()
                    .principal_id("dynamodb.amazonaws.com")
                    .r#type("Service")
                    .build(),
            )
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(aws_smithy_types_secs(1_700_000_000))
                    .keys("id", AttributeValue::S("a".into()))
                    .sequence_number(seq)
                    .size_bytes(5)
                    .stream_view_type(StreamViewType::KeysOnly)
                    .build(),
            )
            .build()
    }

    fn aws_smithy_types_secs(s: i64) -> aws_sdk_dynamodbstreams::primitives::DateTime {
        aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(s)
    }

    #[test]
    fn a_record_takes_lambdas_event_shape() {
        let r = EventRecord::new(
            &record("100"),
            "arn:aws:dynamodb:us-east-1:1:table/T/stream/x",
        );
        let keys: Vec<&str> = r
            .json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "eventID",
                "eventName",
                "eventVersion",
                "eventSource",
                "awsRegion",
                "dynamodb",
                "eventSourceARN",
                "userIdentity"
            ]
        );
        assert_eq!(
            r.json["userIdentity"],
            serde_json::json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
        );
        assert_eq!(
            r.json["dynamodb"]["ApproximateCreationDateTime"],
            1_700_000_000
        );
        assert_eq!(r.created_ms, 1_700_000_000_000);
        assert_eq!(r.sequence_number, "100");
    }

    #[test]
    fn payloads_are_cut_by_count_and_size() {
        let arn = "arn";
        let records: Vec<EventRecord> = (0..5)
            .map(|i| EventRecord::new(&record(&i.to_string()), arn))
            .collect();
        let sizes: Vec<usize> = chunks(records.clone(), 2).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1]);
        let text = String::from_utf8(payload(&records[..2])).expect("utf8");
        let parsed: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(parsed["Records"].as_array().map(Vec::len), Some(2));
        let mut big = records[0].clone();
        big.text = "x".repeat(MAX_PAYLOAD_BYTES / 2);
        let sizes: Vec<usize> = chunks(vec![big.clone(), big.clone(), big], 10)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [1, 1, 1]);
    }
}
