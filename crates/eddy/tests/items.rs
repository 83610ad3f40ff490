//! Item operations through the AWS SDK: PutItem, GetItem, UpdateItem, DeleteItem with
//! conditions, ReturnValues and consumed capacity.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnConsumedCapacity, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType,
};
use common::{TestServer, code, create_table, message, n, s};

fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[tokio::test]
async fn put_get_delete_round_trip() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "items", None).await;
    let it = item(&[
        ("pk", s("a")),
        ("num", n("001.500")),
        (
            "list",
            AttributeValue::L(vec![s("x"), n("2"), AttributeValue::Bool(true)]),
        ),
        (
            "map",
            AttributeValue::M(item(&[("deep", AttributeValue::Null(true))])),
        ),
        ("set", AttributeValue::Ss(vec!["b".into(), "a".into()])),
        ("bin", AttributeValue::B(vec![0u8, 1, 2].into())),
        ("empty", s("")),
    ]);
    client
        .put_item()
        .table_name("items")
        .set_item(Some(it))
        .send()
        .await
        .expect("put");
    let got = client
        .get_item()
        .table_name("items")
        .key("pk", s("a"))
        .consistent_read(true)
        .send()
        .await
        .expect("get");
    let got = got.item().expect("item");
    assert_eq!(
        got.get("num"),
        Some(&n("1.5")),
        "numbers come back canonical"
    );
    assert_eq!(got.get("empty"), Some(&s("")));
    assert_eq!(
        got.get("bin"),
        Some(&AttributeValue::B(vec![0u8, 1, 2].into()))
    );
    assert_eq!(got.len(), 7);

    let projected = client
        .get_item()
        .table_name("items")
        .key("pk", s("a"))
        .projection_expression("#l[1], #m.deep")
        .expression_attribute_names("#l", "list")
        .expression_attribute_names("#m", "map")
        .send()
        .await
        .expect("projected");
    let p = projected.item().expect("item");
    assert_eq!(p.get("list"), Some(&AttributeValue::L(vec![n("2")])));
    assert!(p.contains_key("map"));
    assert_eq!(p.len(), 2);

    let del = client
        .delete_item()
        .table_name("items")
        .key("pk", s("a"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("delete");
    assert_eq!(del.attributes().map(HashMap::len), Some(7));
    let gone = client
        .get_item()
        .table_name("items")
        .key("pk", s("a"))
        .send()
        .await
        .expect("get");
    assert!(gone.item().is_none());
}

#[tokio::test]
async fn conditional_writes() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "cond", None).await;
    client
        .put_item()
        .table_name("cond")
        .item("pk", s("k"))
        .item("v", n("1"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .expect("first put");
    let err = client
        .put_item()
        .table_name("cond")
        .item("pk", s("k"))
        .item("v", n("2"))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect_err("exists");
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    assert_eq!(message(&err), "The conditional request failed");
    let old = match err.into_service_error() {
        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
            e.item().cloned().expect("old item in the error")
        }
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(old.get("v"), Some(&n("1")));

    let err = client
        .delete_item()
        .table_name("cond")
        .key("pk", s("k"))
        .condition_expression("v = :two")
        .expression_attribute_values(":two", n("2"))
        .send()
        .await
        .expect_err("v is 1");
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    let still = client
        .get_item()
        .table_name("cond")
        .key("pk", s("k"))
        .send()
        .await
        .expect("get");
    assert!(still.item().is_some());

    // A condition on a missing item sees an empty item and creates nothing.
    let err = client
        .update_item()
        .table_name("cond")
        .key("pk", s("nope"))
        .update_expression("SET v = :one")
        .condition_expression("v = :one")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .expect_err("missing item");
    assert_eq!(code(&err), "ConditionalCheckFailedException");
    let none = client
        .get_item()
        .table_name("cond")
        .key("pk", s("nope"))
        .send()
        .await
        .expect("get");
    assert!(none.item().is_none());
}

#[tokio::test]
async fn update_expressions_and_return_values() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "upd", None).await;
    let out = client
        .update_item()
        .table_name("upd")
        .key("pk", s("c"))
        .update_expression("SET #c = if_not_exists(#c, :zero) + :inc, tags = list_append(if_not_exists(tags, :empty), :t) ADD hits :inc")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":zero", n("0"))
        .expression_attribute_values(":inc", n("5"))
        .expression_attribute_values(":empty", AttributeValue::L(vec![]))
        .expression_attribute_values(":t", AttributeValue::L(vec![s("x")]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .expect("update");
    let a = out.attributes().expect("attributes");
    assert_eq!(a.get("count"), Some(&n("5")));
    assert_eq!(a.get("hits"), Some(&n("5")));
    assert_eq!(a.get("tags"), Some(&AttributeValue::L(vec![s("x")])));

    let out = client
        .update_item()
        .table_name("upd")
        .key("pk", s("c"))
        .update_expression("SET #c = #c - :inc REMOVE tags")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":inc", n("2"))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .expect("update");
    let a = out.attributes().expect("attributes");
    assert_eq!(a.get("count"), Some(&n("5")));
    assert_eq!(a.get("tags"), Some(&AttributeValue::L(vec![s("x")])));
    assert!(!a.contains_key("hits"));

    let out = client
        .update_item()
        .table_name("upd")
        .key("pk", s("c"))
        .update_expression("ADD hits :inc")
        .expression_attribute_values(":inc", n("0.5"))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .expect("update");
    assert_eq!(
        out.attributes().and_then(|a| a.get("hits")),
        Some(&n("5.5"))
    );

    let err = client
        .update_item()
        .table_name("upd")
        .key("pk", s("c"))
        .update_expression("SET pk = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .expect_err("key update");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );

    let err = client
        .update_item()
        .table_name("upd")
        .key("pk", s("c"))
        .update_expression("SET a = :v")
        .expression_attribute_values(":v", s("x"))
        .expression_attribute_values(":unused", s("y"))
        .send()
        .await
        .expect_err("unused value");
    assert_eq!(
        message(&err),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    );

    // REMOVE on a missing item must not create it.
    client
        .update_item()
        .table_name("upd")
        .key("pk", s("ghost"))
        .update_expression("REMOVE a")
        .send()
        .await
        .expect("remove on missing");
    let g = client
        .get_item()
        .table_name("upd")
        .key("pk", s("ghost"))
        .send()
        .await
        .expect("get");
    assert!(g.item().is_none());
}

#[tokio::test]
async fn consumed_capacity_units() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "cap", None).await;
    let big = "x".repeat(1500);
    let put = client
        .put_item()
        .table_name("cap")
        .item("pk", s("a"))
        .item("data", s(&big))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("put");
    let cc = put.consumed_capacity().expect("capacity");
    assert_eq!(cc.table_name(), Some("cap"));
    assert_eq!(cc.capacity_units(), Some(2.0));
    let get = client
        .get_item()
        .table_name("cap")
        .key("pk", s("a"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("get");
    assert_eq!(
        get.consumed_capacity().and_then(|c| c.capacity_units()),
        Some(0.5)
    );
    let get = client
        .get_item()
        .table_name("cap")
        .key("pk", s("a"))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .expect("get");
    let cc = get.consumed_capacity().expect("capacity");
    assert_eq!(cc.capacity_units(), Some(1.0));
    assert_eq!(cc.table().and_then(|t| t.capacity_units()), Some(1.0));
}

#[tokio::test]
async fn key_and_value_validation() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "val", Some(ScalarAttributeType::N)).await;
    let err = client
        .put_item()
        .table_name("val")
        .item("pk", s("a"))
        .send()
        .await
        .expect_err("missing sort key");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Missing the key sk in the item"
    );
    let err = client
        .put_item()
        .table_name("val")
        .item("pk", s("a"))
        .item("sk", s("not a number"))
        .send()
        .await
        .expect_err("wrong key type");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"
    );
    let err = client
        .get_item()
        .table_name("val")
        .key("pk", s("a"))
        .send()
        .await
        .expect_err("partial key");
    assert_eq!(
        message(&err),
        "The provided key element does not match the schema"
    );
    let err = client
        .put_item()
        .table_name("val")
        .item("pk", s("a"))
        .item("sk", n("1"))
        .item("x", n("1e126"))
        .send()
        .await
        .expect_err("overflow");
    assert!(
        message(&err).contains("Number overflow"),
        "{}",
        message(&err)
    );
    let err = client
        .put_item()
        .table_name("val")
        .item("pk", s("a"))
        .item("sk", n("1"))
        .item("x", s(&"y".repeat(400 * 1024)))
        .send()
        .await
        .expect_err("too big");
    assert_eq!(
        message(&err),
        "Item size has exceeded the maximum allowed size"
    );
    let err = client
        .get_item()
        .table_name("missing_table")
        .key("pk", s("a"))
        .send()
        .await
        .expect_err("no table");
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(message(&err), "Requested resource not found");
}

#[tokio::test]
async fn concurrent_increments_serialise() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "ctr", None).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                client
                    .update_item()
                    .table_name("ctr")
                    .key("pk", s("c"))
                    .update_expression("ADD v :one")
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await
                    .expect("add");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let got = client
        .get_item()
        .table_name("ctr")
        .key("pk", s("c"))
        .send()
        .await
        .expect("get");
    assert_eq!(got.item().and_then(|i| i.get("v")), Some(&n("200")));
}
