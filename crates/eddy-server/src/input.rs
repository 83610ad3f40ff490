//! Reading a request body: typed field access with DynamoDB's SerializationException texts for
//! wrong JSON types, and the collector of constraint failures that DynamoDB reports together as
//! "N validation errors detected: …".

use std::collections::HashMap;

use eddy_types::{
    AttributeValue, Item, ReadOptions, ValueError, item_from_json_with, value_from_json_with,
};

/// How request values are read. The duplicate-set wording follows what the conformance captures
/// of the live service show for every operation ("Input collection [a, a] contains duplicates.").
pub const READ_OPTIONS: ReadOptions = ReadOptions {
    older_wording: true,
    check_nesting: true,
};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The top-level JSON object of a request.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    obj: &'a Map<String, Value>,
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

fn not_expected(v: &Value) -> Option<ApiError> {
    match v {
        Value::Array(_) => Some(ApiError::serialization(
            "Start of list found where not expected",
        )),
        Value::Object(_) => Some(ApiError::serialization(
            "Start of structure or map found where not expected.",
        )),
        _ => None,
    }
}

/// A string field's value, or the SerializationException for another JSON type.
pub fn as_str(v: &Value) -> Result<&str, ApiError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Bool(_) => Err(ApiError::serialization(
            "class java.lang.Boolean can not be converted to an String",
        )),
        Value::Number(n) => Err(ApiError::serialization(format!(
            "class {} can not be converted to an String",
            number_class(n)
        ))),
        other => Err(not_expected(other)
            .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
    }
}

fn as_object(v: &Value) -> Result<&Map<String, Value>, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Array(_) => Err(ApiError::serialization(
            "Start of list found where not expected",
        )),
        _ => Err(ApiError::serialization("Expected map or null")),
    }
}

fn as_array(v: &Value) -> Result<&Vec<Value>, ApiError> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(_) => Err(ApiError::serialization(
            "Start of structure or map found where not expected.",
        )),
        _ => Err(ApiError::serialization("Expected list or null")),
    }
}

impl<'a> Input<'a> {
    /// The body as an object; anything else is a SerializationException without a message.
    pub fn new(v: &'a Value) -> Result<Self, ApiError> {
        match v {
            Value::Object(obj) => Ok(Self { obj }),
            _ => Err(ApiError {
                kind: crate::error::ErrorKind::Serialization,
                message: None,
                item: None,
                reasons: None,
            }),
        }
    }

    /// A nested structure as an input of its own.
    pub fn from_map(obj: &'a Map<String, Value>) -> Self {
        Self { obj }
    }

    fn field(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    /// True when the field is present and not null.
    pub fn has(&self, key: &str) -> bool {
        self.field(key).is_some()
    }

    /// A string field.
    pub fn string(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        self.field(key).map(as_str).transpose()
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => Err(ApiError::serialization(format!(
                "'{}' can not be converted to an Boolean",
                s.to_uppercase()
            ))),
            Some(Value::Number(n)) => match number_class(n) {
                "java.lang.Double" => Ok(Some(n.as_f64().is_some_and(|f| f.abs() >= 1.0))),
                class => Err(ApiError::serialization(format!(
                    "class {class} can not be converted to an Boolean"
                ))),
            },
            Some(other) => Err(not_expected(other)
                .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
        }
    }

    /// An integer field (`Integer` / `Long` in the service model).
    pub fn int(&self, key: &str, java_type: &str) -> Result<Option<i64>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(Some(
                n.as_i64()
                    .or_else(|| n.as_f64().map(|f| f.floor() as i64))
                    .unwrap_or(i64::MAX),
            )),
            Some(Value::Bool(_)) => Err(ApiError::serialization(format!(
                "class java.lang.Boolean can not be converted to an {java_type}"
            ))),
            Some(Value::String(_)) => Err(ApiError::serialization(format!(
                "class java.lang.String can not be converted to an {java_type}"
            ))),
            Some(other) => Err(not_expected(other)
                .unwrap_or_else(|| ApiError::serialization("Unexpected value type in payload"))),
        }
    }

    /// A structure field.
    pub fn object(&self, key: &str) -> Result<Option<Input<'a>>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Input { obj: m })),
            Some(Value::Array(_)) => Err(ApiError::serialization(
                "Start of list found where not expected",
            )),
            Some(_) => Err(ApiError::serialization("Expected null")),
        }
    }

    /// A map field (string keys to any values).
    pub fn map(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        self.field(key).map(as_object).transpose()
    }

    /// A list field.
    pub fn list(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        self.field(key).map(as_array).transpose()
    }

    /// A list of structures.
    pub fn structures(&self, key: &str) -> Result<Option<Vec<Input<'a>>>, ApiError> {
        let Some(list) = self.list(key)? else {
            return Ok(None);
        };
        list.iter()
            .map(|v| match v {
                Value::Object(m) => Ok(Input { obj: m }),
                Value::Array(_) => Err(ApiError::serialization(
                    "Start of list found where not expected",
                )),
                _ => Err(ApiError::serialization("Expected null")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(list) = self.list(key)? else {
            return Ok(None);
        };
        list.iter()
            .map(|v| as_str(v).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A map of strings (ExpressionAttributeNames).
    pub fn string_map(&self, key: &str) -> Result<Option<HashMap<String, String>>, ApiError> {
        let Some(map) = self.map(key)? else {
            return Ok(None);
        };
        map.iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| as_str(v).map(|s| (k.clone(), s.to_owned())))
            .collect::<Result<HashMap<_, _>, _>>()
            .map(Some)
    }

    /// An attribute map (Item, Key, ExclusiveStartKey).
    pub fn item(&self, key: &str) -> Result<Option<Item>, ApiError> {
        match self.field(key) {
            None => Ok(None),
            Some(v) => {
                as_object(v)?;
                item_from_json_with(v, READ_OPTIONS)
                    .map(Some)
                    .map_err(ApiError::from)
            }
        }
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
        for (k, v) in map {
            if v.is_null() {
                continue;
            }
            as_object(v)?;
            let value = value_from_json_with(v, READ_OPTIONS).map_err(|e| map_err(k, e))?;
            out.insert(k.clone(), value);
        }
        Ok(Some(out))
    }

    /// The raw field.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.field(key)
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
