//! PutItem, GetItem, UpdateItem, DeleteItem.

use eddy_engine::{
    DeleteItemInput, Engine, GetItemInput, ItemOutput, PutItemInput, ReturnValues, UpdateItemInput,
};
use eddy_expr::{
    Condition, ExprParam, Path, legacy, parse_condition, parse_projection, parse_update,
};
use eddy_types::Item;

use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::expressions;
use crate::input::{Constraints, Input};
use crate::render::{ReturnConsumed, consumed};
use crate::reply::Reply;

/// Checks shared by the single-item operations: table name, the enums, and a required
/// item or key. Returns (table, ReturnConsumedCapacity).
fn common<'a>(
    input: &Input<'a>,
    c: &mut Constraints,
    required_item: (&str, bool),
) -> Result<(&'a str, ReturnConsumed), ApiError> {
    let table = input.string("TableName")?;
    let rc = return_consumed(input, c)?;
    c.one_of(
        input.string("ReturnItemCollectionMetrics")?,
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    );
    c.one_of(
        input.string("ConditionalOperator")?,
        "conditionalOperator",
        &["AND", "OR"],
    );
    c.one_of(
        input.string("ReturnValuesOnConditionCheckFailure")?,
        "returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    );
    c.table_or_arn(table, "tableName", 1);
    let (param, present) = required_item;
    if !present {
        c.fail(None, param, "Member must not be null");
    }
    Ok((table.unwrap_or_default(), rc))
}

fn return_values(input: &Input<'_>, c: &mut Constraints) -> Result<ReturnValues, ApiError> {
    let v = input.string("ReturnValues")?;
    c.one_of(
        v,
        "returnValues",
        // DynamoDB lists the set in this order.
        &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    );
    Ok(match v {
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        _ => ReturnValues::None,
    })
}

fn return_old_on_failure(input: &Input<'_>) -> Result<bool, ApiError> {
    Ok(input.string("ReturnValuesOnConditionCheckFailure")? == Some("ALL_OLD"))
}

/// The write condition: ConditionExpression, or the legacy Expected lowered.
fn write_condition(
    input: &Input<'_>,
    resolver: &mut eddy_expr::Placeholders<'_>,
) -> Result<Option<Condition>, ApiError> {
    if let Some(text) = input.string("ConditionExpression")? {
        return Ok(Some(parse_condition(
            text,
            ExprParam::ConditionExpression,
            resolver,
        )?));
    }
    if let Some(expected) = expressions::expected(input)? {
        let op = input.string("ConditionalOperator")?;
        return Ok(Some(legacy::expected_to_condition(&expected, op)?));
    }
    Ok(None)
}

/// The projection of a read: ProjectionExpression, or legacy AttributesToGet.
pub(super) fn projection(
    input: &Input<'_>,
    resolver: &mut eddy_expr::Placeholders<'_>,
) -> Result<Option<Vec<Path>>, ApiError> {
    if let Some(text) = input.string("ProjectionExpression")? {
        return Ok(Some(parse_projection(text, resolver)?));
    }
    if let Some(names) = input.strings("AttributesToGet")? {
        for name in &names {
            crate::input::check_attribute_name(name)?;
        }
        if names.is_empty() {
            return Err(ApiError::constraint(
                "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let mut sorted = names.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(ApiError::validation(format!(
                "One or more parameter values were invalid: Duplicate value in attribute name: {}",
                sorted
                    .windows(2)
                    .find(|w| w[0] == w[1])
                    .map(|w| w[0].clone())
                    .unwrap_or_default()
            )));
        }
        return Ok(Some(legacy::attributes_to_get(&names)));
    }
    Ok(None)
}

fn attributes_out(
    engine: &Engine,
    out: ItemOutput,
    table: &str,
    rc: ReturnConsumed,
    metrics: bool,
) -> Result<Reply, ApiError> {
    let mut o = Out::default();
    if let Some(item) = &out.item {
        o.set_item("Attributes", item);
    }
    o.set_opt("ConsumedCapacity", consumed(rc, table, &out.consumed));
    if metrics
        && let Some(key) = &out.item_collection_key
        && let Some(collection) = engine.item_collection(table, key)?
    {
        o.set_object("ItemCollectionMetrics", |m| {
            super::collection_metrics(m, &collection);
        });
    }
    Ok(o.done())
}

fn wants_metrics(input: &Input<'_>) -> Result<bool, ApiError> {
    Ok(input.string("ReturnItemCollectionMetrics")? == Some("SIZE"))
}

fn item_param(input: &Input<'_>, name: &str) -> Result<Option<Item>, ApiError> {
    input.item(name)
}

/// What PutItem and DeleteItem read alike: the table, the item or key in `param`, ReturnValues
/// (NONE or ALL_OLD only), ReturnConsumedCapacity and the write condition.
struct SimpleWrite<'a> {
    table: &'a str,
    item: Item,
    return_values: ReturnValues,
    rc: ReturnConsumed,
    condition: Option<Condition>,
}

fn simple_write<'a>(input: &Input<'a>, param: &str) -> Result<SimpleWrite<'a>, ApiError> {
    let mut c = Constraints::new();
    let return_values = return_values(input, &mut c)?;
    let path = expressions::lower_first(param);
    let (table, rc) = common(input, &mut c, (&path, input.has(param)))?;
    c.finish()?;
    let item = item_param(input, param)?.unwrap_or_default();
    if !matches!(return_values, ReturnValues::None | ReturnValues::AllOld) {
        return Err(ApiError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        ));
    }
    expressions::no_mixing(
        input,
        &["Expected", "ConditionalOperator"],
        &["ConditionExpression"],
    )?;
    expressions::conditional_operator(input, "Expected")?;
    let ph = expressions::placeholders(
        input,
        &["ConditionExpression"],
        Some("ConditionExpression is null"),
    )?;
    let mut resolver = ph.resolver();
    let condition = write_condition(input, &mut resolver)?;
    resolver.check_all_used()?;
    Ok(SimpleWrite {
        table,
        item,
        return_values,
        rc,
        condition,
    })
}

pub fn put_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let w = simple_write(input, "Item")?;
    let out = engine.put_item(PutItemInput {
        table_name: w.table.to_owned(),
        item: w.item,
        condition: w.condition,
        return_values: w.return_values,
        return_old_on_failure: return_old_on_failure(input)?,
    })?;
    attributes_out(engine, out, w.table, w.rc, wants_metrics(input)?)
}

pub fn get_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let (table, rc) = common(input, &mut c, ("key", input.has("Key")))?;
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    c.finish()?;
    let key = item_param(input, "Key")?.unwrap_or_default();
    expressions::no_mixing(input, &["AttributesToGet"], &["ProjectionExpression"])?;
    let ph = expressions::placeholders(
        input,
        &["ProjectionExpression"],
        Some("ProjectionExpression is null"),
    )?;
    let mut resolver = ph.resolver();
    let projection = projection(input, &mut resolver)?;
    resolver.check_all_used()?;
    let out = engine.get_item(GetItemInput {
        table_name: table.to_owned(),
        key,
        projection,
        consistent,
    })?;
    let mut o = Out::default();
    if let Some(item) = &out.item {
        o.set_item("Item", item);
    }
    o.set_opt("ConsumedCapacity", consumed(rc, table, &out.consumed));
    Ok(o.done())
}

pub fn update_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rv = return_values(input, &mut c)?;
    let (table, rc) = common(input, &mut c, ("key", input.has("Key")))?;
    c.finish()?;
    let key = item_param(input, "Key")?.unwrap_or_default();
    expressions::no_mixing(
        input,
        &["AttributeUpdates", "Expected", "ConditionalOperator"],
        &["UpdateExpression", "ConditionExpression"],
    )?;
    expressions::conditional_operator(input, "Expected")?;
    let ph = expressions::placeholders(
        input,
        &["UpdateExpression", "ConditionExpression"],
        Some("UpdateExpression and ConditionExpression are null"),
    )?;
    let mut resolver = ph.resolver();
    let update = match input.string("UpdateExpression")? {
        Some(text) => Some(parse_update(text, &mut resolver)?),
        None => match expressions::attribute_updates(input)? {
            Some(updates) => Some(legacy::attribute_updates_to_update(&updates)?),
            None => None,
        },
    };
    let condition = write_condition(input, &mut resolver)?;
    resolver.check_all_used()?;
    let out = engine.update_item(UpdateItemInput {
        table_name: table.to_owned(),
        key,
        update,
        condition,
        return_values: rv,
        return_old_on_failure: return_old_on_failure(input)?,
    })?;
    attributes_out(engine, out, table, rc, wants_metrics(input)?)
}

pub fn delete_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let w = simple_write(input, "Key")?;
    let out = engine.delete_item(DeleteItemInput {
        table_name: w.table.to_owned(),
        key: w.item,
        condition: w.condition,
        return_values: w.return_values,
        return_old_on_failure: return_old_on_failure(input)?,
    })?;
    attributes_out(engine, out, w.table, w.rc, wants_metrics(input)?)
}
