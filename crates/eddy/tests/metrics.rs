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
        sample(&page, "eddy_user_errors_total", &put),
        None,
        "{page}"
    );
    assert_eq!(
        sample(
            &page,
            "eddy_user_errors_total",
            &["operation=\"GetItem\"", "table=\"missing\""]
        ),
        Some(1.0),
        "{page}"
    );
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
