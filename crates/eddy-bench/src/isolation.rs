//! Keeping targets out of each other's measured windows: every process but the measured one
//! is stopped (SIGSTOP) for the window and continued (SIGCONT) after it, so no target's
//! background work (eddy-disk's compaction, a peer's garbage collector) lands in another's
//! figures. Peers are found by the loopback port they listen on, which also lets the harness
//! read their CPU time from /proc like eddy's.

use std::collections::HashSet;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The process listening on a loopback TCP `port`, found through /proc (Linux): the socket's
/// inode in /proc/net/tcp{,6}, then the process holding a descriptor on it.
pub fn pid_listening_on(port: u16) -> Option<u32> {
    let inodes = listening_inodes(port);
    if inodes.is_empty() {
        return None;
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path())
                && let Some(inode) = link
                    .to_str()
                    .and_then(|l| l.strip_prefix("socket:["))
                    .and_then(|l| l.strip_suffix(']'))
                && inodes.contains(inode)
            {
                return Some(pid);
            }
        }
    }
    None
}

/// Inodes of the sockets listening on `port` (state 0A), IPv4 and IPv6.
fn listening_inodes(port: u16) -> HashSet<String> {
    let mut out = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        out.extend(listeners_in(&text, port));
    }
    out
}

fn listeners_in(table: &str, port: u16) -> Vec<String> {
    let wanted = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (cols.get(1)?, cols.get(3)?, cols.get(9)?);
            (local.ends_with(&wanted) && *state == "0A").then(|| (*inode).to_owned())
        })
        .collect()
}

/// Processes stopped for one measured window; continued when dropped.
pub struct Paused(Vec<u32>);

impl Paused {
    /// Stops every process of `all` but `measured`.
    pub fn all_but(all: &[u32], measured: Option<u32>) -> Paused {
        let mut stopped = Vec::new();
        for &pid in all {
            if Some(pid) == measured || stopped.contains(&pid) {
                continue;
            }
            if signal(pid, Signal::SIGSTOP) {
                stopped.push(pid);
            }
        }
        Paused(stopped)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        for &pid in &self.0 {
            signal(pid, Signal::SIGCONT);
        }
    }
}

fn signal(pid: u32, sig: Signal) -> bool {
    i32::try_from(pid).is_ok_and(|p| kill(Pid::from_raw(p), sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_are_found_by_port_and_state() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(listeners_in(table, 8000), ["12345"]);
        assert!(listeners_in(table, 8001).is_empty());
    }

    #[test]
    fn this_process_is_found_listening() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        assert_eq!(pid_listening_on(port), Some(std::process::id()));
    }
}
