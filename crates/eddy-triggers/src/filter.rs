//! Lambda event filtering (`FilterCriteria`) for DynamoDB stream triggers: parsing filter
//! patterns and matching them against one Lambda DynamoDB event record.
//!
//! The rule syntax is Lambda's (the same as EventBridge patterns): a pattern is a JSON object
//! whose keys name record fields; nested objects descend into the record; a leaf is an array of
//! match conditions, any of which may match. Every key of an object must match, and a `$or`
//! key holds alternative sub-patterns for the same object. Patterns are parsed once into a
//! small tree so that matching a record never re-reads JSON text.

use serde_json::{Map, Value};

/// A trigger's filter: one or more patterns; a record passes when any pattern matches.
#[derive(Clone, Debug)]
pub struct Filter {
    patterns: Vec<Node>,
}

impl Filter {
    /// Parses Lambda filter patterns (each the JSON text of one FilterCriteria.Filters[].Pattern).
    /// Err is a message saying what is wrong with which pattern, e.g. "filter pattern 2 is not valid: ...".
    pub fn parse(patterns: &[String]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(index, text)| {
                parse_pattern(text)
                    .map_err(|why| format!("filter pattern {} is not valid: {why}", index + 1))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { patterns })
    }

    /// Whether the record matches any pattern.
    ///
    /// A filter of no patterns lets every record through, as Lambda does for a mapping whose
    /// `FilterCriteria` has no filters.
    pub fn matches(&self, record: &serde_json::Value) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|node| node.matches(Some(record)))
    }
}

/// One object level of a pattern.
#[derive(Clone, Debug)]
struct Node {
    /// Every field must match (AND).
    fields: Vec<(String, Field)>,
    /// The `$or` alternatives; when there are any, one must match the same object.
    any_of: Vec<Node>,
}

#[derive(Clone, Debug)]
enum Field {
    Nested(Node),
    /// Any condition may match (OR).
    Leaf(Vec<Condition>),
}

#[derive(Clone, Debug)]
enum Condition {
    Literal(Literal),
    Text(Text),
    /// Matches a value equal to none of the literals.
    AnythingBut(Vec<Literal>),
    /// Matches a string that none of the tests match.
    AnythingButText(Vec<Text>),
    /// One or two comparisons, all of which must hold.
    Numeric(Vec<(Cmp, f64)>),
    Exists(bool),
}

#[derive(Clone, Debug)]
enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A string test; it never matches a value that is not a string.
#[derive(Clone, Debug)]
struct Text {
    op: TextOp,
    /// The operand is stored lowercased, so a match lowercases only the value.
    ignore_case: bool,
}

#[derive(Clone, Debug)]
enum TextOp {
    Equals(String),
    Prefix(String),
    Suffix(String),
    /// The literal pieces between the `*`s: the first anchors the start, the last the end.
    Wildcard(Vec<String>),
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Node {
    /// Matches a record value (`None` when the record lacks the field).
    fn matches(&self, value: Option<&Value>) -> bool {
        match value {
            // Fields are matched within one array element at a time, so that an AND never
            // pairs a field of one element with a field of another.
            Some(Value::Array(items)) if !items.is_empty() => {
                items.iter().any(|item| self.matches(Some(item)))
            }
            Some(Value::Object(map)) => self.matches_object(Some(map)),
            // No fields below: only `exists: false` can match there.
            _ => self.matches_object(None),
        }
    }

    fn matches_object(&self, map: Option<&Map<String, Value>>) -> bool {
        self.fields
            .iter()
            .all(|(key, field)| field.matches(map.and_then(|map| map.get(key))))
            && (self.any_of.is_empty() || self.any_of.iter().any(|alt| alt.matches_object(map)))
    }
}

impl Field {
    fn matches(&self, value: Option<&Value>) -> bool {
        match self {
            Self::Nested(node) => node.matches(value),
            Self::Leaf(conditions) => {
                let mut leaves = Vec::new();
                if let Some(value) = value {
                    collect_leaves(value, &mut leaves);
                }
                conditions
                    .iter()
                    .any(|condition| condition.matches(&leaves))
            }
        }
    }
}

/// The scalar values at a leaf: arrays are flattened (any element may match) and objects are
/// skipped, because conditions, `exists` included, only apply to leaf nodes.
fn collect_leaves<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect_leaves(item, out);
            }
        }
        Value::Object(_) => {}
        scalar => out.push(scalar),
    }
}

impl Condition {
    fn matches(&self, leaves: &[&Value]) -> bool {
        match self {
            Self::Exists(present) => leaves.is_empty() != *present,
            _ => leaves.iter().any(|leaf| self.matches_leaf(leaf)),
        }
    }

    fn matches_leaf(&self, value: &Value) -> bool {
        match self {
            Self::Literal(literal) => literal.equals(value),
            Self::Text(text) => value.as_str().is_some_and(|s| text.matches(s)),
            Self::AnythingBut(literals) => !literals.iter().any(|literal| literal.equals(value)),
            // The string forms of anything-but ask about a string, so other types never match.
            Self::AnythingButText(texts) => value
                .as_str()
                .is_some_and(|s| !texts.iter().any(|text| text.matches(s))),
            // Only JSON numbers: a DynamoDB "N" is a string and so is not numeric here.
            Self::Numeric(comparisons) => value
                .as_f64()
                .is_some_and(|x| comparisons.iter().all(|&(cmp, bound)| cmp.holds(x, bound))),
            // Handled in `matches`, which sees whether there is any leaf at all.
            Self::Exists(_) => false,
        }
    }
}

impl Literal {
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Str(expected), Value::String(actual)) => expected == actual,
            (Self::Num(expected), Value::Number(actual)) => actual.as_f64() == Some(*expected),
            (Self::Bool(expected), Value::Bool(actual)) => expected == actual,
            (Self::Null, Value::Null) => true,
            _ => false,
        }
    }
}

impl Text {
    fn matches(&self, value: &str) -> bool {
        let folded;
        let value = if self.ignore_case {
            folded = value.to_lowercase();
            folded.as_str()
        } else {
            value
        };
        match &self.op {
            TextOp::Equals(text) => value == text.as_str(),
            TextOp::Prefix(text) => value.starts_with(text.as_str()),
            TextOp::Suffix(text) => value.ends_with(text.as_str()),
            TextOp::Wildcard(parts) => wildcard_matches(parts, value),
        }
    }
}

fn wildcard_matches(parts: &[String], value: &str) -> bool {
    let [first, middle @ .., last] = parts else {
        // No `*` at all: the whole value must equal the one piece.
        return parts.first().is_some_and(|only| only == value);
    };
    // Stripping the suffix from what is left after the prefix keeps the two from overlapping.
    let Some(mut rest) = value
        .strip_prefix(first.as_str())
        .and_then(|rest| rest.strip_suffix(last.as_str()))
    else {
        return false;
    };
    // Taking each middle piece at its leftmost place leaves the most room for the ones after.
    for part in middle {
        let Some(at) = rest.find(part.as_str()) else {
            return false;
        };
        rest = &rest[at + part.len()..];
    }
    true
}

impl Cmp {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Self::Eq => value == bound,
            Self::Lt => value < bound,
            Self::Le => value <= bound,
            Self::Gt => value > bound,
            Self::Ge => value >= bound,
        }
    }
}

/// The operators whose operand is a string (prefix and suffix also take a case-blind form).
const TEXT_OPERATORS: [&str; 4] = ["prefix", "suffix", "equals-ignore-case", "wildcard"];

fn parse_pattern(text: &str) -> Result<Node, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    match value {
        Value::Object(map) if !map.is_empty() => parse_node(&map, ""),
        _ => Err("a pattern must be a non-empty JSON object".to_owned()),
    }
}

/// Parses one object level; `path` is its dotted place in the pattern, for error messages.
fn parse_node(map: &Map<String, Value>, path: &str) -> Result<Node, String> {
    let mut fields = Vec::with_capacity(map.len());
    let mut any_of = Vec::new();
    for (key, value) in map {
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if key == "$or" {
            any_of = parse_or(value, path, &at)?;
            continue;
        }
        let field = match value {
            Value::Object(inner) if !inner.is_empty() => Field::Nested(parse_node(inner, &at)?),
            Value::Array(items) if !items.is_empty() => {
                let parse = |item| parse_condition(item, &at);
                Field::Leaf(items.iter().map(parse).collect::<Result<Vec<_>, _>>()?)
            }
            _ => return Err(format!("{at}: needs a non-empty array or object")),
        };
        fields.push((key.clone(), field));
    }
    Ok(Node { fields, any_of })
}

/// `$or` alternatives for the object at `path`; `at` names the `$or` itself.
fn parse_or(value: &Value, path: &str, at: &str) -> Result<Vec<Node>, String> {
    let not_valid = || format!("{at}: needs an array of non-empty objects");
    match value {
        Value::Array(alternatives) if !alternatives.is_empty() => alternatives
            .iter()
            .map(|alternative| match alternative {
                Value::Object(map) if !map.is_empty() => parse_node(map, path),
                _ => Err(not_valid()),
            })
            .collect(),
        _ => Err(not_valid()),
    }
}

fn parse_literal(value: &Value) -> Option<Literal> {
    match value {
        Value::String(text) => Some(Literal::Str(text.clone())),
        Value::Number(number) => number.as_f64().map(Literal::Num),
        Value::Bool(flag) => Some(Literal::Bool(*flag)),
        Value::Null => Some(Literal::Null),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The single `(operator, operand)` entry of a condition object.
fn only_entry<'a>(map: &'a Map<String, Value>, at: &str) -> Result<(&'a str, &'a Value), String> {
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((operator, operand)), None) => Ok((operator.as_str(), operand)),
        _ => Err(format!("{at}: a condition needs exactly one operator")),
    }
}

fn parse_condition(value: &Value, at: &str) -> Result<Condition, String> {
    let Value::Object(map) = value else {
        let not_scalar = || format!("{at}: a condition cannot be an array");
        return parse_literal(value)
            .map(Condition::Literal)
            .ok_or_else(not_scalar);
    };
    let (operator, operand) = only_entry(map, at)?;
    match operator {
        _ if TEXT_OPERATORS.contains(&operator) => {
            parse_text(operator, operand, at).map(Condition::Text)
        }
        "anything-but" => parse_anything_but(operand, at),
        "numeric" => parse_numeric(operand, at).map(Condition::Numeric),
        "exists" => match operand {
            Value::Bool(present) => Ok(Condition::Exists(*present)),
            _ => Err(format!("{at}: exists needs true or false")),
        },
        other => Err(format!("{at}: unknown operator \"{other}\"")),
    }
}

/// A string operator's operand: a string, or for prefix and suffix also
/// `{"equals-ignore-case": string}`.
fn parse_text(operator: &str, operand: &Value, at: &str) -> Result<Text, String> {
    let (text, ignore_case) = match operand {
        Value::String(text) => (text.as_str(), operator == "equals-ignore-case"),
        Value::Object(map) if matches!(operator, "prefix" | "suffix") => {
            match only_entry(map, at)? {
                ("equals-ignore-case", Value::String(text)) => (text.as_str(), true),
                _ => return Err(format!("{at}: {operator} takes equals-ignore-case")),
            }
        }
        _ => return Err(format!("{at}: {operator} needs a string")),
    };
    let owned = if ignore_case {
        text.to_lowercase()
    } else {
        text.to_owned()
    };
    let op = match operator {
        "prefix" => TextOp::Prefix(owned),
        "suffix" => TextOp::Suffix(owned),
        "wildcard" => TextOp::Wildcard(parse_wildcard(text, at)?),
        _ => TextOp::Equals(owned),
    };
    Ok(Text { op, ignore_case })
}

/// A literal or list of literals, or one string operator with a string or list of strings.
fn parse_anything_but(operand: &Value, at: &str) -> Result<Condition, String> {
    let empty = || format!("{at}: anything-but needs at least one value");
    let is_empty = |value: &Value| value.as_array().is_some_and(Vec::is_empty);
    let Value::Object(map) = operand else {
        if is_empty(operand) {
            return Err(empty());
        }
        let not_scalar = || format!("{at}: anything-but lists only scalars");
        let literal = |value| parse_literal(value).ok_or_else(not_scalar);
        let literals = match operand {
            Value::Array(items) => items.iter().map(literal).collect::<Result<Vec<_>, _>>()?,
            scalar => vec![literal(scalar)?],
        };
        return Ok(Condition::AnythingBut(literals));
    };
    let (operator, inner) = only_entry(map, at)?;
    if !TEXT_OPERATORS.contains(&operator) {
        return Err(format!("{at}: anything-but does not take {operator}"));
    }
    if is_empty(inner) {
        return Err(empty());
    }
    let parse = |text| parse_text(operator, text, at);
    let texts = match inner {
        Value::Array(items) => items.iter().map(parse).collect::<Result<Vec<_>, _>>()?,
        single => vec![parse(single)?],
    };
    Ok(Condition::AnythingButText(texts))
}

/// `[op, n]` or `[">"|">=", low, "<"|"<=", high]` (the two bounds in either order).
fn parse_numeric(operand: &Value, at: &str) -> Result<Vec<(Cmp, f64)>, String> {
    let shape = || format!("{at}: numeric needs [op, n] or [op, n, op, n]");
    let items = match operand {
        Value::Array(items) if items.len() == 2 || items.len() == 4 => items,
        _ => return Err(shape()),
    };
    let mut comparisons = Vec::with_capacity(2);
    for pair in items.chunks(2) {
        let cmp = match pair.first().and_then(Value::as_str) {
            Some("=") => Cmp::Eq,
            Some("<") => Cmp::Lt,
            Some("<=") => Cmp::Le,
            Some(">") => Cmp::Gt,
            Some(">=") => Cmp::Ge,
            _ => return Err(format!("{at}: numeric operator is not = < <= > >=")),
        };
        let not_number = || format!("{at}: numeric bound is not a number");
        let bound = pair.get(1).and_then(Value::as_f64).ok_or_else(not_number)?;
        comparisons.push((cmp, bound));
    }
    if let [(first, a), (second, b)] = comparisons.as_slice() {
        // A range is one lower and one upper bound; any other pair is always false or
        // redundant, which is refused rather than guessed at.
        let (low, high) = match (first, second) {
            (Cmp::Gt | Cmp::Ge, Cmp::Lt | Cmp::Le) => (a, b),
            (Cmp::Lt | Cmp::Le, Cmp::Gt | Cmp::Ge) => (b, a),
            _ => return Err(format!("{at}: a range needs one lower and one upper bound")),
        };
        if low > high {
            return Err(format!("{at}: the range's low bound is above its high"));
        }
    }
    Ok(comparisons)
}

/// Splits a wildcard on unescaped `*`; `\*` is a literal star and `\\` a literal backslash.
fn parse_wildcard(text: &str, at: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut after_star = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ ('*' | '\\')) => current.push(escaped),
                _ => return Err(format!("{at}: a wildcard may only escape * and \\")),
            },
            // `**` means no more than `*`; EventBridge refuses it, and so does this.
            '*' if after_star => return Err(format!("{at}: a wildcard has consecutive *")),
            '*' => parts.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
        after_star = c == '*';
    }
    parts.push(current);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "eventID": "1",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"id": {"S": "a"}},
                "NewImage": {
                    "id": {"S": "a"}, "name": {"S": "Fred Smith"}, "age": {"N": "42"},
                    "active": {"BOOL": true}, "blank": {"S": ""}, "path": {"S": "a*b\\c"},
                    "tags": {"SS": ["red", "blue"]}, "list": {"L": [{"S": "x"}, {"N": "1"}]}
                },
                "SizeBytes": 26
            },
            "nothing": null
        })
    }

    /// `pattern => whether it matches the record`, one per line.
    macro_rules! check {
        ($($pattern:expr => $expected:expr),* $(,)?) => {$(
            let pattern: Value = $pattern;
            let filter = Filter::parse(&[pattern.to_string()]).expect("pattern parses");
            let expected: bool = $expected;
            assert_eq!(filter.matches(&record()), expected, "pattern {pattern}");
        )*};
    }

    /// A pattern with these conditions on attribute `attr` of type `kind` in the new image.
    fn image(attr: &str, kind: &str, conditions: Value) -> Value {
        json!({"dynamodb": {"NewImage": {attr: {kind: conditions}}}})
    }

    fn name(condition: Value) -> Value {
        image("name", "S", json!([condition]))
    }

    fn size(condition: Value) -> Value {
        json!({"dynamodb": {"SizeBytes": [condition]}})
    }

    #[test]
    fn literals_and_nesting() {
        check! {
            json!({"eventName": ["INSERT"]}) => true,
            json!({"eventName": ["MODIFY"]}) => false,
            json!({"dynamodb": {"Keys": {"id": {"S": ["a"]}}}}) => true,
            size(json!(26.0)) => true,
            size(json!("26")) => false,
            image("age", "N", json!([42])) => false,
            image("age", "N", json!(["42"])) => true,
            image("active", "BOOL", json!([true])) => true,
            json!({"nothing": [null]}) => true,
            json!({"eventName": [null]}) => false,
            image("blank", "S", json!([""])) => true,
            name(json!("")) => false,
            // A leaf condition never matches an object.
            json!({"dynamodb": ["x"]}) => false,
        }
    }

    #[test]
    fn and_or() {
        check! {
            json!({"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": ["a"]}}}}) => true,
            json!({"eventName": ["INSERT"], "dynamodb": {"Keys": {"id": {"S": ["b"]}}}}) => false,
            json!({"eventName": ["MODIFY", "INSERT"]}) => true,
            json!({"eventName": ["INSERT"], "$or": [{"eventID": ["x"]}, {"eventID": ["1"]}]})
                => true,
            json!({"eventName": ["INSERT"], "$or": [{"eventID": ["x"]}, {"eventID": ["y"]}]})
                => false,
            json!({"eventName": ["REMOVE"], "$or": [{"eventID": ["1"]}]}) => false,
            json!({"dynamodb": {"NewImage": {"$or": [
                {"id": {"S": ["z"]}}, {"age": {"N": ["42"]}}
            ]}}}) => true,
        }
        let patterns = [
            r#"{"eventName": ["REMOVE"]}"#,
            r#"{"eventName": ["INSERT"]}"#,
        ];
        let filter = Filter::parse(&patterns.map(str::to_owned)).expect("patterns parse");
        assert!(filter.matches(&record()));
        assert!(Filter::parse(&[]).expect("no patterns").matches(&record()));
    }

    #[test]
    fn arrays_in_the_record() {
        check! {
            image("tags", "SS", json!(["blue"])) => true,
            image("tags", "SS", json!(["green"])) => false,
            image("tags", "SS", json!([{"anything-but": "red"}])) => true,
            image("list", "L", json!({"N": ["1"]})) => true,
            // Both fields must come from one element of the list.
            image("list", "L", json!({"S": ["x"], "N": ["1"]})) => false,
        }
    }

    #[test]
    fn string_operators() {
        check! {
            name(json!({"prefix": "Fred"})) => true,
            name(json!({"prefix": "fred"})) => false,
            name(json!({"prefix": {"equals-ignore-case": "fRED"}})) => true,
            name(json!({"suffix": "Smith"})) => true,
            name(json!({"suffix": {"equals-ignore-case": "SMITH"}})) => true,
            name(json!({"suffix": "Fred"})) => false,
            name(json!({"equals-ignore-case": "fred SMITH"})) => true,
            name(json!({"equals-ignore-case": "fred"})) => false,
            size(json!({"prefix": "2"})) => false,
            name(json!({"wildcard": "F*d S*h"})) => true,
            name(json!({"wildcard": "*"})) => true,
            name(json!({"wildcard": "Fred"})) => false,
            name(json!({"wildcard": "F*x*h"})) => false,
            name(json!({"wildcard": "Fred Smith*h"})) => false,
            image("path", "S", json!([{"wildcard": "a\\*b\\\\*"}])) => true,
            image("path", "S", json!([{"wildcard": "ax\\*b*"}])) => false,
        }
    }

    #[test]
    fn anything_but() {
        check! {
            json!({"eventName": [{"anything-but": "REMOVE"}]}) => true,
            json!({"eventName": [{"anything-but": ["REMOVE", "INSERT"]}]}) => false,
            size(json!({"anything-but": [1, 2]})) => true,
            size(json!({"anything-but": 26})) => false,
            json!({"eventName": [{"anything-but": {"prefix": "INS"}}]}) => false,
            json!({"eventName": [{"anything-but": {"suffix": ["X", "ERT!"]}}]}) => true,
            json!({"eventName": [{"anything-but": {"equals-ignore-case": ["insert"]}}]}) => false,
            json!({"eventName": [{"anything-but": {"wildcard": "IN*"}}]}) => false,
            // anything-but needs the field to be there.
            json!({"missing": [{"anything-but": "x"}]}) => false,
        }
    }

    #[test]
    fn numeric_and_exists() {
        check! {
            size(json!({"numeric": ["=", 26]})) => true,
            size(json!({"numeric": ["<", 26]})) => false,
            size(json!({"numeric": [">", 0, "<=", 26]})) => true,
            size(json!({"numeric": ["<", 100, ">=", 26]})) => true,
            size(json!({"numeric": [">", 26, "<", 100]})) => false,
            // Numbers in strings (DynamoDB's N) are not numeric values.
            image("age", "N", json!([{"numeric": [">", 0]}])) => false,
            name(json!({"exists": true})) => true,
            name(json!({"exists": false})) => false,
            image("missing", "S", json!([{"exists": false}])) => true,
            image("missing", "S", json!([{"exists": true}])) => false,
            json!({"nothing": [{"exists": true}]}) => true,
            // exists looks at leaves, and an object is not one.
            json!({"dynamodb": {"NewImage": [{"exists": true}]}}) => false,
            json!({"dynamodb": {"OldImage": {"id": {"S": [{"exists": false}]}}}}) => true,
            // Other conditions never match a missing field.
            image("missing", "S", json!([""])) => false,
        }
    }

    /// `pattern => part of the message refusing it`, each as the second of two patterns.
    macro_rules! refused {
        ($($pattern:expr => $expected:expr),* $(,)?) => {$(
            let patterns = [r#"{"eventName": ["INSERT"]}"#.to_owned(), $pattern.to_owned()];
            let message = Filter::parse(&patterns).expect_err($pattern);
            let prefix = "filter pattern 2 is not valid: ";
            assert!(message.starts_with(prefix) && message.contains($expected), "{message}");
        )*};
    }

    #[test]
    fn errors() {
        refused! {
            "{not json" => "not valid JSON",
            "[1]" => "must be a non-empty JSON object",
            "{}" => "must be a non-empty JSON object",
            r#"{"eventName": "INSERT"}"# => "eventName: needs a non-empty array or object",
            r#"{"dynamodb": {"Keys": {}}}"# => "dynamodb.Keys: needs a non-empty",
            r#"{"eventName": []}"# => "eventName: needs a non-empty",
            r#"{"eventName": [["x"]]}"# => "cannot be an array",
            r#"{"eventName": [{"startswith": "x"}]}"# => "unknown operator \"startswith\"",
            r#"{"eventName": [{"prefix": "x", "suffix": "y"}]}"# => "exactly one operator",
            r#"{"eventName": [{"prefix": 5}]}"# => "prefix needs a string",
            r#"{"eventName": [{"suffix": {"nope": "x"}}]}"# => "suffix takes equals-ignore-case",
            r#"{"eventName": [{"wildcard": {"equals-ignore-case": "x"}}]}"# => "needs a string",
            r#"{"eventName": [{"exists": "yes"}]}"# => "exists needs",
            r#"{"eventName": [{"anything-but": []}]}"# => "at least one",
            r#"{"eventName": [{"anything-but": [{"a": 1}]}]}"# => "lists only scalars",
            r#"{"eventName": [{"anything-but": {"numeric": [1]}}]}"# => "does not take",
            r#"{"eventName": [{"wildcard": "a**b"}]}"# => "consecutive",
            r#"{"eventName": [{"wildcard": "a\\b"}]}"# => "only escape",
            r#"{"n": [{"numeric": [">"]}]}"# => "numeric needs",
            r#"{"n": [{"numeric": ["!=", 1]}]}"# => "numeric operator is not",
            r#"{"n": [{"numeric": [">", "1"]}]}"# => "not a number",
            r#"{"n": [{"numeric": ["=", 1, "<", 2]}]}"# => "one lower",
            r#"{"n": [{"numeric": [">", 5, "<", 2]}]}"# => "low bound is above its high",
            r#"{"$or": {"a": ["x"]}}"# => "$or: needs an array",
            r#"{"dynamodb": {"$or": [{}]}}"# => "dynamodb.$or: needs an array",
        }
    }
}
