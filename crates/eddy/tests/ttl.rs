//! Time to live through the AWS SDK: UpdateTimeToLive / DescribeTimeToLive and their errors,
//! the sweep (run by advancing the server's clock), and its REMOVE stream records.

mod common;

use aws_sdk_dynamodb::types::{StreamViewType, TimeToLiveSpecification, TimeToLiveStatus};
use common::streams::{create_stream_table, read_all};
use common::{TestServer, code, message, n, s};

fn spec(enabled: bool, attr: &str) -> TimeToLiveSpecification {
    TimeToLiveSpecification::builder()
        .enabled(enabled)
        .attribute_name(attr)
        .build()
        .expect("spec")
}

#[tokio::test]
async fn expired_items_are_deleted_with_service_records() {
    let server = TestServer::start();
    let client = server.client();
    let arn = create_stream_table(&client, "ttl_t", StreamViewType::OldImage, false).await;
    let d = client
        .describe_time_to_live()
        .table_name("ttl_t")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        d.time_to_live_description()
            .and_then(|t| t.time_to_live_status()),
        Some(&TimeToLiveStatus::Disabled)
    );
    client
        .update_time_to_live()
        .table_name("ttl_t")
        .time_to_live_specification(spec(true, "exp"))
        .send()
        .await
        .expect("enable");
    let d = client
        .describe_time_to_live()
        .table_name("ttl_t")
        .send()
        .await
        .expect("describe");
    let desc = d.time_to_live_description().expect("desc");
    assert_eq!(desc.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(desc.attribute_name(), Some("exp"));

    let now = server.advance(0) / 1000;
    let items = [
        ("soon", n(&(now + 100).to_string())),
        ("later", n(&(now + 100_000).to_string())),
        ("text", s("1")),
        ("ancient", n("100")),
    ];
    for (pk, exp) in items {
        client
            .put_item()
            .table_name("ttl_t")
            .item("pk", s(pk))
            .item("exp", exp)
            .send()
            .await
            .expect("put");
    }
    client
        .put_item()
        .table_name("ttl_t")
        .item("pk", s("none"))
        .send()
        .await
        .expect("put");
    server.advance(200);
    let left: Vec<String> = client
        .scan()
        .table_name("ttl_t")
        .send()
        .await
        .expect("scan")
        .items()
        .iter()
        .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    assert_eq!(left.len(), 4, "only the expired item went: {left:?}");
    assert!(!left.contains(&"soon".to_owned()));

    let records = read_all(&server.streams_client(), &arn).await;
    let removes: Vec<_> = records
        .iter()
        .filter(|r| r.event_name().map(|e| e.as_str()) == Some("REMOVE"))
        .collect();
    assert_eq!(removes.len(), 1);
    let identity = removes[0].user_identity().expect("userIdentity");
    assert_eq!(identity.r#type(), Some("Service"));
    assert_eq!(identity.principal_id(), Some("dynamodb.amazonaws.com"));
    assert!(removes[0].dynamodb().and_then(|d| d.old_image()).is_some());
    let inserts = records
        .iter()
        .filter(|r| r.user_identity().is_some())
        .count();
    assert_eq!(inserts, 1, "user writes carry no identity");
}

#[tokio::test]
async fn update_time_to_live_errors() {
    let server = TestServer::start();
    let client = server.client();
    common::create_table(&client, "ttl_e", None).await;
    let err = client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(false, "exp"))
        .send()
        .await
        .expect_err("not enabled");
    assert_eq!(message(&err), "TimeToLive is already disabled");
    client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(true, "exp"))
        .send()
        .await
        .expect("enable");
    let err = client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(true, "other"))
        .send()
        .await
        .expect_err("other attr");
    assert_eq!(
        message(&err),
        "TimeToLive is active on a different AttributeName: current AttributeName is exp"
    );
    let err = client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(true, ""))
        .send()
        .await
        .expect_err("empty");
    assert_eq!(code(&err), "ValidationException");
    let err = client
        .update_time_to_live()
        .table_name("nope_t")
        .time_to_live_specification(spec(true, "exp"))
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "ResourceNotFoundException");
    // A change within an hour of the last one is refused.
    let err = client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(false, "exp"))
        .send()
        .await
        .expect_err("too soon");
    assert_eq!(
        message(&err),
        "Time to live has been modified multiple times within a fixed interval"
    );
    server.advance(3600);
    client
        .update_time_to_live()
        .table_name("ttl_e")
        .time_to_live_specification(spec(false, "exp"))
        .send()
        .await
        .expect("disable");
}
