//! `eddy import`: export lines written with BatchWriteItem, a few batches in flight, unprocessed
//! items retried with backoff, and a refused batch written again item by item so the report
//! names the bad line.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::client::customize::CustomizableOperation;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use flate2::bufread::MultiGzDecoder;
use tokio::task::JoinHandle;

use super::format::{self, Item};
use super::progress::Progress;
use super::{Error, ImportArgs, OnError, Remote, service_message};

/// With `off`, eddy keeps the request's writes out of the table's stream; other endpoints
/// ignore it.
const STREAM_RECORDS_HEADER: &str = "x-eddy-stream-records";
/// Batches sent and not yet answered: enough to hide a round trip, few enough that a stop
/// leaves little written past the bad line.
const IN_FLIGHT: usize = 4;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UNPROCESSED_ATTEMPTS: u32 = 10;
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(50);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

pub async fn import(remote: Remote, args: &ImportArgs) -> Result<(), Error> {
    let table = remote.describe().await?;
    let key_names = table
        .key_schema()
        .iter()
        .map(|key| key.attribute_name.clone())
        .collect();
    let files = data_files(&args.path)?;
    let total_bytes = files
        .iter()
        .filter_map(|file| file.metadata().ok())
        .map(|meta| meta.len())
        .sum();
    let mut import = Import {
        writer: Arc::new(Writer {
            remote,
            stream_records: args.with_stream_records,
            on_error: args.on_error,
        }),
        key_names,
        batch_size: usize::from(args.batch_size),
        batch: Vec::new(),
        in_flight: VecDeque::new(),
        in_flight_items: VecDeque::new(),
        imported: 0,
        skipped: 0,
        progress: Progress::bytes(total_bytes),
    };
    let halted = match import.run(&files).await {
        Ok(()) => None,
        Err(Halt::Fatal(e)) => Some(e),
        Err(Halt::AtRead(at)) => Some(import.stop(at, true).await),
        Err(Halt::AtWrite(at)) => Some(import.stop(at, false).await),
    };
    let timing = import.progress.finish(import.imported);
    if let Some(e) = halted {
        return Err(e);
    }
    let mut summary = format!(
        "imported {} items into {} {timing}",
        import.imported, import.writer.remote.table
    );
    // Skipping was asked for, so skipped lines are not a failure; they are counted here and
    // were each named on stderr.
    if import.skipped > 0 {
        summary.push_str(&format!("; skipped {} bad lines", import.skipped));
    }
    println!("{summary}");
    Ok(())
}

/// Why an import ended before its last line.
enum Halt {
    /// A line could not be read or was not an item, with `--on-error stop`.
    AtRead(Error),
    /// The table refused a line, with `--on-error stop`.
    AtWrite(Error),
    /// Nothing more can be written (the endpoint, the table or a file is gone).
    Fatal(Error),
}

/// An item and where it came from, so a refusal can name its line.
struct Line {
    file: Arc<Path>,
    number: u64,
    item: Item,
}

/// An import under way: lines are parsed and batched on the calling thread while up to
/// `IN_FLIGHT` batches are written by tasks, whose outcomes are taken in file order.
struct Import {
    writer: Arc<Writer>,
    key_names: Vec<String>,
    batch_size: usize,
    batch: Vec<Line>,
    in_flight: VecDeque<JoinHandle<Result<Outcome, Error>>>,
    /// The items of each batch in flight, in the same order, to keep two lines of one key in
    /// file order.
    in_flight_items: VecDeque<Vec<Item>>,
    imported: u64,
    skipped: u64,
    progress: Progress,
}

impl Import {
    async fn run(&mut self, files: &[PathBuf]) -> Result<(), Halt> {
        for file in files {
            self.read_file(file).await?;
        }
        self.send().await?;
        while !self.in_flight.is_empty() {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    async fn read_file(&mut self, path: &Path) -> Result<(), Halt> {
        let file: Arc<Path> = Arc::from(path);
        let mut reader = open(path, &self.progress).map_err(Halt::Fatal)?;
        let mut buf = Vec::new();
        let mut number = 0;
        loop {
            buf.clear();
            number += 1;
            let bad = |reason: String| Error::Line {
                file: path.to_owned(),
                line: number,
                reason,
            };
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                // The rest of the file cannot be read, whatever --on-error says.
                Err(e) => return Err(Halt::AtRead(bad(e.to_string()))),
            }
            let text = buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match format::parse_line(text).and_then(|item| self.check_key(item)) {
                Ok(item) => {
                    let line = Line {
                        file: Arc::clone(&file),
                        number,
                        item,
                    };
                    self.add(line).await?;
                }
                Err(reason) => self.bad_line(bad(reason)).map_err(Halt::AtRead)?,
            }
        }
    }

    /// The item, if it has every key attribute of the table: a line without one is named here
    /// rather than spoiling its batch.
    fn check_key(&self, item: Item) -> Result<Item, String> {
        match self.key_names.iter().find(|name| !item.contains_key(*name)) {
            Some(name) => Err(format!(
                "the item has no {name:?}, a key attribute of {}",
                self.writer.remote.table
            )),
            None => Ok(item),
        }
    }

    async fn add(&mut self, line: Line) -> Result<(), Halt> {
        // BatchWriteItem refuses two writes of one key in a request. An export has none, but a
        // file put together by hand may, and the later line must win, as it would one by one:
        // so the earlier line's batch is written, and every batch in flight with it (they
        // finish in any order), before the later line is sent.
        if self
            .batch
            .iter()
            .any(|queued| self.same_key(&queued.item, &line.item))
        {
            self.send().await?;
        }
        if self
            .in_flight_items
            .iter()
            .flatten()
            .any(|earlier| self.same_key(earlier, &line.item))
        {
            while !self.in_flight.is_empty() {
                self.settle_oldest().await?;
            }
        }
        self.batch.push(line);
        if self.batch.len() >= self.batch_size {
            self.send().await?;
        }
        Ok(())
    }

    fn same_key(&self, a: &Item, b: &Item) -> bool {
        self.key_names.iter().all(|name| a.get(name) == b.get(name))
    }

    /// Sends the current batch, once fewer than `IN_FLIGHT` are waiting for an answer.
    async fn send(&mut self) -> Result<(), Halt> {
        if self.batch.is_empty() {
            return Ok(());
        }
        if self.in_flight.len() >= IN_FLIGHT {
            self.settle_oldest().await?;
        }
        let lines = std::mem::take(&mut self.batch);
        self.in_flight_items
            .push_back(lines.iter().map(|l| l.item.clone()).collect());
        let task = tokio::spawn(write_batch(Arc::clone(&self.writer), lines));
        self.in_flight.push_back(task);
        Ok(())
    }

    async fn settle_oldest(&mut self) -> Result<(), Halt> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        self.in_flight_items.pop_front();
        let outcome = joined(task).await.map_err(Halt::Fatal)?;
        self.imported += outcome.written;
        self.progress.show_items(self.imported);
        for refused in outcome.refused {
            self.bad_line(refused).map_err(Halt::AtWrite)?;
        }
        Ok(())
    }

    /// A line that cannot be imported: the end of the import with `--on-error stop`; reported
    /// and counted with `skip`.
    fn bad_line(&mut self, error: Error) -> Result<(), Error> {
        match self.writer.on_error {
            OnError::Stop => Err(error),
            OnError::Skip => {
                self.progress.report(&error.to_string());
                self.skipped += 1;
                Ok(())
            }
        }
    }

    /// Ends an import stopped at the bad line `at`. Found reading, every line before it is
    /// still written, and the first of those the table refuses, if one is, is what gets
    /// reported. Found writing, the lines after it already sent are written too. Either way
    /// every batch sent is waited for, so the count says what the table now holds.
    async fn stop(&mut self, at: Error, found_reading: bool) -> Error {
        let pending = std::mem::take(&mut self.batch);
        let mut first = None;
        self.in_flight_items.clear();
        while let Some(task) = self.in_flight.pop_front() {
            match joined(task).await {
                Ok(outcome) => {
                    self.imported += outcome.written;
                    if found_reading && first.is_none() {
                        first = outcome.refused.into_iter().next();
                    }
                }
                Err(e) => return e,
            }
        }
        if found_reading && first.is_none() && !pending.is_empty() {
            match write_batch(Arc::clone(&self.writer), pending).await {
                Ok(outcome) => {
                    self.imported += outcome.written;
                    first = outcome.refused.into_iter().next();
                }
                Err(e) => return e,
            }
        }
        Error::Stopped {
            at: Box::new(first.unwrap_or(at)),
            imported: self.imported,
        }
    }
}

/// A batch task's result; a panic in it is resumed here.
async fn joined(task: JoinHandle<Result<Outcome, Error>>) -> Result<Outcome, Error> {
    // Batch tasks are never aborted, so a join error is a panic.
    task.await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// What became of a batch: the items written, and the lines the table refused, in line order.
#[derive(Default)]
struct Outcome {
    written: u64,
    refused: Vec<Error>,
}

/// Writes one batch with BatchWriteItem, retrying the items the service leaves unprocessed.
async fn write_batch(writer: Arc<Writer>, lines: Vec<Line>) -> Result<Outcome, Error> {
    let table = &writer.remote.table;
    let mut requests: Vec<WriteRequest> = lines
        .iter()
        .map(|line| put_request(line.item.clone()))
        .collect();
    let mut written = 0;
    let mut delay = FIRST_RETRY_DELAY;
    for attempt in 1..=UNPROCESSED_ATTEMPTS {
        let sent = requests.len();
        let request = writer
            .remote
            .client
            .batch_write_item()
            .request_items(table, requests)
            .customize();
        let output = match writer.streams_option(request).send().await {
            Ok(output) => output,
            // One bad item spoils the request; written alone, each line gets its own answer.
            Err(e) if attempt == 1 && is_refusal(&e) => return writer.one_at_a_time(lines).await,
            Err(e) => return Err(writer.remote.error("BatchWriteItem", e)),
        };
        requests = output
            .unprocessed_items
            .and_then(|mut tables| tables.remove(table))
            .unwrap_or_default();
        written += sent.saturating_sub(requests.len()) as u64;
        if requests.is_empty() {
            return Ok(Outcome {
                written,
                refused: Vec::new(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
    Err(Error::Refused {
        operation: "BatchWriteItem",
        table: table.clone(),
        message: format!(
            "{} items still unprocessed after {UNPROCESSED_ATTEMPTS} attempts",
            requests.len()
        ),
    })
}

fn put_request(item: Item) -> WriteRequest {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .expect("a PutRequest needs only its item, which is set");
    WriteRequest::builder().put_request(put).build()
}

/// Whether the table refused the items written, rather than the request failing.
fn is_refusal<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(
        e.code(),
        Some("ValidationException" | "ItemCollectionSizeLimitExceededException")
    )
}

/// What every batch shares: the table, and how its writes are sent.
struct Writer {
    remote: Remote,
    stream_records: bool,
    on_error: OnError,
}

impl Writer {
    /// The request as `--with-stream-records` says: unchanged with it, marked to stay out of
    /// the stream without it.
    fn streams_option<T, E, B>(
        &self,
        request: CustomizableOperation<T, E, B>,
    ) -> CustomizableOperation<T, E, B> {
        if self.stream_records {
            request
        } else {
            request.mutate_request(|http| {
                http.headers_mut().insert(STREAM_RECORDS_HEADER, "off");
            })
        }
    }

    /// Writes a refused batch's lines one PutItem at a time, so each refusal names its line;
    /// with `--on-error stop`, nothing after the first refusal is written.
    async fn one_at_a_time(&self, lines: Vec<Line>) -> Result<Outcome, Error> {
        let mut outcome = Outcome::default();
        for line in lines {
            let request = self
                .remote
                .client
                .put_item()
                .table_name(&self.remote.table)
                .set_item(Some(line.item))
                .customize();
            match self.streams_option(request).send().await {
                Ok(_) => outcome.written += 1,
                Err(e) if is_refusal(&e) => {
                    outcome.refused.push(Error::Line {
                        file: line.file.to_path_buf(),
                        line: line.number,
                        reason: service_message(&e).unwrap_or_default(),
                    });
                    if self.on_error == OnError::Stop {
                        break;
                    }
                }
                Err(e) => return Err(self.remote.error("PutItem", e)),
            }
        }
        Ok(outcome)
    }
}

/// A data file's lines, gunzipped if it is gzip, with the bytes read counted on the bar.
fn open(path: &Path, progress: &Progress) -> Result<Box<dyn BufRead>, Error> {
    let file = File::open(path).map_err(Error::io(path))?;
    let counted = Counted {
        inner: file,
        progress: progress.clone(),
    };
    let mut raw = BufReader::with_capacity(256 * 1024, counted);
    // By content, not by name: a downloaded export's files may have lost their `.gz`.
    let gzip = raw
        .fill_buf()
        .map_err(Error::io(path))?
        .starts_with(&GZIP_MAGIC);
    Ok(if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    })
}

/// Counts the bytes read from a file, before decompression, on the progress bar.
struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// The file itself, or every `*.json` and `*.json.gz` under a directory but the manifests, in
/// path order (an export's data files, whatever else lies beside them).
fn data_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !std::fs::metadata(path).map_err(Error::io(path))?.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(Error::io(&dir))? {
            let entry = entry.map_err(Error::io(&dir))?;
            let entry_path = entry.path();
            if entry.file_type().map_err(Error::io(&entry_path))?.is_dir() {
                dirs.push(entry_path);
            } else if is_data_file(&entry_path) {
                files.push(entry_path);
            }
        }
    }
    if files.is_empty() {
        return Err(Error::NoDataFiles(path.to_owned()));
    }
    files.sort();
    Ok(files)
}

fn is_data_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    !name.starts_with("manifest-") && (name.ends_with(".json") || name.ends_with(".json.gz"))
}
