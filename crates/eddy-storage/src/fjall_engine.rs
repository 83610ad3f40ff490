//! The on-disk engine, on fjall (an LSM tree with a write-ahead journal).

use std::ops::Bound;
use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable};

use crate::disk_space::DiskSpace;
use crate::group_commit::GroupCommit;
use crate::journal_sync::JournalSync;
use crate::locks::{HeldLock, LocalLocks};
use crate::storage::{RangeIter, check_lock_id, lock_locally, normalize_range};
use crate::{Direction, Durability, Snapshot, Storage, StorageError, Ticket, WriteBatch};

/// All data lives in one keyspace: callers prefix their keys, and one LSM tree keeps the
/// journal, memtable and compaction work in one place.
const KEYSPACE: &str = "eddy";

/// Settings of a [`FjallStorage`]; the defaults suit a server holding a few GB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FjallOptions {
    /// When a commit returns.
    pub durability: Durability,
    /// Bytes of decompressed blocks kept in memory (default 64 MiB, twice fjall's own default:
    /// point reads of hot items should not go to disk, but memory is not ours alone).
    pub cache_bytes: u64,
    /// Bytes of writes buffered in memory before they are flushed to a table file (default
    /// 64 MiB, fjall's default). Larger means fewer flushes and compactions, but more journal to
    /// replay on startup. fjall records it when the database is created; later opens keep the
    /// recorded value.
    pub memtable_bytes: u64,
    /// Free disk space kept for flushes and compactions (default 128 MiB, two memtables):
    /// below it writes are refused with [`StorageError::DiskFull`] rather than letting fjall
    /// meet a full disk, after which it would refuse every write until a restart. 0 keeps
    /// none.
    pub reserved_disk_bytes: u64,
}

impl Default for FjallOptions {
    fn default() -> Self {
        Self {
            durability: Durability::default(),
            cache_bytes: 64 * 1024 * 1024,
            memtable_bytes: 64 * 1024 * 1024,
            reserved_disk_bytes: 128 * 1024 * 1024,
        }
    }
}

/// A storage engine on disk, in fjall.
///
/// Every commit is written to fjall's journal and flushed out of fjall's userspace buffer before
/// it returns ([`PersistMode::Buffer`]), so it survives `kill -9`; with [`Durability::Fsync`]
/// the journal is also `fdatasync`ed, shared between concurrent committers (group commit).
/// `fdatasync` suffices because fjall preallocates journal files, and it still syncs a size
/// change when a journal outgrows its preallocation.
///
/// The sync goes through a descriptor of the journal file of our own ([`JournalSync`]): fjall's
/// own sync holds its journal lock, which would make every writer queue behind a running sync.
/// The group commit leader waits for writes already under way, so the next sync covers all of
/// them.
pub struct FjallStorage {
    db: Database,
    keyspace: Keyspace,
    /// Present in [`Durability::Fsync`] mode.
    group: Option<GroupCommit>,
    journal: JournalSync,
    space: DiskSpace,
    locks: LocalLocks,
}

impl FjallStorage {
    /// Opens the database in directory `path`, creating it if needed, with default options.
    ///
    /// # Errors
    ///
    /// [`StorageError::Locked`] if another process has it open; I/O failures; corrupt files.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StorageError> {
        Self::open_with(
            path,
            FjallOptions {
                durability,
                ..FjallOptions::default()
            },
        )
    }

    /// Opens the database in directory `path`, creating it if needed.
    ///
    /// # Errors
    ///
    /// [`StorageError::Locked`] if another process has it open; I/O failures; corrupt files.
    pub fn open_with(path: &Path, options: FjallOptions) -> Result<Self, StorageError> {
        // A new directory's own name survives power loss only once its parent is synced;
        // fjall syncs the folder's contents, not its name.
        let created: Vec<&Path> = path.ancestors().take_while(|p| !p.exists()).collect();
        std::fs::create_dir_all(path)?;
        for dir in created {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::File::open(parent)?.sync_all()?;
            }
        }
        let db = Database::builder(path)
            .cache_size(options.cache_bytes)
            .open()?;
        let keyspace = db.keyspace(KEYSPACE, || {
            KeyspaceCreateOptions::default().max_memtable_size(options.memtable_bytes)
        })?;
        // fjall syncs the directories it writes files into, but not `keyspaces/` after making
        // a keyspace's folder in it; synced here, every folder made by opening survives power
        // loss.
        sync_directories(path)?;
        let group = (options.durability == Durability::Fsync).then(GroupCommit::new);
        Ok(Self {
            db,
            keyspace,
            group,
            journal: JournalSync::new(path),
            space: DiskSpace::new(path, options.reserved_disk_bytes),
            locks: LocalLocks::default(),
        })
    }
}

impl Storage for FjallStorage {
    fn snapshot(&self) -> Box<dyn Snapshot> {
        Box::new(FjallSnapshot {
            snapshot: self.db.snapshot(),
            keyspace: self.keyspace.clone(),
        })
    }

    fn apply(&self, batch: WriteBatch) -> Result<Ticket, StorageError> {
        let ops = batch.into_final_ops()?;
        if ops.is_empty() {
            return Ok(Ticket::default());
        }
        // Buffer: the batch leaves fjall's 8 KiB BufWriter (a write syscall) before commit
        // returns; without it a batch could sit in userspace and die with the process. Set per
        // batch rather than trusting fjall's default (`manual_journal_persist(false)`).
        let bytes = ops
            .iter()
            .map(|(key, value)| key.len() + value.as_ref().map_or(0, Vec::len))
            .sum::<usize>();
        self.space.admit(bytes as u64)?;
        let mut fjall_batch = self.db.batch().durability(Some(PersistMode::Buffer));
        for (key, value) in ops {
            match value {
                Some(value) => fjall_batch.insert(&self.keyspace, key, value),
                None => fjall_batch.remove(&self.keyspace, key),
            }
        }
        // Announced before writing, so a sync leader can wait for this write to join its sync.
        let pending = self.group.as_ref().map(GroupCommit::begin_write);
        fjall_batch.commit()?;
        Ok(pending.map_or_else(Ticket::default, |p| Ticket(p.written())))
    }

    fn wait_durable(&self, ticket: Ticket) -> Result<(), StorageError> {
        match &self.group {
            Some(group) if ticket != Ticket::default() => group.wait_durable(ticket.0, || {
                self.journal
                    .sync(|| Ok(self.db.persist(PersistMode::SyncData)?))
            }),
            _ => Ok(()),
        }
    }

    /// Flushes the memtable into a table file: start-up replays the journal of everything not
    /// yet flushed (up to the memtable's size, 64 MiB), which takes about 0.5 s per 20 MB.
    /// `rotate_memtable` and `sealed_memtable_count` are hidden from fjall's documentation but
    /// public and pinned with fjall's minor version. fjall's own `rotate_memtable_and_wait`
    /// would wait forever once its flush worker has died (say, of a deleted directory), so the
    /// wait here gives up as soon as fjall reports itself failed.
    fn close(&self) -> Result<(), StorageError> {
        self.db.persist(PersistMode::Buffer)?;
        if self.keyspace.rotate_memtable()? {
            while self.keyspace.sealed_memtable_count() > 0 {
                self.db.persist(PersistMode::Buffer)?;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        Ok(self.db.persist(PersistMode::SyncAll)?)
    }

    fn waits_for_sync(&self) -> bool {
        self.group.is_some()
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if key.is_empty() {
            return Ok(None);
        }
        Ok(self.keyspace.get(key)?.map(|value| value.to_vec()))
    }

    fn lock(
        &self,
        id: u64,
        keys: &[&[u8]],
    ) -> Result<(HeldLock, Vec<Option<Vec<u8>>>), StorageError> {
        lock_locally(self, &self.locks, id, keys)
    }

    fn try_lock(&self, id: u64) -> Result<Option<HeldLock>, StorageError> {
        Ok(self.locks.try_lock(check_lock_id(id)?))
    }
}

/// Syncs `dir` and every directory below it.
fn sync_directories(dir: &Path) -> Result<(), StorageError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_directories(&entry.path())?;
        }
    }
    Ok(std::fs::File::open(dir)?.sync_all()?)
}

struct FjallSnapshot {
    snapshot: fjall::Snapshot,
    keyspace: Keyspace,
}

impl Snapshot for FjallSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        // fjall asserts keys are non-empty; no stored key is.
        if key.is_empty() {
            return Ok(None);
        }
        Ok(self
            .snapshot
            .get(&self.keyspace, key)?
            .map(|value| value.to_vec()))
    }

    fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> RangeIter<'a> {
        let Some(bounds) = normalize_range(start, end) else {
            return Box::new(std::iter::empty());
        };
        let pairs = self.snapshot.range::<&[u8], _>(&self.keyspace, bounds);
        let to_owned = |guard: fjall::Guard| {
            let (key, value) = guard.into_inner()?;
            Ok((key.to_vec(), value.to_vec()))
        };
        match direction {
            Direction::Forward => Box::new(pairs.map(to_owned)),
            Direction::Reverse => Box::new(pairs.rev().map(to_owned)),
        }
    }
}
