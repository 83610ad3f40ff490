//! Resource-based policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy.

use eddy_engine::Engine;

use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::reply::{Out, Reply};

fn resource_arn<'a>(input: &Input<'a>, c: &mut Constraints) -> Result<&'a str, ApiError> {
    let arn = input.string("ResourceArn")?;
    c.required(arn, "resourceArn");
    if let Some(a) = arn {
        let len = a.chars().count();
        if !(1..=1283).contains(&len) {
            c.fail(
                Some(a),
                "resourceArn",
                if len == 0 {
                    "Member must have length greater than or equal to 1"
                } else {
                    "Member must have length less than or equal to 1283"
                },
            );
        }
    }
    Ok(arn.unwrap_or_default())
}

fn revision_id<'a>(input: &Input<'a>, c: &mut Constraints) -> Result<Option<&'a str>, ApiError> {
    let id = input.string("ExpectedRevisionId")?;
    if let Some(v) = id
        && !(1..=255).contains(&v.chars().count())
    {
        c.fail(
            Some(v),
            "expectedRevisionId",
            "Member must have length greater than or equal to 1",
        );
    }
    Ok(id)
}

pub fn put_resource_policy(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let arn = resource_arn(input, &mut c)?;
    let policy = input.string("Policy")?;
    c.required(policy, "policy");
    let expected = revision_id(input, &mut c)?;
    c.finish()?;
    let revision = engine.put_resource_policy(arn, policy.unwrap_or_default(), expected)?;
    Ok(Out::only("RevisionId", revision))
}

pub fn get_resource_policy(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let arn = resource_arn(input, &mut c)?;
    c.finish()?;
    let policy = engine.get_resource_policy(arn)?;
    let mut o = Out::default();
    o.set("Policy", &policy.document);
    o.set("RevisionId", &policy.revision_id);
    Ok(o.done())
}

pub fn delete_resource_policy(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let arn = resource_arn(input, &mut c)?;
    let expected = revision_id(input, &mut c)?;
    c.finish()?;
    let mut o = Out::default();
    o.set_opt("RevisionId", engine.delete_resource_policy(arn, expected)?);
    Ok(o.done())
}
