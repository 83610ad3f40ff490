//! Secondary indexes through the AWS SDK: GSIs and LSIs on CreateTable, projections, sparse
//! indexes, Query and Scan on an index with paging, GSI create (backfill) and delete through
//! UpdateTable, and DynamoDB's index errors.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate,
    IndexStatus, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection, ProjectionType,
    ScalarAttributeType, Select,
};
use common::{TestServer, code, message, n, s};

fn def(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .expect("def")
}

fn key(name: &str, kt: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .expect("key")
}

fn projection(pt: ProjectionType, include: &[&str]) -> Projection {
    let mut p = Projection::builder().projection_type(pt);
    for a in include {
        p = p.non_key_attributes(*a);
    }
    p.build()
}

async fn make_table(client: &Client) {
    client
        .create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("sk", ScalarAttributeType::N))
        .attribute_definitions(def("status", ScalarAttributeType::S))
        .attribute_definitions(def("placed", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_status")
                .key_schema(key("status", KeyType::Hash))
                .key_schema(key("placed", KeyType::Range))
                .projection(projection(ProjectionType::Include, &["total"]))
                .build()
                .expect("gsi"),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_placed")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("placed", KeyType::Range))
                .projection(projection(ProjectionType::KeysOnly, &[]))
                .build()
                .expect("lsi"),
        )
        .send()
        .await
        .expect("create");
    for i in 0..12 {
        let mut put = client
            .put_item()
            .table_name("orders")
            .item("pk", s(if i % 2 == 0 { "alice" } else { "bob" }))
            .item("sk", n(&i.to_string()))
            .item("placed", n(&(100 - i).to_string()))
            .item("total", n(&(i * 10).to_string()))
            .item("note", s("n"));
        if i % 3 != 0 {
            put = put.item("status", s(if i % 3 == 1 { "open" } else { "shipped" }));
        }
        put.send().await.expect("put");
    }
}

#[tokio::test]
async fn query_and_scan_on_indexes() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;

    let d = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect("describe");
    let t = d.table().expect("table");
    let gsi = &t.global_secondary_indexes()[0];
    assert_eq!(gsi.index_status(), Some(&IndexStatus::Active));
    assert_eq!(
        gsi.item_count(),
        Some(8),
        "sparse: items without status are absent"
    );
    assert_eq!(t.local_secondary_indexes()[0].item_count(), Some(12));

    let out = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .send()
        .await
        .expect("gsi query");
    assert_eq!(out.count(), 4);
    let placed: Vec<&String> = out
        .items()
        .iter()
        .map(|i| i["placed"].as_n().expect("n"))
        .collect();
    assert_eq!(
        placed,
        ["90", "93", "96", "99"],
        "ascending by the index sort key"
    );
    assert!(
        out.items()
            .iter()
            .all(|i| !i.contains_key("note") && i.contains_key("total"))
    );

    let page = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .limit(2)
        .send()
        .await
        .expect("page");
    let lek = page.last_evaluated_key().expect("lek");
    let mut names: Vec<&String> = lek.keys().collect();
    names.sort();
    assert_eq!(names, ["pk", "placed", "sk", "status"]);
    let rest = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .set_exclusive_start_key(Some(lek.clone()))
        .send()
        .await
        .expect("rest");
    assert_eq!(rest.count(), 2);

    let lsi = client
        .query()
        .table_name("orders")
        .index_name("by_placed")
        .key_condition_expression("pk = :a AND placed < :p")
        .expression_attribute_values(":a", s("alice"))
        .expression_attribute_values(":p", n("95"))
        .select(Select::AllAttributes)
        .send()
        .await
        .expect("lsi query");
    assert_eq!(lsi.count(), 3);
    assert!(
        lsi.items().iter().all(|i| i.contains_key("note")),
        "LSI fetches from the table"
    );

    let scan = client
        .scan()
        .table_name("orders")
        .index_name("by_status")
        .send()
        .await
        .expect("scan");
    assert_eq!(scan.count(), 8);

    let err = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .consistent_read(true)
        .send()
        .await
        .expect_err("consistent on gsi");
    assert_eq!(
        message(&err),
        "Consistent reads are not supported on global secondary indexes"
    );
    let err = client
        .query()
        .table_name("orders")
        .index_name("nope")
        .key_condition_expression("pk = :a")
        .expression_attribute_values(":a", s("alice"))
        .send()
        .await
        .expect_err("unknown index");
    assert_eq!(
        message(&err),
        "The table does not have the specified index: nope"
    );
    let err = client
        .put_item()
        .table_name("orders")
        .item("pk", s("x"))
        .item("sk", n("1"))
        .item("status", n("5"))
        .send()
        .await
        .expect_err("index key type");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: by_status"
    );
}

#[tokio::test]
async fn index_follows_updates_and_deletes() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    client
        .update_item()
        .table_name("orders")
        .key("pk", s("bob"))
        .key("sk", n("1"))
        .update_expression("SET #s = :x")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":x", s("lost"))
        .send()
        .await
        .expect("move");
    client
        .delete_item()
        .table_name("orders")
        .key("pk", s("alice"))
        .key("sk", n("4"))
        .send()
        .await
        .expect("delete");
    let open = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .send()
        .await
        .expect("query");
    assert_eq!(open.count(), 2);
    let lost = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("lost"))
        .send()
        .await
        .expect("query");
    assert_eq!(lost.count(), 1);
}

#[tokio::test]
async fn gsi_create_backfills_and_delete_drops() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    let out = client
        .update_table()
        .table_name("orders")
        .attribute_definitions(def("total", ScalarAttributeType::N))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_total")
                        .key_schema(key("total", KeyType::Hash))
                        .projection(projection(ProjectionType::All, &[]))
                        .build()
                        .expect("create"),
                )
                .build(),
        )
        .send()
        .await
        .expect("add gsi");
    let created = out
        .table_description()
        .map(|t| t.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .find(|i| i.index_name() == Some("by_total"))
        .and_then(|i| i.index_status().cloned());
    assert_eq!(created, Some(IndexStatus::Creating));
    let got = client
        .query()
        .table_name("orders")
        .index_name("by_total")
        .key_condition_expression("#t = :t")
        .expression_attribute_names("#t", "total")
        .expression_attribute_values(":t", n("30"))
        .send()
        .await
        .expect("backfilled");
    assert_eq!(got.count(), 1);
    let d = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect("describe");
    let status = d
        .table()
        .expect("t")
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some("by_total"))
        .and_then(|i| i.index_status().cloned());
    assert_eq!(status, Some(IndexStatus::Active));

    client
        .update_table()
        .table_name("orders")
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name("by_total")
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .send()
        .await
        .expect("drop gsi");
    let err = client
        .query()
        .table_name("orders")
        .index_name("by_total")
        .key_condition_expression("#t = :t")
        .expression_attribute_names("#t", "total")
        .expression_attribute_values(":t", n("30"))
        .send()
        .await
        .expect_err("dropped");
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn index_definition_errors() {
    let server = TestServer::start();
    let client = server.client();
    let err = client
        .create_table()
        .table_name("bad_lsi")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .attribute_definitions(def("x", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("lsi")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("x", KeyType::Range))
                .projection(projection(ProjectionType::All, &[]))
                .build()
                .expect("lsi"),
        )
        .send()
        .await
        .expect_err("lsi without range key");
    assert_eq!(
        message(&err),
        "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
    );
}
