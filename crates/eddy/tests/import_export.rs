//! `eddy export` and `eddy import` against a real server: every attribute type through a file and
//! through an export directory, a directory laid out as DynamoDB's export to S3 leaves it,
//! stream records only when asked for, bad lines named by file and line, and a missing table.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ScalarAttributeType, StreamViewType, WriteRequest,
};
use common::streams::{create_stream_table, event, read_all};
use common::{TestServer, create_table, n, s};
use serde_json::Value;

type Item = HashMap<String, AttributeValue>;

/// `eddy ARGS --endpoint ENDPOINT`, with credentials and region from the environment (and
/// instance metadata off, so the AWS chain never looks beyond it).
fn eddy(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eddy"))
        .args(args)
        .arg("--endpoint")
        .arg(endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .output()
        .expect("run eddy")
}

/// The command's stdout, once it succeeded.
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "eddy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

/// The command's stderr, once it failed with exit code 1.
fn failed(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).expect("utf-8")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Item `i`, with an attribute of every type.
fn item(i: usize) -> Item {
    let byte = (i % 256) as u8;
    let nested = HashMap::from([
        (
            "deep".to_owned(),
            AttributeValue::M(HashMap::from([("pi".to_owned(), n("3.14159"))])),
        ),
        (
            "blobs".to_owned(),
            AttributeValue::L(vec![AttributeValue::B(Blob::new(vec![byte, 0]))]),
        ),
    ]);
    HashMap::from([
        ("pk".to_owned(), s(&format!("item-{i:04}"))),
        ("sk".to_owned(), n(&i.to_string())),
        (
            "text".to_owned(),
            s(&format!("ünïcode \"quoted\" \\ line\nbreak {i}")),
        ),
        (
            "big".to_owned(),
            n("12345678901234567890123456789012345678"),
        ),
        ("small".to_owned(), n(&format!("-0.{i:03}1"))),
        (
            "bytes".to_owned(),
            AttributeValue::B(Blob::new(vec![0, 255, byte, b'\n'])),
        ),
        ("flag".to_owned(), AttributeValue::Bool(i.is_multiple_of(2))),
        ("nothing".to_owned(), AttributeValue::Null(true)),
        (
            "list".to_owned(),
            AttributeValue::L(vec![
                s("a"),
                n("1"),
                AttributeValue::Bool(false),
                AttributeValue::L(vec![]),
                AttributeValue::M(HashMap::new()),
            ]),
        ),
        ("map".to_owned(), AttributeValue::M(nested)),
        (
            "strings".to_owned(),
            AttributeValue::Ss(vec!["x".to_owned(), format!("y{i}")]),
        ),
        (
            "numbers".to_owned(),
            AttributeValue::Ns(vec!["1".to_owned(), "2.5".to_owned(), (i + 10).to_string()]),
        ),
        (
            "blobs".to_owned(),
            AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, byte])]),
        ),
    ])
}

async fn load(db: &Client, table: &str, items: impl IntoIterator<Item = Item>) {
    let items: Vec<Item> = items.into_iter().collect();
    for chunk in items.chunks(25) {
        let puts = chunk
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .expect("put");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let out = db
            .batch_write_item()
            .request_items(table, puts)
            .send()
            .await
            .expect("batch write");
        assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));
    }
}

/// Every item of a table, by `pk` then `sk`.
async fn scan_all(db: &Client, table: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = db
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        items.extend(page.items().iter().cloned());
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    items.sort_by_key(|item| format!("{:?} {:?}", item.get("pk"), item.get("sk")));
    items
}

fn gzip(plain: &Path, gz: &Path) {
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(gz).expect("create gz"),
        flate2::Compression::default(),
    );
    encoder
        .write_all(&std::fs::read(plain).expect("read plain"))
        .expect("gzip");
    encoder.finish().expect("finish gzip");
}

fn is_gzip(path: &Path) -> bool {
    std::fs::read(path)
        .expect("read")
        .starts_with(&[0x1f, 0x8b])
}

/// The one export directory under `out/AWSDynamoDB`.
fn export_dir(out: &Path) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join("AWSDynamoDB"))
        .expect("AWSDynamoDB")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_round_trips_through_a_file_and_a_directory() {
    let server = TestServer::start();
    let db = server.client();
    for table in ["Source", "FromFile", "FromDir"] {
        create_table(&db, table, Some(ScalarAttributeType::N)).await;
    }
    load(&db, "Source", (0..1000).map(item)).await;
    let source = scan_all(&db, "Source").await;
    assert_eq!(source.len(), 1000);
    let dir = tempfile::tempdir().expect("tempdir");

    let plain = dir.path().join("items.json");
    let said = succeeded(&eddy(
        &server.endpoint,
        &[
            "export",
            "--table",
            "Source",
            "--out",
            text(&plain),
            "--segments",
            "3",
        ],
    ));
    assert!(
        said.starts_with(&format!(
            "exported 1000 items from Source to {}",
            plain.display()
        )),
        "{said}"
    );
    let lines = std::fs::read_to_string(&plain).expect("read export");
    assert_eq!(lines.lines().count(), 1000);
    for line in lines.lines() {
        let line: Value = serde_json::from_str(line).expect("a JSON line");
        assert!(line["Item"]["pk"]["S"].is_string(), "{line}");
        assert_eq!(
            line["Item"]["big"]["N"],
            "12345678901234567890123456789012345678"
        );
    }

    let gz = dir.path().join("items.json.gz");
    succeeded(&eddy(
        &server.endpoint,
        &["export", "--table", "Source", "--out", text(&gz)],
    ));
    assert!(is_gzip(&gz));
    let said = succeeded(&eddy(
        &server.endpoint,
        &["import", "--table", "FromFile", text(&gz)],
    ));
    assert!(
        said.starts_with("imported 1000 items into FromFile in "),
        "{said}"
    );
    assert_eq!(scan_all(&db, "FromFile").await, source);

    let out = dir.path().join("export");
    succeeded(&eddy(
        &server.endpoint,
        &["export", "--table", "Source", "--out", text(&out)],
    ));
    let export = export_dir(&out);
    let id = export.file_name().and_then(|n| n.to_str()).expect("id");
    assert!(export.join("_started").is_file());
    let summary: Value = serde_json::from_slice(
        &std::fs::read(export.join("manifest-summary.json")).expect("summary"),
    )
    .expect("summary JSON");
    assert_eq!(summary["version"], "2020-06-30");
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(summary["itemCount"], 1000);
    assert_eq!(
        summary["manifestFilesS3Key"],
        format!("AWSDynamoDB/{id}/manifest-files.json")
    );
    let table_arn = summary["tableArn"].as_str().expect("tableArn");
    assert!(table_arn.ends_with(":table/Source"), "{summary}");
    assert_eq!(summary["exportArn"], format!("{table_arn}/export/{id}"));
    for key in ["startTime", "endTime", "exportTime", "tableId"] {
        assert!(summary[key].is_string(), "{key}: {summary}");
    }
    let files = std::fs::read_to_string(export.join("manifest-files.json")).expect("files");
    let files: Vec<Value> = files
        .lines()
        .map(|l| serde_json::from_str(l).expect("a manifest line"))
        .collect();
    assert_eq!(files.len(), 4, "one data file per segment");
    let mut counted = 0;
    for file in &files {
        let key = file["dataFileS3Key"].as_str().expect("dataFileS3Key");
        assert!(key.starts_with(&format!("AWSDynamoDB/{id}/data/")), "{key}");
        assert!(key.ends_with(".json.gz"), "{key}");
        assert!(is_gzip(&out.join(key)), "{key}");
        assert_eq!(file["etag"].as_str().map(str::len), Some(32), "{file}");
        assert_eq!(file["md5"].as_str().map(str::len), Some(24), "{file}");
        counted += file["itemCount"].as_u64().expect("itemCount");
    }
    assert_eq!(counted, 1000);
    let said = succeeded(&eddy(
        &server.endpoint,
        &["import", "--table", "FromDir", text(&out)],
    ));
    assert!(
        said.starts_with("imported 1000 items into FromDir in "),
        "{said}"
    );
    assert_eq!(scan_all(&db, "FromDir").await, source);
}

/// Copies `from` into `to`, gzipping each data file as DynamoDB writes them.
fn copy_as_exported(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        if path.is_dir() {
            copy_as_exported(&path, &to.join(name));
        } else if from.ends_with("data") {
            let mut gz = name;
            gz.push(".gz");
            gzip(&path, &to.join(gz));
        } else {
            std::fs::copy(&path, to.join(name)).expect("copy");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_as_dynamodb_exports_to_s3_loads() {
    let server = TestServer::start();
    let db = server.client();
    create_table(&db, "Music", Some(ScalarAttributeType::S)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/export");
    copy_as_exported(&fixture, dir.path());

    let said = succeeded(&eddy(
        &server.endpoint,
        &["import", "--table", "Music", text(dir.path())],
    ));
    assert!(said.starts_with("imported 5 items into Music"), "{said}");
    let items = scan_all(&db, "Music").await;
    assert_eq!(items.len(), 5);
    let find = |pk: &str, sk: &str| {
        items
            .iter()
            .find(|i| i.get("pk") == Some(&s(pk)) && i.get("sk") == Some(&s(sk)))
            .unwrap_or_else(|| panic!("{pk} {sk}"))
    };
    let song = find("artist#1", "song#2");
    assert_eq!(song["title"], s("Ünïcode \"Quoted\""));
    assert_eq!(
        song["cover"],
        AttributeValue::B(Blob::new(b"\x89PNG\r\n\x1a\n".to_vec()))
    );
    assert_eq!(song["remix"], AttributeValue::Null(true));
    let plays = find("artist#3", "song#1");
    assert_eq!(plays["plays"], n("12345678901234567890123456789012345678"));
    assert_eq!(
        plays["stems"],
        AttributeValue::Bs(vec![Blob::new(vec![1, 2, 3]), Blob::new(vec![4, 5, 6])])
    );
    let album = find("artist#2", "album#1");
    let AttributeValue::L(tracks) = &album["tracks"] else {
        panic!("tracks: {album:?}");
    };
    assert_eq!(tracks.len(), 3);
}

/// A file of `count` items keyed `k<i>`.
fn items_file(dir: &Path, count: usize) -> PathBuf {
    let path = dir.join("items.json");
    let lines: String = (0..count)
        .map(|i| format!("{{\"Item\":{{\"pk\":{{\"S\":\"k{i}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n"))
        .collect();
    std::fs::write(&path, lines).expect("write items");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_adds_stream_records_only_when_asked() {
    let server = TestServer::start();
    let db = server.client();
    let streams = server.streams_client();
    let quiet = create_stream_table(&db, "Quiet", StreamViewType::NewImage, false).await;
    let loud = create_stream_table(&db, "Loud", StreamViewType::NewImage, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = items_file(dir.path(), 30);

    succeeded(&eddy(
        &server.endpoint,
        &["import", "--table", "Quiet", text(&file)],
    ));
    assert_eq!(scan_all(&db, "Quiet").await.len(), 30);
    let records = read_all(&streams, &quiet).await;
    assert!(records.is_empty(), "{records:?}");

    succeeded(&eddy(
        &server.endpoint,
        &[
            "import",
            "--table",
            "Loud",
            text(&file),
            "--with-stream-records",
        ],
    ));
    let records = read_all(&streams, &loud).await;
    assert_eq!(records.len(), 30);
    assert!(records.iter().all(|r| event(r) == "INSERT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_are_named_and_stop_or_are_skipped() {
    let server = TestServer::start();
    let db = server.client();
    create_table(&db, "Stop", None).await;
    create_table(&db, "Skip", None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.json");
    let lines = [
        r#"{"Item":{"pk":{"S":"a"}}}"#,
        r#"{"Item":{"pk":{"S":"b"}}}"#,
        r#"{"Item":{"pk":{"S":"c"}"#,
        r#"{"Item":{"pk":{"S":"d"}}}"#,
        r#"{"Item":{"other":{"S":"e"}}}"#,
        r#"{"Item":{"pk":{"S":"f"}}}"#,
        r#"{"Item":{"pk":{"N":"7"}}}"#,
        "",
    ];
    std::fs::write(&file, lines.join("\n")).expect("write");
    let name = text(&file);

    let stop = eddy(&server.endpoint, &["import", "--table", "Stop", name]);
    let said = failed(&stop);
    assert!(said.contains(&format!("{name}:3: not JSON")), "{said}");
    assert!(said.contains("stopped after importing 2 items"), "{said}");
    let keys: Vec<AttributeValue> = scan_all(&db, "Stop")
        .await
        .into_iter()
        .map(|i| i["pk"].clone())
        .collect();
    assert_eq!(keys, [s("a"), s("b")]);

    let skip = eddy(
        &server.endpoint,
        &["import", "--table", "Skip", name, "--on-error", "skip"],
    );
    let said = succeeded(&skip);
    assert!(said.contains("imported 4 items into Skip"), "{said}");
    assert!(said.contains("skipped 3 bad lines"), "{said}");
    let reported = String::from_utf8(skip.stderr).expect("utf-8");
    assert!(
        reported.contains(&format!("{name}:3: not JSON")),
        "{reported}"
    );
    assert!(
        reported.contains(&format!("{name}:5: the item has no \"pk\"")),
        "{reported}"
    );
    assert!(
        reported.contains(&format!("{name}:7: ValidationException")),
        "{reported}"
    );
    assert_eq!(scan_all(&db, "Skip").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_named() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = items_file(dir.path(), 1);

    let said = failed(&eddy(
        &server.endpoint,
        &["import", "--table", "Nowhere", text(&file)],
    ));
    assert!(said.contains("table Nowhere does not exist"), "{said}");
    let said = failed(&eddy(
        &server.endpoint,
        &[
            "export",
            "--table",
            "Nowhere",
            "--out",
            text(&dir.path().join("out.json")),
        ],
    ));
    assert!(said.contains("table Nowhere does not exist"), "{said}");
}

/// Lines of one key in different batches, which are written concurrently, still land in file
/// order: the later line wins, as it would one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_line_of_one_key_wins_across_batches() {
    let server = TestServer::start();
    let db = server.client();
    common::create_table(&db, "Twice", None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("twice.json");
    // Every key twice, the second time 60 lines (more than two batches) later.
    let lines: String = (0..120)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"k{}\"}},\"n\":{{\"N\":\"{i}\"}}}}}}\n",
                i % 60
            )
        })
        .collect();
    std::fs::write(&path, lines).expect("write");
    succeeded(&eddy(
        &server.endpoint,
        &["import", "--table", "Twice", text(&path)],
    ));
    let items = scan_all(&db, "Twice").await;
    assert_eq!(items.len(), 60);
    for item in items {
        let Some(AttributeValue::S(pk)) = item.get("pk") else {
            panic!("{item:?}")
        };
        let k: usize = pk.trim_start_matches('k').parse().expect("key");
        assert_eq!(
            item.get("n"),
            Some(&AttributeValue::N((k + 60).to_string()))
        );
    }
}
