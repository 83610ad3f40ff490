//! The pre-expression parameters (Expected, QueryFilter, ScanFilter, KeyConditions,
//! AttributeUpdates, AttributesToGet), validated with DynamoDB's messages and lowered onto the
//! same trees as expressions, so evaluation and application have one implementation.

use std::cmp::Ordering;

use eddy_types::{AttrType, AttributeValue};

use crate::ast::Comparator;
use crate::condition::{Cond, Condition, Operand, compare_values};
use crate::error::ExprError;
use crate::key_condition::{KeyCondition, KeyNames, RangeCondition, build_key_condition};
use crate::path::Path;
use crate::update::{SetValue, Update, UpdateAction, UpdateOperand};

/// One entry of `Expected`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExpectedAttributeValue {
    /// `Value`.
    pub value: Option<AttributeValue>,
    /// `Exists`.
    pub exists: Option<bool>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<String>,
    /// `AttributeValueList`.
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `KeyConditions`, `QueryFilter` or `ScanFilter`.
#[derive(Clone, Debug, PartialEq)]
pub struct LegacyCondition {
    /// `ComparisonOperator`.
    pub comparison_operator: String,
    /// `AttributeValueList` (empty when absent).
    pub attribute_value_list: Vec<AttributeValue>,
}

/// One entry of `AttributeUpdates`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttributeValueUpdate {
    /// `Value`.
    pub value: Option<AttributeValue>,
    /// `Action`: `PUT` (the default), `ADD` or `DELETE`.
    pub action: Option<String>,
}

/// The ComparisonOperator values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

const OPERATORS: [(&str, Op); 13] = [
    ("EQ", Op::Eq),
    ("NE", Op::Ne),
    ("LE", Op::Le),
    ("LT", Op::Lt),
    ("GE", Op::Ge),
    ("GT", Op::Gt),
    ("NOT_NULL", Op::NotNull),
    ("NULL", Op::Null),
    ("CONTAINS", Op::Contains),
    ("NOT_CONTAINS", Op::NotContains),
    ("BEGINS_WITH", Op::BeginsWith),
    ("IN", Op::In),
    ("BETWEEN", Op::Between),
];

fn parse_op(text: &str) -> Result<Op, ExprError> {
    OPERATORS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|&(_, op)| op)
        .ok_or_else(|| ExprError::LegacyEnum {
            value: text.to_owned(),
            field: "comparisonOperator",
            allowed: "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS",
        })
}

/// Checks an operator's values: their number, a common type, a type the operator takes, and
/// BETWEEN's order.
fn validate(op: Op, name: &str, values: &[AttributeValue]) -> Result<(), ExprError> {
    let count_ok = match op {
        Op::Null | Op::NotNull => values.is_empty(),
        Op::In => !values.is_empty(),
        Op::Between => values.len() == 2,
        _ => values.len() == 1,
    };
    if !count_ok {
        return Err(ExprError::LegacyArgumentCount(name.to_owned()));
    }
    let mut types = values.iter().map(AttributeValue::attr_type);
    if let Some(first) = types.next()
        && types.any(|t| t != first)
    {
        return Err(ExprError::LegacyMixedTypes);
    }
    for v in values {
        let ty = v.attr_type();
        let allowed = match op {
            // Equality works on every type (DynamoDB accepts BOOL, L and M here).
            Op::Eq | Op::Ne | Op::Null | Op::NotNull => true,
            Op::BeginsWith => matches!(ty, AttrType::S | AttrType::B),
            _ => matches!(ty, AttrType::S | AttrType::N | AttrType::B),
        };
        if !allowed {
            return Err(ExprError::LegacyOperandType {
                operator: name.to_owned(),
                ty: ty.as_str(),
            });
        }
    }
    if let (Op::Between, [low, high]) = (op, values)
        && compare_values(low, high) == Some(Ordering::Greater)
    {
        return Err(ExprError::LegacyBetweenOrder);
    }
    Ok(())
}

/// The condition an operator sets on `attr`, after [`validate`].
fn lower(op: Op, attr: &str, values: &[AttributeValue]) -> Cond {
    let path = || Operand::Path(Path::attr(attr));
    let first = || Operand::Value(values.first().cloned().unwrap_or(AttributeValue::Null));
    let compare = |c| Cond::Compare(c, path(), first());
    match op {
        Op::Eq => compare(Comparator::Eq),
        Op::Ne => compare(Comparator::Ne),
        Op::Le => compare(Comparator::Le),
        Op::Lt => compare(Comparator::Lt),
        Op::Ge => compare(Comparator::Ge),
        Op::Gt => compare(Comparator::Gt),
        Op::NotNull => Cond::Exists(Path::attr(attr)),
        Op::Null => Cond::NotExists(Path::attr(attr)),
        Op::Contains => Cond::Contains(path(), first()),
        // Unlike `NOT contains(...)`, the legacy operator needs the attribute to be there.
        Op::NotContains => Cond::And(vec![
            Cond::Exists(Path::attr(attr)),
            Cond::Not(Box::new(Cond::Contains(path(), first()))),
        ]),
        Op::BeginsWith => Cond::BeginsWith(path(), first()),
        Op::In => Cond::In(path(), values.iter().cloned().map(Operand::Value).collect()),
        Op::Between => Cond::Between(
            path(),
            first(),
            Operand::Value(values.get(1).cloned().unwrap_or(AttributeValue::Null)),
        ),
    }
}

/// Joins conditions with `ConditionalOperator` (AND when absent).
fn combine(members: Vec<Cond>, conditional_operator: Option<&str>) -> Result<Condition, ExprError> {
    let root = match conditional_operator {
        None | Some("AND") => Cond::And(members),
        Some("OR") => Cond::Or(members),
        Some(other) => {
            return Err(ExprError::LegacyEnum {
                value: other.to_owned(),
                field: "conditionalOperator",
                allowed: "AND, OR",
            });
        }
    };
    Ok(Condition { root })
}

/// Lowers `Expected` (with `ConditionalOperator`) to a condition.
///
/// # Errors
///
/// DynamoDB's messages for a malformed entry, e.g. `One or more parameter values were invalid:
/// Value must be provided when Exists is true for Attribute: a`.
pub fn expected_to_condition(
    expected: &[(String, ExpectedAttributeValue)],
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut members = Vec::with_capacity(expected.len());
    for (attr, e) in expected {
        if e.value.is_some() && e.attribute_value_list.is_some() {
            return Err(ExprError::ExpectedValueWithList(attr.clone()));
        }
        if let Some(name) = &e.comparison_operator {
            if e.exists.is_some() {
                return Err(ExprError::ExpectedExistsWithOperator(attr.clone()));
            }
            let op = parse_op(name)?;
            let values: Vec<AttributeValue> = match (&e.attribute_value_list, &e.value) {
                (Some(list), _) => list.clone(),
                (None, Some(v)) => vec![v.clone()],
                (None, None) if matches!(op, Op::Null | Op::NotNull) => Vec::new(),
                (None, None) => {
                    return Err(ExprError::ExpectedOperatorWithoutValue {
                        operator: name.clone(),
                        attribute: attr.clone(),
                    });
                }
            };
            validate(op, name, &values)?;
            members.push(lower(op, attr, &values));
        } else if e.attribute_value_list.is_some() {
            return Err(ExprError::ExpectedListWithoutOperator(attr.clone()));
        } else {
            match (e.exists.unwrap_or(true), &e.value) {
                (true, Some(v)) => members.push(lower(Op::Eq, attr, std::slice::from_ref(v))),
                (true, None) => {
                    return Err(ExprError::ExpectedValueMissing {
                        exists: e.exists,
                        attribute: attr.clone(),
                    });
                }
                (false, None) => members.push(Cond::NotExists(Path::attr(attr))),
                (false, Some(_)) => {
                    return Err(ExprError::ExpectedValueWithNotExists(attr.clone()));
                }
            }
        }
    }
    combine(members, conditional_operator)
}

/// Lowers `QueryFilter` or `ScanFilter` (with `ConditionalOperator`) to a condition.
///
/// # Errors
///
/// DynamoDB's messages for a malformed entry, e.g. `One or more parameter values were invalid:
/// Invalid number of argument(s) for the EQ ComparisonOperator`.
pub fn filter_to_condition(
    filter: &[(String, LegacyCondition)],
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut members = Vec::with_capacity(filter.len());
    for (attr, c) in filter {
        let op = parse_op(&c.comparison_operator)?;
        validate(op, &c.comparison_operator, &c.attribute_value_list)?;
        members.push(lower(op, attr, &c.attribute_value_list));
    }
    combine(members, conditional_operator)
}

/// Lowers `KeyConditions` against a key schema.
///
/// # Errors
///
/// The entry messages of [`filter_to_condition`], then `Conditions can be of length 1 or 2
/// only`, `Query condition missed key schema element: pk`, `Attempted conditional constraint
/// is not an indexable operation`, `Query key condition not supported`.
pub fn key_conditions(
    conds: &[(String, LegacyCondition)],
    key: KeyNames<'_>,
) -> Result<KeyCondition, ExprError> {
    let mut out = Vec::with_capacity(conds.len());
    for (attr, c) in conds {
        let op = parse_op(&c.comparison_operator)?;
        let values = &c.attribute_value_list;
        validate(op, &c.comparison_operator, values)?;
        let first = || values.first().cloned().unwrap_or(AttributeValue::Null);
        let range = match op {
            Op::Eq => Some(RangeCondition::Eq(first())),
            Op::Lt => Some(RangeCondition::Lt(first())),
            Op::Le => Some(RangeCondition::Le(first())),
            Op::Gt => Some(RangeCondition::Gt(first())),
            Op::Ge => Some(RangeCondition::Ge(first())),
            Op::BeginsWith => Some(RangeCondition::BeginsWith(first())),
            Op::Between => Some(RangeCondition::Between(
                first(),
                values.get(1).cloned().unwrap_or(AttributeValue::Null),
            )),
            Op::Ne | Op::NotNull | Op::Null | Op::Contains | Op::NotContains | Op::In => None,
        };
        out.push((attr.clone(), range));
    }
    build_key_condition(out, key)
}

/// Lowers `AttributeUpdates` to an update.
///
/// # Errors
///
/// `One or more parameter values were invalid: Only DELETE action is allowed when no attribute
/// value is specified`, `... DELETE action with value is not supported for the type S`, `...
/// ADD action is not supported for the type S`, or an Action outside PUT, ADD and DELETE.
pub fn attribute_updates_to_update(
    updates: &[(String, AttributeValueUpdate)],
) -> Result<Update, ExprError> {
    let mut actions = Vec::with_capacity(updates.len());
    for (attr, u) in updates {
        let action = u.action.as_deref().unwrap_or("PUT");
        if !matches!(action, "PUT" | "ADD" | "DELETE") {
            return Err(ExprError::LegacyEnum {
                value: action.to_owned(),
                field: "action",
                allowed: "ADD, PUT, DELETE",
            });
        }
        let path = Path::attr(attr);
        let lowered = match (action, &u.value) {
            ("DELETE", None) => UpdateAction::Remove(path),
            (_, None) => return Err(ExprError::UpdateValueMissing),
            ("DELETE", Some(v)) => {
                let ty = v.attr_type();
                if !matches!(ty, AttrType::Ss | AttrType::Ns | AttrType::Bs) {
                    return Err(ExprError::UpdateDeleteType(ty.as_str()));
                }
                UpdateAction::Delete(path, v.clone())
            }
            ("ADD", Some(v)) => {
                let ty = v.attr_type();
                if !matches!(
                    ty,
                    AttrType::N | AttrType::Ss | AttrType::Ns | AttrType::Bs | AttrType::L
                ) {
                    return Err(ExprError::UpdateAddType(ty.as_str()));
                }
                UpdateAction::Add(path, v.clone())
            }
            (_, Some(v)) => {
                UpdateAction::Set(path, SetValue::Operand(UpdateOperand::Value(v.clone())))
            }
        };
        actions.push(lowered);
    }
    Ok(Update {
        actions,
        // AttributeUpdates has no clauses; its entries are checked as one.
        clause_starts: vec![0],
        legacy: true,
    })
}

/// `AttributesToGet` as projection paths.
pub fn attributes_to_get(names: &[String]) -> Vec<Path> {
    names.iter().map(Path::attr).collect()
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
