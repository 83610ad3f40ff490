//! CPU time and resident memory of a process the harness started, read from /proc.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use nix::unistd::{SysconfVar, sysconf};

/// CPU time (user + system, all threads) the process has used so far.
///
/// # Errors
/// The process is gone or /proc is not Linux's.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_secs_f64(ticks as f64 / clock_ticks()))
}

/// The process's peak resident set (VmHWM), in bytes.
///
/// # Errors
/// The process is gone or /proc is not Linux's.
pub fn peak_rss(pid: u32) -> Result<u64> {
    status_bytes(pid, "VmHWM:")
}

/// The process's resident set now (VmRSS), in bytes.
///
/// # Errors
/// The process is gone or /proc is not Linux's.
pub fn rss(pid: u32) -> Result<u64> {
    status_bytes(pid, "VmRSS:")
}

fn status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    parse_status_kib(&status, field)
}

/// utime + stime, fields 14 and 15 of /proc/PID/stat. The command name (field 2) may hold
/// spaces and parentheses, so counting starts after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Result<u64> {
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("unexpected /proc stat line"))?;
    // After the name, field 3 (state) is index 0, so fields 14 and 15 are indices 11 and 12.
    let mut fields = rest.split_whitespace().skip(11);
    let mut next = || -> Result<u64> {
        Ok(fields
            .next()
            .ok_or_else(|| anyhow!("short /proc stat line"))?
            .parse()?)
    };
    Ok(next()? + next()?)
}

/// A `Field:   1234 kB` line of /proc/PID/status, in bytes.
fn parse_status_kib(status: &str, field: &str) -> Result<u64> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .ok_or_else(|| anyhow!("no {field} in /proc status"))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse()?;
    Ok(kib * 1024)
}

/// Units of /proc's CPU times per second (USER_HZ, 100 on every Linux we know of).
fn clock_ticks() -> f64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(hz)) if hz > 0 => hz as f64,
        _ => 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_awkward_name() {
        let stat = "1234 (ed dy) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat).expect("ticks"), 325);
    }

    #[test]
    fn status_fields() {
        let status = "Name:\teddy\nVmPeak:\t 9000 kB\nVmHWM:\t   4096 kB\nVmRSS:\t 2048 kB\n";
        assert_eq!(
            parse_status_kib(status, "VmHWM:").expect("hwm"),
            4096 * 1024
        );
        assert_eq!(
            parse_status_kib(status, "VmRSS:").expect("rss"),
            2048 * 1024
        );
    }

    #[test]
    fn own_process() {
        let pid = std::process::id();
        assert!(peak_rss(pid).expect("peak rss") > 0);
        assert!(rss(pid).expect("rss") > 0);
        assert!(cpu_time(pid).is_ok());
    }
}
