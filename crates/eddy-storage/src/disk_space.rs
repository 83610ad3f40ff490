//! Refusing writes before the disk is full.
//!
//! When fjall's journal or a flush meets a full disk, fjall marks the whole database failed and
//! refuses every later write until the process restarts: it can no longer tell what reached the
//! disk. Checking the free space before each commit keeps it from getting there: writes are
//! refused with [`StorageError::DiskFull`] while less than the reserve is free, which leaves
//! room for memtable flushes and compactions, and they succeed again as soon as space is freed.
//!
//! The same look notices a data directory deleted or replaced under a running server: writes
//! would otherwise go on into unlinked files (or into a new directory fjall recreates), and
//! vanish at the next start.
//!
//! `statvfs` is cheap but not free, so it runs only when the writes since the last look could
//! have used half of the room that was left, or a second has passed (other programs share the
//! disk).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::StorageError;

/// Longest time the last look at the disk is trusted.
const RECHECK_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct DiskSpace {
    folder: PathBuf,
    /// The folder as opened: deleted, it has no links left, though a new one may have been
    /// made under the same name (inode numbers alone are reused too soon to tell).
    opened: Option<std::fs::File>,
    /// Device and inode of the folder when opened, to notice another one renamed in its place.
    identity: Option<(u64, u64)>,
    reserve: u64,
    last: Mutex<Look>,
}

struct Look {
    /// Bytes that may be written before looking again.
    budget: u64,
    at: Instant,
}

impl DiskSpace {
    pub(crate) fn new(folder: &Path, reserve: u64) -> Self {
        Self {
            folder: folder.to_path_buf(),
            opened: std::fs::File::open(folder).ok(),
            identity: identity(folder).ok(),
            reserve,
            last: Mutex::new(Look {
                budget: 0,
                at: Instant::now(),
            }),
        }
    }

    /// Admits a write of about `bytes`, or refuses it while the disk has less than the reserve
    /// free.
    pub(crate) fn admit(&self, bytes: u64) -> Result<(), StorageError> {
        let mut last = self.last.lock();
        if last.budget >= bytes && last.at.elapsed() < RECHECK_AFTER {
            last.budget -= bytes;
            return Ok(());
        }
        let deleted = self.opened.as_ref().is_some_and(|dir| {
            use std::os::unix::fs::MetadataExt;
            dir.metadata().is_ok_and(|meta| meta.nlink() == 0)
        });
        if deleted || identity(&self.folder).ok() != self.identity {
            return Err(unusable(
                &self.folder,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "it was deleted or replaced while eddy ran",
                ),
            ));
        }
        let free = free_bytes(&self.folder)?;
        last.at = Instant::now();
        if free < self.reserve.saturating_add(bytes) {
            last.budget = 0;
            return Err(StorageError::DiskFull {
                free,
                reserve: self.reserve,
            });
        }
        last.budget = (free - self.reserve - bytes) / 2;
        Ok(())
    }
}

fn identity(folder: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(folder)?;
    Ok((meta.dev(), meta.ino()))
}

fn unusable(folder: &Path, io: std::io::Error) -> StorageError {
    StorageError::Io(std::io::Error::new(
        io.kind(),
        format!("the data directory {} is unusable: {io}", folder.display()),
    ))
}

/// Bytes an unprivileged writer may still use on the file system holding `folder`.
fn free_bytes(folder: &Path) -> Result<u64, StorageError> {
    let stats = nix::sys::statvfs::statvfs(folder)
        .map_err(|errno| unusable(folder, std::io::Error::from(errno)))?;
    Ok(stats
        .blocks_available()
        .saturating_mul(stats.fragment_size()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_below_the_reserve_and_admits_above_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let free = free_bytes(dir.path()).expect("statvfs");
        assert!(DiskSpace::new(dir.path(), 1).admit(1).is_ok());
        let err = DiskSpace::new(dir.path(), free.saturating_mul(2))
            .admit(1)
            .expect_err("reserve above the free space");
        assert!(matches!(err, StorageError::DiskFull { .. }), "{err}");
        let replaced = dir.path().join("replaced");
        std::fs::create_dir(&replaced).expect("dir");
        let space = DiskSpace::new(&replaced, 0);
        space.admit(1).expect("the directory is there");
        std::fs::remove_dir(&replaced).expect("remove");
        std::fs::create_dir(&replaced).expect("recreate");
        space.last.lock().budget = 0;
        let err = space.admit(1).expect_err("a replaced directory");
        assert!(err.to_string().contains("deleted or replaced"), "{err}");
    }
}
