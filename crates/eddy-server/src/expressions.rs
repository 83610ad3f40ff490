//! Expression parameters of a request: ExpressionAttributeNames/Values checks, the rule against
//! mixing expressions with legacy parameters, and the legacy parameters' JSON.

use std::collections::HashMap;

use eddy_expr::legacy::{AttributeValueUpdate, ExpectedAttributeValue, LegacyCondition};
use eddy_types::AttributeValue;

use crate::error::ApiError;
use crate::input::{Input, Raw};

/// ExpressionAttributeNames and ExpressionAttributeValues of one request, checked.
#[derive(Debug, Default)]
pub struct Placeholders {
    /// Names.
    pub names: Option<HashMap<String, String>>,
    /// Values.
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl Placeholders {
    /// A resolver over these placeholders for the request's expressions.
    pub fn resolver(&self) -> eddy_expr::Placeholders<'_> {
        eddy_expr::Placeholders::new(self.names.as_ref(), self.values.as_ref())
    }
}

/// Reads and checks the placeholders. `expressions` are the request's expression parameters
/// that may use them (e.g. `["ConditionExpression"]`); `none_given` is how DynamoDB words the
/// absence of the expressions that take values (e.g. "ConditionExpression is null"), when its
/// message for the operation says it (Query's does not).
pub fn placeholders(
    input: &Input<'_>,
    expressions: &[&str],
    none_given: Option<&str>,
) -> Result<Placeholders, ApiError> {
    let any_expression = expressions.iter().any(|e| input.has(e));
    let names = input.string_map("ExpressionAttributeNames")?;
    let values = input.value_map("ExpressionAttributeValues", |key, e| {
        ApiError::validation(format!(
            "ExpressionAttributeValues contains invalid value: {e} for key {key}"
        ))
    })?;
    if names.is_some() && !any_expression {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values.is_some() && !any_expression {
        return Err(ApiError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions{}",
            none_given.map(|n| format!(": {n}")).unwrap_or_default()
        )));
    }
    if let Some(names) = &names {
        if names.is_empty() {
            return Err(ApiError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        check_keys("ExpressionAttributeNames", names.keys(), '#')?;
        let mut keys: Vec<&String> = names.keys().collect();
        keys.sort();
        if let Some(key) = keys.into_iter().find(|k| names[*k].is_empty()) {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
            )));
        }
        for name in names.values() {
            crate::input::check_attribute_name(name)?;
        }
    }
    if let Some(values) = &values {
        if values.is_empty() {
            return Err(ApiError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        check_keys("ExpressionAttributeValues", values.keys(), ':')?;
    }
    Ok(Placeholders { names, values })
}

/// The longest placeholder, its `#` or `:` included.
const MAX_PLACEHOLDER_BYTES: usize = 255;

fn check_keys<'a>(
    param: &str,
    keys: impl Iterator<Item = &'a String>,
    sigil: char,
) -> Result<(), ApiError> {
    let mut keys: Vec<&String> = keys.collect();
    keys.sort();
    // Length comes before syntax; the values map's message has no size (DynamoDB's wording).
    if let Some(key) = keys.iter().find(|k| k.len() > MAX_PLACEHOLDER_BYTES) {
        let size = if sigil == '#' {
            format!(" size of key: {}", key.len())
        } else {
            String::new()
        };
        return Err(ApiError::validation(format!(
            "{param} contains invalid key: The expression attribute map contains a key that is too long;{size}"
        )));
    }
    for key in keys {
        let valid = key.strip_prefix(sigil).is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !valid {
            return Err(ApiError::validation(format!(
                "{param} contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
    }
    Ok(())
}

/// ConditionalOperator needs a legacy condition map (`conditions`: Expected, QueryFilter or
/// ScanFilter) with two or more elements; DynamoDB checks this after the mixing rule.
pub fn conditional_operator(input: &Input<'_>, conditions: &str) -> Result<(), ApiError> {
    if !input.has("ConditionalOperator") {
        return Ok(());
    }
    match input.map(conditions)?.map_or(0, |m| m.len()) {
        0 => Err(ApiError::validation(
            "ConditionalOperator cannot be used without Filter or Expected",
        )),
        1 => Err(ApiError::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        _ => Ok(()),
    }
}

/// Rejects a request that mixes expression and legacy parameters.
pub fn no_mixing(input: &Input<'_>, legacy: &[&str], expressions: &[&str]) -> Result<(), ApiError> {
    let legacy: Vec<&str> = legacy.iter().copied().filter(|p| input.has(p)).collect();
    let expressions: Vec<&str> = expressions
        .iter()
        .copied()
        .filter(|p| input.has(p))
        .collect();
    if legacy.is_empty() || expressions.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        expressions.join(", ")
    )))
}

fn attribute_value(v: &Raw<'_>) -> Result<AttributeValue, ApiError> {
    v.value()?.map_err(ApiError::from)
}

/// An entry of a legacy parameter map: a structure ("Expected null" for anything else).
fn entry<'a>(v: &Raw<'a>) -> Result<Input<'a>, ApiError> {
    if v.is_object() {
        v.object()
    } else {
        Err(ApiError::serialization("Expected null"))
    }
}

fn value_list(input: &Input<'_>) -> Result<Option<Vec<AttributeValue>>, ApiError> {
    input
        .list("AttributeValueList")?
        .map(|l| l.iter().map(attribute_value).collect::<Result<Vec<_>, _>>())
        .transpose()
}

/// The legacy `Expected` map.
pub fn expected(
    input: &Input<'_>,
) -> Result<Option<Vec<(String, ExpectedAttributeValue)>>, ApiError> {
    let Some(map) = input.map("Expected")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map.entries() {
        let e = entry(&v)?;
        out.push((
            name.to_owned(),
            ExpectedAttributeValue {
                value: e.raw("Value").as_ref().map(attribute_value).transpose()?,
                exists: e.bool("Exists")?,
                comparison_operator: e.string("ComparisonOperator")?.map(str::to_owned),
                attribute_value_list: value_list(&e)?,
            },
        ));
    }
    Ok(Some(out))
}

/// A legacy condition map: KeyConditions, QueryFilter or ScanFilter.
pub fn conditions(
    input: &Input<'_>,
    param: &str,
) -> Result<Option<Vec<(String, LegacyCondition)>>, ApiError> {
    let Some(map) = input.map(param)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map.entries() {
        let c = entry(&v)?;
        let Some(op) = c.string("ComparisonOperator")? else {
            return Err(ApiError::constraint(format!(
                "Value null at '{}.{name}.member.comparisonOperator' failed to satisfy constraint: Member must not be null",
                lower_first(param)
            )));
        };
        out.push((
            name.to_owned(),
            LegacyCondition {
                comparison_operator: op.to_owned(),
                attribute_value_list: value_list(&c)?.unwrap_or_default(),
            },
        ));
    }
    Ok(Some(out))
}

/// The legacy `AttributeUpdates` map.
pub fn attribute_updates(
    input: &Input<'_>,
) -> Result<Option<Vec<(String, AttributeValueUpdate)>>, ApiError> {
    let Some(map) = input.map("AttributeUpdates")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map.entries() {
        crate::input::check_attribute_name(name)?;
        let u = entry(&v)?;
        out.push((
            name.to_owned(),
            AttributeValueUpdate {
                value: u.raw("Value").as_ref().map(attribute_value).transpose()?,
                action: u.string("Action")?.map(str::to_owned),
            },
        ));
    }
    Ok(Some(out))
}

/// `camelCase` of a parameter name, as constraint messages print paths.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
