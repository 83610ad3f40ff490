//! The settings infrastructure tools read and set on every table, through the AWS SDK:
//! continuous backups and point-in-time recovery, Contributor Insights, Kinesis streaming
//! destinations; and CreateTable's message for an attribute defined twice.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ContinuousBackupsStatus, ContributorInsightsAction,
    ContributorInsightsStatus, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    PointInTimeRecoveryStatus, ScalarAttributeType,
};
use common::{TestServer, code, create_table, message};

fn pitr(enabled: bool, days: Option<i32>) -> PointInTimeRecoverySpecification {
    PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .set_recovery_period_in_days(days)
        .build()
        .expect("spec")
}

#[tokio::test]
async fn point_in_time_recovery_is_stored_and_shown() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "pitr", None).await;
    let d = client
        .describe_continuous_backups()
        .table_name("pitr")
        .send()
        .await
        .expect("describe");
    let desc = d.continuous_backups_description().expect("description");
    assert_eq!(
        desc.continuous_backups_status(),
        &ContinuousBackupsStatus::Enabled
    );
    let p = desc.point_in_time_recovery_description().expect("pitr");
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    assert!(p.earliest_restorable_date_time().is_none());

    let u = client
        .update_continuous_backups()
        .table_name("pitr")
        .point_in_time_recovery_specification(pitr(true, Some(7)))
        .send()
        .await
        .expect("enable");
    let p = u
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .expect("pitr");
    assert_eq!(
        p.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
    assert_eq!(p.recovery_period_in_days(), Some(7));
    let earliest = p.earliest_restorable_date_time().expect("earliest").secs();
    server.advance(3600);
    // By ARN too; the window's start stays, its end follows the clock.
    let arn = client
        .describe_table()
        .table_name("pitr")
        .send()
        .await
        .expect("table")
        .table()
        .and_then(|t| t.table_arn())
        .expect("arn")
        .to_owned();
    let d = client
        .describe_continuous_backups()
        .table_name(&arn)
        .send()
        .await
        .expect("describe by arn");
    let p = d
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .expect("pitr");
    assert_eq!(
        p.earliest_restorable_date_time().expect("earliest").secs(),
        earliest
    );
    assert!(p.latest_restorable_date_time().expect("latest").secs() >= earliest + 3600);

    client
        .update_continuous_backups()
        .table_name("pitr")
        .point_in_time_recovery_specification(pitr(false, None))
        .send()
        .await
        .expect("disable");
    let d = client
        .describe_continuous_backups()
        .table_name("pitr")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        d.continuous_backups_description()
            .and_then(|d| d.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status()),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
}

#[tokio::test]
async fn continuous_backups_refuse_what_dynamodb_refuses() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "pitr", None).await;
    let e = client
        .describe_continuous_backups()
        .table_name("missing")
        .send()
        .await
        .expect_err("no table");
    assert_eq!(
        code(e.as_service_error().expect("service")),
        "TableNotFoundException"
    );
    assert_eq!(
        message(e.as_service_error().expect("service")),
        "Table not found: missing"
    );
    let e = client
        .update_continuous_backups()
        .table_name("pitr")
        .point_in_time_recovery_specification(pitr(true, Some(36)))
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        code(e.as_service_error().expect("service")),
        "ValidationException"
    );
    assert!(
        message(e.as_service_error().expect("service")).contains(
            "at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35"
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn contributor_insights_and_kinesis_destinations_answer() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "cit", None).await;
    let d = client
        .describe_contributor_insights()
        .table_name("cit")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        d.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    let u = client
        .update_contributor_insights()
        .table_name("cit")
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .expect("enable");
    assert_eq!(
        u.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabling)
    );
    let d = client
        .describe_contributor_insights()
        .table_name("cit")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        d.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabled)
    );
    let k = client
        .describe_kinesis_streaming_destination()
        .table_name("cit")
        .send()
        .await
        .expect("kinesis");
    assert_eq!(k.table_name(), Some("cit"));
    assert!(k.kinesis_data_stream_destinations().is_empty());
    let e = client
        .describe_kinesis_streaming_destination()
        .table_name("missing")
        .send()
        .await
        .expect_err("no table");
    assert_eq!(
        code(e.as_service_error().expect("service")),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn an_attribute_defined_twice_is_named() {
    let server = TestServer::start();
    let client = server.client();
    let def = |name: &str, ty: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ty)
            .build()
            .expect("def")
    };
    let e = client
        .create_table()
        .table_name("dup")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("pk", ScalarAttributeType::N))
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("duplicate");
    assert_eq!(
        code(e.as_service_error().expect("service")),
        "ValidationException"
    );
    assert_eq!(
        message(e.as_service_error().expect("service")),
        "Attribute Name is duplicated: pk"
    );
}
