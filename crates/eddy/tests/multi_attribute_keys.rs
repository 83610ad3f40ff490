//! Global secondary indexes with multi-attribute keys (up to four partition-key and four sort-key
//! attributes) through the AWS SDK: CreateTable and UpdateTable validation, DescribeTable,
//! maintenance on every kind of write, Query's left-to-right rules, paging, backfill, PartiQL,
//! and no stream record for index maintenance.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, Projection, ProjectionType, Put,
    ScalarAttributeType, StreamSpecification, StreamViewType, TransactWriteItem,
};
use common::schema::{def, key};
use common::{TestServer, code, message, n, s};

fn gsi(name: &str, keys: &[(&str, KeyType)]) -> GlobalSecondaryIndex {
    let mut b = GlobalSecondaryIndex::builder().index_name(name).projection(
        Projection::builder()
            .projection_type(ProjectionType::All)
            .build(),
    );
    for (attr, kt) in keys {
        b = b.key_schema(key(attr, kt.clone()));
    }
    b.build().expect("gsi")
}

const H: KeyType = KeyType::Hash;
const R: KeyType = KeyType::Range;

/// Table `orders` (pk S) with GSI `by_region` on (tenant S, area S) / (yy N, mm N, dd N).
async fn make_table(client: &Client) {
    client
        .create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("tenant", ScalarAttributeType::S))
        .attribute_definitions(def("area", ScalarAttributeType::S))
        .attribute_definitions(def("yy", ScalarAttributeType::N))
        .attribute_definitions(def("mm", ScalarAttributeType::N))
        .attribute_definitions(def("dd", ScalarAttributeType::N))
        .key_schema(key("pk", H))
        .global_secondary_indexes(gsi(
            "by_region",
            &[("tenant", H), ("area", H), ("yy", R), ("mm", R), ("dd", R)],
        ))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .expect("create");
}

fn order(
    pk: &str,
    tenant: &str,
    region: &str,
    date: (u32, u32, u32),
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), s(pk)),
        ("tenant".to_owned(), s(tenant)),
        ("area".to_owned(), s(region)),
        ("yy".to_owned(), n(&date.0.to_string())),
        ("mm".to_owned(), n(&date.1.to_string())),
        ("dd".to_owned(), n(&date.2.to_string())),
    ])
}

async fn put(client: &Client, item: HashMap<String, AttributeValue>) {
    client
        .put_item()
        .table_name("orders")
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

/// Runs a Query on `by_region` and returns the pks in order.
async fn query(client: &Client, condition: &str, values: &[(&str, AttributeValue)]) -> Vec<String> {
    let out = client
        .query()
        .table_name("orders")
        .index_name("by_region")
        .key_condition_expression(condition)
        .set_expression_attribute_values(Some(
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{condition}: {:?}", e.into_service_error()));
    out.items()
        .iter()
        .map(|i| i["pk"].as_s().expect("pk").clone())
        .collect()
}

async fn query_error(
    client: &Client,
    condition: &str,
    values: &[(&str, AttributeValue)],
) -> String {
    let e = client
        .query()
        .table_name("orders")
        .index_name("by_region")
        .key_condition_expression(condition)
        .set_expression_attribute_values(Some(
            values
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        ))
        .send()
        .await
        .expect_err(condition)
        .into_service_error();
    assert_eq!(code(&e), "ValidationException", "{condition}");
    message(&e)
}

#[tokio::test]
async fn describe_shows_the_key_in_order() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    let table = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect("describe");
    let index = &table.table().expect("table").global_secondary_indexes()[0];
    let keys: Vec<(String, KeyType)> = index
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("tenant".to_owned(), H),
            ("area".to_owned(), H),
            ("yy".to_owned(), R),
            ("mm".to_owned(), R),
            ("dd".to_owned(), R),
        ]
    );
}

#[tokio::test]
async fn create_table_refuses_malformed_multi_attribute_keys() {
    let server = TestServer::start();
    let client = server.client();
    let attrs = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    let create = |keys: Vec<(&'static str, KeyType)>| {
        let mut req = client
            .create_table()
            .table_name("bad")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(def("pk", ScalarAttributeType::S))
            .key_schema(key("pk", H))
            .global_secondary_indexes(gsi("gsi1", &keys));
        for a in attrs {
            req = req.attribute_definitions(def(a, ScalarAttributeType::S));
        }
        req.send()
    };
    let cases: Vec<(Vec<(&str, KeyType)>, &str)> = vec![
        (
            vec![("a", H), ("b", R), ("c", H)],
            "One or more parameter values were invalid: All HASH key attributes must precede RANGE key attributes in the KeySchema",
        ),
        (
            vec![("a", H), ("b", H), ("c", H), ("d", H), ("e", H)],
            "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of HASH key attributes",
        ),
        (
            vec![("a", H), ("b", R), ("c", R), ("d", R), ("e", R), ("f", R)],
            "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of RANGE key attributes",
        ),
        (
            vec![("a", H), ("b", H), ("a", R)],
            "The KeySchema contains multiple key attributes with the same name",
        ),
        (
            vec![("a", R), ("b", H), ("c", H)],
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
    ];
    for (keys, expected) in cases {
        let e = create(keys.clone())
            .await
            .expect_err("refused")
            .into_service_error();
        assert_eq!(code(&e), "ValidationException", "{keys:?}");
        // Every definition but those the index uses is unused, which DynamoDB checks later.
        assert_eq!(message(&e), expected, "{keys:?}");
    }
    // Undefined attributes are named with every key.
    let e = client
        .create_table()
        .table_name("bad")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("a", ScalarAttributeType::S))
        .key_schema(key("pk", H))
        .global_secondary_indexes(gsi("gsi1", &[("a", H), ("z", H), ("a2", R)]))
        .send()
        .await
        .expect_err("undefined")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [a, z, a2], AttributeDefinitions: [pk, a]"
    );
    // Four and four is the most.
    let mut req = client
        .create_table()
        .table_name("widest")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", H))
        .global_secondary_indexes(gsi(
            "gsi1",
            &[
                ("a", H),
                ("b", H),
                ("c", H),
                ("d", H),
                ("e", R),
                ("f", R),
                ("g", R),
                ("h", R),
            ],
        ));
    for a in &attrs[..8] {
        req = req.attribute_definitions(def(a, ScalarAttributeType::S));
    }
    req.send().await.expect("4 + 4 attributes");
}

#[tokio::test]
async fn query_follows_the_key_left_to_right() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    put(&client, order("o1", "acme", "eu", (2025, 1, 5))).await;
    put(&client, order("o2", "acme", "eu", (2025, 1, 20))).await;
    put(&client, order("o3", "acme", "eu", (2025, 2, 1))).await;
    put(&client, order("o4", "acme", "eu", (2024, 12, 31))).await;
    put(&client, order("o5", "acme", "us", (2025, 1, 5))).await;
    put(&client, order("o6", "other", "eu", (2025, 1, 5))).await;
    // Missing a key attribute: not indexed.
    let mut partial = order("o7", "acme", "eu", (2025, 1, 6));
    partial.remove("mm");
    put(&client, partial).await;

    let acme_eu = [(":t", s("acme")), (":r", s("eu"))];
    let both = "tenant = :t AND area = :r";
    assert_eq!(
        query(&client, both, &acme_eu).await,
        ["o4", "o1", "o2", "o3"]
    );
    let with = |extra: &[(&'static str, AttributeValue)]| {
        let mut v = acme_eu.to_vec();
        v.extend_from_slice(extra);
        v
    };
    assert_eq!(
        query(
            &client,
            "area = :r AND yy = :y AND tenant = :t",
            &with(&[(":y", n("2025"))])
        )
        .await,
        ["o1", "o2", "o3"]
    );
    assert_eq!(
        query(
            &client,
            "tenant = :t AND area = :r AND yy = :y AND mm = :m AND dd > :d",
            &with(&[(":y", n("2025")), (":m", n("1")), (":d", n("5"))])
        )
        .await,
        ["o2"]
    );
    assert_eq!(
        query(
            &client,
            "tenant = :t AND area = :r AND yy = :y AND mm BETWEEN :a AND :b",
            &with(&[(":y", n("2025")), (":a", n("1")), (":b", n("1"))])
        )
        .await,
        ["o1", "o2"]
    );
    assert_eq!(
        query(
            &client,
            "tenant = :t AND area = :r AND yy < :y",
            &with(&[(":y", n("2025"))])
        )
        .await,
        ["o4"]
    );

    // The rules, with DynamoDB's messages.
    assert_eq!(
        query_error(&client, "tenant = :t", &[(":t", s("acme"))]).await,
        "Query condition missed key schema element: area"
    );
    assert_eq!(
        query_error(&client, "tenant = :t AND area > :r", &acme_eu).await,
        "Query key condition not supported"
    );
    assert_eq!(
        query_error(
            &client,
            "tenant = :t AND area = :r AND yy = :y AND dd = :d",
            &with(&[(":y", n("2025")), (":d", n("5"))])
        )
        .await,
        "RANGE key attributes mm must have equality conditions specified in the query because a condition is present on key attribute dd"
    );
    assert_eq!(
        query_error(
            &client,
            "tenant = :t AND area = :r AND mm = :m",
            &with(&[(":m", n("1"))])
        )
        .await,
        "RANGE key attributes yy must have equality conditions specified in the query because a condition is present on key attribute mm"
    );
    assert_eq!(
        query_error(
            &client,
            "tenant = :t AND area = :r AND yy > :y AND mm = :m",
            &with(&[(":y", n("2020")), (":m", n("1"))])
        )
        .await,
        "RANGE key attributes yy must have equality conditions specified in the query because a condition is present on key attribute mm"
    );
    let e = query_error(
        &client,
        "tenant = :t AND area = :r",
        &[(":t", s("acme")), (":r", n("1"))],
    )
    .await;
    assert_eq!(
        e,
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
}

#[tokio::test]
async fn pages_carry_every_key_attribute() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    for day in 1..=5 {
        put(
            &client,
            order(&format!("o{day}"), "acme", "eu", (2025, 3, day)),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name("orders")
            .index_name("by_region")
            .key_condition_expression("tenant = :t AND area = :r AND yy = :y")
            .expression_attribute_values(":t", s("acme"))
            .expression_attribute_values(":r", s("eu"))
            .expression_attribute_values(":y", n("2025"))
            .scan_index_forward(false)
            .limit(2)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("query");
        seen.extend(
            out.items()
                .iter()
                .map(|i| i["pk"].as_s().expect("pk").clone()),
        );
        match out.last_evaluated_key() {
            Some(k) => {
                let mut names: Vec<&str> = k.keys().map(String::as_str).collect();
                names.sort_unstable();
                assert_eq!(names, ["area", "dd", "mm", "pk", "tenant", "yy"]);
                start = Some(k.clone());
            }
            None => break,
        }
    }
    assert_eq!(seen, ["o5", "o4", "o3", "o2", "o1"]);
    // Scan pages the same way.
    let scan = client
        .scan()
        .table_name("orders")
        .index_name("by_region")
        .limit(1)
        .send()
        .await
        .expect("scan");
    assert_eq!(scan.last_evaluated_key().expect("more").len(), 6);
}

#[tokio::test]
async fn every_write_maintains_the_index_without_stream_records_of_its_own() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    put(&client, order("o1", "acme", "eu", (2025, 1, 1))).await;
    // UpdateItem moves the item inside the index.
    client
        .update_item()
        .table_name("orders")
        .key("pk", s("o1"))
        .update_expression("SET #d = :d")
        .expression_attribute_names("#d", "dd")
        .expression_attribute_values(":d", n("9"))
        .send()
        .await
        .expect("update");
    // A transaction adds another; PartiQL a third.
    client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("orders")
                        .set_item(Some(order("o2", "acme", "eu", (2025, 1, 2))))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .send()
        .await
        .expect("transaction");
    client
        .execute_statement()
        .statement(
            "INSERT INTO orders VALUE {'pk': 'o3', 'tenant': 'acme', 'area': 'eu', 'yy': 2025, 'mm': 1, 'dd': 3}",
        )
        .send()
        .await
        .expect("insert");
    let acme_eu = [(":t", s("acme")), (":r", s("eu"))];
    assert_eq!(
        query(&client, "tenant = :t AND area = :r", &acme_eu).await,
        ["o2", "o3", "o1"]
    );
    // A wrong type on any key attribute is refused with the index named.
    let mut bad = order("o4", "acme", "eu", (2025, 1, 4));
    bad.insert("mm".into(), s("jan"));
    let e = client
        .put_item()
        .table_name("orders")
        .set_item(Some(bad))
        .send()
        .await
        .expect_err("type")
        .into_service_error();
    assert_eq!(
        message(&e),
        "One or more parameter values were invalid: Type mismatch for Index Key mm Expected: N Actual: S IndexName: by_region"
    );
    // Removing one key attribute takes the item out of the index.
    client
        .delete_item()
        .table_name("orders")
        .key("pk", s("o2"))
        .send()
        .await
        .expect("delete");
    client
        .update_item()
        .table_name("orders")
        .key("pk", s("o3"))
        .update_expression("REMOVE #r")
        .expression_attribute_names("#r", "area")
        .send()
        .await
        .expect("remove");
    assert_eq!(
        query(&client, "tenant = :t AND area = :r", &acme_eu).await,
        ["o1"]
    );
    // PartiQL reads the index by its whole key.
    let out = client
        .execute_statement()
        .statement(
            "SELECT pk FROM orders.by_region WHERE tenant = 'acme' AND area = 'eu' AND yy = 2025",
        )
        .send()
        .await
        .expect("select");
    assert_eq!(out.items().len(), 1);
    // Six item changes, six records: the index makes none.
    let arn = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect("describe")
        .table()
        .and_then(|t| t.latest_stream_arn())
        .expect("stream")
        .to_owned();
    let records = common::streams::read_all(&server.streams_client(), &arn).await;
    assert_eq!(records.len(), 6);
}

#[tokio::test]
async fn a_new_index_is_backfilled() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    for i in 0..20u32 {
        let mut item = order(&format!("o{i:02}"), "acme", "eu", (2025, 1, i + 1));
        item.insert("kind".into(), s(if i % 2 == 0 { "even" } else { "odd" }));
        item.insert("rank".into(), n(&(20 - i).to_string()));
        put(&client, item).await;
    }
    client
        .update_table()
        .table_name("orders")
        .attribute_definitions(def("kind", ScalarAttributeType::S))
        .attribute_definitions(def("rank", ScalarAttributeType::N))
        .attribute_definitions(def("tenant", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_kind")
                        .key_schema(key("tenant", H))
                        .key_schema(key("kind", H))
                        .key_schema(key("rank", R))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::KeysOnly)
                                .build(),
                        )
                        .build()
                        .expect("create"),
                )
                .build(),
        )
        .send()
        .await
        .expect("update table");
    // The backfill runs behind UpdateTable's answer.
    let mut active = false;
    for _ in 0..1000 {
        let table = client
            .describe_table()
            .table_name("orders")
            .send()
            .await
            .expect("describe");
        let index = table
            .table()
            .expect("table")
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some("by_kind"))
            .expect("index")
            .clone();
        assert_eq!(index.key_schema().len(), 3);
        if index.index_status() == Some(&IndexStatus::Active) {
            active = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(active, "backfill finished");
    let out = client
        .query()
        .table_name("orders")
        .index_name("by_kind")
        .key_condition_expression("tenant = :t AND kind = :k AND #r <= :r")
        .expression_attribute_names("#r", "rank")
        .expression_attribute_values(":t", s("acme"))
        .expression_attribute_values(":k", s("odd"))
        .expression_attribute_values(":r", n("5"))
        .send()
        .await
        .expect("query");
    let ranks: Vec<&str> = out
        .items()
        .iter()
        .map(|i| i["rank"].as_n().expect("rank").as_str())
        .collect();
    assert_eq!(ranks, ["1", "3", "5"]);
}
