//! Secondary indexes through the AWS SDK: GSIs and LSIs on CreateTable, projections, sparse
//! indexes, Query and Scan on an index with paging, GSI create (backfill) and delete through
//! UpdateTable, and DynamoDB's index errors.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex,
    ProjectionType, ScalarAttributeType, Select,
};
use common::schema::{def, key, projection};
use common::{TestServer, code, message, n, s};

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

/// UpdateTable adding a GSI keyed by `attr` (hash only) with a projection of `pt`.
async fn add_gsi(
    client: &Client,
    table: &str,
    attr: (&str, ScalarAttributeType),
    index: &str,
    pt: ProjectionType,
) -> aws_sdk_dynamodb::operation::update_table::UpdateTableOutput {
    client
        .update_table()
        .table_name(table)
        .attribute_definitions(def(attr.0, attr.1))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name(index)
                        .key_schema(key(attr.0, KeyType::Hash))
                        .projection(projection(pt, &[]))
                        .build()
                        .expect("create"),
                )
                .build(),
        )
        .send()
        .await
        .expect("add gsi")
}

/// An index's status in DescribeTable, and whether it says it is backfilling.
async fn index_status(client: &Client, table: &str, index: &str) -> (Option<IndexStatus>, bool) {
    let d = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe");
    let index = d
        .table()
        .expect("table")
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(index))
        .cloned();
    (
        index.as_ref().and_then(|i| i.index_status().cloned()),
        index.and_then(|i| i.backfilling()).unwrap_or(false),
    )
}

/// Waits until DescribeTable shows the index ACTIVE (its backfill runs behind UpdateTable).
async fn wait_index_active(client: &Client, table: &str, index: &str) {
    for _ in 0..1000 {
        match index_status(client, table, index).await {
            (Some(IndexStatus::Active), backfilling) => {
                assert!(!backfilling, "an ACTIVE index is not backfilling");
                return;
            }
            (Some(IndexStatus::Creating), backfilling) => {
                assert!(backfilling, "a CREATING index says it is backfilling");
            }
            other => panic!("unexpected index state {other:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("index {index} never turned ACTIVE");
}

#[tokio::test]
async fn gsi_create_backfills_and_delete_drops() {
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    let out = add_gsi(
        &client,
        "orders",
        ("total", ScalarAttributeType::N),
        "by_total",
        ProjectionType::All,
    )
    .await;
    let created = out
        .table_description()
        .map(|t| t.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .find(|i| i.index_name() == Some("by_total"))
        .and_then(|i| i.index_status().cloned());
    assert_eq!(created, Some(IndexStatus::Creating));
    wait_index_active(&client, "orders", "by_total").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gsi_built_while_writes_go_on_is_exact_when_active() {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let server = TestServer::start();
    let client = server.client();
    common::create_table(&client, "busy", None).await;
    // 4000 items, every other one with the future index key `g`.
    for chunk in 0..160 {
        let puts: Vec<WriteRequest> = (0..25)
            .map(|i| {
                let id = chunk * 25 + i;
                let mut put = PutRequest::builder().item("pk", s(&format!("k{id}")));
                if id % 2 == 0 {
                    put = put.item("g", s(&format!("g{}", id % 7)));
                }
                WriteRequest::builder()
                    .put_request(put.build().expect("put"))
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items("busy", puts)
            .send()
            .await
            .expect("batch write");
    }
    add_gsi(
        &client,
        "busy",
        ("g", ScalarAttributeType::S),
        "by_g",
        ProjectionType::KeysOnly,
    )
    .await;
    // While it backfills: move items into and out of the index, delete some, add new ones.
    for id in (0..4000).step_by(37) {
        let pk = format!("k{id}");
        let req = client.update_item().table_name("busy").key("pk", s(&pk));
        if id % 3 == 0 {
            req.update_expression("REMOVE g")
        } else {
            req.update_expression("SET g = :g")
                .expression_attribute_values(":g", s("moved"))
        }
        .send()
        .await
        .expect("update");
    }
    for id in (1..4000).step_by(101) {
        client
            .delete_item()
            .table_name("busy")
            .key("pk", s(&format!("k{id}")))
            .send()
            .await
            .expect("delete");
    }
    for id in 4000..4050 {
        client
            .put_item()
            .table_name("busy")
            .item("pk", s(&format!("k{id}")))
            .item("g", s("new"))
            .send()
            .await
            .expect("put");
    }
    wait_index_active(&client, "busy", "by_g").await;

    // The index holds exactly the table's items under each value: the same keys, not only
    // as many.
    let mut expected: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("busy")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        for item in page.items() {
            if let (
                Some(aws_sdk_dynamodb::types::AttributeValue::S(g)),
                Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)),
            ) = (item.get("g"), item.get("pk"))
            {
                expected.entry(g.clone()).or_default().insert(pk.clone());
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    let mut in_index: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("busy")
            .index_name("by_g")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan index");
        for item in page.items() {
            if let (
                Some(aws_sdk_dynamodb::types::AttributeValue::S(g)),
                Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)),
            ) = (item.get("g"), item.get("pk"))
            {
                in_index.entry(g.clone()).or_default().insert(pk.clone());
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(
        in_index, expected,
        "the index's entries are the table's items"
    );
    let total: usize = expected.values().map(std::collections::BTreeSet::len).sum();
    let described = client
        .describe_table()
        .table_name("busy")
        .send()
        .await
        .expect("describe");
    let index = &described.table().expect("table").global_secondary_indexes()[0];
    assert_eq!(
        index.item_count(),
        Some(total as i64),
        "ItemCount counts each entry once"
    );
}

/// A GSI added to a table whose items hold values that cannot be index keys (an empty string,
/// a value over 2048 bytes, another type) leaves those items out, as DynamoDB's backfill does;
/// a write of such a value once the index exists is refused.
#[tokio::test]
async fn a_backfill_leaves_out_items_whose_key_cannot_be_indexed() {
    let server = TestServer::start();
    let client = server.client();
    common::create_table(&client, "odd", None).await;
    let values = [
        ("empty", s("")),
        ("long", s(&"g".repeat(2049))),
        ("number", n("5")),
        ("fine", s("ok")),
    ];
    for (pk, g) in values {
        client
            .put_item()
            .table_name("odd")
            .item("pk", s(pk))
            .item("g", g)
            .send()
            .await
            .expect("put before the index");
    }
    add_gsi(
        &client,
        "odd",
        ("g", ScalarAttributeType::S),
        "by_g",
        ProjectionType::All,
    )
    .await;
    wait_index_active(&client, "odd", "by_g").await;
    let scan = client
        .scan()
        .table_name("odd")
        .index_name("by_g")
        .send()
        .await
        .expect("scan index");
    let keys: Vec<_> = scan
        .items()
        .iter()
        .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    assert_eq!(keys, vec!["fine".to_owned()]);
    let err = client
        .put_item()
        .table_name("odd")
        .item("pk", s("later"))
        .item("g", s(""))
        .send()
        .await
        .expect_err("empty index key");
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn index_writes_and_reads_are_billed_to_each_index() {
    use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    // by_status (GSI, INCLUDE total) and by_placed (LSI, KEYS_ONLY) both hold the new item.
    let put = client
        .put_item()
        .table_name("orders")
        .item("pk", s("carol"))
        .item("sk", n("1"))
        .item("status", s("new"))
        .item("placed", n("7"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .expect("put");
    let c = put.consumed_capacity().expect("capacity");
    assert_eq!(c.capacity_units(), Some(3.0));
    assert_eq!(c.table().and_then(|t| t.capacity_units()), Some(1.0));
    let gsi = c.global_secondary_indexes().expect("gsi");
    assert_eq!(gsi["by_status"].capacity_units(), Some(1.0));
    let lsi = c.local_secondary_indexes().expect("lsi");
    assert_eq!(lsi["by_placed"].capacity_units(), Some(1.0));
    // Moving the item in by_status costs a delete and a put there; by_placed is untouched.
    let update = client
        .update_item()
        .table_name("orders")
        .key("pk", s("carol"))
        .key("sk", n("1"))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("shipped"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .expect("update");
    let c = update.consumed_capacity().expect("capacity");
    assert_eq!(c.capacity_units(), Some(3.0));
    assert_eq!(
        c.global_secondary_indexes().expect("gsi")["by_status"].capacity_units(),
        Some(2.0)
    );
    assert!(c.local_secondary_indexes().is_none());
    // TOTAL sums the table and its indexes.
    let delete = client
        .delete_item()
        .table_name("orders")
        .key("pk", s("carol"))
        .key("sk", n("1"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("delete");
    let c = delete.consumed_capacity().expect("capacity");
    assert_eq!(c.capacity_units(), Some(3.0));
    assert!(c.table().is_none());
    // A query of an index is the index's read.
    let query = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("new"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .expect("query");
    let c = query.consumed_capacity().expect("capacity");
    assert_eq!(
        c.global_secondary_indexes().expect("gsi")["by_status"].capacity_units(),
        c.capacity_units()
    );
}

#[tokio::test]
async fn item_collection_metrics_for_every_write() {
    use aws_sdk_dynamodb::types::{
        Put, PutRequest, ReturnItemCollectionMetrics, TransactWriteItem, WriteRequest,
    };
    let server = TestServer::start();
    let client = server.client();
    make_table(&client).await;
    let item = |pk: &str, sk: &str| {
        std::collections::HashMap::from([
            ("pk".to_owned(), s(pk)),
            ("sk".to_owned(), n(sk)),
            ("placed".to_owned(), n("1")),
        ])
    };
    let batch = client
        .batch_write_item()
        .request_items(
            "orders",
            vec![
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item("dave", "1")))
                            .build()
                            .expect("put"),
                    )
                    .build(),
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item("dave", "2")))
                            .build()
                            .expect("put"),
                    )
                    .build(),
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item("erin", "1")))
                            .build()
                            .expect("put"),
                    )
                    .build(),
            ],
        )
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .expect("batch");
    let metrics = &batch.item_collection_metrics().expect("metrics")["orders"];
    assert_eq!(metrics.len(), 2, "one entry per collection");
    assert_eq!(
        metrics[0].item_collection_key().expect("key")["pk"],
        s("dave")
    );
    assert_eq!(metrics[0].size_estimate_range_gb(), [0.0, 1.0]);
    let transaction = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("orders")
                        .set_item(Some(item("frank", "1")))
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .expect("transaction");
    let metrics = &transaction.item_collection_metrics().expect("metrics")["orders"];
    assert_eq!(
        metrics[0].item_collection_key().expect("key")["pk"],
        s("frank")
    );
    let put = client
        .put_item()
        .table_name("orders")
        .set_item(Some(item("frank", "2")))
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .expect("put");
    let metrics = put.item_collection_metrics().expect("metrics");
    assert_eq!(metrics.size_estimate_range_gb(), [0.0, 1.0]);
}
