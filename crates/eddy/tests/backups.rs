//! On-demand backups and restores through the AWS SDK: CreateBackup, DescribeBackup,
//! ListBackups, DeleteBackup, RestoreTableFromBackup (a fixture reset), and
//! RestoreTableToPointInTime at the latest restorable time, with DynamoDB's errors.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::DateTime;
use aws_sdk_dynamodb::types::{
    BackupStatus, BackupTypeFilter, BillingMode, GlobalSecondaryIndex, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TableStatus,
};
use common::schema::{def, key};
use common::{TestServer, code, message, n, s};

/// `fixture` (pk S, sk N) with a GSI on `color`, a stream, and 30 items.
async fn fixture(client: &Client) {
    client
        .create_table()
        .table_name("fixture")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .attribute_definitions(def("color", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_color")
                .key_schema(key("color", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .expect("create");
    for i in 0..30 {
        client
            .put_item()
            .table_name("fixture")
            .item("pk", s(&format!("p{}", i % 3)))
            .item("sk", n(&i.to_string()))
            .item("color", s(if i % 2 == 0 { "red" } else { "blue" }))
            .send()
            .await
            .expect("put");
    }
}

async fn count(client: &Client, table: &str) -> usize {
    client
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan")
        .items()
        .len()
}

async fn reds(client: &Client, table: &str) -> i32 {
    client
        .query()
        .table_name(table)
        .index_name("by_color")
        .key_condition_expression("color = :c")
        .expression_attribute_values(":c", s("red"))
        .send()
        .await
        .expect("query")
        .count()
}

#[tokio::test]
async fn a_backup_resets_a_table_to_its_fixture() {
    let server = TestServer::start();
    let client = server.client();
    fixture(&client).await;
    let created = client
        .create_backup()
        .table_name("fixture")
        .backup_name("clean")
        .send()
        .await
        .expect("backup");
    let details = created.backup_details().expect("details");
    assert_eq!(details.backup_status(), &BackupStatus::Creating);
    assert_eq!(details.backup_name(), "clean");
    let arn = details.backup_arn().to_owned();
    let (head, tail) = arn.split_once("/backup/").expect("backup ARN");
    assert_eq!(
        head,
        "arn:aws:dynamodb:us-east-1:000000000000:table/fixture"
    );
    let (ms, hex) = tail.split_once('-').expect("suffix");
    assert!(
        ms.len() == 14 && ms.bytes().all(|b| b.is_ascii_digit()),
        "{tail}"
    );
    assert!(
        hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{tail}"
    );

    let described = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect("describe");
    let d = described.backup_description().expect("description");
    assert_eq!(
        d.backup_details().expect("details").backup_status(),
        &BackupStatus::Available
    );
    let source = d.source_table_details().expect("source");
    assert_eq!(source.table_name(), "fixture");
    assert_eq!(source.item_count(), Some(30));
    let features = d.source_table_feature_details().expect("features");
    assert_eq!(features.global_secondary_indexes().len(), 1);

    // The test dirties the table, then resets it.
    for i in 0..10 {
        client
            .delete_item()
            .table_name("fixture")
            .key("pk", s(&format!("p{}", i % 3)))
            .key("sk", n(&i.to_string()))
            .send()
            .await
            .expect("delete");
    }
    client
        .put_item()
        .table_name("fixture")
        .item("pk", s("extra"))
        .item("sk", n("1"))
        .item("color", s("red"))
        .send()
        .await
        .expect("put");
    assert_eq!(count(&client, "fixture").await, 21);
    client
        .delete_table()
        .table_name("fixture")
        .send()
        .await
        .expect("delete table");
    let restored = client
        .restore_table_from_backup()
        .target_table_name("fixture")
        .backup_arn(&arn)
        .send()
        .await
        .expect("restore");
    let table = restored.table_description().expect("table");
    let summary = table.restore_summary().expect("summary");
    assert_eq!(summary.source_backup_arn(), Some(arn.as_str()));
    assert!(summary.restore_in_progress());
    assert_eq!(count(&client, "fixture").await, 30);
    assert_eq!(reds(&client, "fixture").await, 15);
    let described = client
        .describe_table()
        .table_name("fixture")
        .send()
        .await
        .expect("describe table");
    let table = described.table().expect("table");
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert_eq!(table.item_count(), Some(30));
    assert!(
        !table
            .restore_summary()
            .expect("summary")
            .restore_in_progress()
    );
    // A restore brings no stream back.
    assert!(table.stream_specification().is_none());
    // Restoring again into the live name is refused.
    let e = client
        .restore_table_from_backup()
        .target_table_name("fixture")
        .backup_arn(&arn)
        .send()
        .await
        .expect_err("exists")
        .into_service_error();
    assert_eq!(code(&e), "TableAlreadyExistsException");
    assert_eq!(message(&e), "Table already exists: fixture");
}

#[tokio::test]
async fn backups_are_listed_and_deleted() {
    let server = TestServer::start();
    let client = server.client();
    fixture(&client).await;
    common::create_table(&client, "other", None).await;
    let mut arns = Vec::new();
    for (table, name) in [("fixture", "bk1"), ("other", "bk2"), ("fixture", "bk3")] {
        let out = client
            .create_backup()
            .table_name(table)
            .backup_name(name)
            .send()
            .await
            .expect("backup");
        arns.push(
            out.backup_details()
                .expect("details")
                .backup_arn()
                .to_owned(),
        );
    }
    let listed = client.list_backups().send().await.expect("list");
    assert_eq!(listed.backup_summaries().len(), 3);
    let fixture_only = client
        .list_backups()
        .table_name("fixture")
        .send()
        .await
        .expect("list");
    let names: Vec<&str> = fixture_only
        .backup_summaries()
        .iter()
        .filter_map(|b| b.backup_name())
        .collect();
    assert_eq!(names, ["bk1", "bk3"]);
    let page = client.list_backups().limit(2).send().await.expect("page");
    assert_eq!(page.backup_summaries().len(), 2);
    let next = client
        .list_backups()
        .exclusive_start_backup_arn(page.last_evaluated_backup_arn().expect("more"))
        .send()
        .await
        .expect("next page");
    assert_eq!(next.backup_summaries().len(), 1);
    assert!(next.last_evaluated_backup_arn().is_none());
    let system = client
        .list_backups()
        .backup_type(BackupTypeFilter::System)
        .send()
        .await
        .expect("system");
    assert!(system.backup_summaries().is_empty());
    let e = client
        .list_backups()
        .time_range_lower_bound(DateTime::from_secs(2_000_000_000))
        .time_range_upper_bound(DateTime::from_secs(1_000_000_000))
        .send()
        .await
        .expect_err("bounds")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound"
    );

    let deleted = client
        .delete_backup()
        .backup_arn(&arns[0])
        .send()
        .await
        .expect("delete");
    assert_eq!(
        deleted
            .backup_description()
            .and_then(|d| d.backup_details())
            .map(|d| d.backup_status().clone()),
        Some(BackupStatus::Deleted)
    );
    let e = client
        .describe_backup()
        .backup_arn(&arns[0])
        .send()
        .await
        .expect_err("gone")
        .into_service_error();
    assert_eq!(code(&e), "BackupNotFoundException");
    assert_eq!(message(&e), format!("Backup not found: {}", arns[0]));
    assert_eq!(
        client
            .list_backups()
            .send()
            .await
            .expect("list")
            .backup_summaries()
            .len(),
        2
    );
    // Another region lists none of them.
    let e = client
        .describe_backup()
        .backup_arn("arn:aws:dynamodb:us-east-1:000000000000:table/fixture")
        .send()
        .await
        .expect_err("not a backup")
        .into_service_error();
    assert_eq!(message(&e), "Invalid Backup ARN");
    let e = client
        .create_backup()
        .table_name("missing")
        .backup_name("bkp")
        .send()
        .await
        .expect_err("no table")
        .into_service_error();
    assert_eq!(code(&e), "TableNotFoundException");
    assert_eq!(message(&e), "Table not found: missing");
}

#[tokio::test]
async fn point_in_time_restore_at_the_latest_time() {
    let server = TestServer::start();
    let client = server.client();
    fixture(&client).await;
    let e = client
        .restore_table_to_point_in_time()
        .source_table_name("fixture")
        .target_table_name("copy")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect_err("no pitr")
        .into_service_error();
    assert_eq!(code(&e), "PointInTimeRecoveryUnavailableException");
    assert_eq!(
        message(&e),
        "Point in time recovery is not enabled for table 'fixture'"
    );
    client
        .update_continuous_backups()
        .table_name("fixture")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .expect("spec"),
        )
        .send()
        .await
        .expect("enable pitr");
    let e = client
        .restore_table_to_point_in_time()
        .source_table_name("fixture")
        .target_table_name("copy")
        .send()
        .await
        .expect_err("no time")
        .into_service_error();
    assert_eq!(
        message(&e),
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both"
    );
    let e = client
        .restore_table_to_point_in_time()
        .source_table_name("fixture")
        .target_table_name("copy")
        .restore_date_time(DateTime::from_secs(1))
        .send()
        .await
        .expect_err("too early")
        .into_service_error();
    assert_eq!(code(&e), "InvalidRestoreTimeException");
    assert!(
        message(&e).starts_with(
            "RestoreDateTime '1970-01-01T00:00:01Z' must be within EarliestRestorableDateTime '"
        ),
        "{}",
        message(&e)
    );
    let restored = client
        .restore_table_to_point_in_time()
        .source_table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/fixture")
        .target_table_name("copy")
        .use_latest_restorable_time(true)
        .send()
        .await
        .expect("restore");
    let summary = restored
        .table_description()
        .and_then(|t| t.restore_summary())
        .expect("summary");
    assert!(summary.source_backup_arn().is_none());
    assert_eq!(
        summary.source_table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/fixture")
    );
    assert_eq!(count(&client, "copy").await, 30);
    assert_eq!(reds(&client, "copy").await, 15);
}
