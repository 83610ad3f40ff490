//! Prometheus metrics at `/_eddy/metrics`, named after DynamoDB's CloudWatch metrics and
//! counted with their meaning, scraped from the binary after known operations.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::{EddyProcess, client_for, create_table, s};

fn scrape(eddy: &EddyProcess) -> String {
    let addr = eddy
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let page = common::http_request(addr, "GET", "/_eddy/metrics", &[], b"");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    String::from_utf8(page.body).expect("utf-8")
}

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(page: &str, name: &str, labels: &[&str]) -> Option<f64> {
    page.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn request_metrics_count_with_cloudwatchs_meaning() {
    let eddy = EddyProcess::serve(&["--in-memory"]);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "metered", None).await;
    for i in 0..3 {
        client
            .put_item()
            .table_name("metered")
            .item("pk", s(&format!("k{i}")))
            .send()
            .await
            .expect("put");
    }
    let failed = client
        .put_item()
        .table_name("metered")
        .item("pk", s("k0"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(failed.is_err());
    let missing = client
        .get_item()
        .table_name("missing")
        .key("pk", AttributeValue::S("x".into()))
        .send()
        .await;
    assert!(missing.is_err());

    let page = scrape(&eddy);
    let put = ["operation=\"PutItem\"", "table=\"metered\""];
    assert_eq!(
        sample(&page, "eddy_successful_request_latency_seconds_count", &put),
        Some(3.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "eddy_conditional_check_failed_requests_total", &put),
        Some(1.0),
        "a failed condition is not a user error: {page}"
    );
    assert_eq!(
        sample(&page, "eddy_user_errors_total", &["operation=\"PutItem\""]),
        None,
        "{page}"
    );
    // UserErrors has no table, as in CloudWatch: a made-up name never becomes a series.
    assert_eq!(
        sample(&page, "eddy_user_errors_total", &["operation=\"GetItem\""]),
        Some(1.0),
        "{page}"
    );
    assert!(!page.contains("table=\"missing\""), "{page}");
    assert_eq!(
        sample(&page, "eddy_system_errors_total", &[]),
        None,
        "{page}"
    );
    assert!(
        page.contains("eddy_successful_request_latency_seconds_bucket{"),
        "latency is a histogram: {page}"
    );
}

#[tokio::test]
async fn capacity_returned_items_and_streams_are_counted() {
    let eddy = EddyProcess::serve(&["--in-memory"]);
    let client = client_for(&eddy.endpoint);
    let streams = common::streams_client_for(&eddy.endpoint);
    let arn = common::streams::create_stream_table(
        &client,
        "streamed",
        aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages,
        false,
    )
    .await;
    for i in 0..4 {
        common::streams::put(&client, "streamed", &format!("k{i}")).await;
    }
    // Eventually consistent reads of items under 4 KB cost half a unit each.
    for i in 0..2 {
        client
            .get_item()
            .table_name("streamed")
            .key("pk", s(&format!("k{i}")))
            .send()
            .await
            .expect("get");
    }
    let scanned = client
        .scan()
        .table_name("streamed")
        .send()
        .await
        .expect("scan");
    assert_eq!(scanned.count(), 4);
    let shard = common::streams::shards(&streams, &arn).await[0]
        .shard_id()
        .unwrap_or_default()
        .to_owned();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("iterator");
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .expect("records");
    assert_eq!(records.records().len(), 4);

    let page = scrape(&eddy);
    let table = ["table=\"streamed\""];
    assert_eq!(
        sample(&page, "eddy_consumed_write_capacity_units", &table),
        Some(4.0),
        "{page}"
    );
    let read = sample(&page, "eddy_consumed_read_capacity_units", &table).unwrap_or_default();
    assert!(
        read >= 1.5,
        "two half-unit reads and a scan: {read}\n{page}"
    );
    assert_eq!(
        sample(
            &page,
            "eddy_returned_item_count_total",
            &["operation=\"Scan\"", "table=\"streamed\""]
        ),
        Some(4.0),
        "{page}"
    );
    let stream = format!("stream=\"{arn}\"");
    assert_eq!(
        sample(&page, "eddy_returned_records_count_total", &[&stream]),
        Some(4.0),
        "{page}"
    );
    assert!(
        sample(&page, "eddy_returned_bytes_total", &[&stream]).unwrap_or_default() > 0.0,
        "{page}"
    );
    assert_eq!(
        sample(&page, "eddy_stream_records_written", &[&stream]),
        Some(4.0),
        "{page}"
    );
    assert_eq!(
        sample(&page, "eddy_stream_open_shards", &[&stream]),
        Some(1.0),
        "{page}"
    );
}
