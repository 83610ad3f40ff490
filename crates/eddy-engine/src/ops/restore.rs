//! On-demand backups and restores: CreateBackup copies a consistent snapshot of a table's items
//! under the backup's own keys; RestoreTableFromBackup and RestoreTableToPointInTime create a
//! new table and fill it, index entries included, from a backup or from the source table as
//! it is. A backup of a fixture table and a restore of it take milliseconds, which lets a test
//! suite reset a table between tests.

use std::sync::Arc;

use eddy_storage::{Direction, Snapshot, WriteBatch};
use eddy_types::decode_item;

use crate::keys;
use crate::model::backup::{BackupRecord, RestoreSummary};
use crate::model::description::{TableDescription, TableStatus};
use crate::model::error::{EngineError, Result};
use crate::model::indexes::{IndexDef, IndexInput, IndexKind};
use crate::model::invalid::Invalid;
use crate::model::schema::{BillingMode, TableDef, Throughput};
use crate::ops::tables::CreateTableInput;
use crate::state::backups::Backups;
use crate::state::catalog::Table;
use crate::state::engine::Engine;
use crate::state::janitor::DropRange;
use crate::write::stage::{Cause, account};

/// Items copied per committed batch.
const CHUNK: usize = 1024;

/// BackupStatus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupStatus {
    /// Usable.
    Available,
    /// Deleted (DeleteBackup's answer).
    Deleted,
}

impl BackupStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Deleted => "DELETED",
        }
    }
}

/// ListBackups' filters.
#[derive(Clone, Debug, Default)]
pub struct ListBackupsInput {
    /// Only this table's backups.
    pub table_name: Option<String>,
    /// Only backups created at or after this time, epoch ms.
    pub after_ms: Option<u64>,
    /// Only backups created before this time, epoch ms.
    pub before_ms: Option<u64>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Start after this backup.
    pub exclusive_start_arn: Option<String>,
}

/// What a restore may change of the source's settings.
#[derive(Clone, Debug, Default)]
pub struct RestoreOverrides {
    /// BillingModeOverride.
    pub billing_mode: Option<BillingMode>,
    /// ProvisionedThroughputOverride.
    pub throughput: Option<Throughput>,
    /// GlobalSecondaryIndexOverride: the global indexes to create instead of the source's.
    pub global_indexes: Option<Vec<IndexInput>>,
    /// LocalSecondaryIndexOverride: the local indexes to create instead of the source's.
    pub local_indexes: Option<Vec<IndexInput>>,
}

impl Engine {
    /// CreateBackup: copies the table's items as of now under the backup's keys.
    ///
    /// # Errors
    /// TableNotFoundException; storage errors.
    pub fn create_backup(&self, table: &str, name: &str) -> Result<Arc<BackupRecord>> {
        let table = self.backup_table(table)?;
        let id = {
            let ids = self.lock_catalog()?;
            self.catalog().reserve_id(&ids, self.storage())?
        };
        let (snap, def, item_count, size_bytes) = {
            // Writes hold the lock from read to commit, so the snapshot holds whole writes.
            let _guard = self.lock_table(&table)?;
            (
                self.storage().snapshot(),
                table.def(),
                table.item_count(),
                table.size_bytes(),
            )
        };
        let created_ms = self.clock().now_ms();
        let table_arn = self.table_arn(&def.name);
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let record = BackupRecord {
            id,
            arn: format!(
                "{table_arn}/backup/{created_ms:014}-{}",
                suffix.get(..8).unwrap_or_default()
            ),
            name: name.to_owned(),
            created_ms,
            table: (*def).clone(),
            table_arn,
            item_count,
            size_bytes,
        };
        // Until the record commits, the copy is marked for deletion: a crash leaves nothing.
        let marker = DropRange::prefix(keys::backup_prefix(id));
        let mut batch = WriteBatch::new();
        marker.stage(&mut batch);
        let target = keys::backup_items_prefix(id);
        let source = keys::table_prefix(def.id);
        for entry in snap.range(
            std::ops::Bound::Included(source.as_slice()),
            std::ops::Bound::Excluded(keys::table_end(def.id).as_slice()),
            Direction::Forward,
        ) {
            let (key, value) = entry?;
            let mut k = target.clone();
            k.extend_from_slice(key.get(source.len()..).unwrap_or_default());
            batch.put(k, value.to_vec());
            if batch.len() >= CHUNK {
                self.storage().commit(std::mem::take(&mut batch))?;
            }
        }
        Backups::stage(&record, &mut batch)?;
        marker.unstage(&mut batch);
        self.storage().commit(batch)?;
        let record = Arc::new(record);
        self.backups().insert(Arc::clone(&record));
        Ok(record)
    }

    /// The backup with this ARN in this scope.
    fn backup(&self, arn: &str) -> Result<Arc<BackupRecord>> {
        if self.is_shared() {
            self.backups().reload(self.storage())?;
        }
        self.backups()
            .by_arn(arn)
            .filter(|b| self.scope().owns_arn(&b.arn))
            .ok_or_else(|| EngineError::BackupNotFound(arn.to_owned()))
    }

    /// DescribeBackup.
    ///
    /// # Errors
    /// BackupNotFoundException.
    pub fn describe_backup(&self, arn: &str) -> Result<Arc<BackupRecord>> {
        self.backup(arn)
    }

    /// DeleteBackup: the backup stops being listed at once; its items are deleted behind the
    /// answer.
    ///
    /// # Errors
    /// BackupNotFoundException.
    pub fn delete_backup(&self, arn: &str) -> Result<Arc<BackupRecord>> {
        let record = self.backup(arn)?;
        let range = DropRange::prefix(keys::backup_prefix(record.id));
        let mut batch = WriteBatch::new();
        range.stage(&mut batch);
        batch.delete(keys::backup_record_key(record.id));
        self.storage().commit(batch)?;
        self.backups().remove(record.id);
        self.janitor().enqueue(vec![range]);
        Ok(record)
    }

    /// ListBackups: this scope's backups, oldest first, and where the next page starts.
    ///
    /// # Errors
    /// Storage errors (shared storage, where the backups are read again first).
    pub fn list_backups(
        &self,
        input: &ListBackupsInput,
    ) -> Result<(Vec<Arc<BackupRecord>>, Option<String>)> {
        if self.is_shared() {
            self.backups().reload(self.storage())?;
        }
        let mut all: Vec<Arc<BackupRecord>> = self
            .backups()
            .all()
            .into_iter()
            .filter(|b| self.scope().owns_arn(&b.arn))
            .filter(|b| {
                input
                    .table_name
                    .as_deref()
                    .is_none_or(|t| t == b.table.name || t == b.table_arn)
            })
            .filter(|b| input.after_ms.is_none_or(|t| b.created_ms >= t))
            .filter(|b| input.before_ms.is_none_or(|t| b.created_ms < t))
            .collect();
        // Pages follow creation time, then ARN; a page starts after the start in that order,
        // even when the start itself was deleted since (its ARN names its creation time).
        all.sort_by(|a, b| (a.created_ms, &a.arn).cmp(&(b.created_ms, &b.arn)));
        if let Some(start) = &input.exclusive_start_arn {
            let start_ms = start
                .rsplit_once("/backup/")
                .and_then(|(_, tail)| tail.split_once('-'))
                .and_then(|(ms, _)| ms.parse::<u64>().ok())
                .unwrap_or(0);
            all.retain(|b| (b.created_ms, b.arn.as_str()) > (start_ms, start.as_str()));
        }
        let limit = input.limit.unwrap_or(usize::MAX);
        let more = all.len() > limit;
        all.truncate(limit);
        let last = more.then(|| all.last().map(|b| b.arn.clone())).flatten();
        Ok((all, last))
    }

    /// RestoreTableFromBackup: a new table with the backup's settings (but for the overrides)
    /// and items. It answers CREATING; the restore is complete when it answers.
    ///
    /// # Errors
    /// BackupNotFoundException, TableAlreadyExistsException, ValidationException for overrides
    /// that do not fit the backup.
    pub fn restore_table_from_backup(
        &self,
        arn: &str,
        target: &str,
        overrides: RestoreOverrides,
    ) -> Result<TableDescription> {
        // The snapshot first: a backup deleted after it still restores whole, and one deleted
        // before it is not found.
        let snap = self.storage().snapshot();
        let record = self.backup(arn)?;
        if snap.get(&keys::backup_record_key(record.id))?.is_none() {
            return Err(EngineError::BackupNotFound(arn.to_owned()));
        }
        let summary = RestoreSummary {
            source_backup_arn: Some(record.arn.clone()),
            source_table_arn: record.table_arn.clone(),
            restore_ms: record.created_ms,
        };
        self.restore(
            &record.table,
            target,
            overrides,
            summary,
            snap.as_ref(),
            keys::backup_items_prefix(record.id),
        )
    }

    /// RestoreTableToPointInTime. eddy keeps no history of a table, so the time must be one at
    /// which the table already was as it is now: at or after its last write (and within the
    /// recovery window); `None` is the latest restorable time.
    ///
    /// # Errors
    /// TableNotFoundException, PointInTimeRecoveryUnavailableException,
    /// InvalidRestoreTimeException, TableAlreadyExistsException.
    pub fn restore_table_to_point_in_time(
        &self,
        source: &str,
        target: &str,
        time_ms: Option<u64>,
        overrides: RestoreOverrides,
    ) -> Result<TableDescription> {
        let table = self.backup_table(source)?;
        let (snap, def, last_write) = {
            let _guard = self.lock_table(&table)?;
            (
                self.storage().snapshot(),
                table.def(),
                table.last_write_ms(),
            )
        };
        // Read after the snapshot, so the table's last write is never later than now.
        let now = self.clock().now_ms().max(last_write);
        let Some(pitr) = def.point_in_time_recovery else {
            return Err(EngineError::PointInTimeRecoveryUnavailable(
                def.name.clone(),
            ));
        };
        let time = time_ms.unwrap_or(now);
        // Without history, the earliest time eddy can restore is the table's last write.
        let earliest = pitr.enabled_ms.max(last_write);
        if time < earliest || time > now {
            return Err(EngineError::InvalidRestoreTime(format!(
                "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                iso_seconds(time),
                iso_seconds(earliest),
                iso_seconds(now)
            )));
        }
        if self.table_named(target)?.is_some() {
            return Err(EngineError::TableAlreadyExists(target.to_owned()));
        }
        let summary = RestoreSummary {
            source_backup_arn: None,
            source_table_arn: self.table_arn(&def.name),
            restore_ms: time,
        };
        self.restore(
            &def,
            target,
            overrides,
            summary,
            snap.as_ref(),
            keys::table_prefix(def.id),
        )
    }

    /// Creates `target` from `source`'s settings and fills it with the items under `from` in
    /// `snap` (item keys after that prefix), index entries included. The new table has no
    /// stream, time to live, tags, table class, deletion protection or point-in-time recovery,
    /// as DynamoDB restores.
    fn restore(
        &self,
        source: &TableDef,
        target: &str,
        overrides: RestoreOverrides,
        summary: RestoreSummary,
        snap: &dyn Snapshot,
        from: Vec<u8>,
    ) -> Result<TableDescription> {
        if self.table_named(target)?.is_some() {
            return Err(EngineError::TableAlreadyExists(target.to_owned()));
        }
        let input = restore_input(source, target, overrides)?;
        let table = self.create_table_from(input, Some(summary))?;
        self.fill(&table, snap, &from)?;
        Ok(self.describe(&table, TableStatus::Creating))
    }

    /// Writes every item under `from` in `snap` into `table`, holding its write lock throughout.
    /// A write that reached the new table first is replaced as any write replaces an item (its
    /// index entries and counters follow); a DeleteTable stops the fill.
    fn fill(&self, table: &Table, snap: &dyn Snapshot, from: &[u8]) -> Result<()> {
        let guard = self.lock_table(table)?;
        let prefix = keys::table_prefix(table.def().id);
        let mut batch = WriteBatch::new();
        let mut staged = Vec::new();
        let end = keys::prefix_end(from);
        for entry in snap.range(
            std::ops::Bound::Included(from),
            std::ops::Bound::Excluded(end.as_slice()),
            Direction::Forward,
        ) {
            let (key, value) = entry?;
            let item = decode_item(&value).map_err(|e| EngineError::Corrupt(e.to_string()))?;
            let mut skey = prefix.clone();
            skey.extend_from_slice(key.get(from.len()..).unwrap_or_default());
            let old = self.read_item(&skey)?;
            staged.extend(self.stage_change(
                &guard,
                &mut batch,
                skey,
                old.as_ref(),
                Some(&item),
                Cause::Request,
            )?);
            if staged.len() >= CHUNK {
                if table.is_dropped() {
                    return Ok(());
                }
                self.storage().commit(std::mem::take(&mut batch))?;
                for s in staged.drain(..) {
                    account(table, &s);
                }
            }
        }
        self.storage().commit(batch)?;
        for s in &staged {
            account(table, s);
        }
        Ok(())
    }
}

/// A time as DynamoDB's restore messages print it: `2026-10-06T23:16:32Z`.
fn iso_seconds(ms: u64) -> String {
    let label = eddy_streams::stream_label(ms);
    format!("{}Z", label.get(..19).unwrap_or(&label))
}

/// CreateTable's input for a restore of `source` as `target`.
fn restore_input(
    source: &TableDef,
    target: &str,
    overrides: RestoreOverrides,
) -> Result<CreateTableInput> {
    let as_input = |i: &IndexDef| IndexInput {
        name: i.name.clone(),
        key_schema: i.key_schema.elements(),
        projection: i.projection.clone(),
        throughput: i.throughput,
    };
    let kept = |kind: IndexKind, chosen: Option<Vec<IndexInput>>| -> Result<Vec<IndexInput>> {
        let existing: Vec<&IndexDef> = source.indexes.iter().filter(|i| i.kind == kind).collect();
        match chosen {
            None => Ok(existing.into_iter().map(as_input).collect()),
            Some(chosen) => {
                for c in &chosen {
                    if !existing.iter().any(|i| i.name == c.name) {
                        return Err(Invalid::RestoreUnknownIndex {
                            index: c.name.clone(),
                        }
                        .into());
                    }
                }
                Ok(chosen)
            }
        }
    };
    let global_indexes = kept(IndexKind::Global, overrides.global_indexes)?;
    let local_indexes = kept(IndexKind::Local, overrides.local_indexes)?;
    // Definitions only the dropped indexes used go with them.
    let used = |name: &str| {
        source.key_schema.is_key(name)
            || global_indexes
                .iter()
                .chain(&local_indexes)
                .any(|i| i.key_schema.iter().any(|k| k.attribute_name == name))
    };
    let attribute_definitions = source
        .attribute_definitions
        .iter()
        .filter(|d| used(&d.attribute_name))
        .cloned()
        .collect();
    let billing_mode = overrides.billing_mode.unwrap_or(source.billing_mode);
    let throughput = match billing_mode {
        BillingMode::PayPerRequest => None,
        BillingMode::Provisioned => Some(overrides.throughput.unwrap_or(source.throughput)),
    };
    Ok(CreateTableInput {
        table_name: target.to_owned(),
        key_schema: source.key_schema.elements(),
        attribute_definitions,
        billing_mode: Some(billing_mode),
        throughput,
        global_indexes,
        local_indexes,
        ..CreateTableInput::default()
    })
}
