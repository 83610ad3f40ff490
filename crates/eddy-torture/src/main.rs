//! `eddy-torture crash`: starts an on-disk eddy, runs concurrent writers of every kind against
//! two stream tables (one with a global index, one with a local index), kills the server with
//! SIGKILL at a random moment, restarts it and checks that nothing acknowledged was lost and
//! nothing half-done is visible; over and over. It prints the cycles, the operations
//! acknowledged and every violation, and exits non-zero if there was one. With
//! `--power-loss` each kill also cuts the power (see [`volatile_fs`]).
//!
//! `eddy-torture abuse`: normal clients' latency beside hundreds of abusive connections (see
//! [`abuse`]).

mod abuse;
mod load;
mod model;
mod server;
mod verify;
mod volatile_fs;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use rand::{Rng, SeedableRng};

use model::Model;
use server::Server;
use verify::Verifier;

#[derive(Parser, Debug)]
#[command(name = "eddy-torture", about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Kill eddy under load, restart it, verify; repeat.
    Crash(CrashArgs),
    /// Latency of normal clients, alone and beside hundreds of abusive connections.
    Abuse(AbuseArgs),
}

#[derive(Parser, Debug)]
struct AbuseArgs {
    /// Abusive connections held open: slowloris headers, half-sent bodies, idle keep-alives.
    #[arg(long, default_value_t = 500)]
    connections: usize,
    /// Concurrent normal clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Length of each measuring phase, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The eddy binary (default: `eddy` beside this program).
    #[arg(long)]
    eddy: Option<PathBuf>,
}

#[derive(Parser, Debug)]
struct CrashArgs {
    /// Kill-and-restart cycles.
    #[arg(long, default_value_t = 100)]
    cycles: u32,
    /// The durability mode eddy runs in.
    #[arg(long, value_enum, default_value_t = Durability::Buffered)]
    durability: Durability,
    /// Concurrent writers; each owns its own keys.
    #[arg(long, default_value_t = 4)]
    writers: usize,
    /// The eddy binary (default: `eddy` beside this program).
    #[arg(long)]
    eddy: Option<PathBuf>,
    /// Seed of the random choices (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Longest run of load before the kill, in milliseconds.
    #[arg(long, default_value_t = 400)]
    max_load_ms: u64,
    /// Cut the power with each kill: eddy's data lives on a filesystem that then forgets
    /// everything not synced (needs /dev/fuse and root). Only with `--durability fsync`:
    /// buffered mode promises nothing against power loss.
    #[arg(long)]
    power_loss: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Durability {
    Buffered,
    Fsync,
}

fn main() -> std::process::ExitCode {
    let command = Cli::parse().command;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eddy-torture: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let failures = match command {
        Cmd::Crash(args) => runtime.block_on(crash(args)),
        Cmd::Abuse(args) => runtime.block_on(async {
            let eddy = eddy_binary(args.eddy)?;
            let errors = abuse::run(&eddy, args.connections, args.clients, args.seconds).await?;
            Ok(errors as usize)
        }),
    };
    match failures {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("eddy-torture: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The eddy binary to run: `given`, or the one beside this program.
fn eddy_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let eddy = match given {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .map(|d| d.join("eddy"))
            .ok_or_else(|| anyhow::anyhow!("no directory beside this program"))?,
    };
    anyhow::ensure!(
        eddy.exists(),
        "{} is missing: build eddy first (cargo build -p eddy), or give --eddy",
        eddy.display()
    );
    Ok(eddy)
}

/// Runs the crash loop; returns the number of violations.
async fn crash(args: CrashArgs) -> anyhow::Result<usize> {
    let eddy = eddy_binary(args.eddy)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    anyhow::ensure!(
        !args.power_loss || matches!(args.durability, Durability::Fsync),
        "--power-loss needs --durability fsync: in buffered mode power loss may take every \
         write since fjall last synced its journal, tables included"
    );
    let tmp = tempfile::tempdir()?;
    let power = if args.power_loss {
        let mount_point = tmp.path().join("volatile");
        std::fs::create_dir(&mount_point)?;
        Some((volatile_fs::PowerSwitch::mount(&mount_point)?, mount_point))
    } else {
        None
    };
    let dir = match &power {
        Some((_, mount_point)) => mount_point.join("data"),
        None => tmp.path().join("data"),
    };
    let mode = match args.durability {
        Durability::Buffered => "buffered",
        Durability::Fsync => "fsync",
    };
    let kill = if power.is_some() {
        "power loss"
    } else {
        "SIGKILL"
    };
    println!(
        "eddy-torture crash: {} cycles, {mode}, {kill}, {} writers, seed {seed}",
        args.cycles, args.writers
    );
    let started = Instant::now();
    let mut model = Model::new(args.writers);
    let mut verifier = Verifier::default();
    let mut acknowledged = 0u64;
    let mut in_flight = 0u64;
    let mut unsynced_bytes_lost = 0u64;
    for cycle in 1..=args.cycles {
        let server = Server::start(&eddy, &dir, mode).await?;
        if cycle == 1 {
            load::create_tables(&server.dynamodb).await?;
        }
        verifier.check(&server, &mut model, cycle).await?;
        let iterator = verifier.iterator_for_later(&server).await?;
        let load_ms = rng.random_range(20..=args.max_load_ms.max(20));
        let outcome = load::run(server, &model, cycle, Duration::from_millis(load_ms)).await;
        acknowledged += outcome.acknowledged;
        in_flight += outcome.in_flight.len() as u64;
        model.apply(outcome);
        verifier.pending_iterator = iterator;
        if let Some((switch, _)) = &power {
            unsynced_bytes_lost += switch.cut();
        }
    }
    let server = Server::start(&eddy, &dir, mode).await?;
    verifier.check(&server, &mut model, args.cycles + 1).await?;
    let violations = verifier.violations.len();
    for v in &verifier.violations {
        println!("VIOLATION {v}");
    }
    if power.is_some() {
        println!("unsynced bytes lost to power cuts {unsynced_bytes_lost}");
    }
    println!(
        "cycles {}  operations acknowledged {acknowledged}  in flight at a kill {in_flight}  \
         stream records checked {}  violations {violations}  ({:.1} s)",
        args.cycles,
        verifier.records_checked,
        started.elapsed().as_secs_f64()
    );
    Ok(violations)
}
