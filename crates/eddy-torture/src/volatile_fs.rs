//! A filesystem that forgets what was not synced, to simulate power loss.
//!
//! It lives in memory and is mounted through FUSE. Every file keeps two versions of its bytes:
//! what programs see, and what an `fsync`/`fdatasync` of it last made durable. Every directory
//! keeps two versions of its entries: the current ones, and those its last `fsync` made durable
//! (POSIX promises a new, renamed or removed name survives a crash only once its directory is
//! synced). [`PowerSwitch::cut`] is the power failing: every file and directory goes back to
//! its durable version, and whatever is no longer reachable disappears.
//!
//! Writes go straight through to it (the mount uses no writeback cache), and attributes and
//! names are never cached by the kernel, so after a cut the next process sees exactly the
//! durable state. Mounting needs /dev/fuse and root.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    AccessFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation,
    INodeNo, LockOwner, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};

/// Nothing is cached by the kernel: after a cut it must ask again.
const TTL: Duration = Duration::ZERO;

#[derive(Default)]
struct File {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// Byte ranges written since the last sync.
    dirty: Vec<(usize, usize)>,
}

impl File {
    fn sync(&mut self) {
        self.durable.resize(self.data.len(), 0);
        for (start, end) in self.dirty.drain(..) {
            let end = end.min(self.data.len());
            if start < end {
                self.durable[start..end].copy_from_slice(&self.data[start..end]);
            }
        }
    }
}

#[derive(Default)]
struct Dir {
    entries: BTreeMap<OsString, u64>,
    durable: BTreeMap<OsString, u64>,
}

enum Node {
    File(File),
    Dir(Dir),
}

struct State {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    /// Bytes a cut has thrown away, over all cuts.
    lost_bytes: u64,
}

impl State {
    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let (kind, size, perm, nlink) = match self.nodes.get(&ino)? {
            Node::File(f) => (FileType::RegularFile, f.data.len() as u64, 0o644, 1),
            Node::Dir(_) => (FileType::Directory, 0, 0o755, 2),
        };
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: SystemTime::UNIX_EPOCH,
            mtime: SystemTime::UNIX_EPOCH,
            ctime: SystemTime::UNIX_EPOCH,
            crtime: SystemTime::UNIX_EPOCH,
            kind,
            perm,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }

    fn dir(&mut self, ino: u64) -> Result<&mut Dir, Errno> {
        match self.nodes.get_mut(&ino) {
            Some(Node::Dir(d)) => Ok(d),
            Some(Node::File(_)) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn file(&mut self, ino: u64) -> Result<&mut File, Errno> {
        match self.nodes.get_mut(&ino) {
            Some(Node::File(f)) => Ok(f),
            Some(Node::Dir(_)) => Err(Errno::EISDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn make(&mut self, parent: u64, name: &OsStr, node: Node) -> Result<FileAttr, Errno> {
        let ino = self.next_ino;
        let dir = self.dir(parent)?;
        if dir.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        dir.entries.insert(name.to_owned(), ino);
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        self.attr(ino).ok_or(Errno::EIO)
    }

    /// Power fails: everything goes back to its durable version.
    fn cut(&mut self) {
        let mut lost = 0;
        for node in self.nodes.values_mut() {
            match node {
                Node::File(f) => {
                    lost += f.dirty.iter().map(|(s, e)| e - s).sum::<usize>() as u64;
                    f.data.clone_from(&f.durable);
                    f.dirty.clear();
                }
                Node::Dir(d) => d.entries.clone_from(&d.durable),
            }
        }
        self.lost_bytes += lost;
        // Only what the durable names reach survives.
        let mut reachable = vec![INodeNo::ROOT.0];
        let mut keep = std::collections::HashSet::new();
        while let Some(ino) = reachable.pop() {
            if keep.insert(ino)
                && let Some(Node::Dir(d)) = self.nodes.get(&ino)
            {
                reachable.extend(d.entries.values().copied());
            }
        }
        self.nodes.retain(|ino, _| keep.contains(ino));
    }
}

/// The filesystem as FUSE serves it.
struct VolatileFs(Arc<Mutex<State>>);

/// Cuts the power of a mounted [`VolatileFs`]; unmounts it when dropped.
pub struct PowerSwitch {
    state: Arc<Mutex<State>>,
    _session: fuser::BackgroundSession,
}

impl PowerSwitch {
    /// Mounts an empty volatile filesystem on `mount_point`.
    pub fn mount(mount_point: &Path) -> anyhow::Result<Self> {
        let mut root = Dir::default();
        root.durable.clone_from(&root.entries);
        let state = Arc::new(Mutex::new(State {
            nodes: HashMap::from([(INodeNo::ROOT.0, Node::Dir(root))]),
            next_ino: INodeNo::ROOT.0 + 1,
            lost_bytes: 0,
        }));
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            fuser::MountOption::FSName("eddy-volatile".into()),
            fuser::MountOption::RW,
        ];
        let session = fuser::spawn_mount(VolatileFs(Arc::clone(&state)), mount_point, &config)
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot mount the power-loss filesystem on {} (it needs /dev/fuse and \
                     root): {e}",
                    mount_point.display()
                )
            })?;
        Ok(Self {
            state,
            _session: session,
        })
    }

    /// The power fails: unsynced bytes and names are gone. Call it only when no process uses
    /// the filesystem. Returns the bytes thrown away.
    pub fn cut(&self) -> u64 {
        let mut state = lock(&self.state);
        let before = state.lost_bytes;
        state.cut();
        state.lost_bytes - before
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while serving one request leaves the state as usable as any other moment.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl VolatileFs {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.0)
    }
}

impl Filesystem for VolatileFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let mut state = self.state();
        let found = state
            .dir(parent.0)
            .and_then(|d| d.entries.get(name).copied().ok_or(Errno::ENOENT));
        match found.and_then(|ino| state.attr(ino).ok_or(Errno::ENOENT)) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.state().attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut state = self.state();
        if let Some(size) = size {
            match state.file(ino.0) {
                Ok(f) => {
                    let old = f.data.len();
                    let new = size as usize;
                    f.data.resize(new, 0);
                    // Growing writes zeroes the sync must carry; shrinking shows in the length.
                    f.dirty.push((old.min(new), old.max(new)));
                }
                Err(e) => return reply.error(e),
            }
        }
        match state.attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        match self.state().make(parent.0, name, Node::Dir(Dir::default())) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        match self
            .state()
            .make(parent.0, name, Node::File(File::default()))
        {
            Ok(attr) => reply.created(
                &TTL,
                &attr,
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        // The node stays for descriptors still open on it; a cut collects it.
        match self.state().dir(parent.0).map(|d| d.entries.remove(name)) {
            Ok(Some(_)) => reply.ok(),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = self.state();
        let Some(ino) = state
            .dir(parent.0)
            .ok()
            .and_then(|d| d.entries.get(name).copied())
        else {
            return reply.error(Errno::ENOENT);
        };
        match state.dir(ino) {
            Ok(d) if !d.entries.is_empty() => return reply.error(Errno::ENOTEMPTY),
            Ok(_) => {}
            Err(e) => return reply.error(e),
        }
        if let Ok(d) = state.dir(parent.0) {
            d.entries.remove(name);
        }
        reply.ok();
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        _flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut state = self.state();
        let moved = match state.dir(parent.0).map(|d| d.entries.remove(name)) {
            Ok(Some(ino)) => ino,
            Ok(None) => return reply.error(Errno::ENOENT),
            Err(e) => return reply.error(e),
        };
        match state.dir(newparent.0) {
            Ok(d) => {
                d.entries.insert(newname.to_owned(), moved);
                reply.ok();
            }
            Err(e) => {
                if let Ok(d) = state.dir(parent.0) {
                    d.entries.insert(name.to_owned(), moved);
                }
                reply.error(e);
            }
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.state().attr(ino.0) {
            Some(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let mut state = self.state();
        match state.file(ino.0) {
            Ok(f) => {
                let start = (offset as usize).min(f.data.len());
                let end = start.saturating_add(size as usize).min(f.data.len());
                reply.data(&f.data[start..end]);
            }
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut state = self.state();
        match state.file(ino.0) {
            Ok(f) => {
                let start = offset as usize;
                let end = start + data.len();
                if f.data.len() < end {
                    f.data.resize(end, 0);
                }
                f.data[start..end].copy_from_slice(data);
                match f.dirty.last_mut() {
                    Some(last) if last.1 == start => last.1 = end,
                    _ => f.dirty.push((start, end)),
                }
                reply.written(data.len() as u32);
            }
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Closing a file makes nothing durable.
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.state().file(ino.0) {
            Ok(f) => {
                f.sync();
                reply.ok();
            }
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if mode != 0 {
            return reply.error(Errno::EOPNOTSUPP);
        }
        match self.state().file(ino.0) {
            Ok(f) => {
                let end = (offset + length) as usize;
                if f.data.len() < end {
                    let old = f.data.len();
                    f.data.resize(end, 0);
                    f.dirty.push((old, end));
                }
                reply.ok();
            }
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.state().dir(ino.0) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let mut state = self.state();
        let entries: Vec<(OsString, u64)> = match state.dir(ino.0) {
            Ok(d) => d.entries.iter().map(|(n, i)| (n.clone(), *i)).collect(),
            Err(e) => return reply.error(e),
        };
        let listing = [(OsString::from("."), ino.0), (OsString::from(".."), ino.0)]
            .into_iter()
            .chain(entries);
        for (i, (name, child)) in listing.enumerate().skip(offset as usize) {
            let kind = match state.nodes.get(&child) {
                Some(Node::Dir(_)) => FileType::Directory,
                _ => FileType::RegularFile,
            };
            if reply.add(INodeNo(child), (i + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.state().dir(ino.0) {
            Ok(d) => {
                d.durable.clone_from(&d.entries);
                reply.ok();
            }
            Err(e) => reply.error(e),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // Plenty of room: this filesystem tests power loss, not full disks.
        let blocks = 1 << 28;
        reply.statfs(blocks, blocks, blocks, 1 << 20, 1 << 20, 4096, 255, 4096);
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            nodes: HashMap::from([(INodeNo::ROOT.0, Node::Dir(Dir::default()))]),
            next_ino: 2,
            lost_bytes: 0,
        }
    }

    fn write(state: &mut State, ino: u64, offset: usize, bytes: &[u8]) {
        let f = state.file(ino).expect("file");
        let end = offset + bytes.len();
        f.data.resize(f.data.len().max(end), 0);
        f.data[offset..end].copy_from_slice(bytes);
        f.dirty.push((offset, end));
    }

    #[test]
    fn a_cut_keeps_synced_bytes_and_names_only() {
        let mut s = state();
        let root = INodeNo::ROOT.0;
        let synced = s.make(root, OsStr::new("synced"), Node::File(File::default()));
        let synced = synced.expect("create").ino.0;
        let unsynced_name = s.make(root, OsStr::new("unsynced"), Node::File(File::default()));
        let unsynced_name = unsynced_name.expect("create").ino.0;
        write(&mut s, synced, 0, b"durable");
        s.file(synced).expect("file").sync();
        write(&mut s, synced, 7, b" and lost");
        write(&mut s, unsynced_name, 0, b"x");
        s.file(unsynced_name).expect("file").sync();
        // Only "synced" had its name made durable.
        let root_dir = s.dir(root).expect("root");
        root_dir.durable = root_dir.entries.clone();
        root_dir.durable.remove(OsStr::new("unsynced"));

        s.cut();
        assert_eq!(s.file(synced).expect("kept").data, b"durable");
        let names: Vec<_> = s.dir(root).expect("root").entries.keys().cloned().collect();
        assert_eq!(names, [OsString::from("synced")]);
        assert!(
            !s.nodes.contains_key(&unsynced_name),
            "unreachable nodes are gone"
        );
        assert_eq!(s.lost_bytes, 9);
    }
}
