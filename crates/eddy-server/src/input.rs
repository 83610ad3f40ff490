//! Reading a request body: the body's top-level object is split once into its members, each
//! kept as its raw JSON text (borrowed from the body), and every member is decoded straight
//! from that text into the type the handler asks for: no JSON tree is built. Wrong JSON types
//! get DynamoDB's SerializationException texts; the collector of constraint failures reports
//! them together as "N validation errors detected: …".

use std::collections::HashMap;

use bumpalo::Bump;
use eddy_types::{AttributeValue, Item, ReadOptions, ValueError, read_item, read_value};
use serde::Deserializer as _;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{ApiError, ErrorKind};

/// How request values are read. The duplicate-set wording follows what the conformance captures
/// of the live service show for every operation ("Input collection [a, a] contains duplicates.").
pub const READ_OPTIONS: ReadOptions = ReadOptions {
    older_wording: true,
    check_nesting: true,
};

/// Where a request's decoded strings live when they cannot borrow from the body (those with
/// escapes): one per request, freed with it.
pub type Arena = Bump;

/// A JSON object of a request (the body, or a structure or map inside it): its members in
/// document order, each as raw JSON text.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    text: &'a str,
    fields: Vec<(&'a str, &'a RawValue)>,
    arena: &'a Arena,
}

/// One member's raw JSON text, decoded on demand.
#[derive(Clone, Copy, Debug)]
pub struct Raw<'a> {
    raw: &'a RawValue,
    arena: &'a Arena,
}

/// The body is not JSON, or not a JSON object: a SerializationException without a message.
fn malformed() -> ApiError {
    ApiError::bare(ErrorKind::Serialization)
}

/// A decoding error of a member's text: our own shape errors carry DynamoDB's message (the
/// parser appends a position, which goes); anything else means the text is not JSON at all.
fn shape_error(e: &serde_json::Error) -> ApiError {
    if !e.is_data() {
        return malformed();
    }
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    ApiError::serialization(text.strip_suffix(&position).unwrap_or(&text))
}

/// Java's class name for a JSON number, as DynamoDB's messages print it.
fn number_class(n: &serde_json::Number) -> &'static str {
    match n.as_i64() {
        Some(i) if (-32768..=32767).contains(&i) => "java.lang.Short",
        Some(i) if i32::try_from(i).is_ok() => "java.lang.Integer",
        Some(_) => "java.lang.Long",
        None if n.is_u64() => "java.lang.Long",
        None => "java.lang.Double",
    }
}

/// The JSON type of a raw value, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool(bool),
    Number,
    String,
    Array,
    Object,
}

fn not_expected(kind: Kind) -> Option<ApiError> {
    match kind {
        Kind::Array => Some(ApiError::serialization(
            "Start of list found where not expected",
        )),
        Kind::Object => Some(ApiError::serialization(
            "Start of structure or map found where not expected.",
        )),
        _ => None,
    }
}

impl<'a> Raw<'a> {
    fn kind(&self) -> Kind {
        match self.raw.get().as_bytes().first() {
            Some(b'n') => Kind::Null,
            Some(b't') => Kind::Bool(true),
            Some(b'f') => Kind::Bool(false),
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            _ => Kind::Number,
        }
    }

    /// The raw JSON text.
    pub fn text(&self) -> &'a str {
        self.raw.get()
    }

    /// True for a JSON object.
    pub fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }

    /// True for JSON `null`, which DynamoDB reads as an absent member.
    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    fn number(&self) -> Result<serde_json::Number, ApiError> {
        serde_json::from_str(self.text()).map_err(|_| malformed())
    }

    /// A string, or the SerializationException for another JSON type.
    pub fn str(&self) -> Result<&'a str, ApiError> {
        match self.kind() {
            Kind::String => {
                let text = self.text();
                match text.get(1..text.len() - 1) {
                    // Without escapes, the text between the quotes is the string.
                    Some(inner) if !inner.contains('\\') => Ok(inner),
                    _ => {
                        let s: String = serde_json::from_str(text).map_err(|_| malformed())?;
                        Ok(self.arena.alloc_str(&s))
                    }
                }
            }
            Kind::Bool(_) => Err(ApiError::serialization(
                "class java.lang.Boolean can not be converted to an String",
            )),
            Kind::Number => Err(ApiError::serialization(format!(
                "class {} can not be converted to an String",
                number_class(&self.number()?)
            ))),
            kind => Err(not_expected(kind)
                .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
        }
    }

    /// A structure or map, or the SerializationException for another JSON type.
    pub fn object(&self) -> Result<Input<'a>, ApiError> {
        match self.kind() {
            Kind::Object => Input::parse_text(self.text(), self.arena),
            Kind::Array => Err(ApiError::serialization(
                "Start of list found where not expected",
            )),
            _ => Err(ApiError::serialization("Expected map or null")),
        }
    }

    /// Checks that the member is a map, with the SerializationException for another JSON type.
    pub fn expect_object(&self) -> Result<(), ApiError> {
        match self.kind() {
            Kind::Object => Ok(()),
            Kind::Array => Err(ApiError::serialization(
                "Start of list found where not expected",
            )),
            _ => Err(ApiError::serialization("Expected map or null")),
        }
    }

    /// A structure inside a list ("Expected null" for a scalar).
    fn structure(&self) -> Result<Input<'a>, ApiError> {
        match self.kind() {
            Kind::Object => Input::parse_text(self.text(), self.arena),
            Kind::Array => Err(ApiError::serialization(
                "Start of list found where not expected",
            )),
            _ => Err(ApiError::serialization("Expected null")),
        }
    }

    /// A list's elements, or the SerializationException for another JSON type.
    pub fn list(&self) -> Result<Vec<Raw<'a>>, ApiError> {
        match self.kind() {
            Kind::Array => {
                let items: Vec<&'a RawValue> =
                    serde_json::from_str(self.text()).map_err(|_| malformed())?;
                Ok(items
                    .into_iter()
                    .map(|raw| Raw {
                        raw,
                        arena: self.arena,
                    })
                    .collect())
            }
            Kind::Object => Err(ApiError::serialization(
                "Start of structure or map found where not expected.",
            )),
            _ => Err(ApiError::serialization("Expected list or null")),
        }
    }

    /// An attribute map (an item, a key), decoded straight from the text.
    pub fn item(&self) -> Result<Item, ApiError> {
        let mut d = serde_json::Deserializer::from_str(self.text());
        let item = read_item(&mut d, READ_OPTIONS)
            .map_err(|e| shape_error(&e))?
            .map_err(ApiError::from)?;
        for name in item.keys() {
            check_attribute_name(name)?;
        }
        Ok(item)
    }

    /// One attribute value, with its validation error as given.
    pub fn value(&self) -> Result<Result<AttributeValue, ValueError>, ApiError> {
        let mut d = serde_json::Deserializer::from_str(self.text());
        read_value(&mut d, READ_OPTIONS).map_err(|e| shape_error(&e))
    }
}

/// Splits an object's text into its members, borrowing their names and texts.
struct Members<'a> {
    arena: &'a Arena,
}

impl<'de> Visitor<'de> for Members<'de> {
    type Value = Vec<(&'de str, &'de RawValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let name: &'de str = match name {
                std::borrow::Cow::Borrowed(s) => s,
                std::borrow::Cow::Owned(s) => self.arena.alloc_str(&s),
            };
            let value: &'de RawValue = map.next_value()?;
            fields.push((name, value));
        }
        Ok(fields)
    }
}

impl<'a> Input<'a> {
    /// The request body, which must be a JSON object; anything else is a
    /// SerializationException without a message.
    pub fn parse(body: &'a [u8], arena: &'a Arena) -> Result<Self, ApiError> {
        let text = std::str::from_utf8(body).map_err(|_| malformed())?;
        Self::parse_text(text.trim_matches(|c: char| c.is_ascii_whitespace()), arena)
    }

    fn parse_text(text: &'a str, arena: &'a Arena) -> Result<Self, ApiError> {
        if !text.starts_with('{') {
            return Err(malformed());
        }
        let mut d = serde_json::Deserializer::from_str(text);
        let fields = d
            .deserialize_map(Members { arena })
            .and_then(|f| d.end().map(|()| f))
            .map_err(|_| malformed())?;
        Ok(Self {
            text,
            fields,
            arena,
        })
    }

    /// The object's JSON text as sent.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The members in document order, null ones included.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Raw<'a>)> + '_ {
        self.fields.iter().map(|(k, raw)| {
            (
                *k,
                Raw {
                    raw,
                    arena: self.arena,
                },
            )
        })
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True for `{}`.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A member that is present and not null; of a name given twice, the last.
    pub fn raw(&self, key: &str) -> Option<Raw<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, raw)| Raw {
                raw,
                arena: self.arena,
            })
            .filter(|r| !r.is_null())
    }

    /// True when the field is present and not null.
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// A string field.
    pub fn string(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        self.raw(key).map(|r| r.str()).transpose()
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        match raw.kind() {
            Kind::Bool(b) => Ok(Some(b)),
            Kind::String => Err(ApiError::serialization(format!(
                "'{}' can not be converted to an Boolean",
                raw.str()?.to_uppercase()
            ))),
            Kind::Number => {
                let n = raw.number()?;
                match number_class(&n) {
                    "java.lang.Double" => Ok(Some(n.as_f64().is_some_and(|f| f.abs() >= 1.0))),
                    class => Err(ApiError::serialization(format!(
                        "class {class} can not be converted to an Boolean"
                    ))),
                }
            }
            kind => Err(not_expected(kind)
                .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
        }
    }

    /// An integer field (`Integer` / `Long` in the service model).
    pub fn int(&self, key: &str, java_type: &str) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        match raw.kind() {
            Kind::Number => {
                let n = raw.number()?;
                Ok(Some(
                    n.as_i64()
                        .or_else(|| n.as_f64().map(|f| f.floor() as i64))
                        .unwrap_or(i64::MAX),
                ))
            }
            Kind::Bool(_) => Err(ApiError::serialization(format!(
                "class java.lang.Boolean can not be converted to an {java_type}"
            ))),
            Kind::String => Err(ApiError::serialization(format!(
                "class java.lang.String can not be converted to an {java_type}"
            ))),
            kind => Err(not_expected(kind)
                .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
        }
    }

    /// A structure field.
    pub fn object(&self, key: &str) -> Result<Option<Input<'a>>, ApiError> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        match raw.kind() {
            Kind::Object => raw.object().map(Some),
            Kind::Array => Err(ApiError::serialization(
                "Start of list found where not expected",
            )),
            _ => Err(ApiError::serialization("Expected null")),
        }
    }

    /// A map field (string keys to any values).
    pub fn map(&self, key: &str) -> Result<Option<Input<'a>>, ApiError> {
        self.raw(key).map(|r| r.object()).transpose()
    }

    /// A list field.
    pub fn list(&self, key: &str) -> Result<Option<Vec<Raw<'a>>>, ApiError> {
        self.raw(key).map(|r| r.list()).transpose()
    }

    /// A list of structures.
    pub fn structures(&self, key: &str) -> Result<Option<Vec<Input<'a>>>, ApiError> {
        let Some(list) = self.list(key)? else {
            return Ok(None);
        };
        list.iter()
            .map(Raw::structure)
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(list) = self.list(key)? else {
            return Ok(None);
        };
        list.iter()
            .map(|v| v.str().map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A map of strings (ExpressionAttributeNames).
    pub fn string_map(&self, key: &str) -> Result<Option<HashMap<String, String>>, ApiError> {
        let Some(map) = self.map(key)? else {
            return Ok(None);
        };
        let mut out = HashMap::with_capacity(map.len());
        for (k, v) in map.entries() {
            if !v.is_null() {
                out.insert(k.to_owned(), v.str()?.to_owned());
            }
        }
        Ok(Some(out))
    }

    /// An attribute map (Item, Key, ExclusiveStartKey).
    pub fn item(&self, key: &str) -> Result<Option<Item>, ApiError> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        raw.expect_object()?;
        raw.item().map(Some)
    }

    /// A map of attribute values (ExpressionAttributeValues), with errors as `map_err` says.
    pub fn value_map(
        &self,
        key: &str,
        map_err: impl Fn(&str, ValueError) -> ApiError,
    ) -> Result<Option<HashMap<String, AttributeValue>>, ApiError> {
        let Some(map) = self.map(key)? else {
            return Ok(None);
        };
        let mut out = HashMap::with_capacity(map.len());
        for (k, v) in map.entries() {
            if v.is_null() {
                continue;
            }
            v.expect_object()?;
            let value = v.value()?.map_err(|e| map_err(k, e))?;
            out.insert(k.to_owned(), value);
        }
        Ok(Some(out))
    }
}

/// Constraint failures gathered in one pass and reported together, as DynamoDB does.
#[derive(Debug, Default)]
pub struct Constraints {
    errors: Vec<String>,
}

impl Constraints {
    /// A collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure: `Value <value> at '<path>' failed to satisfy constraint: <rule>`.
    /// `value` is printed as DynamoDB does: quoted, or `null`.
    pub fn fail(&mut self, value: Option<&str>, path: &str, rule: &str) {
        // DynamoDB lists at most ten.
        if self.errors.len() < 10 {
            let value = value.map_or_else(|| "null".to_owned(), |v| format!("'{v}'"));
            self.errors.push(format!(
                "Value {value} at '{path}' failed to satisfy constraint: {rule}"
            ));
        }
    }

    /// A required member that is absent.
    pub fn required<T>(&mut self, v: Option<T>, path: &str) -> Option<T> {
        if v.is_none() {
            self.fail(None, path, "Member must not be null");
        }
        v
    }

    /// A table or index name on a data-plane call: 1 (3 on create) to 255 characters of
    /// `[a-zA-Z0-9_.-]`.
    pub fn table_name(&mut self, name: Option<&str>, path: &str, min: usize) {
        let Some(name) = name else {
            self.fail(None, path, "Member must not be null");
            return;
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            self.fail(
                Some(name),
                path,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            );
        }
        let len = name.chars().count();
        if len < min {
            self.fail(
                Some(name),
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > 255 {
            self.fail(
                Some(name),
                path,
                "Member must have length less than or equal to 255",
            );
        }
    }

    /// A TableName that may also be the table's ARN (up to 1024 characters); a plain name is
    /// checked as [`Constraints::table_name`] checks it.
    pub fn table_or_arn(&mut self, name: Option<&str>, path: &str, min: usize) {
        match name {
            Some(arn) if arn.starts_with("arn:") => {
                if arn.chars().count() > 1024 {
                    self.fail(
                        Some(arn),
                        path,
                        "Member must have length less than or equal to 1024",
                    );
                }
            }
            // The shape allows one character, for ARNs; a name is still at least three.
            Some(n) if !n.is_empty() => self.table_name(name, path, min.max(3)),
            _ => self.table_name(name, path, min),
        }
    }

    /// An enum member.
    pub fn one_of(&mut self, v: Option<&str>, path: &str, allowed: &[&str]) {
        if let Some(v) = v
            && !allowed.contains(&v)
        {
            self.fail(
                Some(v),
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// An integer range.
    pub fn range(&mut self, v: Option<i64>, path: &str, min: i64, max: i64) {
        if let Some(v) = v {
            let text = v.to_string();
            if v < min {
                self.fail(
                    Some(&text),
                    path,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            } else if v > max {
                self.fail(
                    Some(&text),
                    path,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
    }

    /// Records a failure with a custom text (already `Value … at …`).
    pub fn push(&mut self, text: String) {
        if self.errors.len() < 10 {
            self.errors.push(text);
        }
    }

    /// The gathered failures as one ValidationException.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors.join("; ")
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// The longest attribute name DynamoDB stores, plus one.
const MAX_ATTRIBUTE_NAME_BYTES: usize = 65_536;

/// Refuses an attribute name DynamoDB cannot store (key attributes have their own, lower limit,
/// checked with the key).
///
/// # Errors
/// ValidationException for an empty name, or one of 64 KB or more.
pub fn check_attribute_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Empty attribute name",
        ));
    }
    if name.len() >= MAX_ATTRIBUTE_NAME_BYTES {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Attribute name is too large, must be less than {MAX_ATTRIBUTE_NAME_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<impl std::fmt::Debug, ApiError>) -> String {
        r.expect_err("refused").message.unwrap_or_default()
    }

    #[test]
    fn members_decode_from_their_text() {
        let arena = Arena::new();
        let body = br#" {"TableName":"t\u00e9\"q","Limit":5,"Flag":true,"Gone":null,
            "Key":{"pk":{"S":"a"}},"List":["x","y"],"TableName2":"plain"} "#;
        let input = Input::parse(body, &arena).expect("object");
        assert_eq!(
            input.string("TableName").expect("string"),
            Some("t\u{e9}\"q")
        );
        assert_eq!(input.string("TableName2").expect("string"), Some("plain"));
        assert_eq!(input.int("Limit", "Integer").expect("int"), Some(5));
        assert_eq!(input.bool("Flag").expect("bool"), Some(true));
        assert!(!input.has("Gone") && !input.has("Missing"));
        let key = input.item("Key").expect("item").expect("present");
        assert_eq!(key.get("pk"), Some(&AttributeValue::S("a".into())));
        assert_eq!(
            input.strings("List").expect("strings"),
            Some(vec!["x".to_owned(), "y".to_owned()])
        );
    }

    #[test]
    fn a_name_given_twice_reads_as_the_last() {
        let arena = Arena::new();
        let input = Input::parse(br#"{"A":"1","A":"2"}"#, &arena).expect("object");
        assert_eq!(input.string("A").expect("string"), Some("2"));
    }

    #[test]
    fn wrong_json_types_get_dynamodbs_messages() {
        let arena = Arena::new();
        let input = Input::parse(
            br#"{"S1":true,"S2":7,"S3":70000,"S4":1.5,"S5":[1],"S6":{},"B1":"yes","B2":2,
                "I1":"3","M1":[],"M2":4,"L1":{}}"#,
            &arena,
        )
        .expect("object");
        let s = |k| message(input.string(k));
        assert_eq!(
            s("S1"),
            "class java.lang.Boolean can not be converted to an String"
        );
        assert_eq!(
            s("S2"),
            "class java.lang.Short can not be converted to an String"
        );
        assert_eq!(
            s("S3"),
            "class java.lang.Integer can not be converted to an String"
        );
        assert_eq!(
            s("S4"),
            "class java.lang.Double can not be converted to an String"
        );
        assert_eq!(s("S5"), "Start of list found where not expected");
        assert_eq!(
            s("S6"),
            "Start of structure or map found where not expected."
        );
        assert_eq!(
            message(input.bool("B1")),
            "'YES' can not be converted to an Boolean"
        );
        assert_eq!(
            message(input.bool("B2")),
            "class java.lang.Short can not be converted to an Boolean"
        );
        assert_eq!(
            message(input.int("I1", "Integer")),
            "class java.lang.String can not be converted to an Integer"
        );
        assert_eq!(
            message(input.map("M1")),
            "Start of list found where not expected"
        );
        assert_eq!(message(input.map("M2")), "Expected map or null");
        assert_eq!(
            message(input.list("L1")),
            "Start of structure or map found where not expected."
        );
    }

    #[test]
    fn attribute_value_shape_errors_lose_the_parsers_position() {
        let arena = Arena::new();
        let input = Input::parse(br#"{"Item":{"a":{"S":5}}}"#, &arena).expect("object");
        assert_eq!(
            message(input.item("Item")),
            "NUMBER_VALUE cannot be converted to String"
        );
    }

    #[test]
    fn a_body_that_is_not_one_object_has_no_message() {
        let arena = Arena::new();
        for body in [&b"[]"[..], b"null", b"{\"a\":1} x", b"{\"a\":", b"\xff"] {
            let e = Input::parse(body, &arena).expect_err("malformed");
            assert_eq!((e.kind, e.message), (ErrorKind::Serialization, None));
        }
    }
}
