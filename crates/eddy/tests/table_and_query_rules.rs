//! Rules DynamoDB applies to UpdateTable's index updates, DeleteTable's answer, ExclusiveStartKey,
//! Select, and transactions' cancellation reasons, through the AWS SDK.

mod common;

use aws_sdk_dynamodb::types::{
    CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate,
    KeyType, Projection, ProjectionType, Put, ScalarAttributeType, Select, TransactWriteItem,
};
use common::schema::def;
use common::schema::key;
use common::{TestServer, code, create_table, message, n, s};

fn create_gsi(name: &str, attr: &str) -> GlobalSecondaryIndexUpdate {
    GlobalSecondaryIndexUpdate::builder()
        .create(
            CreateGlobalSecondaryIndexAction::builder()
                .index_name(name)
                .key_schema(key(attr, KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("create"),
        )
        .build()
}

#[tokio::test]
async fn index_updates_follow_dynamodbs_rules() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "gsi_rules", None).await;
    let e = client
        .update_table()
        .table_name("gsi_rules")
        .attribute_definitions(def("a", ScalarAttributeType::S))
        .attribute_definitions(def("b", ScalarAttributeType::S))
        .global_secondary_index_updates(create_gsi("gsi_a", "a"))
        .global_secondary_index_updates(create_gsi("gsi_b", "b"))
        .send()
        .await
        .expect_err("two creates")
        .into_service_error();
    assert_eq!(code(&e), "LimitExceededException");
    assert_eq!(
        message(&e),
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
    );
    let e = client
        .update_table()
        .table_name("gsi_rules")
        .attribute_definitions(def("a", ScalarAttributeType::S))
        .global_secondary_index_updates(create_gsi("gsi_a", "a"))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("gsi_a")
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("same index twice")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: gsi_a"
    );
    let e = client
        .update_table()
        .table_name("gsi_rules")
        .global_secondary_index_updates(create_gsi("gsi_a", "pk"))
        .send()
        .await
        .expect_err("no definitions")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: AttributeDefinitions is not specified for index: gsi_a"
    );
    // DeleteTable answers without the schema.
    let deleted = client
        .delete_table()
        .table_name("gsi_rules")
        .send()
        .await
        .expect("delete");
    let t = deleted.table_description().expect("description");
    assert!(t.key_schema().is_empty() && t.attribute_definitions().is_empty());
    assert!(t.creation_date_time().is_none());
    assert!(t.table_id().is_some() && t.table_arn().is_some());
}

#[tokio::test]
async fn exclusive_start_keys_must_fit_the_query() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "esk", Some(ScalarAttributeType::N)).await;
    let query = || {
        client
            .query()
            .table_name("esk")
            .key_condition_expression("pk = :p AND sk > :five")
            .expression_attribute_values(":p", s("a"))
            .expression_attribute_values(":five", n("5"))
    };
    let e = query()
        .exclusive_start_key("pk", s("a"))
        .exclusive_start_key("sk", s("not a number"))
        .send()
        .await
        .expect_err("wrong type")
        .into_service_error();
    assert_eq!(
        message(&e),
        "The provided key element does not match the schema"
    );
    let e = query()
        .exclusive_start_key("pk", s("a"))
        .exclusive_start_key("sk", n("2"))
        .send()
        .await
        .expect_err("outside the range")
        .into_service_error();
    assert_eq!(
        message(&e),
        "The provided starting key does not match the range key predicate"
    );
    let e = query()
        .exclusive_start_key("pk", s("b"))
        .exclusive_start_key("sk", n("7"))
        .send()
        .await
        .expect_err("other partition")
        .into_service_error();
    assert_eq!(
        message(&e),
        "The provided starting key is outside query boundaries based on provided conditions"
    );
    create_table(&client, "esk_hash", None).await;
    let e = client
        .query()
        .table_name("esk_hash")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .exclusive_start_key("pk", s("a"))
        .send()
        .await
        .expect_err("no sort key")
        .into_service_error();
    assert_eq!(
        message(&e),
        "The provided exclusive start key is invalid: ExclusiveStartKey: {pk=AttributeValue: {S:a}}"
    );
    let e = client
        .query()
        .table_name("esk_hash")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .select(Select::SpecificAttributes)
        .send()
        .await
        .expect_err("specific without names")
        .into_service_error();
    assert_eq!(
        message(&e),
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
    );
}

#[tokio::test]
async fn a_transaction_reports_its_first_refused_action_only() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "txr", None).await;
    let put = |pk: aws_sdk_dynamodb::types::AttributeValue, condition: Option<&str>| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("txr")
                    .item("pk", pk)
                    .set_condition_expression(condition.map(str::to_owned))
                    .build()
                    .expect("put"),
            )
            .build()
    };
    let e = client
        .transact_write_items()
        .transact_items(put(n("1"), None))
        .transact_items(put(n("2"), None))
        .transact_items(put(s("ok"), Some("attribute_exists(pk)")))
        .send()
        .await
        .expect_err("cancelled")
        .into_service_error();
    let reasons: Vec<&str> = match &e {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
            t.cancellation_reasons().iter().filter_map(|r| r.code()).collect()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(reasons, ["ValidationError", "None", "None"]);
    let e = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("txr")
                        .item("pk", s("x"))
                        .return_values_on_condition_check_failure("dog".into())
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("bad enum")
        .into_service_error();
    assert_eq!(code(&e), "ValidationException");
    assert!(message(&e).contains("returnValuesOnConditionCheckFailure"));
    // TagResource answers with no body at all.
    let resp = server.raw(
        Some("DynamoDB_20120810.TagResource"),
        br#"{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/txr","Tags":[{"Key":"k","Value":"v"}]}"#,
    );
    assert_eq!(resp.status, 200);
    assert!(resp.body.is_empty());
}

#[tokio::test]
async fn dropping_an_index_drops_the_definitions_only_it_used() {
    use aws_sdk_dynamodb::types::{BillingMode, GlobalSecondaryIndex};
    let server = TestServer::start();
    let client = server.client();
    client
        .create_table()
        .table_name("prune")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .send()
        .await
        .expect("create");
    let e = client
        .update_table()
        .table_name("prune")
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .global_secondary_index_updates(create_gsi("by_g", "g"))
        .send()
        .await
        .expect_err("exists")
        .into_service_error();
    assert_eq!(
        message(&e),
        "Attempting to create an index which already exists"
    );
    let e = client
        .update_table()
        .table_name("prune")
        .attribute_definitions(def("g", ScalarAttributeType::N))
        .global_secondary_index_updates(create_gsi("by_g_too", "g"))
        .send()
        .await
        .expect_err("redefined")
        .into_service_error();
    assert!(
        message(&e).starts_with(
            "One or more parameter values were invalid: Attributes cannot be redefined."
        ),
        "{}",
        message(&e)
    );
    let updated = client
        .update_table()
        .table_name("prune")
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .send()
        .await
        .expect("delete");
    let names: Vec<&str> = updated
        .table_description()
        .expect("table")
        .attribute_definitions()
        .iter()
        .map(|d| d.attribute_name())
        .collect();
    assert_eq!(names, ["pk"]);
}
