//! Reading DynamoDB JSON (`{"S":"x"}`, `{"N":"1"}`, `{"B":"<base64>"}`, …) into values, with
//! DynamoDB's checks and messages, straight from any serde deserializer: the request's bytes
//! (no intermediate JSON tree) or a `serde_json::Value`.
//!
//! DynamoDB deserialises the whole request before it validates anything, so a wrong JSON
//! shape anywhere (a `SerializationException`) wins over an invalid value anywhere (a
//! `ValidationException`). The reader therefore returns shape errors at once but only
//! records the first validation error and keeps reading.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
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

/// Beyond this depth the reader stops building values (the value is already refused as too
/// deep); the JSON parser's own recursion limit bounds what is skipped.
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
    read_value(v, opts).map_err(|e| ValueError::Serialization(e.to_string()))?
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
    read_item(v, opts).map_err(|e| ValueError::Serialization(e.to_string()))?
}

/// Reads one attribute value from a deserializer. A wrong shape is the deserializer's error
/// (its message is the SerializationException's); a value DynamoDB refuses is the inner
/// error, reported only when the whole value has the right shape.
///
/// # Errors
/// The deserializer's error for a wrong shape.
pub fn read_value<'de, D: Deserializer<'de>>(
    d: D,
    opts: ReadOptions,
) -> Result<Result<AttributeValue, ValueError>, D::Error> {
    let mut r = Reader::new(opts);
    let value = ValueSeed {
        r: &mut r,
        level: 1,
    }
    .deserialize(d)?;
    Ok(r.finish(value))
}

/// Reads an item (attribute name → value; `null` is an empty item) from a deserializer, with
/// errors as [`read_value`] gives them.
///
/// # Errors
/// The deserializer's error for a wrong shape.
pub fn read_item<'de, D: Deserializer<'de>>(
    d: D,
    opts: ReadOptions,
) -> Result<Result<Item, ValueError>, D::Error> {
    let mut r = Reader::new(opts);
    let item = d.deserialize_any(ItemVisitor {
        r: &mut r,
        level: 1,
    })?;
    Ok(r.finish(item))
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
    fn check<E: de::Error>(
        &mut self,
        r: Result<AttributeValue, ValueError>,
    ) -> Result<AttributeValue, E> {
        match r {
            Ok(v) => Ok(v),
            Err(ValueError::Serialization(m)) => Err(E::custom(m)),
            Err(e) => Ok(self.refuse(e)),
        }
    }
}

/// The Java token name DynamoDB's deserialiser reports for a JSON scalar.
#[derive(Clone, Copy)]
enum Token {
    True,
    False,
    Decimal,
    Number,
}

impl Token {
    fn name(self) -> &'static str {
        match self {
            Token::True => "TRUE_VALUE",
            Token::False => "FALSE_VALUE",
            Token::Decimal => "DECIMAL_VALUE",
            Token::Number => "NUMBER_VALUE",
        }
    }
}

/// Visits the scalars of one JSON value as the token DynamoDB's messages name; the
/// implementor says what each token means for the expected type.
macro_rules! scalar_tokens {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.token(if v { Token::True } else { Token::False })
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            self.token(Token::Number)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            self.token(Token::Number)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            self.token(Token::Decimal)
        }
    };
}

/// An attribute value at `level` (1 = a top-level attribute).
struct ValueSeed<'r> {
    r: &'r mut Reader,
    level: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttributeValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn token<E: de::Error>(self, _: Token) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }

    scalar_tokens!();

    fn visit_str<E: de::Error>(self, _: &str) -> Result<AttributeValue, E> {
        Err(E::custom(UNEXPECTED_VALUE))
    }

    // A null where a value belongs deserialises to a value with no type set.
    fn visit_unit<E: de::Error>(self) -> Result<AttributeValue, E> {
        Ok(self.r.refuse(ValueError::Empty))
    }

    fn visit_none<E: de::Error>(self) -> Result<AttributeValue, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<AttributeValue, A::Error> {
        Err(A::Error::custom(VALUE_COLLECTION))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let (r, level) = (self.r, self.level);
        if level > MAX_NESTING_DEPTH && r.opts.check_nesting {
            r.refuse(ValueError::NestingTooDeep);
        }
        if level > HARD_DEPTH_LIMIT {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(r.refuse(ValueError::NestingTooDeep));
        }
        // One entry per type key; a repeated key keeps its last value, as a JSON object
        // read into a map does.
        let mut found: Vec<(AttrType, AttributeValue)> = Vec::with_capacity(1);
        let before = r.invalid.is_some();
        while let Some(key) = map.next_key::<Cow<'_, str>>()? {
            // Unknown members are ignored and a null member counts as absent, as the
            // service's deserialiser does; `{"X":"1"}` is therefore an empty value.
            let Some(ty) = AttrType::parse(&key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let Some(parsed) = map.next_value_seed(TypedSeed {
                r: &mut *r,
                ty,
                level,
            })?
            else {
                continue;
            };
            match found.iter_mut().find(|(t, _)| *t == ty) {
                Some(slot) => slot.1 = parsed,
                None => found.push((ty, parsed)),
            }
        }
        if r.invalid.is_some() && !before {
            // A member was refused (the first error stands, as in DynamoDB, where member
            // checks come before the one-type check).
            return Ok(AttributeValue::Null);
        }
        match found.len() {
            0 => Ok(r.refuse(ValueError::Empty)),
            1 => Ok(found.swap_remove(0).1),
            _ => Ok(r.refuse(ValueError::MultipleTypes)),
        }
    }
}

/// The members of an item or of an `M` value at `level`.
struct ItemVisitor<'r> {
    r: &'r mut Reader,
    level: usize,
}

impl ItemVisitor<'_> {
    fn token<E: de::Error>(self, _: Token) -> Result<Item, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
}

impl<'de> Visitor<'de> for ItemVisitor<'_> {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    scalar_tokens!();

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Item, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Item, E> {
        Ok(Item::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Item, A::Error> {
        Err(A::Error::custom(MAP_COLLECTION))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut item = Item::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed {
                r: &mut *self.r,
                level: self.level,
            })?;
            item.insert(name, value);
        }
        Ok(item)
    }
}

/// The member of an attribute value for type `ty`; None for a null member (absent).
struct TypedSeed<'r> {
    r: &'r mut Reader,
    ty: AttrType,
    level: usize,
}

impl<'de> DeserializeSeed<'de> for TypedSeed<'_> {
    type Value = Option<AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let TypedSeed { r, ty, level } = self;
        match ty {
            AttrType::S => Ok(
                Scalar::deserialize(d, Scalar::Str)?.map(|s| AttributeValue::S(s.into_string()))
            ),
            AttrType::N => match Scalar::deserialize(d, Scalar::Str)? {
                None => Ok(None),
                Some(s) => {
                    let n = Number::parse(s.as_str())
                        .map(AttributeValue::N)
                        .map_err(ValueError::Number);
                    r.check(n).map(Some)
                }
            },
            AttrType::B => Ok(
                Scalar::deserialize(d, Scalar::Blob)?.map(|b| AttributeValue::B(b.into_bytes()))
            ),
            AttrType::Bool => {
                Ok(Scalar::deserialize(d, Scalar::Bool)?.map(|s| AttributeValue::Bool(s.truth())))
            }
            AttrType::Null => match Scalar::deserialize(d, Scalar::Bool)? {
                None => Ok(None),
                Some(s) if s.truth() => Ok(Some(AttributeValue::Null)),
                Some(_) => Ok(Some(r.refuse(ValueError::NullNotTrue))),
            },
            AttrType::Ss | AttrType::Ns | AttrType::Bs => {
                let kind = match ty {
                    AttrType::Ss => Scalar::Str,
                    AttrType::Ns => Scalar::Str,
                    _ => Scalar::Blob,
                };
                let Some(members) = d.deserialize_any(Members { kind })? else {
                    return Ok(None);
                };
                // A null member is a value DynamoDB refuses, not a wrong shape.
                let Some(members) = members.into_iter().collect::<Option<Vec<_>>>() else {
                    return Ok(Some(r.refuse(ValueError::NullSetMember(ty))));
                };
                let older = r.opts.older_wording;
                let set = match ty {
                    AttrType::Ss => {
                        string_set(members.into_iter().map(Read::into_string).collect(), older)
                    }
                    AttrType::Ns => {
                        let texts: Vec<&str> = members.iter().map(Read::as_str).collect();
                        number_set(&texts, older)
                    }
                    _ => binary_set(members.into_iter().map(Read::into_bytes).collect(), older),
                };
                r.check(set).map(Some)
            }
            AttrType::L | AttrType::M => d.deserialize_any(Nested { r, level, ty }),
        }
    }
}

/// A scalar member as read: text, decoded base64, or a truth value.
enum Read<'de> {
    Text(Cow<'de, str>),
    Bytes(Vec<u8>),
    Truth(bool),
}

impl Read<'_> {
    fn as_str(&self) -> &str {
        match self {
            Read::Text(s) => s,
            Read::Bytes(_) | Read::Truth(_) => "",
        }
    }

    fn into_string(self) -> String {
        match self {
            Read::Text(s) => s.into_owned(),
            Read::Bytes(_) | Read::Truth(_) => String::new(),
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            Read::Bytes(b) => b,
            Read::Text(_) | Read::Truth(_) => Vec::new(),
        }
    }

    fn truth(&self) -> bool {
        matches!(self, Read::Truth(true))
    }
}

/// What a scalar member must be.
#[derive(Clone, Copy)]
enum Scalar {
    /// A string (S, N, and set members).
    Str,
    /// A base64 string (B, BS members).
    Blob,
    /// A boolean, or text the service's parser converts (BOOL, NULL).
    Bool,
}

impl Scalar {
    fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
        kind: Scalar,
    ) -> Result<Option<Read<'de>>, D::Error> {
        d.deserialize_any(ScalarVisitor { kind })
    }

    fn java_class(self) -> &'static str {
        match self {
            Scalar::Str => "java.lang.String",
            Scalar::Blob => "java.nio.ByteBuffer",
            Scalar::Bool => "java.lang.Boolean",
        }
    }
}

/// One scalar; None for JSON null (an absent member, or a null set member the set refuses).
struct ScalarVisitor {
    kind: Scalar,
}

impl ScalarVisitor {
    fn token<'de, E: de::Error>(self, t: Token) -> Result<Option<Read<'de>>, E> {
        match (self.kind, t) {
            (Scalar::Bool, Token::True) => Ok(Some(Read::Truth(true))),
            (Scalar::Bool, Token::False) => Ok(Some(Read::Truth(false))),
            (Scalar::Blob, _) => Err(E::custom(NOT_BASE64)),
            (Scalar::Str, t) => Err(E::custom(format!(
                "{} cannot be converted to String",
                t.name()
            ))),
            (Scalar::Bool, t) => Err(E::custom(format!(
                "{} cannot be converted to Boolean",
                t.name()
            ))),
        }
    }

    fn text<'de, E: de::Error>(self, s: Cow<'de, str>) -> Result<Option<Read<'de>>, E> {
        match self.kind {
            Scalar::Str => Ok(Some(Read::Text(s))),
            Scalar::Blob => decode_base64(&s)
                .map(|b| Some(Read::Bytes(b)))
                .map_err(|e| E::custom(e.to_string())),
            // The service's parser converts the spellings it knows and refuses other text.
            Scalar::Bool => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Some(Read::Truth(true))),
                "false" | "no" | "0" => Ok(Some(Read::Truth(false))),
                _ => Err(E::custom("Unexpected token received from parser")),
            },
        }
    }
}

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<Read<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }

    scalar_tokens!();

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.text(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.text(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.text(Cow::Owned(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(format!(
            "Unrecognized collection type class {}",
            self.kind.java_class()
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(START_OF_MAP))
    }
}

/// The members of a set (a list of scalars, a null member as None); None for a null set.
struct Members {
    kind: Scalar,
}

impl Members {
    fn token<'de, E: de::Error>(self, _: Token) -> Result<Option<Vec<Option<Read<'de>>>>, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
}

impl<'de> Visitor<'de> for Members {
    type Value = Option<Vec<Option<Read<'de>>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of set members")
    }

    scalar_tokens!();

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(START_OF_MAP))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(m) = seq.next_element_seed(MemberSeed { kind: self.kind })? {
            out.push(m);
        }
        Ok(Some(out))
    }
}

struct MemberSeed {
    kind: Scalar,
}

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Option<Read<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Read<'de>>, D::Error> {
        d.deserialize_any(ScalarVisitor { kind: self.kind })
    }
}

/// The members of an `L` value (a list) or an `M` value (a map); None for a null member.
struct Nested<'r> {
    r: &'r mut Reader,
    level: usize,
    ty: AttrType,
}

impl Nested<'_> {
    fn token<E: de::Error>(self, _: Token) -> Result<Option<AttributeValue>, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }
}

impl<'de> Visitor<'de> for Nested<'_> {
    type Value = Option<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list or map of attribute values")
    }

    scalar_tokens!();

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(UNEXPECTED_FIELD))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.ty != AttrType::L {
            return Err(A::Error::custom(MAP_COLLECTION));
        }
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(v) = seq.next_element_seed(ValueSeed {
            r: &mut *self.r,
            level: self.level + 1,
        })? {
            out.push(v);
        }
        Ok(Some(AttributeValue::L(out)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        if self.ty != AttrType::M {
            return Err(A::Error::custom(START_OF_MAP));
        }
        ItemVisitor {
            r: self.r,
            level: self.level + 1,
        }
        .visit_map(map)
        .map(|m| Some(AttributeValue::M(m)))
    }
}

fn ser(msg: impl Into<String>) -> ValueError {
    ValueError::Serialization(msg.into())
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
