//! On-demand backups: what the engine keeps about one (its items live under the backup's key
//! range, see `keys::backup_prefix`), and what a restored table remembers of its source.

use serde::{Deserialize, Serialize};

use crate::model::schema::TableDef;

/// A backup of a table, as DescribeBackup and ListBackups show it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackupRecord {
    /// Internal id: the prefix of the backup's item keys; never reused.
    pub id: u64,
    /// BackupArn.
    pub arn: String,
    /// BackupName.
    pub name: String,
    /// BackupCreationDateTime, epoch ms.
    pub created_ms: u64,
    /// The table's definition when the backup was taken.
    pub table: TableDef,
    /// The table's ARN.
    pub table_arn: String,
    /// ItemCount of the table when the backup was taken.
    pub item_count: i64,
    /// BackupSizeBytes: the table's size when the backup was taken.
    pub size_bytes: i64,
}

/// RestoreSummary of a table restored from a backup or to a point in time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSummary {
    /// SourceBackupArn, for a restore from a backup.
    pub source_backup_arn: Option<String>,
    /// SourceTableArn.
    pub source_table_arn: String,
    /// RestoreDateTime, epoch ms: the point in time the table holds.
    pub restore_ms: u64,
}
