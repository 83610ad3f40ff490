//! The backups a database holds: their records, loaded at start-up and kept in creation order.
//! A backup's items stay in storage (`keys::backup_items_prefix`) until it is deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use eddy_storage::{Direction, Storage, WriteBatch};
use parking_lot::RwLock;

use crate::keys;
use crate::model::backup::BackupRecord;
use crate::model::error::{EngineError, Result};

/// Every backup, by id (ids grow with creation time).
#[derive(Debug, Default)]
pub(crate) struct Backups {
    records: RwLock<BTreeMap<u64, Arc<BackupRecord>>>,
}

impl Backups {
    /// Reads every backup record.
    ///
    /// # Errors
    /// A storage error or a corrupt record.
    pub(crate) fn load(storage: &dyn Storage) -> Result<Self> {
        let snap = storage.snapshot();
        let start = [keys::BACKUP];
        let end = [keys::BACKUP + 1];
        let mut records = BTreeMap::new();
        for entry in snap.range(
            std::ops::Bound::Included(&start[..]),
            std::ops::Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            let (key, value) = entry?;
            // Item keys of a backup sort after its record; only records are read here.
            if key.get(9) != Some(&0) {
                continue;
            }
            let record: BackupRecord = serde_json::from_slice(&value)
                .map_err(|e| EngineError::Corrupt(format!("backup record: {e}")))?;
            records.insert(record.id, Arc::new(record));
        }
        Ok(Self {
            records: RwLock::new(records),
        })
    }

    /// Reads the backup records again (shared storage: other processes make and delete
    /// backups). Only records are read: past each one, the read skips its items.
    ///
    /// # Errors
    /// A storage error or a corrupt record.
    pub(crate) fn reload(&self, storage: &dyn Storage) -> Result<()> {
        let snap = storage.snapshot();
        let end = [keys::BACKUP + 1];
        let mut from = vec![keys::BACKUP];
        let mut records = BTreeMap::new();
        loop {
            let next = snap
                .range(
                    std::ops::Bound::Included(&from[..]),
                    std::ops::Bound::Excluded(&end[..]),
                    Direction::Forward,
                )
                .next()
                .transpose()?;
            let Some((key, value)) = next else { break };
            // `B` + backup id (8 bytes) starts every key of a backup.
            if key.len() < 9 {
                return Err(EngineError::Corrupt("backup key".into()));
            }
            if key.get(9) == Some(&0) {
                let record: BackupRecord = serde_json::from_slice(&value)
                    .map_err(|e| EngineError::Corrupt(format!("backup record: {e}")))?;
                records.insert(record.id, Arc::new(record));
            }
            from = keys::prefix_end(&key[..9]);
        }
        *self.records.write() = records;
        Ok(())
    }

    /// Every backup, oldest first.
    pub(crate) fn all(&self) -> Vec<Arc<BackupRecord>> {
        self.records.read().values().cloned().collect()
    }

    /// The backup with this ARN.
    pub(crate) fn by_arn(&self, arn: &str) -> Option<Arc<BackupRecord>> {
        self.records.read().values().find(|r| r.arn == arn).cloned()
    }

    /// Stages a new backup's record into `batch`; it is listed once the batch is committed and
    /// [`Backups::insert`] called.
    pub(crate) fn stage(record: &BackupRecord, batch: &mut WriteBatch) -> Result<()> {
        let bytes = serde_json::to_vec(record).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        batch.put(keys::backup_record_key(record.id), bytes);
        Ok(())
    }

    /// Lists a committed backup.
    pub(crate) fn insert(&self, record: Arc<BackupRecord>) {
        self.records.write().insert(record.id, record);
    }

    /// Stops listing a backup.
    pub(crate) fn remove(&self, id: u64) -> Option<Arc<BackupRecord>> {
        self.records.write().remove(&id)
    }
}
