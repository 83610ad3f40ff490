//! BatchGetItem and BatchWriteItem.

use eddy_engine::{BatchGetRequest, BatchWriteRequest, Engine, WriteRequest};

use super::items::projection;
use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::expressions;
use crate::input::{Constraints, Input};
use crate::reply::Reply;

/// Most keys one BatchGetItem reads.
const MAX_GET_KEYS: usize = 100;
/// Most writes in one BatchWriteItem.
const MAX_WRITES: usize = 25;

fn request_items<'a>(input: &Input<'a>, op: &str) -> Result<Input<'a>, ApiError> {
    match input.map("RequestItems")? {
        Some(m) if !m.is_empty() => Ok(m),
        _ => Err(ApiError::validation(format!(
            "The requestItems parameter is required for {op}"
        ))),
    }
}

pub fn batch_get_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    c.finish()?;
    let items = request_items(input, "BatchGetItem")?;
    let mut requests = Vec::with_capacity(items.len());
    let mut total = 0usize;
    // The mixing rule holds across the tables of one request, not only within each.
    let (mut legacy, mut expression) = (false, false);
    for (table, spec) in items.entries() {
        let mut c = Constraints::new();
        c.table_or_arn(Some(table), "requestItems.key", 1);
        c.finish()?;
        if !spec.is_object() {
            return Err(ApiError::serialization("Expected null"));
        }
        let spec = spec.object()?;
        legacy |= spec.has("AttributesToGet");
        expression |= spec.has("ProjectionExpression");
        let keys = spec.list("Keys")?;
        let Some(keys) = keys else {
            return Err(ApiError::constraint(format!(
                "Value null at 'requestItems.{table}.member.keys' failed to satisfy constraint: Member must not be null"
            )));
        };
        if keys.is_empty() {
            return Err(ApiError::constraint(format!(
                "Value '[]' at 'requestItems.{table}.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
            )));
        }
        if keys.len() > MAX_GET_KEYS {
            return Err(ApiError::constraint(format!(
                "Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to {MAX_GET_KEYS}"
            )));
        }
        total += keys.len();
        let keys = keys
            .iter()
            .map(|k| k.item())
            .collect::<Result<Vec<_>, _>>()?;
        expressions::no_mixing(&spec, &["AttributesToGet"], &["ProjectionExpression"])?;
        let ph = expressions::placeholders(
            &spec,
            &["ProjectionExpression"],
            Some("ProjectionExpression is null"),
        )?;
        let mut resolver = ph.resolver();
        let projection = projection(&spec, &mut resolver)?;
        resolver.check_all_used()?;
        requests.push(BatchGetRequest {
            table_name: table.to_owned(),
            keys,
            projection,
            consistent: spec.bool("ConsistentRead")?.unwrap_or(false),
        });
    }
    if legacy && expression {
        return Err(ApiError::validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        ));
    }
    if total > MAX_GET_KEYS {
        return Err(ApiError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let out = engine.batch_get_item(requests)?;
    let mut o = Out::default();
    o.set_object("Responses", |r| {
        for (table, items) in &out.responses {
            r.set_items(table, items);
        }
    });
    o.set_object("UnprocessedKeys", |u| {
        for req in &out.unprocessed {
            // The table's request as sent (projection included), its Keys (which a request
            // always has, or it was refused above) those left unread.
            let spec = items.raw(&req.table_name).and_then(|s| s.object().ok());
            u.set_object(&req.table_name, |t| {
                for (member, v) in spec.iter().flat_map(Input::entries) {
                    if member == "Keys" {
                        t.set_items(member, &req.keys);
                    } else {
                        t.set_raw(member, v.text());
                    }
                }
            });
        }
    });
    o.set_consumed_list(rc, &out.consumed, false);
    Ok(o.done())
}

pub fn batch_write_item(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let rc = return_consumed(input, &mut c)?;
    c.one_of(
        input.string("ReturnItemCollectionMetrics")?,
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    );
    c.finish()?;
    let items = request_items(input, "BatchWriteItem")?;
    let mut requests = Vec::with_capacity(items.len());
    for (table, writes) in items.entries() {
        let mut c = Constraints::new();
        c.table_or_arn(Some(table), "requestItems.key", 1);
        c.finish()?;
        let writes = writes.list()?;
        if writes.is_empty() || writes.len() > MAX_WRITES {
            return Err(ApiError::constraint(format!(
                "Value '{{{table}=[...]}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_WRITES}, Member must have length greater than or equal to 1]"
            )));
        }
        let mut parsed = Vec::with_capacity(writes.len());
        for w in writes {
            if !w.is_object() {
                return Err(ApiError::serialization("Expected null"));
            }
            let w = w.object()?;
            let put = w.object("PutRequest")?;
            let delete = w.object("DeleteRequest")?;
            match (put, delete) {
                (Some(p), None) => {
                    let item = p.item("Item")?.ok_or_else(|| {
                        ApiError::constraint(format!(
                            "Value null at 'requestItems.{table}.member.putRequest.item' failed to satisfy constraint: Member must not be null"
                        ))
                    })?;
                    parsed.push(WriteRequest::Put(item));
                }
                (None, Some(d)) => {
                    let key = d.item("Key")?.ok_or_else(|| {
                        ApiError::constraint(format!(
                            "Value null at 'requestItems.{table}.member.deleteRequest.key' failed to satisfy constraint: Member must not be null"
                        ))
                    })?;
                    parsed.push(WriteRequest::Delete(key));
                }
                _ => {
                    return Err(ApiError::validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ));
                }
            }
        }
        requests.push(BatchWriteRequest {
            table_name: table.to_owned(),
            requests: parsed,
        });
    }
    let total: usize = requests.iter().map(|r| r.requests.len()).sum();
    if total > MAX_WRITES {
        return Err(ApiError::constraint(format!(
            "Value '{{...}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_WRITES}, Member must have length greater than or equal to 1]"
        )));
    }
    let metrics = input.string("ReturnItemCollectionMetrics")? == Some("SIZE");
    // The items and keys written, for ItemCollectionMetrics (the batch consumes the requests).
    let written: Vec<(String, eddy_types::Item)> = if metrics {
        requests
            .iter()
            .flat_map(|r| {
                r.requests.iter().map(|w| {
                    let item = match w {
                        WriteRequest::Put(item) | WriteRequest::Delete(item) => item.clone(),
                    };
                    (r.table_name.clone(), item)
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let out = engine.batch_write_item(requests)?;
    let mut o = Out::default();
    o.set_object("UnprocessedItems", |_| {});
    o.set_consumed_list(rc, &out, false);
    o.set_collection_metrics(engine, written.iter().map(|(t, i)| (t.as_str(), i)))?;
    Ok(o.done())
}
