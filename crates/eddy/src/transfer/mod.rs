//! `eddy export` and `eddy import`: a table to and from files in the format of DynamoDB's export
//! to S3 (DYNAMODB_JSON: one `{"Item": ...}` per line), through the DynamoDB API only, so both
//! work against eddy and against AWS.

mod export;
mod format;
mod import;
mod progress;

use std::path::PathBuf;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::TableDescription;
use clap::{Args, ValueEnum};

use crate::connect;

/// `eddy export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The table to export.
    #[arg(long)]
    table: String,
    /// Where to write: a file when it ends in `.json` or `.json.gz` or already is one (one item
    /// per line); otherwise a directory, laid out as DynamoDB's export to S3
    /// (`AWSDynamoDB/<export id>/` with its manifests and one gzip data file per segment).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The endpoint to call (default: $AWS_ENDPOINT_URL_DYNAMODB, else $AWS_ENDPOINT_URL, else
    /// http://127.0.0.1:8000). Region and credentials come from the usual AWS chain.
    #[arg(long)]
    endpoint: Option<String>,
    /// Gzip a single-file export whatever its name (a directory's data files always are).
    #[arg(long)]
    gzip: bool,
    /// Scan segments read in parallel; a directory export writes one data file for each, open
    /// together, so they stop at 1,000.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=1_000))]
    segments: i32,
}

/// `eddy import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The table to write into; it must exist.
    #[arg(long)]
    table: String,
    /// A file of items, one `{"Item": ...}` per line, plain or gzip; or a directory (an
    /// export's), whose every `*.json` and `*.json.gz` file but the manifests is read, in name
    /// order.
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// The endpoint to call (default: $AWS_ENDPOINT_URL_DYNAMODB, else $AWS_ENDPOINT_URL, else
    /// http://127.0.0.1:8000). Region and credentials come from the usual AWS chain.
    #[arg(long)]
    endpoint: Option<String>,
    /// Let the import's writes add records to the table's stream, as other writes do. Without
    /// it eddy keeps them out of the stream, so consumers do not see the load as new changes.
    #[arg(long)]
    with_stream_records: bool,
    /// At a bad line (not an item, or one the table refuses): `stop` there and exit 1; `skip`
    /// it, report it on stderr, and go on.
    #[arg(long, value_enum, default_value_t = OnError::Stop)]
    on_error: OnError,
    /// Items per BatchWriteItem request.
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u16).range(1..=25))]
    batch_size: u16,
}

/// What an import does at a bad line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    Stop,
    Skip,
}

/// Everything that ends an export or an import.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("table {table} does not exist at {endpoint}")]
    NoSuchTable { table: String, endpoint: String },
    #[error("{operation} on {table}: {message}")]
    Refused {
        operation: &'static str,
        table: String,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {reason}", file.display())]
    Line {
        file: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{at}; stopped after importing {imported} items")]
    Stopped { at: Box<Error>, imported: u64 },
    #[error("no data files (*.json, *.json.gz) under {}", .0.display())]
    NoDataFiles(PathBuf),
}

impl Error {
    fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Runs `eddy export`.
pub fn run_export(mut args: ExportArgs) -> Result<(), Error> {
    let endpoint = connect::endpoint(args.endpoint.take());
    runtime()?.block_on(async {
        let remote = Remote::connect(endpoint, args.table.clone()).await;
        export::export(&remote, &args).await
    })
}

/// Runs `eddy import`.
pub fn run_import(mut args: ImportArgs) -> Result<(), Error> {
    let endpoint = connect::endpoint(args.endpoint.take());
    runtime()?.block_on(async {
        let remote = Remote::connect(endpoint, args.table.clone()).await;
        import::import(remote, &args).await
    })
}

// Several threads, so the requests in flight progress while the calling thread reads,
// compresses or parses lines.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// The table a command works on, at the endpoint it calls.
struct Remote {
    client: Client,
    endpoint: String,
    table: String,
}

impl Remote {
    async fn connect(endpoint: String, table: String) -> Self {
        let client = Client::new(&connect::sdk_config(&endpoint).await);
        Self {
            client,
            endpoint,
            table,
        }
    }

    async fn describe(&self) -> Result<TableDescription, Error> {
        let out = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| self.error("DescribeTable", e))?;
        out.table.ok_or_else(|| Error::Refused {
            operation: "DescribeTable",
            table: self.table.clone(),
            message: "the answer has no Table".to_owned(),
        })
    }

    /// The error for a failed request, in the user's terms.
    fn error<E>(&self, operation: &'static str, e: SdkError<E>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if e.code() == Some("ResourceNotFoundException") {
            return Error::NoSuchTable {
                table: self.table.clone(),
                endpoint: self.endpoint.clone(),
            };
        }
        match service_message(&e) {
            Some(message) => Error::Refused {
                operation,
                table: self.table.clone(),
                message,
            },
            None => Error::Unreachable {
                endpoint: self.endpoint.clone(),
                message: DisplayErrorContext(&e).to_string(),
            },
        }
    }
}

/// `Code: message` of an error the service answered; None when no answer came.
fn service_message<E: ProvideErrorMetadata>(e: &E) -> Option<String> {
    let code = e.code()?;
    Some(match e.message() {
        Some(message) if !message.is_empty() => format!("{code}: {message}"),
        _ => code.to_owned(),
    })
}
