//! `--format pretty`: one readable line per change: time, event, keys, and what changed.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use eddy_client::value_to_json;

type Image = HashMap<String, AttributeValue>;

/// `2026-12-03T12:00:00Z MODIFY {pk: "a"}  c: 1 → 2, +tag: "x", -old`
pub fn pretty(record: &Record) -> String {
    let d = record.dynamodb();
    let time = d
        .and_then(|d| d.approximate_creation_date_time())
        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .unwrap_or_default();
    let event = record.event_name().map(|e| e.as_str()).unwrap_or("?");
    let empty = Image::new();
    let keys = d.and_then(|d| d.keys()).unwrap_or(&empty);
    let mut line = format!("{time} {event:6} {}", image(keys, &BTreeSet::new()));
    let key_names: BTreeSet<&str> = keys.keys().map(String::as_str).collect();
    let changes = match (d.and_then(|d| d.old_image()), d.and_then(|d| d.new_image())) {
        (Some(old), Some(new)) => diff(old, new, &key_names),
        (None, Some(new)) if event == "INSERT" => image(new, &key_names),
        (None, Some(new)) => format!("now {}", image(new, &key_names)),
        (Some(old), None) => format!("was {}", image(old, &key_names)),
        (None, None) => String::new(),
    };
    if !changes.is_empty() && changes != "{}" {
        line.push_str("  ");
        line.push_str(&changes);
    }
    if record
        .user_identity()
        .is_some_and(|u| u.r#type() == Some("Service"))
    {
        line.push_str("  (expired: time to live)");
    }
    line
}

/// `{a: 1, b: "x"}`, leaving out `skip`.
fn image(item: &Image, skip: &BTreeSet<&str>) -> String {
    let names: BTreeSet<&str> = item
        .keys()
        .map(String::as_str)
        .filter(|k| !skip.contains(k))
        .collect();
    let fields: Vec<String> = names
        .into_iter()
        .map(|k| format!("{k}: {}", value(&item[k])))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// What an update changed: `name: old → new`, `+name: new`, `-name`.
fn diff(old: &Image, new: &Image, skip: &BTreeSet<&str>) -> String {
    let names: BTreeSet<&str> = old
        .keys()
        .chain(new.keys())
        .map(String::as_str)
        .filter(|k| !skip.contains(k))
        .collect();
    let mut changes = Vec::new();
    for name in names {
        match (old.get(name), new.get(name)) {
            (Some(a), Some(b)) if a != b => {
                changes.push(format!("{name}: {} → {}", value(a), value(b)));
            }
            (None, Some(b)) => changes.push(format!("+{name}: {}", value(b))),
            (Some(_), None) => changes.push(format!("-{name}")),
            _ => {}
        }
    }
    changes.join(", ")
}

/// A value as a reader writes it: strings quoted, numbers bare, the rest as compact JSON.
fn value(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => format!("{s:?}"),
        AttributeValue::N(n) => n.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null(_) => "null".into(),
        other => value_to_json(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord};

    fn record(event: OperationType, old: &[(&str, &str)], new: &[(&str, &str)]) -> Record {
        let mut d = StreamRecord::builder()
            .approximate_creation_date_time(aws_smithy_types::DateTime::from_secs(1_796_313_600))
            .keys("pk", AttributeValue::S("a".into()));
        for (k, v) in old {
            d = d.old_image(*k, AttributeValue::N((*v).into()));
        }
        for (k, v) in new {
            d = d.new_image(*k, AttributeValue::N((*v).into()));
        }
        Record::builder()
            .event_name(event)
            .dynamodb(d.build())
            .build()
    }

    #[test]
    fn a_line_says_what_changed() {
        let modify = record(
            OperationType::Modify,
            &[("c", "1"), ("x", "5")],
            &[("c", "2"), ("y", "3")],
        );
        assert_eq!(
            pretty(&modify),
            "2026-12-03T16:00:00Z MODIFY {pk: \"a\"}  c: 1 → 2, -x, +y: 3"
        );
        let insert = record(OperationType::Insert, &[], &[("c", "1")]);
        assert_eq!(
            pretty(&insert),
            "2026-12-03T16:00:00Z INSERT {pk: \"a\"}  {c: 1}"
        );
        let remove = record(OperationType::Remove, &[], &[]);
        assert_eq!(pretty(&remove), "2026-12-03T16:00:00Z REMOVE {pk: \"a\"}");
    }
}
