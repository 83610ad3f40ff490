//! Request parameters' corners through the AWS SDK, as DynamoDB answers them:
//! ConditionalOperator needs two or more conditions, NOT_CONTAINS needs the attribute,
//! KeyConditions goes with expressions, placeholder map entries are checked, and disabling TTL
//! must name the attribute it is on.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValueUpdate, ComparisonOperator, Condition, ConditionalOperator,
    ExpectedAttributeValue, TimeToLiveSpecification,
};
use common::{TestServer, code, create_table, message, n, s};

fn not_contains(v: aws_sdk_dynamodb::types::AttributeValue) -> ExpectedAttributeValue {
    ExpectedAttributeValue::builder()
        .comparison_operator(ComparisonOperator::NotContains)
        .attribute_value_list(v)
        .build()
}

fn put_z(v: &str) -> AttributeValueUpdate {
    AttributeValueUpdate::builder()
        .action(AttributeAction::Put)
        .value(n(v))
        .build()
}

const WITHOUT: &str = "ConditionalOperator cannot be used without Filter or Expected";
const TWO: &str =
    "ConditionalOperator can only be used when Filter or Expected has two or more elements";

#[tokio::test]
async fn conditional_operator_needs_two_or_more_conditions() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    let e = client
        .put_item()
        .table_name("legacy")
        .item("pk", s("a"))
        .conditional_operator(ConditionalOperator::And)
        .send()
        .await
        .expect_err("no Expected");
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(message(&e), WITHOUT);
    let e = client
        .update_item()
        .table_name("legacy")
        .key("pk", s("a"))
        .attribute_updates("z", put_z("1"))
        .expected("a", not_contains(s("x")))
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .expect_err("one condition");
    assert_eq!(message(&e), TWO);
    let e = client
        .scan()
        .table_name("legacy")
        .conditional_operator(ConditionalOperator::And)
        .send()
        .await
        .expect_err("no ScanFilter");
    assert_eq!(message(&e), WITHOUT);
    let one = Condition::builder()
        .comparison_operator(ComparisonOperator::Eq)
        .attribute_value_list(s("a"))
        .build()
        .expect("condition");
    let e = client
        .query()
        .table_name("legacy")
        .key_conditions("pk", one.clone())
        .query_filter("b", one.clone())
        .conditional_operator(ConditionalOperator::And)
        .send()
        .await
        .expect_err("one QueryFilter");
    assert_eq!(message(&e), TWO);
    // Two conditions are fine.
    client
        .scan()
        .table_name("legacy")
        .scan_filter("a", one.clone())
        .scan_filter("b", one)
        .conditional_operator(ConditionalOperator::Or)
        .send()
        .await
        .expect("two conditions");
    // With an expression, the mixing rule answers first and names ConditionalOperator.
    let e = client
        .put_item()
        .table_name("legacy")
        .item("pk", s("a"))
        .conditional_operator(ConditionalOperator::And)
        .condition_expression("attribute_exists(pk)")
        .send()
        .await
        .expect_err("mixing");
    assert_eq!(
        message(&e),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ConditionalOperator} Expression parameters: {ConditionExpression}"
    );
}

/// KeyConditions mixes with expressions only when KeyConditionExpression is there too.
#[tokio::test]
async fn key_conditions_go_with_filter_and_projection_expressions() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    client
        .put_item()
        .table_name("legacy")
        .item("pk", s("k1"))
        .item("a", s("x"))
        .item("b", s("y"))
        .send()
        .await
        .expect("put");
    let key = Condition::builder()
        .comparison_operator(ComparisonOperator::Eq)
        .attribute_value_list(s("k1"))
        .build()
        .expect("condition");
    let got = client
        .query()
        .table_name("legacy")
        .key_conditions("pk", key.clone())
        .filter_expression("a = :v")
        .expression_attribute_values(":v", s("x"))
        .projection_expression("a")
        .send()
        .await
        .expect("KeyConditions with expressions");
    assert_eq!(got.count(), 1);
    assert_eq!(got.items()[0].len(), 1);
    let e = client
        .query()
        .table_name("legacy")
        .key_conditions("pk", key)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("k1"))
        .send()
        .await
        .expect_err("both key parameters");
    assert_eq!(
        message(&e),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"
    );
}

#[tokio::test]
async fn not_contains_needs_the_attribute() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    client
        .put_item()
        .table_name("legacy")
        .item("pk", s("a"))
        .item("a", s("hello"))
        .send()
        .await
        .expect("put");
    client
        .update_item()
        .table_name("legacy")
        .key("pk", s("a"))
        .attribute_updates("z", put_z("1"))
        .expected("a", not_contains(s("dog")))
        .send()
        .await
        .expect("hello does not contain dog");
    let e = client
        .update_item()
        .table_name("legacy")
        .key("pk", s("a"))
        .attribute_updates("z", put_z("2"))
        .expected("missing", not_contains(s("dog")))
        .send()
        .await
        .expect_err("a missing attribute fails NOT_CONTAINS");
    assert_eq!(code(&e), "ConditionalCheckFailedException");
}

#[tokio::test]
async fn disabling_ttl_names_its_attribute() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    let spec = |enabled: bool, attr: &str| {
        TimeToLiveSpecification::builder()
            .enabled(enabled)
            .attribute_name(attr)
            .build()
            .expect("spec")
    };
    client
        .update_time_to_live()
        .table_name("legacy")
        .time_to_live_specification(spec(true, "exp"))
        .send()
        .await
        .expect("enable");
    let e = client
        .update_time_to_live()
        .table_name("legacy")
        .time_to_live_specification(spec(false, "dog"))
        .send()
        .await
        .expect_err("another attribute");
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(
        message(&e),
        "TimeToLive is active on a different AttributeName: current AttributeName is exp"
    );
    // Another change waits an hour after the last.
    server.advance(3600);
    client
        .update_time_to_live()
        .table_name("legacy")
        .time_to_live_specification(spec(false, "exp"))
        .send()
        .await
        .expect("disable");
}

/// The placeholder maps' own entries, with DynamoDB's messages.
#[tokio::test]
async fn placeholder_entries_are_checked() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    let long = format!("#{}", "a".repeat(255));
    let e = client
        .get_item()
        .table_name("legacy")
        .key("pk", s("k1"))
        .projection_expression("#a")
        .expression_attribute_names(format!("{long}-x"), "foo")
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        message(&e),
        "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: 258"
    );
    let e = client
        .get_item()
        .table_name("legacy")
        .key("pk", s("k1"))
        .projection_expression("#a")
        .expression_attribute_names("#a", "")
        .send()
        .await
        .expect_err("empty name");
    assert_eq!(
        message(&e),
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
    );
    let e = client
        .scan()
        .table_name("legacy")
        .filter_expression("foo = :v")
        .expression_attribute_values(format!(":{}", "a".repeat(255)), s("x"))
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        message(&e),
        "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;"
    );
}

/// The 4096-byte expression limit: condition and filter expressions state their size.
#[tokio::test]
async fn oversized_expressions_and_stray_values_get_dynamodbs_messages() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "legacy", None).await;
    let path = format!("a{}", "z".repeat(4096));
    let expr = format!("attribute_not_exists({path})");
    let e = client
        .put_item()
        .table_name("legacy")
        .item("pk", s("k"))
        .condition_expression(&expr)
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        message(&e),
        format!(
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {}",
            expr.len()
        )
    );
    let e = client
        .update_item()
        .table_name("legacy")
        .key("pk", s("k"))
        .update_expression(format!("SET {path} = :v"))
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .expect_err("too long");
    assert_eq!(
        message(&e),
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    );
    let key = Condition::builder()
        .comparison_operator(ComparisonOperator::Eq)
        .attribute_value_list(s("k"))
        .build()
        .expect("condition");
    let e = client
        .query()
        .table_name("legacy")
        .key_conditions("pk", key)
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .expect_err("values without expressions");
    assert_eq!(
        message(&e),
        "ExpressionAttributeValues can only be specified when using expressions"
    );
}

/// A table's ARN works wherever its name does, and is echoed as sent; ConsumedCapacity holds
/// CapacityUnits only, except for transactions, which split it into reads and writes.
#[tokio::test]
async fn a_table_arn_names_the_table_and_capacity_has_dynamodbs_shape() {
    use aws_sdk_dynamodb::types::{
        KeysAndAttributes, Put, ReturnConsumedCapacity, TransactWriteItem,
    };
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "arns", None).await;
    let arn = client
        .describe_table()
        .table_name("arns")
        .send()
        .await
        .expect("describe")
        .table()
        .and_then(|t| t.table_arn())
        .expect("arn")
        .to_owned();
    let put = client
        .put_item()
        .table_name(&arn)
        .item("pk", s("k1"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("put by arn");
    let cc = put.consumed_capacity().expect("capacity");
    assert_eq!(cc.table_name(), Some(arn.as_str()));
    assert_eq!(cc.capacity_units(), Some(1.0));
    assert_eq!(cc.write_capacity_units(), None);
    let got = client
        .get_item()
        .table_name(&arn)
        .key("pk", s("k1"))
        .send()
        .await
        .expect("get by arn");
    assert!(got.item().is_some());
    let batch = client
        .batch_get_item()
        .request_items(
            &arn,
            KeysAndAttributes::builder()
                .keys([("pk".to_owned(), s("k1"))].into())
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect("batch by arn");
    assert_eq!(batch.responses().map(|r| r[&arn].len()), Some(1));
    let e = client
        .get_item()
        .table_name(format!("{arn}/index/none"))
        .key("pk", s("k1"))
        .send()
        .await
        .expect_err("an index arn");
    assert_eq!(code(&e), "ValidationException");

    let tx = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&arn)
                        .item("pk", s("k2"))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("transaction by arn");
    let cc = &tx.consumed_capacity()[0];
    assert_eq!(cc.capacity_units(), Some(2.0));
    assert_eq!(cc.write_capacity_units(), Some(2.0));
}

/// An empty key value refuses a transaction outright (no cancellation), and a BatchGetItem
/// repeating a key is refused before its table is looked up.
#[tokio::test]
async fn empty_transaction_keys_and_repeated_batch_keys_are_refused_first() {
    use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "keys", None).await;
    let e = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("keys")
                        .item("pk", s(""))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("empty key");
    assert_eq!(code(&e), "ValidationException");
    let key = || -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
        [("pk".to_owned(), s("k"))].into()
    };
    let e = client
        .batch_get_item()
        .request_items(
            "missing",
            KeysAndAttributes::builder()
                .keys(key())
                .keys(key())
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect_err("repeated key");
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(
        message(&e),
        "Provided list of item keys contains duplicates"
    );
}

/// A null among a set's members is a ValidationException, and a TransactGetItems projection
/// that leaves nothing of an item answers as for a missing item.
#[tokio::test]
async fn null_set_members_and_empty_projections() {
    use aws_sdk_dynamodb::types::{Get, TransactGetItem};
    let server = TestServer::start();
    let r = server.raw(
        Some("DynamoDB_20120810.CreateTable"),
        br#"{"TableName":"sets","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    );
    assert_eq!(r.status, 200);
    let r = server.raw(
        Some("DynamoDB_20120810.PutItem"),
        br#"{"TableName":"sets","Item":{"pk":{"S":"a"},"ss":{"SS":["x",null]}}}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "One or more parameter values were invalid: An string set may not have a null string as a member"
    );
    let client = server.client();
    client
        .put_item()
        .table_name("sets")
        .item("pk", s("a"))
        .send()
        .await
        .expect("put");
    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("sets")
                        .key("pk", s("a"))
                        .projection_expression("nothing_here")
                        .build()
                        .expect("get"),
                )
                .build(),
        )
        .send()
        .await
        .expect("transact get");
    assert!(got.responses()[0].item().is_none());
}

/// BatchGetItem's mixing rule spans its tables.
#[tokio::test]
async fn batch_get_mixing_spans_tables() {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "mix_a", None).await;
    create_table(&client, "mix_b", None).await;
    let key = || -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
        [("pk".to_owned(), s("k"))].into()
    };
    let e = client
        .batch_get_item()
        .request_items(
            "mix_a",
            KeysAndAttributes::builder()
                .keys(key())
                .projection_expression("pk")
                .build()
                .expect("keys"),
        )
        .request_items(
            "mix_b",
            KeysAndAttributes::builder()
                .keys(key())
                .attributes_to_get("pk")
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect_err("mixed across tables");
    assert_eq!(
        message(&e),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    );
}
