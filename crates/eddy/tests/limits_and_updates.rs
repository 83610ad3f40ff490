//! Limits and update corners through the AWS SDK, with DynamoDB's errors: attribute-name and
//! index-key sizes, table names, projections of indexes, deep expressions, `attribute_type` of
//! a value, arithmetic overflow, and what an update of a missing item creates.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, KeyType, LocalSecondaryIndex, ProjectionType, ReturnValue,
    ScalarAttributeType, Select,
};
use common::schema::{def, key, projection};
use common::{TestServer, code, create_table, message, n, s};

/// `proj` (p S, c N) with a KEYS_ONLY GSI on `g` and a KEYS_ONLY LSI on `l`.
async fn projected_table(client: &Client) {
    client
        .create_table()
        .table_name("proj")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("p", ScalarAttributeType::S))
        .attribute_definitions(def("c", ScalarAttributeType::N))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .attribute_definitions(def("l", ScalarAttributeType::S))
        .key_schema(key("p", KeyType::Hash))
        .key_schema(key("c", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gkk")
                .key_schema(key("g", KeyType::Hash))
                .projection(projection(ProjectionType::KeysOnly, &[]))
                .build()
                .expect("gsi"),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("lkk")
                .key_schema(key("p", KeyType::Hash))
                .key_schema(key("l", KeyType::Range))
                .projection(projection(ProjectionType::KeysOnly, &[]))
                .build()
                .expect("lsi"),
        )
        .send()
        .await
        .expect("create");
    client
        .put_item()
        .table_name("proj")
        .item("p", s("x"))
        .item("c", n("1"))
        .item("g", s("G"))
        .item("l", s("L"))
        .item("b", s("B"))
        .send()
        .await
        .expect("put");
}

#[tokio::test]
async fn unprojected_attributes_of_indexes() {
    let server = TestServer::start();
    let client = server.client();
    projected_table(&client).await;
    let e = client
        .query()
        .table_name("proj")
        .index_name("gkk")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("G"))
        .projection_expression("b, g")
        .send()
        .await
        .expect_err("not projected")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Global secondary index gkk does not project [b]"
    );
    // A local index reads what it does not hold from the table.
    let out = client
        .query()
        .table_name("proj")
        .index_name("lkk")
        .key_condition_expression("p = :p")
        .expression_attribute_values(":p", s("x"))
        .select(Select::SpecificAttributes)
        .projection_expression("b")
        .send()
        .await
        .expect("query");
    assert_eq!(out.items()[0]["b"], s("B"));
    // A duplicate in NonKeyAttributes is refused.
    let e = client
        .create_table()
        .table_name("dup_proj")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("p", ScalarAttributeType::S))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .key_schema(key("p", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gin")
                .key_schema(key("g", KeyType::Hash))
                .projection(projection(ProjectionType::Include, &["a", "a"]))
                .build()
                .expect("gsi"),
        )
        .send()
        .await
        .expect_err("duplicate")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Duplicate element in NonKeyAttributes: a"
    );
}

#[tokio::test]
async fn names_and_keys_have_their_limits() {
    let server = TestServer::start();
    let client = server.client();
    let long_key = "k".repeat(256);
    let e = client
        .create_table()
        .table_name("long_key")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def(&long_key, ScalarAttributeType::S))
        .key_schema(key(&long_key, KeyType::Hash))
        .send()
        .await
        .expect_err("key name too long")
        .into_service_error();
    assert_eq!(code(&e), "ValidationException");
    assert!(
        message(&e).contains("Member must have length less than or equal to 255"),
        "{}",
        message(&e)
    );
    let e = client
        .create_table()
        .table_name("long_projection")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gin")
                .key_schema(key("g", KeyType::Hash))
                .projection(projection(ProjectionType::Include, &[&"a".repeat(256)]))
                .build()
                .expect("gsi"),
        )
        .send()
        .await
        .expect_err("projected name too long")
        .into_service_error();
    assert!(
        message(&e).contains("Member must have length less than or equal to 255"),
        "{}",
        message(&e)
    );
    create_table(&client, "names", None).await;
    let e = client
        .put_item()
        .table_name("names")
        .item("pk", s("a"))
        .item("n".repeat(65_536), s("v"))
        .send()
        .await
        .expect_err("name too long")
        .into_service_error();
    assert_eq!(
        message(&e),
        "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
    );
    let e = client
        .put_item()
        .table_name("names")
        .item("pk", s("a"))
        .item("", s("v"))
        .send()
        .await
        .expect_err("empty name")
        .into_service_error();
    assert!(
        message(&e).contains("Empty attribute name"),
        "{}",
        message(&e)
    );
    // A data-plane name of one or two characters is no table name.
    let e = client
        .get_item()
        .table_name("aa")
        .key("pk", s("a"))
        .send()
        .await
        .expect_err("short name")
        .into_service_error();
    assert_eq!(
        message(&e),
        "1 validation error detected: Value 'aa' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
    );
    // An index key over its limit names its size.
    projected_table(&client).await;
    let e = client
        .put_item()
        .table_name("proj")
        .item("p", s("y"))
        .item("c", n("1"))
        .item("g", s(&"g".repeat(2049)))
        .send()
        .await
        .expect_err("index key too long")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Size limit exceeded for Index Key g Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: gkk"
    );
}

#[tokio::test]
async fn updates_of_missing_items_and_expression_corners() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "upd", None).await;
    // An update without actions creates the item, holding its key.
    let out = client
        .update_item()
        .table_name("upd")
        .key("pk", s("empty"))
        .set_attribute_updates(Some(HashMap::new()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .expect("update");
    assert_eq!(
        out.attributes(),
        Some(&HashMap::from([("pk".to_owned(), s("empty"))]))
    );
    // Removing from a missing item creates nothing, even at a nested path.
    client
        .update_item()
        .table_name("upd")
        .key("pk", s("gone"))
        .update_expression("REMOVE x.y")
        .send()
        .await
        .expect("remove");
    let got = client
        .get_item()
        .table_name("upd")
        .key("pk", s("gone"))
        .send()
        .await
        .expect("get");
    assert!(got.item().is_none());
    // attribute_type takes a value too.
    client
        .update_item()
        .table_name("upd")
        .key("pk", s("typed"))
        .update_expression("SET a = :v")
        .condition_expression("attribute_type(:v, :t)")
        .expression_attribute_values(":v", n("0"))
        .expression_attribute_values(":t", s("N"))
        .send()
        .await
        .expect("attribute_type of a value");
    // A condition nested 100 deep is within DynamoDB's 300 operators.
    let deep = format!("{}a = :v{}", "(a = :v OR ".repeat(100), ")".repeat(100));
    client
        .put_item()
        .table_name("upd")
        .item("pk", s("deep"))
        .condition_expression(format!("attribute_not_exists(pk) OR {deep}"))
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .expect("deep condition");
    // Arithmetic past 38 digits is an overflow.
    let e = client
        .update_item()
        .table_name("upd")
        .key("pk", s("typed"))
        .update_expression("SET b = :big + :one")
        .expression_attribute_values(":big", n("1e50"))
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .expect_err("overflow")
        .into_service_error();
    assert_eq!(
        message(&e),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    // list_append does not nest.
    let e = client
        .update_item()
        .table_name("upd")
        .key("pk", s("typed"))
        .update_expression("SET l = list_append(list_append(:a, :b), :c)")
        .expression_attribute_values(":a", aws_sdk_dynamodb::types::AttributeValue::L(vec![]))
        .expression_attribute_values(":b", aws_sdk_dynamodb::types::AttributeValue::L(vec![]))
        .expression_attribute_values(":c", aws_sdk_dynamodb::types::AttributeValue::L(vec![]))
        .send()
        .await
        .expect_err("nested list_append")
        .into_service_error();
    assert_eq!(
        message(&e),
        "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append"
    );
}
