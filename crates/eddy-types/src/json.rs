//! Reading DynamoDB JSON (`{"S":"x"}`, `{"N":"1"}`, `{"B":"<base64>"}`, …) into values, with
//! DynamoDB's checks and messages.
//!
//! DynamoDB deserialises the whole request before it validates anything, so a wrong JSON
//! shape anywhere (a `SerializationException`) wins over an invalid value anywhere (a
//! `ValidationException`). The reader therefore returns shape errors at once but only
//! records the first validation error and keeps reading.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::error::ValueError;
use crate::number::Number;
use crate::value::{AttrType, AttributeValue, Item, MAX_NESTING_DEPTH};

const START_OF_MAP: &str = "Start of structure or map found where not expected";
const UNEXPECTED_FIELD: &str = "Unexpected field type";
const UNEXPECTED_VALUE: &str = "Unexpected value type in payload";
const NOT_BASE64: &str = "only base-64-encoded strings are convertible to bytes";
const BAD_BASE64: &str = "Invalid last non-pad Base64 character dectected";
const VALUE_COLLECTION: &str =
    "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue";
const MAP_COLLECTION: &str = "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>";
const INVALID: &str = "One or more parameter values were invalid: ";

/// Beyond this depth the reader stops descending (the value is already refused as too
/// deep), so a hostile document cannot exhaust the stack.
const HARD_DEPTH_LIMIT: usize = 128;

/// How strictly and in which wording values are checked. DynamoDB runs two checking layers
/// (facts §1.4–1.5): PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem and Query use the
/// current one; BatchWriteItem, the transactions and Scan the older one, which words
/// duplicate-set errors differently. The default is the current layer with the nesting limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Use the older layer's duplicate-set wording: members as sent, unquoted, and a bare
    /// `Input collection contains duplicates` for number sets.
    pub older_wording: bool,
    /// Refuse documents deeper than 32 levels (TransactWriteItems does not check its
    /// expression values).
    pub check_nesting: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            older_wording: false,
            check_nesting: true,
        }
    }
}

/// Reads one attribute value, treated as a top-level attribute for the nesting limit.
///
/// # Errors
/// [`ValueError::Serialization`] for a wrong JSON shape anywhere in the value, otherwise the
/// first validation error found.
pub fn value_from_json(v: &Value) -> Result<AttributeValue, ValueError> {
    value_from_json_with(v, ReadOptions::default())
}

/// [`value_from_json`] with explicit [`ReadOptions`].
///
/// # Errors
/// As [`value_from_json`].
pub fn value_from_json_with(v: &Value, opts: ReadOptions) -> Result<AttributeValue, ValueError> {
    let mut r = Reader::new(opts);
    let value = r.value(v, 1)?;
    r.finish(value)
}

/// Reads an item: a JSON object of attribute name → attribute value. JSON `null` reads as an
/// empty item. Also suits other name → value maps such as `ExpressionAttributeValues`.
///
/// # Errors
/// As [`value_from_json`]; a non-object is a serialization error.
pub fn item_from_json(v: &Value) -> Result<Item, ValueError> {
    item_from_json_with(v, ReadOptions::default())
}

/// [`item_from_json`] with explicit [`ReadOptions`].
///
/// # Errors
/// As [`item_from_json`].
pub fn item_from_json_with(v: &Value, opts: ReadOptions) -> Result<Item, ValueError> {
    let obj = match v {
        Value::Object(o) => o,
        Value::Null => return Ok(Item::new()),
        Value::Array(_) => return Err(ser(MAP_COLLECTION)),
        _ => return Err(ser(UNEXPECTED_FIELD)),
    };
    let mut r = Reader::new(opts);
    let mut item = Item::new();
    for (name, value) in obj {
        let value = r.value(value, 1)?;
        item.insert(name.clone(), value);
    }
    r.finish(item)
}

fn ser(msg: impl Into<String>) -> ValueError {
    ValueError::Serialization(msg.into())
}

struct Reader {
    opts: ReadOptions,
    /// The first validation error seen; reported only if no shape error turns up.
    invalid: Option<ValueError>,
}

impl Reader {
    fn new(opts: ReadOptions) -> Reader {
        Reader {
            opts,
            invalid: None,
        }
    }

    fn finish<T>(self, v: T) -> Result<T, ValueError> {
        match self.invalid {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }

    /// Records a validation error and returns a placeholder for the refused value.
    fn refuse(&mut self, e: ValueError) -> AttributeValue {
        if self.invalid.is_none() {
            self.invalid = Some(e);
        }
        AttributeValue::Null
    }

    /// Passes shape errors up and records validation errors.
    fn check(
        &mut self,
        r: Result<AttributeValue, ValueError>,
    ) -> Result<AttributeValue, ValueError> {
        match r {
            Ok(v) => Ok(v),
            Err(e) if e.is_serialization() => Err(e),
            Err(e) => Ok(self.refuse(e)),
        }
    }

    fn value(&mut self, v: &Value, level: usize) -> Result<AttributeValue, ValueError> {
        let obj = match v {
            Value::Object(o) => o,
            // A null where a value belongs deserialises to a value with no type set.
            Value::Null => return Ok(self.refuse(ValueError::Empty)),
            Value::Array(_) => return Err(ser(VALUE_COLLECTION)),
            _ => return Err(ser(UNEXPECTED_VALUE)),
        };
        if level > MAX_NESTING_DEPTH && self.opts.check_nesting {
            self.refuse(ValueError::NestingTooDeep);
        }
        if level > HARD_DEPTH_LIMIT {
            return Ok(self.refuse(ValueError::NestingTooDeep));
        }
        let mut result = None;
        let mut types = 0;
        let before = self.invalid.is_some();
        for (key, field) in obj {
            // Unknown members are ignored and a null member counts as absent, as the
            // service's deserialiser does; `{"X":"1"}` is therefore an empty value.
            let Some(ty) = AttrType::parse(key) else {
                continue;
            };
            if field.is_null() {
                continue;
            }
            types += 1;
            let parsed = self.typed(ty, field, level)?;
            result.get_or_insert(parsed);
        }
        if self.invalid.is_some() && !before {
            // A member was refused (the first error stands, as in DynamoDB, where member
            // checks come before the one-type check).
            return Ok(AttributeValue::Null);
        }
        match (types, result) {
            (1, Some(v)) => Ok(v),
            (0, _) | (_, None) => Ok(self.refuse(ValueError::Empty)),
            _ => Ok(self.refuse(ValueError::MultipleTypes)),
        }
    }

    fn typed(
        &mut self,
        ty: AttrType,
        v: &Value,
        level: usize,
    ) -> Result<AttributeValue, ValueError> {
        match ty {
            AttrType::S => Ok(AttributeValue::S(as_string(v)?.to_owned())),
            AttrType::N => {
                let r = Number::parse(as_string(v)?)
                    .map(AttributeValue::N)
                    .map_err(ValueError::Number);
                self.check(r)
            }
            AttrType::B => Ok(AttributeValue::B(as_blob(v)?)),
            AttrType::Bool => Ok(AttributeValue::Bool(as_bool(v)?)),
            AttrType::Null => {
                if as_bool(v)? {
                    Ok(AttributeValue::Null)
                } else {
                    Ok(self.refuse(ValueError::NullNotTrue))
                }
            }
            AttrType::Ss => {
                let members = as_list(v)?
                    .iter()
                    .map(|m| member(m).and_then(as_string).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                self.check(string_set(members, self.opts.older_wording))
            }
            AttrType::Ns => {
                let members = as_list(v)?
                    .iter()
                    .map(|m| member(m).and_then(as_string))
                    .collect::<Result<Vec<_>, _>>()?;
                self.check(number_set(&members, self.opts.older_wording))
            }
            AttrType::Bs => {
                let members = as_list(v)?
                    .iter()
                    .map(|m| member(m).and_then(as_blob))
                    .collect::<Result<Vec<_>, _>>()?;
                self.check(binary_set(members, self.opts.older_wording))
            }
            AttrType::L => {
                let list = as_list(v)?;
                let mut out = Vec::with_capacity(list.len());
                for e in list {
                    out.push(self.value(e, level + 1)?);
                }
                Ok(AttributeValue::L(out))
            }
            AttrType::M => {
                let map = as_map(v)?;
                let mut out = Item::new();
                for (k, e) in map {
                    let e = self.value(e, level + 1)?;
                    out.insert(k.clone(), e);
                }
                Ok(AttributeValue::M(out))
            }
        }
    }
}

/// The Java token name DynamoDB's deserialiser reports for a JSON scalar.
fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(true) => "TRUE_VALUE",
        Value::Bool(false) => "FALSE_VALUE",
        Value::Number(n) if n.is_f64() => "DECIMAL_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Null => "NULL_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

/// A set member must be present; DynamoDB has no null members.
fn member(v: &Value) -> Result<&Value, ValueError> {
    if v.is_null() {
        Err(ser(UNEXPECTED_VALUE))
    } else {
        Ok(v)
    }
}

fn as_string(v: &Value) -> Result<&str, ValueError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Array(_) => Err(ser("Unrecognized collection type class java.lang.String")),
        Value::Object(_) => Err(ser(START_OF_MAP)),
        other => Err(ser(format!(
            "{} cannot be converted to String",
            token_name(other)
        ))),
    }
}

fn as_bool(v: &Value) -> Result<bool, ValueError> {
    match v {
        Value::Bool(b) => Ok(*b),
        // The service's parser converts the spellings it knows and refuses other text.
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(ser("Unexpected token received from parser")),
        },
        Value::Array(_) => Err(ser("Unrecognized collection type class java.lang.Boolean")),
        Value::Object(_) => Err(ser(START_OF_MAP)),
        other => Err(ser(format!(
            "{} cannot be converted to Boolean",
            token_name(other)
        ))),
    }
}

fn as_blob(v: &Value) -> Result<Vec<u8>, ValueError> {
    match v {
        Value::String(s) => decode_base64(s),
        Value::Array(_) => Err(ser(
            "Unrecognized collection type class java.nio.ByteBuffer",
        )),
        Value::Object(_) => Err(ser(START_OF_MAP)),
        _ => Err(ser(NOT_BASE64)),
    }
}

fn as_list(v: &Value) -> Result<&Vec<Value>, ValueError> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(_) => Err(ser(START_OF_MAP)),
        _ => Err(ser(UNEXPECTED_FIELD)),
    }
}

fn as_map(v: &Value) -> Result<&serde_json::Map<String, Value>, ValueError> {
    match v {
        Value::Object(o) => Ok(o),
        Value::Array(_) => Err(ser(MAP_COLLECTION)),
        _ => Err(ser(UNEXPECTED_FIELD)),
    }
}

/// Strict standard base64 with padding, with the Java decoder's messages.
fn decode_base64(s: &str) -> Result<Vec<u8>, ValueError> {
    // Java counts UTF-16 units.
    let len = if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    };
    if len % 4 != 0 {
        return Err(ser(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {len}"
        )));
    }
    BASE64.decode(s).map_err(|_| ser(BAD_BASE64))
}

fn string_set(members: Vec<String>, older: bool) -> Result<AttributeValue, ValueError> {
    if members.is_empty() {
        return Err(ValueError::EmptySet(AttrType::Ss));
    }
    if has_duplicates(&members) {
        let listed = if older {
            members.join(", ")
        } else {
            repeat_listing(&members)
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ValueError::Duplicates(format!(
            "{INVALID}Input collection [{listed}] contains duplicates."
        )));
    }
    Ok(AttributeValue::Ss(members))
}

fn number_set(members: &[&str], older: bool) -> Result<AttributeValue, ValueError> {
    if members.is_empty() {
        return Err(ValueError::EmptySet(AttrType::Ns));
    }
    let numbers = members
        .iter()
        .map(|m| Number::parse(m))
        .collect::<Result<Vec<_>, _>>()?;
    // Compared after canonicalisation, so `1` and `1.0` are the same member.
    if has_duplicates(&numbers) {
        return Err(ValueError::Duplicates(if older {
            "Input collection contains duplicates".to_owned()
        } else {
            format!("{INVALID}Input collection contains duplicates.")
        }));
    }
    Ok(AttributeValue::Ns(numbers))
}

fn binary_set(members: Vec<Vec<u8>>, older: bool) -> Result<AttributeValue, ValueError> {
    if members.is_empty() {
        return Err(ValueError::EmptySet(AttrType::Bs));
    }
    if has_duplicates(&members) {
        let listed = if older {
            members
                .iter()
                .map(|b| BASE64.encode(b))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            repeat_listing(&members)
                .iter()
                .map(|b| format!("\"{}\"", BASE64.encode(b)))
                .collect::<Vec<_>>()
                .join(",")
        };
        return Err(ValueError::Duplicates(format!(
            "{INVALID}Input collection [{listed}]of type BS contains duplicates."
        )));
    }
    Ok(AttributeValue::Bs(members))
}

fn has_duplicates<T: Ord>(members: &[T]) -> bool {
    if members.len() <= 16 {
        // Small sets, the common case: no allocation.
        return members
            .iter()
            .enumerate()
            .any(|(i, a)| members[i + 1..].contains(a));
    }
    let mut sorted: Vec<&T> = members.iter().collect();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// The members as DynamoDB lists them in a duplicates message: those before the first
/// repeat in byte order (the service inserts into a sorted set), then the repeat, then the
/// rest as sent.
fn repeat_listing<T: Ord>(members: &[T]) -> Vec<&T> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, m) in members.iter().enumerate() {
        if !seen.insert(m) {
            let mut out: Vec<&T> = seen.into_iter().collect();
            out.push(m);
            out.extend(&members[i + 1..]);
            return out;
        }
    }
    members.iter().collect()
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
