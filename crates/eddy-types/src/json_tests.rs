//! Tests for reading and writing DynamoDB JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::error::{NumberError, ValueError};
use crate::json::{ReadOptions, item_from_json, read_value, value_from_json, value_from_json_with};
use crate::json_write::{write_item_json, write_str_json, write_value_json};
use crate::number::Number;
use crate::value::{AttrType, AttributeValue, Item};

/// The oracle the direct writers are checked against: a value as a `serde_json::Value` tree.
fn value_to_json(v: &AttributeValue) -> Value {
    let (key, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.as_str().to_owned())),
        AttributeValue::B(b) => ("B", Value::String(BASE64.encode(b))),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        AttributeValue::Null => ("NULL", Value::Bool(true)),
        AttributeValue::Ss(v) => ("SS", v.iter().map(|s| Value::String(s.clone())).collect()),
        AttributeValue::Ns(v) => (
            "NS",
            v.iter()
                .map(|n| Value::String(n.as_str().to_owned()))
                .collect(),
        ),
        AttributeValue::Bs(v) => (
            "BS",
            v.iter().map(|b| Value::String(BASE64.encode(b))).collect(),
        ),
        AttributeValue::L(v) => ("L", v.iter().map(value_to_json).collect()),
        AttributeValue::M(m) => ("M", item_to_json(m)),
    };
    let mut obj = Map::with_capacity(1);
    obj.insert(key.to_owned(), inner);
    Value::Object(obj)
}

/// The oracle for items: name → DynamoDB JSON value, names in order.
fn item_to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), value_to_json(v)))
            .collect(),
    )
}

/// Reads a value both ways, from the tree and straight from its text, and checks that the two
/// agree (the text reader's shape errors carry the parser's position, which is dropped). Text
/// nested deeper than the JSON parser's recursion limit is not JSON to the reader at all.
fn read(v: serde_json::Value) -> Result<AttributeValue, ValueError> {
    let from_tree = value_from_json(&v);
    let text = v.to_string();
    let mut d = serde_json::Deserializer::from_str(&text);
    let from_text = match read_value(&mut d, ReadOptions::default()) {
        Err(e) if !e.is_data() => return from_tree,
        read => read,
    };
    let from_text = from_text.unwrap_or_else(|e| {
        let position = format!(" at line {} column {}", e.line(), e.column());
        let message = e.to_string();
        Err(ValueError::Serialization(
            message
                .strip_suffix(&position)
                .unwrap_or(&message)
                .to_owned(),
        ))
    });
    assert_eq!(from_tree, from_text, "{text}");
    from_tree
}

fn message(v: serde_json::Value) -> String {
    read(v).unwrap_err().to_string()
}

fn deep_map(depth: usize) -> serde_json::Value {
    let mut v = json!({"S": "leaf"});
    for _ in 0..depth {
        v = json!({"M": {"n": v}});
    }
    v
}

fn sample_item() -> Item {
    let json = json!({
        "s": {"S": "hello \"world\"\n\u{0}\u{1f}\u{7f}é¿😀\\"},
        "empty": {"S": ""},
        "n": {"N": "-001.2300"},
        "b": {"B": "AAEC/w=="},
        "eb": {"B": ""},
        "t": {"BOOL": true},
        "f": {"BOOL": false},
        "z": {"NULL": true},
        "ss": {"SS": ["b", "a", ""]},
        "ns": {"NS": ["3", "1.5", "-2"]},
        "bs": {"BS": ["AA==", "/w=="]},
        "l": {"L": [{"S": "x"}, {"L": []}, {"M": {}}, {"N": "1e3"}]},
        "m": {"M": {"inner": {"M": {"deep": {"SS": ["q"]}}}, "": {"NULL": true}}},
    });
    item_from_json(&json).unwrap()
}

#[test]
fn reads_every_type() {
    let item = sample_item();
    assert_eq!(
        item["n"],
        AttributeValue::N(Number::parse("-1.23").unwrap())
    );
    assert_eq!(item["b"], AttributeValue::B(vec![0, 1, 2, 255]));
    assert_eq!(item["eb"], AttributeValue::B(vec![]));
    assert_eq!(item["z"], AttributeValue::Null);
    assert_eq!(item["empty"], AttributeValue::S(String::new()));
    // Set order is kept as sent.
    match &item["ss"] {
        AttributeValue::Ss(v) => assert_eq!(v, &["b", "a", ""]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        item_to_json(&item)["l"],
        json!({"L": [{"S": "x"}, {"L": []}, {"M": {}}, {"N": "1000"}]})
    );
}

#[test]
fn json_round_trip_and_direct_writer_agree() {
    let item = sample_item();
    let tree = item_to_json(&item);
    assert_eq!(item_from_json(&tree).unwrap(), item);
    let mut direct = Vec::new();
    write_item_json(&item, &mut direct);
    assert_eq!(direct, serde_json::to_vec(&tree).unwrap());
    // Every control character and the escapes serde_json uses.
    let all: String = (0u8..=0x7f).map(char::from).collect();
    let item: Item = [(all.clone(), AttributeValue::S(all))].into();
    let mut direct = Vec::new();
    write_item_json(&item, &mut direct);
    assert_eq!(direct, serde_json::to_vec(&item_to_json(&item)).unwrap());
    let mut empty = Vec::new();
    write_item_json(&Item::new(), &mut empty);
    assert_eq!(empty, b"{}");
    let mut value = Vec::new();
    write_value_json(&AttributeValue::B(vec![0xff, 0, 1]), &mut value);
    assert_eq!(value, br#"{"B":"/wAB"}"#);
    for v in item.values().chain(sample_item().values()) {
        let mut direct = Vec::new();
        write_value_json(v, &mut direct);
        assert_eq!(direct, serde_json::to_vec(&value_to_json(v)).unwrap());
    }
}

#[test]
fn string_writer_escapes_as_serde_json() {
    let all: String = (0u32..=0x2ff).filter_map(char::from_u32).collect();
    for s in [
        all.as_str(),
        "",
        "plain",
        "\u{2028}\u{2029}😀",
        "\"\\/\u{7f}",
    ] {
        let mut direct = Vec::new();
        write_str_json(s, &mut direct);
        assert_eq!(direct, serde_json::to_vec(s).unwrap(), "{s:?}");
    }
}

#[test]
fn shape_messages() {
    let m = "Start of structure or map found where not expected";
    let table = [
        (
            json!({"S": 5}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"S": 2147483648u64}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"S": 34.56}),
            "DECIMAL_VALUE cannot be converted to String",
        ),
        (
            json!({"S": true}),
            "TRUE_VALUE cannot be converted to String",
        ),
        (
            json!({"N": false}),
            "FALSE_VALUE cannot be converted to String",
        ),
        (
            json!({"S": []}),
            "Unrecognized collection type class java.lang.String",
        ),
        (json!({"S": {}}), m),
        (json!({"N": {"S": "x"}}), m),
        (
            json!({"B": true}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            json!({"B": 23}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            json!({"B": []}),
            "Unrecognized collection type class java.nio.ByteBuffer",
        ),
        (json!({"B": {}}), m),
        (
            json!({"B": "23456"}),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
        ),
        (
            json!({"B": "=+/="}),
            "Invalid last non-pad Base64 character dectected",
        ),
        (
            json!({"B": "+/+="}),
            "Invalid last non-pad Base64 character dectected",
        ),
        (
            json!({"B": "ab!d"}),
            "Invalid last non-pad Base64 character dectected",
        ),
        (
            json!({"BOOL": "23"}),
            "Unexpected token received from parser",
        ),
        (
            json!({"BOOL": 23}),
            "NUMBER_VALUE cannot be converted to Boolean",
        ),
        (
            json!({"NULL": 34.56}),
            "DECIMAL_VALUE cannot be converted to Boolean",
        ),
        (
            json!({"BOOL": []}),
            "Unrecognized collection type class java.lang.Boolean",
        ),
        (json!({"NULL": {}}), m),
        (json!({"SS": "a"}), "Unexpected field type"),
        (json!({"NS": 1}), "Unexpected field type"),
        (json!({"L": true}), "Unexpected field type"),
        (json!({"BS": {}}), m),
        (
            json!({"SS": [1]}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"BS": ["abc"]}),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        (json!({"M": "x"}), "Unexpected field type"),
        (
            json!({"M": []}),
            "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ),
        (json!({"L": ["x"]}), "Unexpected value type in payload"),
        (
            json!({"L": [[]]}),
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ),
        (json!({"M": {"a": 1}}), "Unexpected value type in payload"),
        (json!("x"), "Unexpected value type in payload"),
        (
            json!([]),
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ),
    ];
    for (input, want) in table {
        let err = read(input.clone()).unwrap_err();
        assert!(err.is_serialization(), "{input}");
        assert_eq!(err.to_string(), want, "{input}");
    }
    // Java counts the UTF-16 length.
    assert_eq!(
        message(json!({"B": "é"})),
        "Base64 encoded length is expected a multiple of 4 bytes but found: 1"
    );
}

#[test]
fn item_shape_messages() {
    assert_eq!(
        item_from_json(&json!("x")).unwrap_err().to_string(),
        "Unexpected field type"
    );
    assert_eq!(
        item_from_json(&json!([])).unwrap_err().to_string(),
        "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
    );
    assert_eq!(item_from_json(&json!(null)).unwrap(), Item::new());
    assert_eq!(item_from_json(&json!({})).unwrap(), Item::new());
}

#[test]
fn validation_messages() {
    let empty =
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
    for v in [
        json!({}),
        json!({"X": "1"}),
        json!({"s": "1"}),
        json!({"S": null}),
        json!({"M": {"a": {}}}),
        json!({"L": [{}]}),
        json!({"L": [{"a": {}}]}),
        json!({"L": [null]}),
    ] {
        assert_eq!(read(v.clone()).unwrap_err(), ValueError::Empty, "{v}");
    }
    assert_eq!(message(json!({})), empty);
    // A null set member is a refused value, not a wrong shape.
    assert_eq!(
        message(json!({"SS": ["a", null]})),
        "One or more parameter values were invalid: An string set may not have a null string as a member"
    );
    for set in ["NS", "BS"] {
        let members = if set == "NS" {
            json!(["1", null])
        } else {
            json!(["QQ==", null])
        };
        assert!(
            message(json!({ set: members }))
                .starts_with("One or more parameter values were invalid: "),
            "{set}"
        );
    }
    assert_eq!(
        message(json!({"S": "a", "N": "1"})),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
    );
    // Member checks come before the one-type check.
    assert_eq!(
        message(json!({"S": "a", "N": "b"})),
        "The parameter cannot be converted to a numeric value: b"
    );
    assert_eq!(
        message(json!({"S": "a", "N": ""})),
        "The parameter cannot be converted to a numeric value: "
    );
    assert_eq!(
        message(json!({"NULL": false})),
        "One or more parameter values were invalid: Null attribute value types must have the value of true"
    );
    assert_eq!(
        read(json!({"NULL": "no"})).unwrap_err(),
        ValueError::NullNotTrue
    );
    assert_eq!(
        message(json!({"SS": []})),
        "One or more parameter values were invalid: An string set  may not be empty"
    );
    assert_eq!(
        message(json!({"NS": []})),
        "One or more parameter values were invalid: An number set  may not be empty"
    );
    assert_eq!(
        message(json!({"BS": []})),
        "One or more parameter values were invalid: Binary sets should not be empty"
    );
    assert_eq!(
        read(json!({"SS": []})).unwrap_err(),
        ValueError::EmptySet(AttrType::Ss)
    );
    assert_eq!(
        message(json!({"SS": ["b", "a", "b"]})),
        r#"One or more parameter values were invalid: Input collection ["a", "b", "b"] contains duplicates."#
    );
    assert_eq!(
        message(json!({"SS": ["c", "a", "c", "b"]})),
        r#"One or more parameter values were invalid: Input collection ["a", "c", "c", "b"] contains duplicates."#
    );
    assert_eq!(
        message(json!({"BS": ["/w==", "AA==", "AA=="]})),
        r#"One or more parameter values were invalid: Input collection ["AA==","/w==","AA=="]of type BS contains duplicates."#
    );
    assert_eq!(
        message(json!({"NS": ["2", "1", "2"]})),
        "One or more parameter values were invalid: Input collection contains duplicates."
    );
    // Number-set members are compared by value.
    assert!(matches!(
        read(json!({"NS": ["1", "1.0"]})),
        Err(ValueError::Duplicates(_))
    ));
    assert_eq!(
        message(json!({"NS": ["1", "b"]})),
        "The parameter cannot be converted to a numeric value: b"
    );
    assert_eq!(
        read(json!({"NS": ["1", "1e126"]})).unwrap_err(),
        ValueError::Number(NumberError::Overflow)
    );
    assert_eq!(
        message(json!({"N": "123456789012345678901234567890123456789"})),
        "Attempting to store more than 38 significant digits in a Number"
    );
    assert_eq!(
        message(deep_map(32)),
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    );
    // Large sets take the sorting path.
    let many: Vec<String> = (0..50)
        .map(|i| i.to_string())
        .chain(["7".to_owned()])
        .collect();
    assert!(matches!(
        read(json!({"SS": many})),
        Err(ValueError::Duplicates(_))
    ));
    let distinct: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    assert!(read(json!({"SS": distinct})).is_ok());
}

#[test]
fn empty_strings_and_binaries_are_allowed_outside_keys() {
    assert!(read(json!({"SS": ["", "a"]})).is_ok());
    assert!(read(json!({"BS": ["", "AA=="]})).is_ok());
    assert!(read(json!({"L": [{"S": ""}, {"B": ""}]})).is_ok());
    assert_eq!(
        read(json!({"S": "a", "X": 1})).unwrap(),
        AttributeValue::S("a".into())
    );
}

#[test]
fn nesting_limit_is_32_levels() {
    assert!(read(deep_map(31)).is_ok());
    assert_eq!(read(deep_map(32)).unwrap_err(), ValueError::NestingTooDeep);
    let item = item_from_json(&json!({"pk": {"S": "a"}, "data": deep_map(31)})).unwrap();
    assert_eq!(item["data"].depth(), 32);
    assert_eq!(
        item_from_json(&json!({"data": deep_map(32)})).unwrap_err(),
        ValueError::NestingTooDeep
    );
    let mut list = json!({"S": "leaf"});
    for _ in 0..32 {
        list = json!({"L": [list]});
    }
    assert_eq!(read(list).unwrap_err(), ValueError::NestingTooDeep);
    // An empty document at level 32 is still within the limit.
    let mut v = json!({"M": {}});
    for _ in 0..31 {
        v = json!({"M": {"n": v}});
    }
    assert!(read(v).is_ok());
}

#[test]
fn very_deep_documents_fail_cleanly() {
    let mut v = json!({"S": "leaf"});
    for _ in 0..300 {
        v = json!({"L": [v]});
    }
    assert_eq!(read(v).unwrap_err(), ValueError::NestingTooDeep);
}

#[test]
fn shape_errors_win_over_validation_errors() {
    let item = json!({"a": {}, "b": {"NULL": false}, "c": {"M": {"x": {"S": 5}}}});
    assert!(item_from_json(&item).unwrap_err().is_serialization());
    let v = json!({"L": [{"SS": []}, {"N": true}]});
    assert!(read(v).unwrap_err().is_serialization());
    // Without a shape error, the first validation error in document order is reported.
    let item = json!({"a": {"NULL": false}, "b": {}});
    assert_eq!(item_from_json(&item).unwrap_err(), ValueError::NullNotTrue);
    let v = json!({"L": [{"N": "x"}, {"SS": []}]});
    assert!(matches!(
        read(v),
        Err(ValueError::Number(NumberError::NotNumeric(_)))
    ));
}

#[test]
fn bool_accepts_known_spellings() {
    assert_eq!(
        read(json!({"BOOL": "true"})).unwrap(),
        AttributeValue::Bool(true)
    );
    assert_eq!(
        read(json!({"BOOL": "FALSE"})).unwrap(),
        AttributeValue::Bool(false)
    );
    assert_eq!(read(json!({"NULL": "true"})).unwrap(), AttributeValue::Null);
}

#[test]
fn older_layer_wording_and_unchecked_nesting() {
    let older = ReadOptions {
        older_wording: true,
        ..ReadOptions::default()
    };
    let msg = |v: serde_json::Value| value_from_json_with(&v, older).unwrap_err().to_string();
    assert_eq!(
        msg(json!({"SS": ["b", "a", "b"]})),
        "One or more parameter values were invalid: Input collection [b, a, b] contains duplicates."
    );
    assert_eq!(
        msg(json!({"BS": ["/w==", "AA==", "AA=="]})),
        "One or more parameter values were invalid: Input collection [/w==, AA==, AA==]of type BS contains duplicates."
    );
    assert_eq!(
        msg(json!({"NS": ["2", "1", "2"]})),
        "Input collection contains duplicates"
    );
    let unchecked = ReadOptions {
        check_nesting: false,
        ..ReadOptions::default()
    };
    assert!(value_from_json_with(&deep_map(40), unchecked).is_ok());
    assert_eq!(
        value_from_json_with(&deep_map(200), unchecked).unwrap_err(),
        ValueError::NestingTooDeep
    );
}
