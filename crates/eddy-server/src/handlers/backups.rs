//! The table settings infrastructure tools read and set on every table: continuous backups
//! and point-in-time recovery (Describe/UpdateContinuousBackups), Contributor Insights
//! (Describe/UpdateContributorInsights), and Kinesis streaming destinations (none).

use eddy_engine::{ContinuousBackups, Engine};

use crate::error::ApiError;
use crate::input::{Constraints, Input};
use crate::render::EpochSeconds;
use crate::reply::{Out, Reply};

/// The TableName member, which may also be the table's ARN.
fn table_or_arn<'a>(input: &Input<'a>, c: &mut Constraints) -> Result<&'a str, ApiError> {
    let name = input.string("TableName")?;
    c.table_or_arn(name, "tableName", 1);
    Ok(name.unwrap_or_default())
}

fn continuous_backups(b: &ContinuousBackups) -> Reply {
    let mut o = Out::default();
    o.set_object("ContinuousBackupsDescription", |d| {
        d.set("ContinuousBackupsStatus", "ENABLED");
        d.set_object("PointInTimeRecoveryDescription", |p| {
            match b.point_in_time_recovery {
                Some(pitr) => {
                    p.set("PointInTimeRecoveryStatus", "ENABLED");
                    p.set("RecoveryPeriodInDays", pitr.recovery_period_days);
                    p.set("EarliestRestorableDateTime", EpochSeconds(pitr.enabled_ms));
                    p.set("LatestRestorableDateTime", EpochSeconds(b.latest_ms));
                }
                None => p.set("PointInTimeRecoveryStatus", "DISABLED"),
            }
        });
    });
    o.done()
}

pub fn describe_continuous_backups(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let table = table_or_arn(input, &mut c)?;
    c.finish()?;
    Ok(continuous_backups(
        &engine.describe_continuous_backups(table)?,
    ))
}

pub fn update_continuous_backups(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let table = table_or_arn(input, &mut c)?;
    let spec = input.object("PointInTimeRecoverySpecification")?;
    let (mut enabled, mut period) = (None, None);
    match &spec {
        None => c.fail(
            None,
            "pointInTimeRecoverySpecification",
            "Member must not be null",
        ),
        Some(s) => {
            enabled = s.bool("PointInTimeRecoveryEnabled")?;
            c.required(
                enabled,
                "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
            );
            period = s.int("RecoveryPeriodInDays", "Integer")?;
            c.range(
                period,
                "pointInTimeRecoverySpecification.recoveryPeriodInDays",
                1,
                35,
            );
        }
    }
    c.finish()?;
    let period = period.and_then(|p| u32::try_from(p).ok());
    Ok(continuous_backups(&engine.update_continuous_backups(
        table,
        enabled.unwrap_or(false),
        period,
    )?))
}

fn insights_target<'a>(
    input: &Input<'a>,
    c: &mut Constraints,
) -> Result<(&'a str, Option<&'a str>), ApiError> {
    let table = table_or_arn(input, c)?;
    let index = input.string("IndexName")?;
    if index.is_some() {
        c.table_name(index, "indexName", 3);
    }
    Ok((table, index))
}

pub fn describe_contributor_insights(
    engine: &Engine,
    input: &Input<'_>,
) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let (table, index) = insights_target(input, &mut c)?;
    c.finish()?;
    let enabled = engine.contributor_insights(table)?;
    let mut o = Out::default();
    o.set("TableName", table);
    o.set_opt("IndexName", index);
    o.set(
        "ContributorInsightsStatus",
        if enabled { "ENABLED" } else { "DISABLED" },
    );
    Ok(o.done())
}

pub fn update_contributor_insights(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let (table, index) = insights_target(input, &mut c)?;
    let action = input.string("ContributorInsightsAction")?;
    c.required(action, "contributorInsightsAction");
    c.one_of(action, "contributorInsightsAction", &["ENABLE", "DISABLE"]);
    c.finish()?;
    let enable = action == Some("ENABLE");
    engine.set_contributor_insights(table, enable)?;
    let mut o = Out::default();
    o.set("TableName", table);
    o.set_opt("IndexName", index);
    o.set(
        "ContributorInsightsStatus",
        if enable { "ENABLING" } else { "DISABLING" },
    );
    Ok(o.done())
}

pub fn describe_kinesis_streaming_destination(
    engine: &Engine,
    input: &Input<'_>,
) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let table = table_or_arn(input, &mut c)?;
    c.finish()?;
    let name = engine.describe_table(table)?.def.name.clone();
    let mut o = Out::default();
    o.set("TableName", name);
    o.set("KinesisDataStreamDestinations", [(); 0]);
    Ok(o.done())
}
