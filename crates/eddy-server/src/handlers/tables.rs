//! Control-plane handlers.

use eddy_engine::{
    AttributeDefinition, BillingMode, CreateTableInput, Engine, IndexInput, IndexUpdate,
    KeySchemaElement, KeyType, Projection, ProjectionType, ScalarType, StreamChange, Tag,
    Throughput, UpdateTableInput,
};
use eddy_streams::StreamViewType;

use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::table_description;
use crate::reply::{Out, Reply};

/// A KeySchema. A table's and a local index's hold at most two elements; a global index's
/// multi-attribute key is bounded by the engine, with DynamoDB's messages.
fn key_schema(
    input: &Input<'_>,
    c: &mut Constraints,
    path: &str,
    multi_attribute: bool,
) -> Result<Option<Vec<KeySchemaElement>>, ApiError> {
    let Some(list) = input.structures("KeySchema")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        let name = e.string("AttributeName")?;
        let key_type = e.string("KeyType")?;
        let p = format!("{path}.{}.member", i + 1);
        c.required(name, &format!("{p}.attributeName"));
        key_name_length(c, name, &format!("{p}.attributeName"));
        c.required(key_type, &format!("{p}.keyType"));
        c.one_of(key_type, &format!("{p}.keyType"), &["HASH", "RANGE"]);
        if let (Some(name), Some(kt)) = (name, key_type) {
            let key_type = match kt {
                "HASH" => KeyType::Hash,
                "RANGE" => KeyType::Range,
                _ => continue,
            };
            out.push(KeySchemaElement {
                attribute_name: name.to_owned(),
                key_type,
            });
        }
    }
    if list.is_empty() {
        c.fail(
            Some("[]"),
            path,
            "Member must have length greater than or equal to 1",
        );
    } else if list.len() > 2 && !multi_attribute {
        c.push(format!(
            "Value '{}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to 2",
            java_list(&out)
        ));
    }
    Ok(Some(out))
}

fn java_list(elements: &[KeySchemaElement]) -> String {
    let parts: Vec<String> = elements
        .iter()
        .map(|e| {
            format!(
                "KeySchemaElement(attributeName={}, keyType={})",
                e.attribute_name,
                e.key_type.as_str()
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// A key attribute's name: 1 to 255 bytes.
fn key_name_length(c: &mut Constraints, name: Option<&str>, path: &str) {
    match name {
        Some(n) if n.is_empty() => {
            c.fail(
                Some(n),
                path,
                "Member must have length greater than or equal to 1",
            );
        }
        Some(n) if n.len() > 255 => {
            c.fail(
                Some(n),
                path,
                "Member must have length less than or equal to 255",
            );
        }
        _ => {}
    }
}

fn attribute_definitions(
    input: &Input<'_>,
    c: &mut Constraints,
) -> Result<Option<Vec<AttributeDefinition>>, ApiError> {
    let Some(list) = input.structures("AttributeDefinitions")? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, d) in list.iter().enumerate() {
        let name = d.string("AttributeName")?;
        let ty = d.string("AttributeType")?;
        let p = format!("attributeDefinitions.{}.member", i + 1);
        c.required(name, &format!("{p}.attributeName"));
        key_name_length(c, name, &format!("{p}.attributeName"));
        c.required(ty, &format!("{p}.attributeType"));
        c.one_of(ty, &format!("{p}.attributeType"), &["B", "N", "S"]);
        if let (Some(name), Some(ty)) = (name, ty.and_then(ScalarType::parse)) {
            out.push(AttributeDefinition {
                attribute_name: name.to_owned(),
                attribute_type: ty,
            });
        }
    }
    Ok(Some(out))
}

fn billing_mode(input: &Input<'_>, c: &mut Constraints) -> Result<Option<BillingMode>, ApiError> {
    let v = input.string("BillingMode")?;
    c.one_of(v, "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    Ok(match v {
        Some("PROVISIONED") => Some(BillingMode::Provisioned),
        Some("PAY_PER_REQUEST") => Some(BillingMode::PayPerRequest),
        _ => None,
    })
}

fn throughput(input: &Input<'_>, c: &mut Constraints) -> Result<Option<Throughput>, ApiError> {
    throughput_member(input, c, "ProvisionedThroughput")
}

/// A ProvisionedThroughput shape under `member` (ProvisionedThroughput, or a restore's
/// ProvisionedThroughputOverride).
pub(crate) fn throughput_member(
    input: &Input<'_>,
    c: &mut Constraints,
    member: &str,
) -> Result<Option<Throughput>, ApiError> {
    let Some(pt) = input.object(member)? else {
        return Ok(None);
    };
    let path = crate::expressions::lower_first(member);
    let read = pt.int("ReadCapacityUnits", "Long")?;
    let write = pt.int("WriteCapacityUnits", "Long")?;
    c.required(write, &format!("{path}.writeCapacityUnits"));
    c.required(read, &format!("{path}.readCapacityUnits"));
    c.range(write, &format!("{path}.writeCapacityUnits"), 1, i64::MAX);
    c.range(read, &format!("{path}.readCapacityUnits"), 1, i64::MAX);
    Ok(match (read, write) {
        (Some(read), Some(write)) => Some(Throughput { read, write }),
        _ => None,
    })
}

/// WarmThroughput: read and write units per second.
fn warm_throughput(input: &Input<'_>, c: &mut Constraints) -> Result<Option<(i64, i64)>, ApiError> {
    let Some(w) = input.object("WarmThroughput")? else {
        return Ok(None);
    };
    let read = w.int("ReadUnitsPerSecond", "Long")?;
    let write = w.int("WriteUnitsPerSecond", "Long")?;
    c.range(read, "warmThroughput.readUnitsPerSecond", 1, i64::MAX);
    c.range(write, "warmThroughput.writeUnitsPerSecond", 1, i64::MAX);
    Ok(Some((read.unwrap_or(0), write.unwrap_or(0))))
}

/// StreamSpecification, checked: `Some(Some(view))` enables a stream, `Some(None)` disables
/// it, `None` when absent.
fn stream_spec(
    input: &Input<'_>,
    c: &mut Constraints,
) -> Result<Option<Option<StreamViewType>>, ApiError> {
    let Some(spec) = input.object("StreamSpecification")? else {
        return Ok(None);
    };
    let enabled = spec.bool("StreamEnabled")?;
    let view = spec.string("StreamViewType")?;
    c.required(enabled, "streamSpecification.streamEnabled");
    c.one_of(
        view,
        "streamSpecification.streamViewType",
        &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
    );
    let view = view.and_then(StreamViewType::parse);
    Ok(match (enabled, view) {
        (Some(true), Some(v)) => Some(Some(v)),
        (Some(true), None) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required",
            ));
        }
        (Some(false), Some(_)) => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified",
            ));
        }
        (Some(false), None) => Some(None),
        (None, _) => None,
    })
}

/// Tag keys and values hold letters, digits, spaces and `_ . : / = + - @`; keys may not start
/// with `aws:`; a request names each key once.
fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    let allowed = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
    };
    for (i, t) in tags.iter().enumerate() {
        if !allowed(&t.key) {
            return Err(ApiError::validation(format!(
                "The Tag Key provided is invalid, Key: {}",
                t.key
            )));
        }
        if t.key.starts_with("aws:") {
            return Err(ApiError::validation(format!(
                "Tag Key cannot be prefixed with aws:, Key: {}",
                t.key
            )));
        }
        if !allowed(&t.value) {
            return Err(ApiError::validation(format!(
                "The Tag Value provided is invalid, Value: {}",
                t.value
            )));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {}",
                t.key
            )));
        }
    }
    Ok(())
}

fn tags(input: &Input<'_>, c: &mut Constraints) -> Result<Vec<Tag>, ApiError> {
    let Some(list) = input.structures("Tags")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let key = t.string("Key")?;
        let value = t.string("Value")?;
        let p = format!("tags.{}.member", i + 1);
        c.required(key, &format!("{p}.key"));
        c.required(value, &format!("{p}.value"));
        if let Some(k) = key
            && (k.is_empty() || k.chars().count() > 128)
        {
            c.fail(
                Some(k),
                &format!("{p}.key"),
                if k.is_empty() {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 128"
                },
            );
        }
        if let Some(v) = value
            && v.chars().count() > 256
        {
            c.fail(
                Some(v),
                &format!("{p}.value"),
                "Member must have length less than or equal to 256",
            );
        }
        if let (Some(key), Some(value)) = (key, value) {
            out.push(Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    Ok(out)
}

pub fn create_table(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = input.string("TableName")?;
    let mut c = Constraints::new();
    let defs = attribute_definitions(input, &mut c)?;
    let schema = key_schema(input, &mut c, "keySchema", false)?;
    let throughput = throughput(input, &mut c)?;
    let billing = billing_mode(input, &mut c)?;
    let tags = tags(input, &mut c)?;
    let stream = stream_spec(input, &mut c);
    let deletion_protection = input.bool("DeletionProtectionEnabled")?.unwrap_or(false);
    let table_class = input.string("TableClass")?;
    c.one_of(
        table_class,
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
    let resource_policy = input.string("ResourcePolicy")?;
    let warm_throughput = warm_throughput(input, &mut c)?;
    if name.is_some() {
        c.table_name(name, "tableName", 3);
    }
    c.required(defs.as_ref(), "attributeDefinitions");
    c.required(schema.as_ref(), "keySchema");
    let Some(name) = name else {
        c.finish()?;
        return Err(ApiError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        ));
    };
    c.finish()?;
    check_tags(&tags)?;
    let stream = stream?.flatten();
    let global_indexes = indexes(input, "GlobalSecondaryIndexes", true)?;
    let local_indexes = indexes(input, "LocalSecondaryIndexes", false)?;
    let out = engine.create_table(CreateTableInput {
        table_name: name.to_owned(),
        key_schema: schema.unwrap_or_default(),
        attribute_definitions: defs.unwrap_or_default(),
        billing_mode: billing,
        throughput,
        tags,
        deletion_protection,
        table_class: table_class.map(str::to_owned),
        stream,
        global_indexes,
        local_indexes,
        resource_policy: resource_policy.map(str::to_owned),
        warm_throughput,
    })?;
    // CreateTable shows WarmThroughput only when it was asked for, as being applied.
    Ok(Out::only(
        "TableDescription",
        table_description(&out).warm_throughput_updating(warm_throughput.is_some()),
    ))
}

/// The most NonKeyAttributes one index projection names.
const MAX_NON_KEY_ATTRIBUTES: usize = 20;

/// One index definition of CreateTable or a GSI Create of UpdateTable.
/// `global` indexes take multi-attribute keys and provisioned throughput.
fn index_input(i: &Input<'_>, path: &str, global: bool) -> Result<IndexInput, ApiError> {
    let mut c = Constraints::new();
    let name = i.string("IndexName")?;
    c.table_name(name, &format!("{path}.indexName"), 3);
    let key_schema = key_schema(i, &mut c, &format!("{path}.keySchema"), global)?;
    c.required(key_schema.as_ref(), &format!("{path}.keySchema"));
    let projection = i.object("Projection")?;
    c.required(projection.as_ref(), &format!("{path}.projection"));
    let (ptype, non_key) = match projection {
        Some(p) => {
            let t = p.string("ProjectionType")?;
            c.one_of(
                t,
                &format!("{path}.projection.projectionType"),
                &["ALL", "KEYS_ONLY", "INCLUDE"],
            );
            let non_key = p.strings("NonKeyAttributes")?;
            if let Some(list) = &non_key
                && (list.is_empty() || list.len() > MAX_NON_KEY_ATTRIBUTES)
            {
                c.fail(
                    Some(&format!("[{}]", list.join(", "))),
                    &format!("{path}.projection.nonKeyAttributes"),
                    if list.is_empty() {
                        "Member must have length greater than or equal to 1".to_owned()
                    } else {
                        format!(
                            "Member must have length less than or equal to {MAX_NON_KEY_ATTRIBUTES}"
                        )
                    }
                    .as_str(),
                );
            }
            if let Some(list) = &non_key
                && list.iter().any(|a| a.is_empty() || a.len() > 255)
            {
                c.fail(
                    Some(&format!("[{}]", list.join(", "))),
                    &format!("{path}.projection.nonKeyAttributes"),
                    "Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]",
                );
            }
            (t, non_key.unwrap_or_default())
        }
        None => (None, Vec::new()),
    };
    let throughput = if global { throughput(i, &mut c)? } else { None };
    c.finish()?;
    let projection_type = match ptype {
        Some("ALL") => ProjectionType::All,
        Some("INCLUDE") => ProjectionType::Include,
        Some("KEYS_ONLY") => ProjectionType::KeysOnly,
        _ => {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Unknown ProjectionType: null",
            ));
        }
    };
    Ok(IndexInput {
        name: name.unwrap_or_default().to_owned(),
        key_schema: key_schema.unwrap_or_default(),
        projection: Projection {
            projection_type,
            non_key_attributes: non_key,
        },
        throughput,
    })
}

pub(crate) fn indexes(
    input: &Input<'_>,
    param: &str,
    global: bool,
) -> Result<Vec<IndexInput>, ApiError> {
    let Some(list) = input.structures(param)? else {
        return Ok(Vec::new());
    };
    if list.is_empty() {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: List of {param} is empty"
        )));
    }
    let path = crate::expressions::lower_first(param);
    list.iter()
        .enumerate()
        .map(|(n, i)| index_input(i, &format!("{path}.{}.member", n + 1), global))
        .collect()
}

fn table_name<'a>(input: &Input<'a>) -> Result<&'a str, ApiError> {
    let name = input.string("TableName")?;
    let mut c = Constraints::new();
    c.table_or_arn(name, "tableName", 3);
    c.finish()?;
    Ok(name.unwrap_or_default())
}

pub fn describe_table(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table_name(input)?;
    Ok(Out::only(
        "Table",
        table_description(&engine.describe_table(name)?),
    ))
}

pub fn delete_table(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table_name(input)?;
    Ok(Out::only(
        "TableDescription",
        table_description(&engine.delete_table(name)?).deleting(),
    ))
}

pub fn list_tables(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let start = input.string("ExclusiveStartTableName")?;
    let limit = input.int("Limit", "Integer")?;
    let mut c = Constraints::new();
    if start.is_some() {
        c.table_name(start, "exclusiveStartTableName", 3);
    }
    c.range(limit, "limit", 1, 100);
    c.finish()?;
    let (names, last) = engine.list_tables(start, limit.unwrap_or(100) as usize)?;
    let mut out = Out::default();
    out.set("TableNames", names);
    out.set_opt("LastEvaluatedTableName", last);
    Ok(out.done())
}

pub fn update_table(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = input.string("TableName")?;
    let mut c = Constraints::new();
    let defs = attribute_definitions(input, &mut c)?;
    let new_throughput = throughput(input, &mut c)?;
    let billing = billing_mode(input, &mut c)?;
    let stream = stream_spec(input, &mut c);
    let table_class = input.string("TableClass")?;
    c.one_of(
        table_class,
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
    c.table_or_arn(name, "tableName", 3);
    c.finish()?;
    let stream = stream?;
    let mut index_updates = Vec::new();
    for (n, u) in input
        .structures("GlobalSecondaryIndexUpdates")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = format!("globalSecondaryIndexUpdates.{}.member", n + 1);
        let actions = ["Create", "Update", "Delete"]
            .iter()
            .filter(|a| u.has(a))
            .count();
        if actions > 1 {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
            ));
        }
        if let Some(create) = u.object("Create")? {
            index_updates.push(IndexUpdate::Create(index_input(
                &create,
                &format!("{path}.create"),
                true,
            )?));
        } else if let Some(update) = u.object("Update")? {
            let mut c = Constraints::new();
            let name = update.string("IndexName")?;
            c.table_name(name, &format!("{path}.update.indexName"), 3);
            let t = throughput(&update, &mut c)?;
            c.required(t, &format!("{path}.update.provisionedThroughput"));
            c.finish()?;
            index_updates.push(IndexUpdate::Update {
                name: name.unwrap_or_default().to_owned(),
                throughput: t.unwrap_or_default(),
            });
        } else if let Some(delete) = u.object("Delete")? {
            let mut c = Constraints::new();
            let name = delete.string("IndexName")?;
            c.table_name(name, &format!("{path}.delete.indexName"), 3);
            c.finish()?;
            index_updates.push(IndexUpdate::Delete {
                name: name.unwrap_or_default().to_owned(),
            });
        } else {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
            ));
        }
    }
    let names: Vec<&str> = index_updates.iter().map(IndexUpdate::index_name).collect();
    if let Some(repeated) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
    {
        return Err(ApiError::validation(format!(
            "One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: {}",
            repeated.1
        )));
    }
    let online = index_updates
        .iter()
        .filter(|u| !matches!(u, IndexUpdate::Update { .. }))
        .count();
    if online > 1 {
        return Err(ApiError::new(
            crate::error::ErrorKind::LimitExceeded,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        ));
    }
    let out = engine.update_table(UpdateTableInput {
        table_name: name.unwrap_or_default().to_owned(),
        billing_mode: billing,
        throughput: new_throughput,
        attribute_definitions: defs.unwrap_or_default(),
        deletion_protection: input.bool("DeletionProtectionEnabled")?,
        table_class: table_class.map(str::to_owned),
        index_updates,
        stream: stream.map(|s| match s {
            Some(view) => StreamChange::Enable(view),
            None => StreamChange::Disable,
        }),
    })?;
    Ok(Out::only("TableDescription", table_description(&out)))
}

fn resource_arn<'a>(input: &Input<'a>) -> Result<&'a str, ApiError> {
    let arn = input.string("ResourceArn")?;
    let mut c = Constraints::new();
    c.required(arn, "resourceArn");
    if let Some(a) = arn
        && a.is_empty()
    {
        c.fail(
            Some(a),
            "resourceArn",
            "Member must have length greater than or equal to 1",
        );
    }
    c.finish()?;
    Ok(arn.unwrap_or_default())
}

pub fn tag_resource(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = resource_arn(input)?;
    let mut c = Constraints::new();
    if !input.has("Tags") {
        c.fail(None, "tags", "Member must not be null");
    }
    let tags = tags(input, &mut c)?;
    c.finish()?;
    if tags.is_empty() {
        return Err(ApiError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    check_tags(&tags)?;
    engine.tag_resource(arn, tags)?;
    Ok(Reply::empty())
}

pub fn untag_resource(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = resource_arn(input)?;
    let keys = input.strings("TagKeys")?;
    let mut c = Constraints::new();
    c.required(keys.as_ref(), "tagKeys");
    c.finish()?;
    if keys.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    engine.untag_resource(arn, &keys.unwrap_or_default())?;
    Ok(Reply::empty())
}

pub fn list_tags_of_resource(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = resource_arn(input)?;
    let tags = engine.list_tags(arn)?;
    let mut o = Out::default();
    o.set_objects("Tags", &tags, |e, t| {
        e.set("Key", &t.key);
        e.set("Value", &t.value);
    });
    Ok(o.done())
}

/// DescribeEndpoints: the address the client reached eddy at (its Host), so an SDK that
/// discovers endpoints keeps talking to eddy; without a Host, the region's public name.
pub fn describe_endpoints(engine: &Engine, host: Option<&str>) -> Reply {
    let mut o = Out::default();
    o.set_objects("Endpoints", [()], |e, ()| {
        e.set(
            "Address",
            host.map_or_else(
                || format!("dynamodb.{}.amazonaws.com", engine.scope().region),
                str::to_owned,
            ),
        );
        e.set("CachePeriodInMinutes", 1440);
    });
    o.done()
}

pub fn describe_limits() -> Reply {
    let mut o = Out::default();
    o.set("AccountMaxReadCapacityUnits", 80000);
    o.set("AccountMaxWriteCapacityUnits", 80000);
    o.set("TableMaxReadCapacityUnits", 40000);
    o.set("TableMaxWriteCapacityUnits", 40000);
    o.done()
}
