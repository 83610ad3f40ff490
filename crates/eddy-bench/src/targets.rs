//! The servers a run measures: eddy processes the harness starts (each on a free port with a
//! temporary data directory), the in-process bare server, and endpoints already running.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use hyper::StatusCode;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::bare_server::BareServer;
use crate::cli::TargetKind;
use crate::client::{Conn, Endpoint};
use crate::ratios::Role;
use crate::workloads::Params;

/// How long eddy may take to print its address and answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long eddy may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A server named on the command line.
#[derive(Clone, Debug)]
pub enum Target {
    Started(TargetKind),
    Endpoint { name: String, url: String },
}

impl Target {
    /// The name in reports.
    pub fn name(&self) -> String {
        match self {
            Target::Started(kind) => kind.name().to_string(),
            Target::Endpoint { name, .. } => name.clone(),
        }
    }

    /// What the ratios take it for: an endpoint is a peer, whatever it runs.
    pub fn role(&self) -> Role {
        match self {
            Target::Started(TargetKind::Bare) => Role::Bare,
            Target::Started(_) => Role::Eddy,
            Target::Endpoint { .. } => Role::Peer,
        }
    }
}

/// A target ready to receive requests.
pub struct Running {
    pub endpoint: Endpoint,
    server: Server,
}

enum Server {
    Eddy(EddyProcess),
    Bare(BareServer),
    /// A server already running; its process when it listens on this machine's loopback.
    Peer(Option<u32>),
}

impl Running {
    /// Starts the target (or resolves a peer's address).
    ///
    /// # Errors
    /// eddy fails to start or become healthy, or a peer's address does not resolve.
    pub async fn start(target: &Target, eddy_bin: &Path, p: Params) -> Result<Running> {
        match target {
            Target::Started(TargetKind::Bare) => {
                let bare = BareServer::start(p).await?;
                Ok(Running {
                    endpoint: Endpoint::from_addr(bare.addr())?,
                    server: Server::Bare(bare),
                })
            }
            Target::Started(kind) => {
                let (process, endpoint) = EddyProcess::spawn(eddy_bin, *kind).await?;
                Ok(Running {
                    endpoint,
                    server: Server::Eddy(process),
                })
            }
            Target::Endpoint { url, .. } => {
                let endpoint = Endpoint::parse(url).await?;
                let addr = endpoint.addr();
                let pid = addr
                    .ip()
                    .is_loopback()
                    .then(|| crate::isolation::pid_listening_on(addr.port()))
                    .flatten();
                Ok(Running {
                    endpoint,
                    server: Server::Peer(pid),
                })
            }
        }
    }

    /// The server's process id, when the harness started it or found a peer listening on
    /// loopback (for CPU and memory figures, and to pause it in others' windows).
    pub fn pid(&self) -> Option<u32> {
        match &self.server {
            Server::Eddy(p) => p.pid(),
            Server::Peer(pid) => *pid,
            Server::Bare(_) => None,
        }
    }

    /// Whether the target serves real tables (the bare server answers everything alike).
    pub fn has_tables(&self) -> bool {
        !matches!(self.server, Server::Bare(_))
    }

    /// Stops what the harness started; a peer is left running.
    ///
    /// # Errors
    /// eddy cannot be signalled or waited for.
    pub async fn stop(self) -> Result<()> {
        match self.server {
            Server::Eddy(p) => p.stop().await,
            Server::Bare(b) => {
                b.stop();
                Ok(())
            }
            Server::Peer(_) => Ok(()),
        }
    }
}

/// An eddy child process with its temporary directory (data and log).
pub struct EddyProcess {
    child: Child,
    // Held so the directory outlives the process; deleted on drop.
    dir: TempDir,
}

impl EddyProcess {
    /// Spawns `eddy serve` on a free loopback port and returns once `GET /_eddy/health`
    /// answers 200.
    ///
    /// # Errors
    /// The binary is missing, exits early, or is not healthy within 30 s.
    pub async fn spawn(bin: &Path, kind: TargetKind) -> Result<(EddyProcess, Endpoint)> {
        let dir = tempfile::Builder::new().prefix("eddy-bench-").tempdir()?;
        EddyProcess::spawn_in(bin, kind, dir).await
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Like [`EddyProcess::spawn`], in a directory a stopped eddy left (see
    /// [`EddyProcess::halt`]): a restart on the same data.
    ///
    /// # Errors
    /// As for [`EddyProcess::spawn`].
    pub async fn spawn_in(
        bin: &Path,
        kind: TargetKind,
        dir: TempDir,
    ) -> Result<(EddyProcess, Endpoint)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("eddy.log"))?;
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]);
        match kind {
            TargetKind::EddyMemory => {
                cmd.arg("--in-memory");
            }
            TargetKind::EddyDisk | TargetKind::EddyFsync => {
                cmd.arg("--data-dir").arg(dir.path().join("data"));
            }
            TargetKind::Bare => bail!("the bare target is not an eddy process"),
        }
        if kind == TargetKind::EddyFsync {
            cmd.args(["--durability", "fsync"]);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut process = EddyProcess { child, dir };
        match tokio::time::timeout(START_TIMEOUT, process.until_healthy()).await {
            Ok(Ok(endpoint)) => Ok((process, endpoint)),
            Ok(Err(e)) => Err(e.context(process.log_tail())),
            Err(_) => Err(anyhow!(
                "eddy not healthy after {START_TIMEOUT:?}\n{}",
                process.log_tail()
            )),
        }
    }

    async fn until_healthy(&mut self) -> Result<Endpoint> {
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("eddy's stdout is not piped"))?;
        let mut stdout = BufReader::new(stdout);
        let mut first = String::new();
        stdout.read_line(&mut first).await?;
        let addr = first
            .trim()
            .strip_prefix("eddy ready on http://")
            .ok_or_else(|| anyhow!("eddy printed {first:?} instead of its address"))?
            .parse()?;
        // eddy prints nothing more today; drain anything it might so it never blocks on a
        // full pipe.
        tokio::spawn(async move {
            let mut sink = Vec::new();
            let _eof = stdout.read_to_end(&mut sink).await;
        });
        let endpoint = Endpoint::from_addr(addr)?;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("eddy exited with {status}");
            }
            if let Ok(mut conn) = Conn::open(&endpoint).await
                && let Ok(reply) = conn.get("/_eddy/health").await
                && reply.status == StatusCode::OK
            {
                return Ok(endpoint);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("eddy.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("eddy's stderr (last lines):\n{tail}")
    }

    /// Sends SIGTERM (eddy shuts down cleanly on it), then kills it if it lingers; its
    /// directory is deleted.
    ///
    /// # Errors
    /// eddy cannot be signalled or waited for.
    pub async fn stop(self) -> Result<()> {
        self.halt().await.map(drop)
    }

    /// Kills the process (SIGKILL: no flush, no clean close, as a crash) and hands back its
    /// directory.
    ///
    /// # Errors
    /// eddy cannot be killed or waited for.
    pub async fn kill(self) -> Result<TempDir> {
        let EddyProcess { mut child, dir } = self;
        child.kill().await?;
        Ok(dir)
    }

    /// Stops the process like [`EddyProcess::stop`] but hands back its directory, data
    /// and log intact.
    ///
    /// # Errors
    /// eddy cannot be signalled or waited for.
    pub async fn halt(self) -> Result<TempDir> {
        let EddyProcess { mut child, dir } = self;
        if let Some(pid) = child.id() {
            kill(Pid::from_raw(i32::try_from(pid)?), Signal::SIGTERM)?;
            if tokio::time::timeout(STOP_TIMEOUT, child.wait())
                .await
                .is_ok()
            {
                return Ok(dir);
            }
        }
        child.kill().await?;
        Ok(dir)
    }
}

/// Time from spawning eddy to its first 200 on `GET /_eddy/health`, on an empty data dir.
///
/// # Errors
/// eddy fails to start.
pub async fn measure_startup(bin: &Path, kind: TargetKind) -> Result<Duration> {
    let start = Instant::now();
    let (process, _) = EddyProcess::spawn(bin, kind).await?;
    let elapsed = start.elapsed();
    process.stop().await?;
    Ok(elapsed)
}

/// The eddy binary next to this one (both land in target/release), unless given.
///
/// # Errors
/// Neither the given path nor the default exists.
pub fn eddy_bin(given: Option<&Path>) -> Result<PathBuf> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()?
            .parent()
            .ok_or_else(|| anyhow!("eddy-bench has no parent directory"))?
            .join("eddy"),
    };
    if !path.is_file() {
        bail!(
            "no eddy binary at {} (build it with `cargo build --release -p eddy`, or pass --eddy-bin)",
            path.display()
        );
    }
    Ok(path)
}
