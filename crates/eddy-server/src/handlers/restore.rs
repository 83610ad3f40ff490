//! On-demand backups and restores: CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
//! RestoreTableFromBackup and RestoreTableToPointInTime.

use eddy_engine::{
    BackupRecord, BackupStatus, BillingMode, Engine, IndexKind, ListBackupsInput, RestoreOverrides,
};

use crate::error::ApiError;
use crate::handlers::tables::{indexes, throughput_member};
use crate::input::{Constraints, Input};
use crate::render::{EpochSeconds, table_description};
use crate::reply::{Out, Reply};

/// The shortest and longest BackupArn.
const BACKUP_ARN_LEN: (usize, usize) = (37, 1024);

fn backup_arn<'a>(input: &Input<'a>, c: &mut Constraints) -> Result<&'a str, ApiError> {
    let arn = input.string("BackupArn")?;
    c.required(arn, "backupArn");
    if let Some(a) = arn {
        let len = a.chars().count();
        if len < BACKUP_ARN_LEN.0 {
            c.fail(
                Some(a),
                "backupArn",
                &format!(
                    "Member must have length greater than or equal to {}",
                    BACKUP_ARN_LEN.0
                ),
            );
        } else if len > BACKUP_ARN_LEN.1 {
            c.fail(
                Some(a),
                "backupArn",
                &format!(
                    "Member must have length less than or equal to {}",
                    BACKUP_ARN_LEN.1
                ),
            );
        }
    }
    Ok(arn.unwrap_or_default())
}

/// Refuses a BackupArn that is not one, before it is looked up.
fn check_backup_arn(arn: &str) -> Result<(), ApiError> {
    let mut fields = arn.splitn(6, ':');
    let head: Vec<&str> = fields.by_ref().take(5).collect();
    let resource = fields.next().unwrap_or_default();
    if head.first() != Some(&"arn") || !resource.contains("/backup/") {
        return Err(ApiError::validation("Invalid Backup ARN"));
    }
    if head.get(1) != Some(&"aws") || head.get(2) != Some(&"dynamodb") {
        return Err(ApiError::validation(
            "Invalid Request: BackupArn is not valid",
        ));
    }
    Ok(())
}

/// BackupDetails.
fn details(o: &mut Out, b: &BackupRecord, status: &str) {
    o.set("BackupArn", &b.arn);
    o.set("BackupName", &b.name);
    o.set("BackupSizeBytes", b.size_bytes);
    o.set("BackupStatus", status);
    o.set("BackupType", "USER");
    o.set("BackupCreationDateTime", EpochSeconds(b.created_ms));
}

/// BackupDescription: the backup, and the table it was taken of.
fn description(b: &BackupRecord, status: BackupStatus) -> Reply {
    let mut o = Out::default();
    o.set_object("BackupDescription", |d| {
        d.set_object("BackupDetails", |o| details(o, b, status.as_str()));
        d.set_object("SourceTableDetails", |s| {
            let t = &b.table;
            s.set("TableName", &t.name);
            s.set("TableId", &t.table_uuid);
            s.set("TableArn", &b.table_arn);
            s.set("TableSizeBytes", b.size_bytes);
            s.set_objects("KeySchema", t.key_schema.elements(), |k, e| {
                k.set("AttributeName", &e.attribute_name);
                k.set("KeyType", e.key_type.as_str());
            });
            s.set("TableCreationDateTime", EpochSeconds(t.created_ms));
            s.set_object("ProvisionedThroughput", |p| {
                p.set("ReadCapacityUnits", t.throughput.read);
                p.set("WriteCapacityUnits", t.throughput.write);
            });
            s.set("ItemCount", b.item_count);
            s.set(
                "BillingMode",
                match t.billing_mode {
                    BillingMode::PayPerRequest => "PAY_PER_REQUEST",
                    BillingMode::Provisioned => "PROVISIONED",
                },
            );
        });
        d.set_object("SourceTableFeatureDetails", |f| {
            for (member, kind) in [
                ("LocalSecondaryIndexes", IndexKind::Local),
                ("GlobalSecondaryIndexes", IndexKind::Global),
            ] {
                let list: Vec<_> = b.table.indexes.iter().filter(|i| i.kind == kind).collect();
                if list.is_empty() {
                    continue;
                }
                f.set_objects(member, list, |o, i| {
                    o.set("IndexName", &i.name);
                    o.set_objects("KeySchema", i.key_schema.elements(), |k, e| {
                        k.set("AttributeName", &e.attribute_name);
                        k.set("KeyType", e.key_type.as_str());
                    });
                    o.set_object("Projection", |p| {
                        p.set("ProjectionType", i.projection.projection_type.as_str());
                        if !i.projection.non_key_attributes.is_empty() {
                            p.set("NonKeyAttributes", &i.projection.non_key_attributes);
                        }
                    });
                    if let Some(t) = i.throughput {
                        o.set_object("ProvisionedThroughput", |p| {
                            p.set("ReadCapacityUnits", t.read);
                            p.set("WriteCapacityUnits", t.write);
                        });
                    }
                });
            }
        });
    });
    o.done()
}

pub fn create_backup(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let table = input.string("TableName")?;
    c.table_or_arn(table, "tableName", 3);
    let name = input.string("BackupName")?;
    c.table_name(name, "backupName", 3);
    c.finish()?;
    let record = engine.create_backup(table.unwrap_or_default(), name.unwrap_or_default())?;
    let mut o = Out::default();
    // DynamoDB answers CREATING and shows AVAILABLE from the next call on; eddy's copy is done.
    o.set_object("BackupDetails", |d| details(d, &record, "CREATING"));
    Ok(o.done())
}

pub fn describe_backup(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let arn = backup_arn(input, &mut c)?;
    c.finish()?;
    check_backup_arn(arn)?;
    Ok(description(
        &*engine.describe_backup(arn)?,
        BackupStatus::Available,
    ))
}

pub fn delete_backup(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let arn = backup_arn(input, &mut c)?;
    c.finish()?;
    check_backup_arn(arn)?;
    Ok(description(
        &*engine.delete_backup(arn)?,
        BackupStatus::Deleted,
    ))
}

/// An epoch-seconds time member, in ms.
fn time_ms(input: &Input<'_>, key: &str) -> Result<Option<u64>, ApiError> {
    let Some(raw) = input.raw(key) else {
        return Ok(None);
    };
    let seconds: f64 = raw.text().trim().parse().map_err(|_| {
        ApiError::serialization("class java.lang.String can not be converted to an Date")
    })?;
    Ok(Some((seconds.max(0.0) * 1000.0).round() as u64))
}

pub fn list_backups(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let table = input.string("TableName")?;
    if table.is_some() {
        c.table_or_arn(table, "tableName", 3);
    }
    let limit = input.int("Limit", "Integer")?;
    c.range(limit, "limit", 1, 100);
    let kind = input.string("BackupType")?;
    c.one_of(kind, "backupType", &["USER", "SYSTEM", "AWS_BACKUP", "ALL"]);
    let start = input.string("ExclusiveStartBackupArn")?;
    c.finish()?;
    let (after_ms, before_ms) = (
        time_ms(input, "TimeRangeLowerBound")?,
        time_ms(input, "TimeRangeUpperBound")?,
    );
    if let (Some(lo), Some(hi)) = (after_ms, before_ms)
        && lo > hi
    {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound",
        ));
    }
    // eddy's backups are all USER backups.
    let (backups, last) = if matches!(kind, Some("SYSTEM" | "AWS_BACKUP")) {
        (Vec::new(), None)
    } else {
        engine.list_backups(&ListBackupsInput {
            table_name: table.map(str::to_owned),
            after_ms,
            before_ms,
            limit: limit.map(|l| l as usize),
            exclusive_start_arn: start.map(str::to_owned),
        })?
    };
    let mut o = Out::default();
    o.set_objects("BackupSummaries", backups, |s, b| {
        s.set("TableName", &b.table.name);
        s.set("TableId", &b.table.table_uuid);
        s.set("TableArn", &b.table_arn);
        details(s, &b, BackupStatus::Available.as_str());
    });
    o.set_opt("LastEvaluatedBackupArn", last);
    Ok(o.done())
}

/// What the restore calls may change of the source's settings.
fn overrides(input: &Input<'_>, c: &mut Constraints) -> Result<RestoreOverrides, ApiError> {
    let billing = input.string("BillingModeOverride")?;
    c.one_of(
        billing,
        "billingModeOverride",
        &["PROVISIONED", "PAY_PER_REQUEST"],
    );
    let throughput = throughput_member(input, c, "ProvisionedThroughputOverride")?;
    let listed = |param: &str, global: bool| -> Result<Option<_>, ApiError> {
        Ok(if input.has(param) {
            Some(indexes(input, param, global)?)
        } else {
            None
        })
    };
    Ok(RestoreOverrides {
        billing_mode: billing.map(|b| {
            if b == "PROVISIONED" {
                BillingMode::Provisioned
            } else {
                BillingMode::PayPerRequest
            }
        }),
        throughput,
        global_indexes: listed("GlobalSecondaryIndexOverride", true)?,
        local_indexes: listed("LocalSecondaryIndexOverride", false)?,
    })
}

pub fn restore_table_from_backup(engine: &Engine, input: &Input<'_>) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let target = input.string("TargetTableName")?;
    c.table_name(target, "targetTableName", 3);
    let arn = backup_arn(input, &mut c)?;
    let overrides = overrides(input, &mut c)?;
    c.finish()?;
    check_backup_arn(arn)?;
    let restored = engine.restore_table_from_backup(arn, target.unwrap_or_default(), overrides)?;
    Ok(Out::only("TableDescription", table_description(&restored)))
}

pub fn restore_table_to_point_in_time(
    engine: &Engine,
    input: &Input<'_>,
) -> Result<Reply, ApiError> {
    let mut c = Constraints::new();
    let target = input.string("TargetTableName")?;
    c.table_name(target, "targetTableName", 3);
    let source_name = input.string("SourceTableName")?;
    if source_name.is_some() {
        c.table_name(source_name, "sourceTableName", 3);
    }
    let source_arn = input.string("SourceTableArn")?;
    let latest = input.bool("UseLatestRestorableTime")?.unwrap_or(false);
    let overrides = overrides(input, &mut c)?;
    c.finish()?;
    let time = time_ms(input, "RestoreDateTime")?;
    let source = match (source_name, source_arn) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "Must provide exactly one of: sourceTableArn, sourceTableName",
            ));
        }
        (None, None) => {
            return Err(ApiError::validation(
                "The parameter 'TableName' is required but was not present in the request",
            ));
        }
        (Some(name), None) => name,
        (None, Some(arn)) => {
            if !arn.starts_with("arn:aws:dynamodb:") || !arn.contains(":table/") {
                return Err(ApiError::validation(
                    "One or more parameter values were invalid: sourceTableArn is not a valid ARN",
                ));
            }
            arn
        }
    };
    match (time, latest) {
        (Some(_), true) => {
            return Err(ApiError::validation(
                "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request. Please specify either RestoreDateTime time or UseLatestRestorableTime",
            ));
        }
        (None, false) => {
            return Err(ApiError::validation(
                "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
            ));
        }
        _ => {}
    }
    let restored = engine.restore_table_to_point_in_time(
        source,
        target.unwrap_or_default(),
        time,
        overrides,
    )?;
    Ok(Out::only("TableDescription", table_description(&restored)))
}
