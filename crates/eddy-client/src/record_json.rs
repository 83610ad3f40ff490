//! Stream records back in their wire form: DynamoDB JSON, as GetRecords returns them.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// A record as GetRecords' JSON shows it (`eventID`, `eventName`, …, `dynamodb` with
/// `ApproximateCreationDateTime` in epoch seconds and images in DynamoDB JSON).
pub fn record_to_json(record: &Record) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    put("awsRegion", record.aws_region().map(Value::from));
    if let Some(d) = record.dynamodb() {
        let mut s = Map::new();
        if let Some(t) = d.approximate_creation_date_time() {
            let value = if t.subsec_nanos() == 0 {
                json!(t.secs())
            } else {
                json!(t.as_secs_f64())
            };
            s.insert("ApproximateCreationDateTime".into(), value);
        }
        for (name, image) in [
            ("Keys", d.keys()),
            ("NewImage", d.new_image()),
            ("OldImage", d.old_image()),
        ] {
            if let Some(image) = image {
                s.insert(name.into(), item_to_json(image));
            }
        }
        if let Some(n) = d.sequence_number() {
            s.insert("SequenceNumber".into(), n.into());
        }
        if let Some(n) = d.size_bytes() {
            s.insert("SizeBytes".into(), n.into());
        }
        if let Some(v) = d.stream_view_type() {
            s.insert("StreamViewType".into(), v.as_str().into());
        }
        put("dynamodb", Some(Value::Object(s)));
    }
    put("eventID", record.event_id().map(Value::from));
    put(
        "eventName",
        record.event_name().map(|n| Value::from(n.as_str())),
    );
    put("eventSource", record.event_source().map(Value::from));
    put("eventVersion", record.event_version().map(Value::from));
    put(
        "userIdentity",
        record.user_identity().map(|u| {
            let mut i = Map::new();
            if let Some(p) = u.principal_id() {
                i.insert("PrincipalId".into(), p.into());
            }
            if let Some(t) = u.r#type() {
                i.insert("Type".into(), t.into());
            }
            Value::Object(i)
        }),
    );
    Value::Object(m)
}

/// An item (or key, or image) in DynamoDB JSON, attributes in name order.
pub fn item_to_json(item: &HashMap<String, AttributeValue>) -> Value {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    Value::Object(
        names
            .into_iter()
            .map(|k| (k.clone(), value_to_json(&item[k])))
            .collect(),
    )
}

/// One attribute value in DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `{"B": "<base64>"}`, …).
pub fn value_to_json(v: &AttributeValue) -> Value {
    let b64 = |b: &aws_smithy_types::Blob| Value::from(STANDARD.encode(b.as_ref()));
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(n) => json!({ "NULL": n }),
        AttributeValue::Ss(ss) => json!({ "SS": ss }),
        AttributeValue::Ns(ns) => json!({ "NS": ns }),
        AttributeValue::Bs(bs) => json!({ "BS": bs.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(value_to_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_to_json(m) }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    #[test]
    fn a_record_prints_as_get_records_sends_it() {
        let record = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(aws_smithy_types::DateTime::from_secs(
                        1_700_000_000,
                    ))
                    .keys("id", AttributeValue::S("Fred".into()))
                    .new_image("id", AttributeValue::S("Fred".into()))
                    .new_image(
                        "tags",
                        AttributeValue::L(vec![
                            AttributeValue::N("1".into()),
                            AttributeValue::B(aws_smithy_types::Blob::new(vec![0u8, 255])),
                        ]),
                    )
                    .sequence_number("100000000000000000001")
                    .size_bytes(12)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build();
        assert_eq!(
            record_to_json(&record),
            json!({
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_700_000_000,
                    "Keys": {"id": {"S": "Fred"}},
                    "NewImage": {"id": {"S": "Fred"}, "tags": {"L": [{"N": "1"}, {"B": "AP8="}]}},
                    "SequenceNumber": "100000000000000000001",
                    "SizeBytes": 12,
                    "StreamViewType": "NEW_AND_OLD_IMAGES"
                },
                "eventID": "e1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "eventVersion": "1.1"
            })
        );
    }
}
