//! Syncing fjall's active journal without holding fjall's journal lock.
//!
//! `Database::persist(SyncData)` runs `fdatasync` while it holds the journal writer's mutex, so
//! every commit that arrives during the sync waits for it, and the table write lock its writer
//! holds makes the whole table wait: one sync per write instead of one per group. An `fdatasync`
//! on another descriptor of the same file flushes the same inode, so syncing the journal through
//! a descriptor of our own leaves fjall's writers free to append the next group meanwhile.
//!
//! Which file: fjall names its journals `<id>.jnl` in the database folder and writes only to the
//! one with the highest id. When it rotates to a new journal it syncs the old one completely
//! (`SyncAll`) and syncs the folder, so the only journal that can hold unsynced writes is the
//! newest, and a write that finished before [`JournalSync::sync`] began is in a journal that
//! already existed then. If no journal can be found (a layout this code does not know), it falls
//! back to fjall's own sync.

use std::fs::File;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::StorageError;

pub(crate) struct JournalSync {
    folder: PathBuf,
    /// The newest journal seen, by id, and a descriptor of it.
    active: Mutex<Option<(u64, File)>>,
}

impl JournalSync {
    pub(crate) fn new(folder: &Path) -> Self {
        Self {
            folder: folder.to_path_buf(),
            active: Mutex::new(None),
        }
    }

    /// Syncs the data of the newest journal; `fallback` when there is none to be found.
    pub(crate) fn sync(
        &self,
        fallback: impl FnOnce() -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let Some(newest) = newest_journal(&self.folder)? else {
            return fallback();
        };
        let mut active = self.active.lock();
        let file = match &mut *active {
            Some((id, file)) if *id == newest => file,
            slot => {
                let file = File::open(self.folder.join(format!("{newest}.jnl")))?;
                &mut slot.insert((newest, file)).1
            }
        };
        Ok(file.sync_data()?)
    }
}

/// The highest id among the `<id>.jnl` files of `folder`.
fn newest_journal(folder: &Path) -> Result<Option<u64>, StorageError> {
    let mut newest = None;
    for entry in std::fs::read_dir(folder)? {
        let name = entry?.file_name();
        let id = name
            .to_str()
            .and_then(|n| n.strip_suffix(".jnl"))
            .and_then(|id| id.parse::<u64>().ok());
        newest = newest.max(id);
    }
    Ok(newest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_newest_journal_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(newest_journal(dir.path()).unwrap(), None);
        for name in ["0.jnl", "9.jnl", "10.jnl", "11.tmp", "x.jnl", "lock"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(newest_journal(dir.path()).unwrap(), Some(10));
    }

    /// Guards the assumption about fjall's layout: a database it creates has a journal here.
    #[test]
    fn a_fjall_database_has_a_journal_in_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let _db = fjall::Database::builder(dir.path()).open().unwrap();
        assert!(newest_journal(dir.path()).unwrap().is_some());
        let sync = JournalSync::new(dir.path());
        sync.sync(|| panic!("the journal should have been found"))
            .unwrap();
    }
}
