//! `eddy streams`: list a table's streams, draw a stream's shard lineage, and tail its records,
//! through eddy-client, so the same commands work against eddy and against AWS.

mod describe;
mod render;
mod tail;

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use eddy_client::{Error, StreamsClient};

use crate::connect;

/// `eddy streams` and its subcommands.
#[derive(Args, Debug)]
pub struct StreamsArgs {
    /// The endpoint to call (default: $AWS_ENDPOINT_URL_DYNAMODB, else $AWS_ENDPOINT_URL, else
    /// http://127.0.0.1:8000). Region and credentials come from the usual AWS chain.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    #[command(subcommand)]
    command: StreamsCommand,
}

#[derive(Subcommand, Debug)]
enum StreamsCommand {
    /// List streams, of every table or of one.
    List {
        /// Only this table's streams.
        #[arg(long)]
        table: Option<String>,
    },
    /// Show a stream: its status and its shards drawn as a lineage tree.
    Describe {
        /// The table whose latest stream to show.
        #[arg(long, conflicts_with = "arn", required_unless_present = "arn")]
        table: Option<String>,
        /// The stream's ARN.
        #[arg(long)]
        arn: Option<String>,
    },
    /// Print the records of a table's latest stream, parents before children.
    Tail(TailArgs),
}

/// `eddy streams tail`.
#[derive(Args, Debug)]
pub struct TailArgs {
    /// The table whose latest stream to read.
    #[arg(long)]
    table: String,
    /// Keep following new records (across rollovers and splits) until interrupted.
    #[arg(short = 'f', long)]
    follow: bool,
    /// Where shards without a checkpoint start.
    #[arg(long, value_enum, default_value_t = From::TrimHorizon)]
    from: From,
    /// `json`: each record as GetRecords returns it, one per line; `pretty`: a readable line
    /// per change (default on a terminal).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Resume from, and save progress to, this checkpoint file.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum From {
    TrimHorizon,
    Latest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Pretty,
}

/// Runs an `eddy streams` command; the error is one line for the user.
pub fn run(args: StreamsArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let endpoint = connect::endpoint(args.endpoint);
    runtime.block_on(async {
        let client = StreamsClient::new(&connect::sdk_config(&endpoint).await);
        let result = match args.command {
            StreamsCommand::List { table } => describe::list(&client, table.as_deref()).await,
            StreamsCommand::Describe { table, arn } => {
                describe::describe(&client, table.as_deref(), arn.as_deref()).await
            }
            StreamsCommand::Tail(tail) => tail::tail(client, tail).await,
        };
        result.map_err(|e| explain(&e, &endpoint))
    })
}

/// One line that says what went wrong, in the user's terms.
fn explain(e: &Error, endpoint: &str) -> String {
    let line = match e {
        Error::Transport(m) => format!("cannot reach {endpoint}: {m}"),
        Error::ResourceNotFound(s) => s.message.clone(),
        other => other.to_string(),
    };
    line.replace('\n', " ")
}
