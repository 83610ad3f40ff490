//! The calls infrastructure tools (CDK, Terraform, SAM) make on tables, through the AWS SDK:
//! resource policies, WarmThroughput, replica auto scaling, global tables, exports, imports and
//! Kinesis destinations; and that every operation of the DynamoDB API is routed.

mod common;

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ScalarAttributeType, WarmThroughput};
use common::schema::{def, key};
use common::{TestServer, code, create_table, message};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}"#;

#[tokio::test]
async fn resource_policies_are_stored_and_shown_back() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "guarded", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/guarded";
    let e = client
        .get_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .expect_err("none yet")
        .into_service_error();
    assert_eq!(code(&e), "PolicyNotFoundException");
    assert_eq!(
        message(&e),
        format!("Resource-based policy not found for the provided ResourceArn: {arn}")
    );
    let put = client
        .put_resource_policy()
        .resource_arn(arn)
        .policy(POLICY)
        .send()
        .await
        .expect("put");
    let revision = put.revision_id().expect("revision").to_owned();
    assert_eq!(revision.len(), 13, "{revision}");
    let again = client
        .put_resource_policy()
        .resource_arn(arn)
        .policy(POLICY)
        .send()
        .await
        .expect("same again");
    assert_eq!(again.revision_id(), Some(revision.as_str()));
    let got = client
        .get_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .expect("get");
    assert_eq!(got.policy(), Some(POLICY));
    let e = client
        .put_resource_policy()
        .resource_arn(arn)
        .policy(POLICY.replace("GetItem", "PutItem"))
        .expected_revision_id("1")
        .send()
        .await
        .expect_err("stale revision")
        .into_service_error();
    assert_eq!(code(&e), "PolicyNotFoundException");
    assert_eq!(
        message(&e),
        format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 1, but the policy associated to target table guarded has revision id {revision}."
        )
    );
    let e = client
        .put_resource_policy()
        .resource_arn(arn)
        .policy("{not json")
        .send()
        .await
        .expect_err("bad document")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json"
    );
    let deleted = client
        .delete_resource_policy()
        .resource_arn(arn)
        .expected_revision_id(&revision)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.revision_id(), Some(revision.as_str()));
    // Errors on the ARN.
    for (bad, expected_code, expected_message) in [
        (
            "guarded".to_owned(),
            "ValidationException",
            "One or more parameter values were invalid: ARNs must start with 'arn:': guarded"
                .to_owned(),
        ),
        (
            format!("{arn}/index/gsi"),
            "ValidationException",
            format!(
                "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}/index/gsi"
            ),
        ),
        (
            "arn:aws:dynamodb:us-east-1:000000000000:table/missing".to_owned(),
            "ResourceNotFoundException",
            "Requested resource not found: Table: missing not found".to_owned(),
        ),
    ] {
        let e = client
            .get_resource_policy()
            .resource_arn(&bad)
            .send()
            .await
            .expect_err("bad arn")
            .into_service_error();
        assert_eq!(code(&e), expected_code, "{bad}");
        assert_eq!(message(&e), expected_message, "{bad}");
    }
    // CreateTable takes a policy too.
    client
        .create_table()
        .table_name("born_guarded")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .resource_policy(POLICY)
        .send()
        .await
        .expect("create");
    let got = client
        .get_resource_policy()
        .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/born_guarded")
        .send()
        .await
        .expect("get");
    assert_eq!(got.policy(), Some(POLICY));
}

#[tokio::test]
async fn warm_throughput_is_shown() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "warm", None).await;
    let table = client
        .describe_table()
        .table_name("warm")
        .send()
        .await
        .expect("describe");
    let warm = table
        .table()
        .and_then(|t| t.warm_throughput())
        .expect("warm throughput");
    assert_eq!(warm.read_units_per_second(), Some(12_000));
    assert_eq!(warm.write_units_per_second(), Some(4_000));
    let created = client
        .create_table()
        .table_name("warmer")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .warm_throughput(
            WarmThroughput::builder()
                .read_units_per_second(15_000)
                .write_units_per_second(5_000)
                .build(),
        )
        .send()
        .await
        .expect("create");
    let warm = created
        .table_description()
        .and_then(|t| t.warm_throughput())
        .expect("asked for");
    assert_eq!(warm.read_units_per_second(), Some(15_000));
    assert_eq!(warm.status().map(|s| s.as_str()), Some("UPDATING"));
}

#[tokio::test]
async fn calls_on_services_eddy_does_not_run_answer_as_for_a_regional_table() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "regional", None).await;
    let e = client
        .describe_table_replica_auto_scaling()
        .table_name("regional")
        .send()
        .await
        .expect_err("not global")
        .into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        "Global table with name: 'regional' does not exist."
    );
    let listed = client.list_global_tables().send().await.expect("list");
    assert!(listed.global_tables().is_empty());
    let e = client
        .describe_global_table()
        .global_table_name("regional")
        .send()
        .await
        .expect_err("none")
        .into_service_error();
    assert_eq!(code(&e), "GlobalTableNotFoundException");
    assert!(
        client
            .list_exports()
            .send()
            .await
            .expect("exports")
            .export_summaries()
            .is_empty()
    );
    assert!(
        client
            .list_imports()
            .send()
            .await
            .expect("imports")
            .import_summary_list()
            .is_empty()
    );
    let e = client
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/regional")
        .s3_bucket("bucket")
        .send()
        .await
        .expect_err("no pitr")
        .into_service_error();
    assert_eq!(code(&e), "PointInTimeRecoveryUnavailableException");
    let e = client
        .disable_kinesis_streaming_destination()
        .table_name("regional")
        .stream_arn("arn:aws:kinesis:us-east-1:000000000000:stream/s")
        .send()
        .await
        .expect_err("never enabled")
        .into_service_error();
    assert_eq!(
        message(&e),
        "Table is not in a valid state to enable Kinesis Streaming Destination: KinesisStreamingDestination must be ACTIVE to perform DISABLE operation."
    );
    let insights = client
        .list_contributor_insights()
        .send()
        .await
        .expect("insights");
    assert!(insights.contributor_insights_summaries().is_empty());
}

/// Every operation of the DynamoDB API (2012-08-10) and DynamoDB Streams.
const OPERATIONS: [&str; 61] = [
    "BatchExecuteStatement",
    "BatchGetItem",
    "BatchWriteItem",
    "CreateBackup",
    "CreateGlobalTable",
    "CreateTable",
    "DeleteBackup",
    "DeleteItem",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DescribeBackup",
    "DescribeContinuousBackups",
    "DescribeContributorInsights",
    "DescribeEndpoints",
    "DescribeExport",
    "DescribeGlobalTable",
    "DescribeGlobalTableSettings",
    "DescribeImport",
    "DescribeKinesisStreamingDestination",
    "DescribeLimits",
    "DescribeTable",
    "DescribeTableReplicaAutoScaling",
    "DescribeTimeToLive",
    "DisableKinesisStreamingDestination",
    "EnableKinesisStreamingDestination",
    "ExecuteStatement",
    "ExecuteTransaction",
    "ExportTableToPointInTime",
    "GetItem",
    "GetResourcePolicy",
    "ImportTable",
    "ListBackups",
    "ListContributorInsights",
    "ListExports",
    "ListGlobalTables",
    "ListImports",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "PutResourcePolicy",
    "Query",
    "RestoreTableFromBackup",
    "RestoreTableToPointInTime",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateContinuousBackups",
    "UpdateContributorInsights",
    "UpdateGlobalTable",
    "UpdateGlobalTableSettings",
    "UpdateItem",
    "UpdateKinesisStreamingDestination",
    "UpdateTable",
    "UpdateTableReplicaAutoScaling",
    "UpdateTimeToLive",
    "Streams.ListStreams",
    "Streams.DescribeStream",
    "Streams.GetShardIterator",
    "Streams.GetRecords",
];

#[tokio::test]
async fn every_operation_is_routed() {
    let server = TestServer::start();
    for op in OPERATIONS {
        let target = match op.strip_prefix("Streams.") {
            Some(streams_op) => format!("DynamoDBStreams_20120810.{streams_op}"),
            None => format!("DynamoDB_20120810.{op}"),
        };
        let resp = server.raw(Some(&target), b"{}");
        assert_ne!(
            resp.error_type(),
            "UnknownOperationException",
            "{op}: {:?}",
            resp.json()
        );
        assert!(resp.status < 500, "{op}: {}", resp.status);
    }
}

#[tokio::test]
async fn tags_are_checked_as_dynamodb_checks_them() {
    use aws_sdk_dynamodb::types::Tag;
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tagged", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().expect("tag");
    for (tags, expected) in [
        (
            vec![tag("a#b", "v")],
            "The Tag Key provided is invalid, Key: a#b",
        ),
        (
            vec![tag("aws:owner", "v")],
            "Tag Key cannot be prefixed with aws:, Key: aws:owner",
        ),
        (
            vec![tag("k", "v*")],
            "The Tag Value provided is invalid, Value: v*",
        ),
        (
            vec![tag("k", "1"), tag("k", "2")],
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found k",
        ),
        (vec![], "Atleast one Tag needs to be provided as Input."),
    ] {
        let e = client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .expect_err("refused")
            .into_service_error();
        assert_eq!(code(&e), "ValidationException");
        assert_eq!(message(&e), expected);
    }
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(tag("team", "data eng/2026@x"))
        .send()
        .await
        .expect("allowed characters");
}
