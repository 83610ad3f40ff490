//! Continuous backups and point-in-time recovery settings, and Contributor Insights: what
//! infrastructure tools (CDK, Terraform, SAM) read and set on every table. The settings are
//! stored with the table and shown back (restores are `restore`'s).

use crate::model::error::{EngineError, Result};
use crate::model::schema::PointInTimeRecovery;
use crate::state::catalog::Table;
use crate::state::engine::Engine;

/// The recovery window DynamoDB gives when none is asked for.
pub const DEFAULT_RECOVERY_PERIOD_DAYS: u32 = 35;

/// ContinuousBackupsDescription: continuous backups are always on; point-in-time recovery as
/// set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContinuousBackups {
    /// Point-in-time recovery, when enabled.
    pub point_in_time_recovery: Option<PointInTimeRecovery>,
    /// The latest restorable time, epoch ms (now).
    pub latest_ms: u64,
}

impl Engine {
    /// The table by name or ARN, or TableNotFoundException.
    pub(crate) fn backup_table(&self, name: &str) -> Result<std::sync::Arc<Table>> {
        let name = self.table_name(name)?;
        self.table_named(name)?
            .ok_or_else(|| EngineError::TableNotFound(name.to_owned()))
    }

    /// DescribeContinuousBackups.
    ///
    /// # Errors
    /// TableNotFoundException.
    pub fn describe_continuous_backups(&self, table: &str) -> Result<ContinuousBackups> {
        let def = self.backup_table(table)?.def();
        Ok(ContinuousBackups {
            point_in_time_recovery: def.point_in_time_recovery,
            latest_ms: self.clock().now_ms(),
        })
    }

    /// UpdateContinuousBackups: enables point-in-time recovery (keeping its start when it is
    /// on already, with the period given or the one it had) or disables it.
    ///
    /// # Errors
    /// TableNotFoundException.
    pub fn update_continuous_backups(
        &self,
        table: &str,
        enabled: bool,
        recovery_period_days: Option<u32>,
    ) -> Result<ContinuousBackups> {
        let table = self.backup_table(table)?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        let now = self.clock().now_ms();
        def.point_in_time_recovery = enabled.then(|| {
            let current = def.point_in_time_recovery;
            PointInTimeRecovery {
                enabled_ms: current.map_or(now, |c| c.enabled_ms),
                recovery_period_days: recovery_period_days
                    .or(current.map(|c| c.recovery_period_days))
                    .unwrap_or(DEFAULT_RECOVERY_PERIOD_DAYS),
            }
        });
        let pitr = def.point_in_time_recovery;
        self.catalog().update(self.storage(), &table, def)?;
        Ok(ContinuousBackups {
            point_in_time_recovery: pitr,
            latest_ms: now,
        })
    }

    /// Whether Contributor Insights is enabled on a table.
    ///
    /// # Errors
    /// ResourceNotFoundException.
    pub fn contributor_insights(&self, table: &str) -> Result<bool> {
        Ok(self.table(table)?.def().contributor_insights)
    }

    /// The tables of this scope with Contributor Insights enabled, in name order.
    pub fn contributor_insights_tables(&self) -> Vec<String> {
        self.catalog()
            .names_after(self.scope(), None, usize::MAX)
            .0
            .into_iter()
            .filter(|name| {
                self.catalog()
                    .get(self.scope(), name)
                    .is_some_and(|t| t.def().contributor_insights)
            })
            .collect()
    }

    /// Enables or disables Contributor Insights on a table.
    ///
    /// # Errors
    /// ResourceNotFoundException.
    pub fn set_contributor_insights(&self, table: &str, enabled: bool) -> Result<()> {
        let table = self.table(table)?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        def.contributor_insights = enabled;
        self.catalog().update(self.storage(), &table, def)
    }
}
