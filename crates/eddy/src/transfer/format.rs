//! DynamoDB JSON, the form of an export's lines (`{"Item":{"pk":{"S":"a"},"n":{"N":"1"}}}`), to
//! and from the SDK's attribute values. Numbers stay the strings they were; binaries are base64.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// An item as the SDK holds it.
pub type Item = HashMap<String, AttributeValue>;

const LINE_SHAPE: &str = r#"expected {"Item": {...}}, one item in DynamoDB JSON"#;

/// The export line of `item`, without its newline. Attributes are in name order, so exporting
/// the same table twice gives the same lines.
pub fn item_line(item: &Item) -> Result<String, String> {
    let mut line = Map::with_capacity(1);
    line.insert("Item".to_owned(), Value::Object(item_to_json(item)?));
    Ok(Value::Object(line).to_string())
}

/// The item of one export line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<Item, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(line) = value else {
        return Err(LINE_SHAPE.to_owned());
    };
    let mut members = line.into_iter();
    match (members.next(), members.next()) {
        (Some((name, Value::Object(item))), None) if name == "Item" => item_from_json(item),
        _ => Err(LINE_SHAPE.to_owned()),
    }
}

fn item_to_json(item: &Item) -> Result<Map<String, Value>, String> {
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let value =
                value_to_json(&item[name]).map_err(|e| format!("attribute {name:?}: {e}"))?;
            Ok((name.clone(), value))
        })
        .collect()
}

fn value_to_json(value: &AttributeValue) -> Result<Value, String> {
    let encoded = |b: &Blob| Value::String(STANDARD.encode(b.as_ref()));
    let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
    let (tag, json) = match value {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::B(b) => ("B", encoded(b)),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::Ss(v) => ("SS", strings(v)),
        AttributeValue::Ns(v) => ("NS", strings(v)),
        AttributeValue::Bs(v) => ("BS", Value::Array(v.iter().map(encoded).collect())),
        AttributeValue::L(v) => (
            "L",
            Value::Array(v.iter().map(value_to_json).collect::<Result<_, _>>()?),
        ),
        AttributeValue::M(m) => ("M", Value::Object(item_to_json(m)?)),
        _ => return Err("a type of attribute value this eddy does not know".to_owned()),
    };
    let mut object = Map::with_capacity(1);
    object.insert(tag.to_owned(), json);
    Ok(Value::Object(object))
}

fn item_from_json(item: Map<String, Value>) -> Result<Item, String> {
    item.into_iter()
        .map(|(name, value)| {
            let value = value_from_json(value).map_err(|e| format!("attribute {name:?}: {e}"))?;
            Ok((name, value))
        })
        .collect()
}

fn value_from_json(value: Value) -> Result<AttributeValue, String> {
    const ONE_TYPE: &str = r#"expected one typed value, as {"S": "text"}"#;
    let Value::Object(object) = value else {
        return Err(ONE_TYPE.to_owned());
    };
    let mut members = object.into_iter();
    let (Some((tag, inner)), None) = (members.next(), members.next()) else {
        return Err(ONE_TYPE.to_owned());
    };
    Ok(match (tag.as_str(), inner) {
        ("S", Value::String(s)) => AttributeValue::S(s),
        ("N", Value::String(n)) => AttributeValue::N(n),
        ("B", Value::String(b)) => AttributeValue::B(blob(&b)?),
        ("BOOL", Value::Bool(b)) => AttributeValue::Bool(b),
        ("NULL", Value::Bool(b)) => AttributeValue::Null(b),
        ("SS", Value::Array(v)) => AttributeValue::Ss(strings("SS", v)?),
        ("NS", Value::Array(v)) => AttributeValue::Ns(strings("NS", v)?),
        ("BS", Value::Array(v)) => AttributeValue::Bs(
            strings("BS", v)?
                .into_iter()
                .map(|b| blob(&b))
                .collect::<Result<_, _>>()?,
        ),
        ("L", Value::Array(v)) => AttributeValue::L(
            v.into_iter()
                .enumerate()
                .map(|(i, v)| value_from_json(v).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<_, _>>()?,
        ),
        ("M", Value::Object(m)) => AttributeValue::M(item_from_json(m)?),
        ("S" | "N" | "B", _) => return Err(format!("{tag} takes a string")),
        ("BOOL" | "NULL", _) => return Err(format!("{tag} takes true or false")),
        ("SS" | "NS" | "BS" | "L", _) => return Err(format!("{tag} takes an array")),
        ("M", _) => return Err("M takes an object".to_owned()),
        _ => return Err(format!("unknown attribute type {tag:?}")),
    })
}

fn strings(tag: &str, values: Vec<Value>) -> Result<Vec<String>, String> {
    values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err(format!("{tag} takes an array of strings")),
        })
        .collect()
}

fn blob(text: &str) -> Result<Blob, String> {
    STANDARD
        .decode(text)
        .map(Blob::new)
        .map_err(|e| format!("not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_type() -> Item {
        let nested = HashMap::from([
            ("deep".to_owned(), AttributeValue::N("-0.000100".to_owned())),
            ("none".to_owned(), AttributeValue::Null(true)),
        ]);
        HashMap::from([
            (
                "s".to_owned(),
                AttributeValue::S("ünï \"q\" \\ \n".to_owned()),
            ),
            (
                "n".to_owned(),
                AttributeValue::N("12345678901234567890123456789012345678".to_owned()),
            ),
            (
                "b".to_owned(),
                AttributeValue::B(Blob::new(vec![0, 255, 10])),
            ),
            ("t".to_owned(), AttributeValue::Bool(true)),
            ("null".to_owned(), AttributeValue::Null(true)),
            (
                "ss".to_owned(),
                AttributeValue::Ss(vec!["x".to_owned(), "y".to_owned()]),
            ),
            (
                "ns".to_owned(),
                AttributeValue::Ns(vec!["1.50".to_owned(), "2E+3".to_owned()]),
            ),
            (
                "bs".to_owned(),
                AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
            ),
            (
                "l".to_owned(),
                AttributeValue::L(vec![
                    AttributeValue::S("a".to_owned()),
                    AttributeValue::L(vec![]),
                    AttributeValue::M(HashMap::new()),
                ]),
            ),
            ("m".to_owned(), AttributeValue::M(nested)),
        ])
    }

    #[test]
    fn every_type_round_trips_with_numbers_kept_as_written() {
        let item = every_type();
        let line = item_line(&item).expect("line");
        assert_eq!(parse_line(line.as_bytes()).expect("parse"), item);
        assert!(line.starts_with(r#"{"Item":{"b":{"B":"AP8K"},"bs":{"BS":["AQ==","AgM="]}"#));
        assert!(line.contains(r#""n":{"N":"12345678901234567890123456789012345678"}"#));
        assert!(line.contains(r#""ns":{"NS":["1.50","2E+3"]}"#));
        assert!(line.contains(r#""m":{"M":{"deep":{"N":"-0.000100"},"none":{"NULL":true}}}"#));
    }

    #[test]
    fn a_line_as_a_real_export_writes_it_parses() {
        let line =
            br#"{"Item":{"pk":{"S":"a"},"n":{"N":"1"},"b":{"B":"aGk="},"o":{"BOOL":false}}}"#;
        let item = parse_line(line).expect("parse");
        assert_eq!(item["pk"], AttributeValue::S("a".to_owned()));
        assert_eq!(item["n"], AttributeValue::N("1".to_owned()));
        assert_eq!(item["b"], AttributeValue::B(Blob::new(b"hi".to_vec())));
        assert_eq!(item["o"], AttributeValue::Bool(false));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let reason = |line: &str| parse_line(line.as_bytes()).expect_err(line);
        assert!(reason(r#"{"Item": {"pk": {"S": "a"}"#).starts_with("not JSON"));
        assert_eq!(reason(r#"{"pk": {"S": "a"}}"#), LINE_SHAPE);
        assert_eq!(reason(r#"{"Item": {}, "More": 1}"#), LINE_SHAPE);
        assert_eq!(reason("[1]"), LINE_SHAPE);
        assert_eq!(
            reason(r#"{"Item": {"pk": {"X": "a"}}}"#),
            r#"attribute "pk": unknown attribute type "X""#
        );
        assert_eq!(
            reason(r#"{"Item": {"n": {"N": 1}}}"#),
            r#"attribute "n": N takes a string"#
        );
        assert!(reason(r#"{"Item": {"pk": {"S": "a", "N": "1"}}}"#).contains("one typed value"));
        assert!(reason(r#"{"Item": {"b": {"B": "%%"}}}"#).contains("not base64"));
        assert_eq!(
            reason(r#"{"Item": {"m": {"M": {"l": {"L": [{"S": "a"}, {"SS": "b"}]}}}}}"#),
            r#"attribute "m": attribute "l": element 1: SS takes an array"#
        );
    }
}
