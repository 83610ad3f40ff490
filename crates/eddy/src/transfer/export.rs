//! `eddy export`: parallel consistent Scan segments written as DynamoDB JSON lines, to one file
//! or in the layout DynamoDB's export to S3 leaves in a bucket.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::format::{self, Item};
use super::progress::Progress;
use super::{Error, ExportArgs, Remote};

/// One Scan page of one segment.
type Page = (i32, Vec<Item>);

pub async fn export(remote: &Remote, args: &ExportArgs) -> Result<(), Error> {
    let table = remote.describe().await?;
    let started = SystemTime::now();
    let mut target = if is_single_file(&args.out) {
        let gzip = args.gzip || args.out.to_string_lossy().ends_with(".gz");
        Target::File(Sink::create(args.out.clone(), gzip)?)
    } else {
        Target::directory(&args.out, args.segments, started)?
    };
    let progress = Progress::items();
    // Pages wait here while the file they go to is written; a few per segment keep the
    // scans busy without holding the table in memory.
    let (pages, received) = mpsc::channel(2 * usize::try_from(args.segments).unwrap_or(1));
    let scans = futures_util::future::try_join_all(
        (0..args.segments).map(|segment| scan(remote, segment, args.segments, pages.clone())),
    );
    // The writer sees the end of the pages once every scan has dropped its sender.
    drop(pages);
    let ((), items) = tokio::try_join!(
        async { scans.await.map(|_| ()) },
        write_pages(&mut target, received, &progress),
    )?;
    target.finish(Summary {
        table_arn: table.table_arn.unwrap_or_default(),
        table_id: table.table_id.unwrap_or_default(),
        billed_size_bytes: table.table_size_bytes.unwrap_or(0),
        item_count: items,
        started,
    })?;
    let timing = progress.finish(items);
    println!(
        "exported {items} items from {} to {} {timing}",
        remote.table,
        args.out.display()
    );
    Ok(())
}

/// A `.json` or `.json.gz` name, or an existing file, is one file; anything else a directory.
fn is_single_file(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".json") || name.ends_with(".json.gz") || path.is_file()
}

/// Reads one segment of the table, page by page, into `pages`.
async fn scan(
    remote: &Remote,
    segment: i32,
    segments: i32,
    pages: mpsc::Sender<Page>,
) -> Result<(), Error> {
    let mut start = None;
    loop {
        let page = remote
            .client
            .scan()
            .table_name(&remote.table)
            .segment(segment)
            .total_segments(segments)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| remote.error("Scan", e))?;
        start = page.last_evaluated_key.filter(|key| !key.is_empty());
        let items = page.items.unwrap_or_default();
        // A closed channel means the writer failed; its error is the one to report.
        if pages.send((segment, items)).await.is_err() || start.is_none() {
            return Ok(());
        }
    }
}

/// Writes pages as they come; returns how many items were written.
async fn write_pages(
    target: &mut Target,
    mut pages: mpsc::Receiver<Page>,
    progress: &Progress,
) -> Result<u64, Error> {
    let mut written = 0;
    while let Some((segment, items)) = pages.recv().await {
        let sink = target.sink(segment);
        for item in &items {
            sink.write_item(item)?;
        }
        let count = items.len() as u64;
        written += count;
        progress.advance(count);
    }
    Ok(written)
}

/// Where an export goes.
enum Target {
    /// One file of lines.
    File(Sink),
    /// DynamoDB's layout under `root`: `AWSDynamoDB/<id>/` holding `_started`, the two
    /// manifests and `data/`, with one data file per segment.
    Directory {
        root: PathBuf,
        export_id: String,
        data: Vec<Sink>,
    },
}

/// What the summary manifest says beside the data files' own counts.
struct Summary {
    table_arn: String,
    table_id: String,
    billed_size_bytes: i64,
    item_count: u64,
    started: SystemTime,
}

impl Target {
    fn directory(root: &Path, segments: i32, started: SystemTime) -> Result<Self, Error> {
        let export_id = format!("{:014}-{}", epoch_millis(started), &random_hex()[..8]);
        let data_dir = root.join("AWSDynamoDB").join(&export_id).join("data");
        std::fs::create_dir_all(&data_dir).map_err(Error::io(&data_dir))?;
        let started_marker = data_dir.with_file_name("_started");
        File::create(&started_marker).map_err(Error::io(&started_marker))?;
        let data = (0..segments)
            .map(|_| Sink::create(data_dir.join(format!("{}.json.gz", data_file_name())), true))
            .collect::<Result<_, _>>()?;
        Ok(Self::Directory {
            root: root.to_owned(),
            export_id,
            data,
        })
    }

    fn sink(&mut self, segment: i32) -> &mut Sink {
        match self {
            Self::File(sink) => sink,
            Self::Directory { data, .. } => &mut data[usize::try_from(segment).unwrap_or(0)],
        }
    }

    /// Completes the files; a directory gets its manifests last, so one with a summary
    /// manifest is a finished export, as in S3.
    fn finish(self, summary: Summary) -> Result<(), Error> {
        let (root, export_id, data) = match self {
            Self::File(sink) => return sink.finish().map(|_| ()),
            Self::Directory {
                root,
                export_id,
                data,
            } => (root, export_id, data),
        };
        let prefix = format!("AWSDynamoDB/{export_id}");
        let mut files = String::new();
        for sink in data {
            let name = sink
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let items = sink.items;
            let digest = sink.finish()?;
            // S3's ETag of an object written in one part is the hex MD5 of its bytes.
            let entry = json!({
                "itemCount": items,
                "md5": STANDARD.encode(digest.0),
                "etag": format!("{digest:x}"),
                "dataFileS3Key": format!("{prefix}/data/{name}"),
            });
            files.push_str(&entry.to_string());
            files.push('\n');
        }
        let dir = root.join(&prefix);
        write_file(&dir.join("manifest-files.json"), files.as_bytes())?;
        let started = timestamp(summary.started);
        let manifest = json!({
            "version": "2020-06-30",
            "exportArn": format!("{}/export/{export_id}", summary.table_arn),
            "startTime": started,
            "endTime": timestamp(SystemTime::now()),
            "tableArn": summary.table_arn,
            "tableId": summary.table_id,
            "exportTime": started,
            "s3Bucket": Value::Null,
            "s3Prefix": Value::Null,
            "s3SseAlgorithm": Value::Null,
            "s3SseKmsKeyId": Value::Null,
            "manifestFilesS3Key": format!("{prefix}/manifest-files.json"),
            "billedSizeBytes": summary.billed_size_bytes,
            "itemCount": summary.item_count,
            "outputFormat": "DYNAMODB_JSON",
        });
        write_file(
            &dir.join("manifest-summary.json"),
            manifest.to_string().as_bytes(),
        )
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(Error::io(path))
}

/// One output file of lines, hashed as it is written for the files manifest.
struct Sink {
    path: PathBuf,
    out: Encoder,
    items: u64,
}

enum Encoder {
    Plain(Hashed<BufWriter<File>>),
    Gzip(GzEncoder<Hashed<BufWriter<File>>>),
}

impl Sink {
    fn create(path: PathBuf, gzip: bool) -> Result<Self, Error> {
        let file = File::create(&path).map_err(Error::io(&path))?;
        let hashed = Hashed {
            inner: BufWriter::with_capacity(256 * 1024, file),
            md5: md5::Context::new(),
        };
        let out = if gzip {
            Encoder::Gzip(GzEncoder::new(hashed, Compression::default()))
        } else {
            Encoder::Plain(hashed)
        };
        Ok(Self {
            path,
            out,
            items: 0,
        })
    }

    fn write_item(&mut self, item: &Item) -> Result<(), Error> {
        let mut line = format::item_line(item).map_err(|reason| Error::Line {
            file: self.path.clone(),
            line: self.items + 1,
            reason,
        })?;
        line.push('\n');
        let out: &mut dyn Write = match &mut self.out {
            Encoder::Plain(out) => out,
            Encoder::Gzip(out) => out,
        };
        out.write_all(line.as_bytes())
            .map_err(Error::io(&self.path))?;
        self.items += 1;
        Ok(())
    }

    /// Flushes the file to the disk; returns the MD5 digest of its bytes.
    fn finish(self) -> Result<md5::Digest, Error> {
        let io_error = Error::io(&self.path);
        let finished = match self.out {
            Encoder::Plain(hashed) => Ok(hashed),
            Encoder::Gzip(gzip) => gzip.finish(),
        };
        finished
            .and_then(|hashed| {
                let digest = hashed.md5.compute();
                let file = hashed
                    .inner
                    .into_inner()
                    .map_err(io::IntoInnerError::into_error)?;
                file.sync_all()?;
                Ok(digest)
            })
            .map_err(io_error)
    }
}

/// A writer that keeps the MD5 of what went through it.
struct Hashed<W> {
    inner: W,
    md5: md5::Context,
}

impl<W: Write> Write for Hashed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.consume(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2020-11-04T07:28:34.028Z`, as the manifests write times.
fn timestamp(time: SystemTime) -> String {
    DateTime::from_millis(epoch_millis(time))
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A data file's name as DynamoDB makes them: 26 characters of lowercase base32.
fn data_file_name() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bits = uuid::Uuid::new_v4().as_u128();
    (0..26)
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect()
}
