//! Operations that lean on what eddy does not run: global tables of version 2017.11.29,
//! exports to and imports from Amazon S3, Kinesis Data Streams destinations, replica auto
//! scaling. Each is answered as DynamoDB answers a table that uses none of them (empty lists,
//! "not found"), and where DynamoDB would start work on another service, refused with a
//! ValidationException that says so (see the README, "Operations eddy refuses").

use eddy_engine::Engine;

use crate::error::{ApiError, ErrorKind};
use crate::input::{Constraints, Input};
use crate::reply::{Out, Reply};

/// A required table name (or ARN) member.
fn table<'a>(input: &Input<'a>, key: &str, path: &str) -> Result<&'a str, ApiError> {
    let mut c = Constraints::new();
    let name = input.string(key)?;
    c.table_or_arn(name, path, 3);
    c.finish()?;
    Ok(name.unwrap_or_default())
}

fn refused(what: &str) -> ApiError {
    ApiError::validation(format!(
        "eddy does not support {what}: it runs no other AWS service"
    ))
}

/// CreateGlobalTable and UpdateGlobalTable: global tables of version 2017.11.29, which
/// DynamoDB itself no longer accepts.
pub fn legacy_global_table() -> ApiError {
    ApiError::validation(
        "One or more parameter values were invalid: DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21, instead of version 2017.11.29 (Legacy).",
    )
}

/// DescribeGlobalTable, DescribeGlobalTableSettings, UpdateGlobalTableSettings: no global
/// table of version 2017.11.29 exists.
pub fn global_table_not_found(input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table(input, "GlobalTableName", "globalTableName")?;
    Err(ApiError::new(
        ErrorKind::GlobalTableNotFound,
        format!("Global table not found: Global table with name: '{name}' does not exist."),
    ))
}

pub fn list_global_tables() -> Reply {
    let mut o = Out::default();
    o.set("GlobalTables", [(); 0]);
    o.done()
}

/// Describe/UpdateTableReplicaAutoScaling: only global tables (2019.11.21) have replicas, and
/// eddy's tables are regional.
pub fn replica_auto_scaling(input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table(input, "TableName", "tableName")?;
    Err(ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("Global table with name: '{name}' does not exist."),
    ))
}

pub fn list_exports() -> Reply {
    let mut o = Out::default();
    o.set("ExportSummaries", [(); 0]);
    o.done()
}

pub fn list_imports() -> Reply {
    let mut o = Out::default();
    o.set("ImportSummaryList", [(); 0]);
    o.done()
}

pub fn describe_export(input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = input.string("ExportArn")?.unwrap_or_default();
    Err(ApiError::new(
        ErrorKind::ExportNotFound,
        format!("Export not found: {arn}"),
    ))
}

pub fn describe_import(input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = input.string("ImportArn")?.unwrap_or_default();
    Err(ApiError::new(
        ErrorKind::ImportNotFound,
        format!("Import not found: {arn}"),
    ))
}

/// ExportTableToPointInTime: the table and its point-in-time recovery are checked as DynamoDB
/// checks them; the export itself, to S3, is refused.
pub fn export_table(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let arn = table(input, "TableArn", "tableArn")?;
    let backups = engine.describe_continuous_backups(arn)?;
    if backups.point_in_time_recovery.is_none() {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        return Err(ApiError::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!("Point in time recovery is not enabled for table '{name}'"),
        ));
    }
    Err(refused("ExportTableToPointInTime (exports to Amazon S3)"))
}

pub fn import_table() -> ApiError {
    refused("ImportTable (imports from Amazon S3)")
}

/// ListContributorInsights: the tables with Contributor Insights enabled.
pub fn list_contributor_insights(engine: &Engine) -> Reply {
    let mut o = Out::default();
    o.set_objects(
        "ContributorInsightsSummaries",
        engine.contributor_insights_tables(),
        |s, name| {
            s.set("TableName", name);
            s.set("ContributorInsightsStatus", "ENABLED");
        },
    );
    o.done()
}

/// EnableKinesisStreamingDestination: the table must exist; the destination, a Kinesis data
/// stream, cannot.
pub fn enable_kinesis(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table(input, "TableName", "tableName")?;
    engine.describe_table(name)?;
    Err(refused(
        "EnableKinesisStreamingDestination (Kinesis Data Streams)",
    ))
}

/// DisableKinesisStreamingDestination: no destination was ever enabled.
pub fn disable_kinesis(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table(input, "TableName", "tableName")?;
    engine.describe_table(name)?;
    Err(ApiError::validation(
        "Table is not in a valid state to enable Kinesis Streaming Destination: KinesisStreamingDestination must be ACTIVE to perform DISABLE operation.",
    ))
}

/// UpdateKinesisStreamingDestination: no destination is ACTIVE.
pub fn update_kinesis(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let name = table(input, "TableName", "tableName")?;
    let stream = input.string("StreamArn")?.unwrap_or_default();
    let described = engine.describe_table(name)?;
    Err(ApiError::validation(format!(
        "Table is not in a valid state to enable Kinesis Streaming Destination: Kinesis streaming is not in ACTIVE state. Updates are only allowed in ACTIVE state. TableName: {}, kdsArn: {stream}",
        described.def.name
    )))
}
