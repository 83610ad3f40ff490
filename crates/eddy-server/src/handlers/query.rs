//! Query and Scan.

use eddy_engine::{Engine, QueryInput, QueryOutput, ScanInput};
use eddy_expr::{Condition, ExprParam, KeyNames, legacy, parse_condition, parse_key_condition};

use super::items::projection;
use super::{Out, return_consumed};
use crate::error::ApiError;
use crate::expressions;
use crate::input::{Constraints, Input};
use crate::protocol::Operation;
use crate::render::{ReturnConsumed, consumed};
use crate::reply::Reply;
use crate::telemetry;

const SELECT: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];

/// Select and its combinations with a projection; returns whether only the count is wanted.
/// `query`: Query words the COUNT refusal as a one-item validation list, Scan does not.
fn check_select(input: &Input<'_>, has_index: bool, query: bool) -> Result<bool, ApiError> {
    let select = input.string("Select")?;
    let projection = if input.has("ProjectionExpression") {
        Some("ProjectionExpression")
    } else if input.has("AttributesToGet") {
        Some("AttributesToGet")
    } else {
        None
    };
    // Query states these as a validation error of the request; Scan gives the bare text.
    let refuse = |text: String| {
        Err(ApiError::validation(if query {
            format!("1 validation error detected: {text}")
        } else {
            text
        }))
    };
    match (select, projection) {
        (Some("ALL_ATTRIBUTES"), Some(p)) => refuse(format!(
            "Cannot specify the {p} when choosing to get ALL_ATTRIBUTES"
        )),
        (Some("ALL_PROJECTED_ATTRIBUTES"), Some(p)) => refuse(format!(
            "Cannot specify the {p} when choosing to get ALL_PROJECTED_ATTRIBUTES"
        )),
        (Some("COUNT"), Some(p)) => refuse(format!(
            "Cannot specify the {p} when choosing to get only the Count"
        )),
        (Some("SPECIFIC_ATTRIBUTES"), None) => refuse(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES".to_owned(),
        ),
        (Some("ALL_PROJECTED_ATTRIBUTES"), None) if !has_index => refuse(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".to_owned(),
        ),
        (select, _) => Ok(select == Some("COUNT")),
    }
}

/// FilterExpression, or the legacy filter (`QueryFilter` / `ScanFilter`) lowered.
fn filter(
    input: &Input<'_>,
    resolver: &mut eddy_expr::Placeholders<'_>,
    legacy_param: &str,
) -> Result<Option<Condition>, ApiError> {
    if let Some(text) = input.string("FilterExpression")? {
        return Ok(Some(parse_condition(
            text,
            ExprParam::FilterExpression,
            resolver,
        )?));
    }
    match expressions::conditions(input, legacy_param)? {
        Some(f) => Ok(Some(legacy::filter_to_condition(
            &f,
            input.string("ConditionalOperator")?,
        )?)),
        None => Ok(None),
    }
}

fn page_out(
    op: Operation,
    out: QueryOutput,
    table: &str,
    rc: ReturnConsumed,
    count_only: bool,
) -> Reply {
    telemetry::returned_items(op, table, out.count);
    let mut o = Out::default();
    if !count_only {
        o.set_items("Items", &out.items);
    }
    o.set("Count", out.count);
    o.set("ScannedCount", out.scanned_count);
    if let Some(k) = &out.last_evaluated_key {
        o.set_item("LastEvaluatedKey", k);
    }
    o.set_opt("ConsumedCapacity", consumed(rc, table, &out.consumed));
    o.done()
}

/// What Query and Scan read alike: table, index, limit and ReturnConsumedCapacity.
type Common<'a> = (&'a str, Option<&'a str>, Option<i64>, ReturnConsumed);

/// The checks Query and Scan share.
fn common<'a>(
    input: &Input<'a>,
    c: &mut Constraints,
    limit_path: &str,
) -> Result<Common<'a>, ApiError> {
    let table = input.string("TableName")?;
    let index = input.string("IndexName")?;
    let limit = input.int("Limit", "Integer")?;
    let select = input.string("Select")?;
    let rc = return_consumed(input, c)?;
    c.one_of(select, "select", SELECT);
    c.one_of(
        input.string("ConditionalOperator")?,
        "conditionalOperator",
        &["AND", "OR"],
    );
    c.table_or_arn(table, "tableName", 1);
    if index.is_some() {
        c.table_name(index, "indexName", 3);
    }
    if let Some(l) = limit
        && l < 1
    {
        if limit_path == "Limit" {
            c.push(
                "Value at 'Limit' failed to satisfy constraint: Member must have value greater than or equal to 1".into(),
            );
        } else {
            c.range(limit, limit_path, 1, i64::MAX);
        }
    }
    Ok((table.unwrap_or_default(), index, limit, rc))
}

pub fn query(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let (table, index, limit, rc) = common(input, &mut c, "Limit")?;
    c.finish()?;
    let forward = input.bool("ScanIndexForward")?.unwrap_or(true);
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let esk = input.item("ExclusiveStartKey")?;
    let count_only = check_select(input, index.is_some(), true)?;
    // KeyConditions counts as a legacy parameter only beside KeyConditionExpression: DynamoDB
    // takes it with a FilterExpression or ProjectionExpression.
    let legacy: &[&str] = if input.has("KeyConditionExpression") {
        &[
            "AttributesToGet",
            "QueryFilter",
            "ConditionalOperator",
            "KeyConditions",
        ]
    } else {
        &["AttributesToGet", "QueryFilter", "ConditionalOperator"]
    };
    expressions::no_mixing(
        input,
        legacy,
        &[
            "ProjectionExpression",
            "FilterExpression",
            "KeyConditionExpression",
        ],
    )?;
    expressions::conditional_operator(input, "QueryFilter")?;
    if !input.has("KeyConditionExpression") && !input.has("KeyConditions") {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }
    let ph = expressions::placeholders(
        input,
        &[
            "ProjectionExpression",
            "FilterExpression",
            "KeyConditionExpression",
        ],
        // Query's message names no expression.
        None,
    )?;
    let mut resolver = ph.resolver();
    let (schema, _) = engine.key_schema(table, index)?;
    let hash: Vec<&str> = schema.hash.iter().map(|a| a.name.as_str()).collect();
    let range: Vec<&str> = schema.range.iter().map(|a| a.name.as_str()).collect();
    let names = KeyNames {
        hash: &hash,
        range: &range,
    };
    let key_condition = match input.string("KeyConditionExpression")? {
        Some(text) => parse_key_condition(text, &mut resolver, names)?,
        None => {
            let conds = expressions::conditions(input, "KeyConditions")?.unwrap_or_default();
            legacy::key_conditions(&conds, names)?
        }
    };
    let filter = filter(input, &mut resolver, "QueryFilter")?;
    let projection = projection(input, &mut resolver)?;
    resolver.check_all_used()?;
    if let Some(f) = &filter
        && let Some(path) = f.paths().into_iter().find(|p| schema.is_key(p.top()))
    {
        return Err(ApiError::validation(format!(
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
            path.top()
        )));
    }
    let out = engine.query(QueryInput {
        table_name: table.to_owned(),
        index_name: index.map(str::to_owned),
        all_attributes: input.string("Select")? == Some("ALL_ATTRIBUTES"),
        key_condition,
        filter,
        projection,
        count_only,
        forward,
        limit: limit.map(|l| l as usize),
        exclusive_start_key: esk,
        consistent,
    })?;
    Ok(page_out(Operation::Query, out, table, rc, count_only))
}

pub fn scan(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let (table, index, limit, rc) = common(input, &mut c, "limit")?;
    let segment = input.int("Segment", "Integer")?;
    let total = input.int("TotalSegments", "Integer")?;
    c.range(segment, "segment", 0, 999_999);
    c.range(total, "totalSegments", 1, 1_000_000);
    c.finish()?;
    let segment = match (segment, total) {
        (Some(_), None) => {
            return Err(ApiError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(t)) if s >= t => {
            return Err(ApiError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
            )));
        }
        (Some(s), Some(t)) => Some((s as u32, t as u32)),
        (None, None) => None,
    };
    let consistent = input.bool("ConsistentRead")?.unwrap_or(false);
    let esk = input.item("ExclusiveStartKey")?;
    let count_only = check_select(input, index.is_some(), false)?;
    expressions::no_mixing(
        input,
        &["AttributesToGet", "ScanFilter", "ConditionalOperator"],
        &["ProjectionExpression", "FilterExpression"],
    )?;
    expressions::conditional_operator(input, "ScanFilter")?;
    let ph = expressions::placeholders(
        input,
        &["ProjectionExpression", "FilterExpression"],
        Some("FilterExpression is null"),
    )?;
    let mut resolver = ph.resolver();
    let filter = filter(input, &mut resolver, "ScanFilter")?;
    let projection = projection(input, &mut resolver)?;
    resolver.check_all_used()?;
    engine.key_schema(table, index)?;
    let out = engine.scan(ScanInput {
        table_name: table.to_owned(),
        index_name: index.map(str::to_owned),
        all_attributes: input.string("Select")? == Some("ALL_ATTRIBUTES"),
        filter,
        projection,
        count_only,
        limit: limit.map(|l| l as usize),
        exclusive_start_key: esk,
        segment,
        consistent,
    })?;
    Ok(page_out(Operation::Scan, out, table, rc, count_only))
}
