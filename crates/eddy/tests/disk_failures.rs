//! Failing disks, with the real binary: a full disk refuses writes with InternalServerError,
//! loses nothing acknowledged, and takes writes again once space is freed; a data directory
//! that is read-only, not a directory, or deleted while eddy runs gives a clear error, and
//! SIGTERM still stops the server.
//!
//! The full disk is a small tmpfs the test mounts, which needs root (CAP_SYS_ADMIN); without it
//! that test says so and passes without checking anything.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use common::{EddyProcess as Eddy, client_for, code, create_table, s};

fn spawn(data_dir: &Path, extra: &[&str]) -> Eddy {
    let mut flags = vec![std::ffi::OsStr::new("--data-dir"), data_dir.as_os_str()];
    flags.extend(extra.iter().map(std::ffi::OsStr::new));
    Eddy::serve(&flags)
}

/// Sends SIGTERM and waits for the process to exit, failing after a minute.
fn terminate(eddy: &mut Eddy) -> std::process::ExitStatus {
    let pid = nix::unistd::Pid::from_raw(eddy.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = eddy.child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "eddy ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A tmpfs of `megabytes`, unmounted when dropped.
/// The mount point, and the directory holding it.
struct Tmpfs(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    fn mount(megabytes: u32, options: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let point = dir.path().join("mnt");
        std::fs::create_dir(&point).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={megabytes}m{options}"))
            .args(["tmpfs"])
            .arg(&point)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Tmpfs(point, dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Incompressible bytes for item `i`, so the journal grows by what is written.
fn payload(i: u32, len: usize) -> Vec<u8> {
    let mut x = u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn put(client: &Client, i: u32) -> Result<(), String> {
    client
        .put_item()
        .table_name("full")
        .item("pk", s(&format!("k{i}")))
        .item("v", AttributeValue::B(Blob::new(payload(i, 300_000))))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

async fn assert_all_present(client: &Client, acked: &[u32]) {
    for &i in acked {
        let got = client
            .get_item()
            .table_name("full")
            .key("pk", s(&format!("k{i}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        let item = got.item.unwrap_or_else(|| panic!("acknowledged k{i} lost"));
        assert_eq!(
            item["v"].as_b().expect("binary").as_ref(),
            payload(i, 300_000).as_slice(),
            "k{i} corrupted"
        );
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_loses_nothing_and_recovers() {
    let Some(fs) = Tmpfs::mount(96, "") else {
        return;
    };
    // Space to free later; the reserve leaves about 40 MB for the data.
    let ballast = fs.0.join("ballast");
    std::fs::write(&ballast, vec![1u8; 24 << 20]).expect("ballast");
    let data = fs.0.join("data");
    let mut eddy = spawn(&data, &["--reserved-disk-space", "32MiB"]);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "full", None).await;

    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..400 {
        match put(&client, i).await {
            Ok(()) => acked.push(i),
            Err(code) => {
                refused = Some((i, code));
                break;
            }
        }
    }
    let (first_refused, error) = refused.expect("the disk filled up");
    assert_eq!(error, "InternalServerError");
    assert!(
        acked.len() > 10,
        "only {} writes before the disk was full",
        acked.len()
    );
    assert!(put(&client, 1000).await.is_err(), "still full");
    assert_all_present(&client, &acked).await;

    std::fs::remove_file(&ballast).expect("free space");
    put(&client, first_refused)
        .await
        .expect("writes resume once space is freed");
    acked.push(first_refused);

    assert!(terminate(&mut eddy).success(), "clean shutdown");
    let eddy = spawn(&data, &["--reserved-disk-space", "32MiB"]);
    let client = client_for(&eddy.endpoint);
    assert_all_present(&client, &acked).await;
    let mut count = 0;
    let mut pages = client
        .scan()
        .table_name("full")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        count += page.expect("scan").count as usize;
    }
    assert_eq!(count, acked.len(), "nothing unacknowledged appeared");
}

/// Runs `eddy serve` on `data_dir` and returns its exit status and stderr, failing if it has
/// not exited within a minute.
fn start_failure(data_dir: &Path) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "eddy hung on a bad data directory"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    (status, stderr)
}

#[test]
fn an_unusable_data_directory_fails_at_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").expect("file");
    let (status, stderr) = start_failure(&file.join("data"));
    assert!(!status.success());
    assert!(
        stderr.contains("cannot use the data directory") && stderr.contains("Not a directory"),
        "{stderr}"
    );

    // Root ignores permission bits, so a read-only mount stands in when the test can make one.
    let read_only = Tmpfs::mount(1, ",ro");
    let locked = dir.path().join("locked");
    let target = match &read_only {
        Some(fs) => fs.0.clone(),
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir(&locked).expect("dir");
            std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500))
                .expect("chmod");
            locked.clone()
        }
    };
    let (status, stderr) = start_failure(&target);
    assert!(!status.success());
    assert!(stderr.contains("cannot use the data directory"), "{stderr}");
}

#[tokio::test]
async fn a_data_directory_deleted_while_running_fails_writes_and_sigterm_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut eddy = spawn(&data, &[]);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "full", None).await;
    put(&client, 0).await.expect("a write before");
    std::fs::remove_dir_all(&data).expect("delete the data directory");

    // The free-space look behind each write is trusted for at most a second.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 1;
    let error = loop {
        match put(&client, i).await {
            Err(code) => break code,
            Ok(()) => assert!(Instant::now() < deadline, "writes into a deleted directory"),
        }
        i += 1;
    };
    assert_eq!(error, "InternalServerError");
    assert!(put(&client, i + 1).await.is_err(), "later writes fail too");

    let status = terminate(&mut eddy);
    assert!(
        !status.success(),
        "the unflushed data could not be saved: {status}"
    );
}
