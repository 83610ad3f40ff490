//! UpdateTimeToLive and DescribeTimeToLive.

use eddy_engine::Engine;

use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::reply::{Out, Reply};

pub fn update_time_to_live(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let table = input.string("TableName")?;
    let spec = input.object("TimeToLiveSpecification")?;
    let mut c = Constraints::new();
    c.table_or_arn(table, "tableName", 3);
    let (enabled, attribute) = match &spec {
        Some(s) => (s.bool("Enabled")?, s.string("AttributeName")?),
        None => (None, None),
    };
    if spec.is_none() {
        c.fail(None, "timeToLiveSpecification", "Member must not be null");
    } else {
        c.required(enabled, "timeToLiveSpecification.enabled");
        c.required(attribute, "timeToLiveSpecification.attributeName");
        if let Some(a) = attribute {
            if a.is_empty() {
                c.fail(
                    Some(a),
                    "timeToLiveSpecification.attributeName",
                    "Member must have length greater than or equal to 1",
                );
            } else if a.chars().count() > 255 {
                c.fail(
                    Some(a),
                    "timeToLiveSpecification.attributeName",
                    "Member must have length less than or equal to 255",
                );
            }
        }
    }
    c.finish()?;
    let (enabled, attribute) = (enabled.unwrap_or(false), attribute.unwrap_or_default());
    engine.update_time_to_live(table.unwrap_or_default(), enabled, attribute)?;
    let mut o = Out::default();
    o.set_object("TimeToLiveSpecification", |t| {
        t.set("Enabled", enabled);
        t.set("AttributeName", attribute);
    });
    Ok(o.done())
}

pub fn describe_time_to_live(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let table = input.string("TableName")?;
    let mut c = Constraints::new();
    c.table_or_arn(table, "tableName", 3);
    c.finish()?;
    let d = engine.describe_time_to_live(table.unwrap_or_default())?;
    let mut o = Out::default();
    o.set_object("TimeToLiveDescription", |t| {
        t.set("TimeToLiveStatus", d.status);
        t.set_opt("AttributeName", d.attribute_name);
    });
    Ok(o.done())
}
