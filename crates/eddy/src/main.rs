//! The eddy binary: `eddy serve` starts a DynamoDB-compatible server; `eddy streams` reads
//! DynamoDB Streams from any endpoint; `eddy export` and `eddy import` move a table's items to
//! and from files in the format of DynamoDB's export to S3; `eddy health` asks a server whether
//! it is up.

mod config;
mod connect;
mod credentials;
mod health;
mod streams_cli;
mod transfer;
mod triggers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use eddy_engine::{Engine, EngineConfig, StreamsConfig};
use eddy_server::{AppState, Effect, FaultRule};
use eddy_storage::{
    Durability, FjallOptions, FjallStorage, MemoryStorage, PostgresStorage, Storage,
};
use eddy_triggers::parse_duration;

// Every request allocates its parsed JSON, items and response; glibc's allocator took a tenth
// of the server's CPU under a PutItem load, mimalloc's thread-local free lists much less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A DynamoDB-compatible database server with DynamoDB Streams.
#[derive(Parser, Debug)]
#[command(name = "eddy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the DynamoDB and DynamoDB Streams APIs on one port.
    Serve(Box<ServeArgs>),
    /// Read DynamoDB Streams: list streams, draw a stream's shards, tail its records.
    Streams(streams_cli::StreamsArgs),
    /// Write a table's items to a file, or to a directory laid out as DynamoDB's export to S3.
    Export(transfer::ExportArgs),
    /// Load items from a file or an export directory (DynamoDB's S3 export format) into a
    /// table.
    Import(transfer::ImportArgs),
    /// Exit 0 if a server answers its health check (the container image's HEALTHCHECK).
    Health(health::HealthArgs),
}

#[derive(Parser, Debug)]
struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Directory of the on-disk database (created if missing).
    #[arg(long, default_value = "./eddy-data")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing touches the disk.
    #[arg(long, conflicts_with = "storage")]
    in_memory: bool,
    /// Keep the data in PostgreSQL instead of --data-dir: `postgres://user@host/db`
    /// (`?sslmode=require` for TLS). eddy creates and migrates its schema there.
    #[arg(long, value_name = "postgres://…", value_parser = postgres_url)]
    storage: Option<String>,
    /// Size of each of the PostgreSQL connection pools (commits, reads, table locks); a read
    /// or a lock that finds its pool busy for 20 ms opens a connection of its own.
    #[arg(long, default_value_t = eddy_storage::POSTGRES_DEFAULT_POOL_SIZE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    storage_pool_size: usize,
    /// Free space kept on the data directory's disk for flushes and compactions (`128MiB`,
    /// `2GiB`, or bytes): below it writes fail with InternalServerError, and succeed again once
    /// space is freed. 0 keeps none.
    #[arg(long, default_value = "128MiB", value_parser = parse_size)]
    reserved_disk_space: u64,
    /// Which log lines are written, as a tracing filter: `warn`, `debug` (one line per
    /// request: operation, table, status, latency, request id), or per module
    /// (`eddy_server=debug`).
    #[arg(long, default_value = "warn")]
    log_level: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// When a write is acknowledged: `buffered` survives a crash of the process,
    /// `fsync` also survives power loss (concurrent writers share fsyncs).
    #[arg(long, value_enum, default_value_t = DurabilityArg::Buffered)]
    durability: DurabilityArg,
    /// Region of requests whose signature names none, and of every request with --shared-db.
    /// Otherwise each request acts in the region of its signature, as on AWS.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Account of requests whose access key id is not 12 digits (a 12-digit one is the
    /// account), and of every request with --shared-db.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// One namespace for every request, the one of --region and --account-id, whatever region
    /// and access key the client signs with (as DynamoDB Local's -sharedDb).
    #[arg(long)]
    shared_db: bool,
    /// Also answer the test-control endpoints under /_eddy/ (clock advance, shard split).
    #[arg(long)]
    test_control: bool,
    /// Partitions of each new table, and so open shards of its stream.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4096))]
    table_partitions: u32,
    /// How long a stream shard stays open before it rolls over to a child shard.
    #[arg(long, default_value = "4h", value_parser = parse_duration)]
    shard_lifetime: Duration,
    /// How long stream records stay readable.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    stream_retention: Duration,
    /// How long a shard iterator stays valid after it is handed out.
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    iterator_lifetime: Duration,
    /// How often items whose time to live has passed are deleted.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    ttl_sweep_interval: Duration,
    /// How long new tables and indexes stay CREATING, and deleted tables DELETING (on the
    /// engine's clock), for code that polls for ACTIVE; `0s` settles them at once.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    table_status_delay: Duration,
    /// Verify every request's SigV4 signature against the --credential pairs.
    #[arg(long)]
    verify_signatures: bool,
    /// ACCESS_KEY_ID:SECRET_ACCESS_KEY accepted by --verify-signatures (repeatable).
    #[arg(long = "credential", value_name = "ACCESS_KEY_ID:SECRET_ACCESS_KEY",
          value_parser = parse_credential, requires = "verify_signatures")]
    credentials: Vec<(String, String)>,
    /// Verify every request's SigV4 signature against the key pairs of every profile in this
    /// file, in the AWS shared credentials format (`~/.aws/credentials`).
    #[arg(long, value_name = "PATH")]
    credentials_file: Option<PathBuf>,
    /// Enforce DynamoDB Streams' published request rates with LimitExceededException.
    #[arg(long)]
    streams_rate_limits: bool,
    /// API requests served at once; more answer ThrottlingException (which SDKs retry)
    /// instead of queueing without bound.
    #[arg(long, default_value_t = eddy_server::DEFAULT_MAX_IN_FLIGHT,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_in_flight: usize,
    /// A request's headers must arrive within this; an idle keep-alive connection is closed
    /// after it too.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// A request's body must arrive within this, from its headers.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    body_timeout: Duration,
    /// Connections open at once; more wait in the listen queue until one closes.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_connections: usize,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A stream trigger: `table=NAME,url=URL` (or `function=NAME,lambda-endpoint=URL`, or
    /// `command=CMD`) and the event source mapping's parameters (`batch-size=10`, ...).
    /// Repeatable.
    #[arg(long = "trigger", value_name = "KEY=VALUE,...")]
    triggers: Vec<String>,
    /// A TOML file of `[[trigger]]` tables with the same keys as --trigger.
    #[arg(long = "triggers", value_name = "FILE")]
    triggers_file: Option<PathBuf>,
    /// Fail a share of requests, for testing retry code:
    /// `op=PutItem,rate=0.1,error=ProvisionedThroughputExceededException` (`op=*` for every
    /// operation; also ThrottlingException, RequestLimitExceeded, InternalServerError).
    /// Repeatable; with --test-control, replaceable at run time through /_eddy/faults.
    #[arg(long = "inject-errors", value_name = "op=OP,rate=SHARE,error=NAME",
          value_parser = error_rule)]
    inject_errors: Vec<FaultRule>,
    /// Delay a share of requests: `op=*,p=0.01,delay=200ms`. Repeatable.
    #[arg(long = "inject-latency", value_name = "op=OP,p=SHARE,delay=DURATION",
          value_parser = latency_rule)]
    inject_latency: Vec<FaultRule>,
}

fn error_rule(text: &str) -> Result<FaultRule, String> {
    match text.parse::<FaultRule>()? {
        rule @ FaultRule {
            effect: Effect::Error(_),
            ..
        } => Ok(rule),
        _ => Err("an error rule takes error=NAME; delays go in --inject-latency".to_owned()),
    }
}

fn latency_rule(text: &str) -> Result<FaultRule, String> {
    match text.parse::<FaultRule>()? {
        rule @ FaultRule {
            effect: Effect::Latency(_),
            ..
        } => Ok(rule),
        _ => Err("a latency rule takes delay=DURATION; errors go in --inject-errors".to_owned()),
    }
}

fn postgres_url(text: &str) -> Result<String, String> {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        Ok(text.to_owned())
    } else {
        Err("expected a PostgreSQL URL: postgres://user@host/db".to_owned())
    }
}

fn parse_credential(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((key, secret)) if !key.is_empty() && !secret.is_empty() => {
            Ok((key.to_owned(), secret.to_owned()))
        }
        _ => Err("expected ACCESS_KEY_ID:SECRET_ACCESS_KEY".to_owned()),
    }
}

/// A size: bytes, or a whole number of KiB, MiB or GiB.
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return Err(format!("expected bytes or KiB, MiB, GiB, got `{text}`")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("expected a size such as 128MiB, got `{text}`"))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DurabilityArg {
    Buffered,
    Fsync,
}

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let (command, file_keys) = match config::layered(Cli::command(), &args) {
        Ok(layered) => layered,
        Err(e) => {
            eprintln!("eddy: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let matches = command.clone().get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(serve) = matches.subcommand_matches("serve")
        && serve.get_flag(config::PRINT_CONFIG)
        && let Some(serve_command) = command.find_subcommand("serve")
    {
        print!("{}", config::print(serve_command, serve, &file_keys));
        return std::process::ExitCode::SUCCESS;
    }
    // The client commands print results on stdout and one line on failure; the AWS SDK's
    // warnings (about config files, say) would only be noise there.
    let (level, format) = match &cli.command {
        Command::Serve(args) => (args.log_level.as_str(), args.log_format),
        Command::Streams(_) | Command::Export(_) | Command::Import(_) | Command::Health(_) => {
            ("error", LogFormat::Text)
        }
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(level) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("eddy: --log-level {level}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve(args) => match serve(*args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("eddy: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Streams(args) => match streams_cli::run(args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("eddy streams: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Export(args) => match transfer::run_export(args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("eddy export: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Import(args) => match transfer::run_import(args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("eddy import: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Command::Health(args) => health::run(args),
    }
}

fn serve(mut args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    // Checked before the database opens, so a bad command line touches nothing.
    if let Some(path) = &args.credentials_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--credentials-file {}: {e}", path.display()))?;
        let pairs = credentials::parse(&text)
            .map_err(|e| format!("--credentials-file {}: {e}", path.display()))?;
        args.credentials.extend(pairs);
        args.verify_signatures = true;
    }
    if args.verify_signatures && args.credentials.is_empty() {
        return Err(
            "--verify-signatures needs at least one --credential ACCESS_KEY_ID:SECRET_ACCESS_KEY"
                .into(),
        );
    }
    let trigger_specs = triggers::parse(&args.triggers, args.triggers_file.as_deref())?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(eddy_server::tls_config(cert, key)?),
        _ => None,
    };
    if !args.listen.ip().is_loopback() && !args.verify_signatures {
        eprintln!(
            "eddy: warning: listening on {} without --credentials-file: anyone who can reach \
             it can read and write every table",
            args.listen
        );
    }
    let storage: Arc<dyn Storage> = if let Some(url) = &args.storage {
        Arc::new(
            PostgresStorage::connect(url, args.storage_pool_size)
                .map_err(|e| format!("cannot use the PostgreSQL database: {e}"))?,
        )
    } else if args.in_memory {
        Arc::new(MemoryStorage::new())
    } else {
        let durability = match args.durability {
            DurabilityArg::Buffered => Durability::Buffered,
            DurabilityArg::Fsync => Durability::Fsync,
        };
        let options = FjallOptions {
            durability,
            reserved_disk_bytes: args.reserved_disk_space,
            ..FjallOptions::default()
        };
        let unusable = |e: &dyn std::fmt::Display| {
            format!(
                "cannot use the data directory {}: {e}",
                args.data_dir.display()
            )
        };
        Arc::new(FjallStorage::open_with(&args.data_dir, options).map_err(|e| unusable(&e))?)
    };
    let engine = Arc::new(Engine::open(
        storage,
        EngineConfig {
            region: args.region.clone(),
            account_id: args.account_id.clone(),
            streams: StreamsConfig {
                table_partitions: args.table_partitions,
                shard_lifetime_ms: millis(args.shard_lifetime),
                retention_ms: millis(args.stream_retention),
                iterator_lifetime_ms: millis(args.iterator_lifetime),
            },
            ttl_sweep_interval_ms: millis(args.ttl_sweep_interval),
            table_status_delay_ms: millis(args.table_status_delay),
        },
    )?);
    let mut state =
        AppState::new(Arc::clone(&engine), args.test_control).with_metrics_page(prometheus_page()?);
    let trigger_credentials = args.credentials.first().cloned();
    if args.verify_signatures {
        state = state.with_signature_verification(args.credentials);
    }
    if args.streams_rate_limits {
        state = state.with_streams_rate_limits();
    }
    let faults = args
        .inject_errors
        .iter()
        .chain(&args.inject_latency)
        .copied()
        .collect();
    state = state
        .with_faults(faults)
        .with_max_in_flight(args.max_in_flight)
        .with_connection_limits(eddy_server::ConnectionLimits {
            header_timeout: args.header_timeout,
            body_timeout: args.body_timeout,
            max_connections: args.max_connections,
        });
    if args.shared_db {
        state = state.with_shared_db();
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    // With HTTPS, the triggers' client trusts the server's own certificate.
    let trigger_trust = match &args.tls_cert {
        Some(cert) if !trigger_specs.is_empty() => Some(std::fs::read(cert)?),
        _ => None,
    };
    if let Some(config) = tls {
        state = state.with_tls(config);
    }
    let runtime = eddy_server::runtime_builder().build()?;
    // Trigger checkpoints stay on the node's disk; on PostgreSQL in the database, where the
    // next leader finds them.
    let shared = engine.is_shared();
    let checkpoints = if shared {
        triggers::DatabaseCheckpoints::in_database(Arc::clone(&engine))
    } else if args.in_memory {
        eddy_triggers::Checkpoints::Memory
    } else {
        eddy_triggers::Checkpoints::Directory(args.data_dir.join("triggers"))
    };
    let engine_for_triggers = Arc::clone(&engine);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let addr = listener.local_addr()?;
        let connection = triggers::Connection {
            endpoint: format!("{scheme}://{addr}"),
            trust_pem: trigger_trust,
            region: args.region,
            account_id: args.account_id,
            credentials: trigger_credentials,
            checkpoints,
            record_expiry: args.stream_retention,
        };
        if !trigger_specs.is_empty() && shared {
            let page = triggers::run_on_leader(
                trigger_specs,
                engine_for_triggers,
                state.clock_advances(),
                connection,
            );
            state = state.with_triggers_status(page);
        } else if !trigger_specs.is_empty() {
            let started = triggers::start(
                trigger_specs,
                engine_for_triggers,
                state.clock_advances(),
                connection,
            )
            .await
            .map_err(std::io::Error::other)?;
            state = state.with_triggers_status(eddy_server::StatusPage(Arc::new(move || {
                started.status_json()
            })));
        }
        // Tests and scripts read this line to learn the port.
        println!("eddy ready on {scheme}://{addr}");
        eddy_server::serve(listener, Arc::new(state), shutdown_signal()).await;
        Ok::<(), std::io::Error>(())
    })?;
    engine.close()?;
    Ok(())
}

/// Installs the Prometheus recorder every `metrics` call in eddy reports to, and returns the
/// page `GET /_eddy/metrics` serves from it.
fn prometheus_page() -> Result<eddy_server::StatusPage, Box<dyn std::error::Error>> {
    // Latency buckets from half a millisecond to 10 s, where a local database's requests fall.
    const LATENCY_BUCKETS: [f64; 12] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0,
    ];
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&LATENCY_BUCKETS)?
        .install_recorder()?;
    // Histograms keep their samples until upkeep drains them into buckets: without a scrape
    // they would grow with every request, so a thread of its own drains them too.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("eddy-metrics".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })?;
    Ok(eddy_server::StatusPage(Arc::new(move || {
        // Histograms drain their samples into buckets on upkeep; once per scrape suffices.
        handle.run_upkeep();
        handle.render().into_bytes()
    })))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
