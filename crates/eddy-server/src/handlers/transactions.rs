//! TransactWriteItems and TransactGetItems.

use std::hash::{Hash, Hasher};

use eddy_engine::{
    Engine, TransactGetItem, TransactWriteAction, TransactWriteInput, TransactWriteItem,
};
use eddy_expr::{ExprParam, parse_condition, parse_projection, parse_update};

use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::expressions;
use crate::input::{Constraints, Input};
use crate::reply::Reply;

/// Most actions in one transaction.
const MAX_ACTIONS: usize = 100;

/// TransactItems, checked for count.
fn transact_items<'a>(input: &Input<'a>) -> Result<Vec<Input<'a>>, ApiError> {
    let Some(items) = input.structures("TransactItems")? else {
        return Err(ApiError::constraint(
            "Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
        ));
    };
    if items.is_empty() {
        return Err(ApiError::constraint(
            "Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if items.len() > MAX_ACTIONS {
        let shown = input
            .raw("TransactItems")
            .map(|v| v.text())
            .unwrap_or_default();
        let inner = shown.trim_start_matches('[').trim_end_matches(']');
        return Err(ApiError::constraint(format!(
            "Value '[{inner}]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_ACTIONS}"
        )));
    }
    Ok(items)
}

fn table_name<'a>(action: &Input<'a>, path: &str) -> Result<&'a str, ApiError> {
    let name = action.string("TableName")?;
    let mut c = Constraints::new();
    c.table_or_arn(name, &format!("{path}.tableName"), 1);
    c.finish()?;
    Ok(name.unwrap_or_default())
}

/// One write action: its kind and its body.
fn write_action<'a>(item: &Input<'a>) -> Result<(&'static str, Input<'a>), ApiError> {
    let mut found = Vec::new();
    for kind in ["ConditionCheck", "Put", "Delete", "Update"] {
        if let Some(body) = item.object(kind)? {
            found.push((kind, body));
        }
    }
    if found.len() != 1 {
        return Err(ApiError::validation(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        ));
    }
    Ok(found.remove(0))
}

pub fn transact_write_items(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    c.one_of(
        input.string("ReturnItemCollectionMetrics")?,
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    );
    let token = input.string("ClientRequestToken")?;
    if let Some(t) = token
        && (t.is_empty() || t.chars().count() > 36)
    {
        c.fail(
            Some(t),
            "clientRequestToken",
            if t.is_empty() {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 36"
            },
        );
    }
    c.finish()?;
    let items = transact_items(input)?;
    let mut actions = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let (kind, body) = write_action(item)?;
        let path = format!(
            "transactItems.{}.member.{}",
            n + 1,
            expressions::lower_first(kind)
        );
        let table = table_name(&body, &path)?.to_owned();
        let ph = expressions::placeholders(
            &body,
            &["ConditionExpression", "UpdateExpression"],
            Some("ConditionExpression is null"),
        )?;
        let mut resolver = ph.resolver();
        let update = match (kind, body.string("UpdateExpression")?) {
            ("Update", Some(text)) => Some(parse_update(text, &mut resolver)?),
            ("Update", None) => {
                return Err(ApiError::constraint(format!(
                    "Value null at '{path}.updateExpression' failed to satisfy constraint: Member must not be null"
                )));
            }
            _ => None,
        };
        let condition = body
            .string("ConditionExpression")?
            .map(|t| parse_condition(t, ExprParam::ConditionExpression, &mut resolver))
            .transpose()?;
        resolver.check_all_used()?;
        if kind == "ConditionCheck" && condition.is_none() {
            return Err(ApiError::constraint(format!(
                "Value null at '{path}.conditionExpression' failed to satisfy constraint: Member must not be null"
            )));
        }
        let required = |name: &str| -> Result<eddy_types::Item, ApiError> {
            body.item(name)?.ok_or_else(|| {
                ApiError::constraint(format!(
                    "Value null at '{path}.{}' failed to satisfy constraint: Member must not be null",
                    expressions::lower_first(name)
                ))
            })
        };
        let action = match kind {
            "Put" => {
                let item = required("Item")?;
                TransactWriteAction::Put {
                    table_name: table,
                    item,
                }
            }
            "Update" => TransactWriteAction::Update {
                table_name: table,
                key: required("Key")?,
                update: update
                    .ok_or_else(|| ApiError::validation("UpdateExpression is required"))?,
            },
            "Delete" => TransactWriteAction::Delete {
                table_name: table,
                key: required("Key")?,
            },
            _ => TransactWriteAction::ConditionCheck {
                table_name: table,
                key: required("Key")?,
            },
        };
        let on_failure = body.string("ReturnValuesOnConditionCheckFailure")?;
        let mut c = Constraints::new();
        c.one_of(
            on_failure,
            &format!("{path}.returnValuesOnConditionCheckFailure"),
            &["ALL_OLD", "NONE"],
        );
        c.finish()?;
        actions.push(TransactWriteItem {
            action,
            condition,
            return_old_on_failure: on_failure == Some("ALL_OLD"),
        });
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    input.text().hash(&mut hasher);
    let metrics = input.string("ReturnItemCollectionMetrics")? == Some("SIZE");
    // The items and keys written, for ItemCollectionMetrics (condition checks write nothing).
    let written: Vec<(String, eddy_types::Item)> = actions
        .iter()
        .filter(|_| metrics)
        .filter_map(|a| match &a.action {
            TransactWriteAction::Put { table_name, item } => {
                Some((table_name.clone(), item.clone()))
            }
            TransactWriteAction::Update {
                table_name, key, ..
            }
            | TransactWriteAction::Delete { table_name, key } => {
                Some((table_name.clone(), key.clone()))
            }
            TransactWriteAction::ConditionCheck { .. } => None,
        })
        .collect();
    let out = engine.transact_write_items(TransactWriteInput {
        items: actions,
        client_request_token: token.map(str::to_owned),
        request_digest: hasher.finish(),
    })?;
    let mut o = Out::default();
    o.set_consumed_list(rc, &out, true);
    o.set_collection_metrics(engine, written.iter().map(|(t, i)| (t.as_str(), i)))?;
    Ok(o.done())
}

pub fn transact_get_items(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    c.finish()?;
    let items = transact_items(input)?;
    let mut gets = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let Some(get) = item.object("Get")? else {
            return Err(ApiError::constraint(format!(
                "Value null at 'transactItems.{}.member.get' failed to satisfy constraint: Member must not be null",
                n + 1
            )));
        };
        let path = format!("transactItems.{}.member.get", n + 1);
        let table = table_name(&get, &path)?.to_owned();
        let ph = expressions::placeholders(
            &get,
            &["ProjectionExpression"],
            Some("ProjectionExpression is null"),
        )?;
        let mut resolver = ph.resolver();
        let projection = get
            .string("ProjectionExpression")?
            .map(|t| parse_projection(t, &mut resolver))
            .transpose()?;
        resolver.check_all_used()?;
        let key = get.item("Key")?.ok_or_else(|| {
            ApiError::constraint(format!(
                "Value null at '{path}.key' failed to satisfy constraint: Member must not be null"
            ))
        })?;
        gets.push(TransactGetItem {
            table_name: table,
            key,
            projection,
        });
    }
    let (found, caps) = engine.transact_get_items(gets)?;
    let mut o = Out::default();
    o.set_objects("Responses", &found, |r, item| {
        // An item the projection leaves nothing of answers as a missing one does.
        if let Some(item) = item.as_ref().filter(|i| !i.is_empty()) {
            r.set_item("Item", item);
        }
    });
    o.set_consumed_list(rc, &caps, true);
    Ok(o.done())
}
