//! TransactWriteItems and TransactGetItems through the AWS SDK: atomicity, cancellation
//! reasons, idempotency, isolation from concurrent writers, and their stream records.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Get, Put, ReturnValuesOnConditionCheckFailure, StreamViewType,
    TransactGetItem, TransactWriteItem, Update,
};
use common::streams::{create_stream_table, read_all};
use common::{TestServer, code, create_table, message, n, s};

/// Creates a table with a NEW_AND_OLD_IMAGES stream; returns the stream's ARN.
async fn stream_table(client: &Client, name: &str) -> String {
    create_stream_table(client, name, StreamViewType::NewAndOldImages, false).await
}

fn put(table: &str, pk: &str, v: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .item("pk", s(pk))
                .item("v", s(v))
                .build()
                .expect("put"),
        )
        .build()
}

#[tokio::test]
async fn all_or_nothing_with_reasons_in_order() {
    let server = TestServer::start();
    let client = server.client();
    let arn = stream_table(&client, "txs").await;
    create_table(&client, "plain", None).await;
    client
        .put_item()
        .table_name("txs")
        .item("pk", s("gone"))
        .item("v", s("x"))
        .send()
        .await
        .expect("seed");
    client
        .put_item()
        .table_name("txs")
        .item("pk", s("same"))
        .item("v", s("x"))
        .send()
        .await
        .expect("seed");

    // Put + Update + Delete + ConditionCheck across a stream table and a plain one.
    client
        .transact_write_items()
        .transact_items(put("txs", "new", "a"))
        .transact_items(put("plain", "other", "b"))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("txs")
                        .key("pk", s("counter"))
                        .update_expression("ADD c :one")
                        .expression_attribute_values(":one", n("1"))
                        .build()
                        .expect("update"),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name("txs")
                        .key("pk", s("gone"))
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .transact_items(put("txs", "same", "x"))
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name("plain")
                        .key("pk", s("absent"))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("check"),
                )
                .build(),
        )
        .send()
        .await
        .expect("transaction");
    let got = client
        .get_item()
        .table_name("txs")
        .key("pk", s("counter"))
        .send()
        .await
        .expect("get");
    assert_eq!(got.item().and_then(|i| i.get("c")), Some(&n("1")));

    // One record per item changed: INSERT new, INSERT counter, REMOVE gone; nothing for the
    // identical put, the ConditionCheck, or the non-stream table.
    let names: Vec<String> = read_all(&server.streams_client(), &arn)
        .await
        .iter()
        .filter_map(|r| r.event_name().map(|e| e.as_str().to_owned()))
        .collect();
    assert_eq!(names, ["INSERT", "INSERT", "INSERT", "INSERT", "REMOVE"]);

    let err = client
        .transact_write_items()
        .transact_items(put("txs", "fresh", "a"))
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("txs")
                        .item("pk", s("new"))
                        .item("v", s("z"))
                        .condition_expression("attribute_not_exists(pk)")
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("cancelled");
    assert_eq!(code(&err), "TransactionCanceledException");
    assert_eq!(
        message(&err),
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
    );
    match err.into_service_error() {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
            let reasons = e.cancellation_reasons();
            assert_eq!(reasons.len(), 2);
            assert_eq!(reasons[0].code(), Some("None"));
            assert_eq!(reasons[1].code(), Some("ConditionalCheckFailed"));
            assert_eq!(reasons[1].item().and_then(|i| i.get("v")), Some(&s("a")));
        }
        other => panic!("unexpected {other:?}"),
    }
    let fresh = client
        .get_item()
        .table_name("txs")
        .key("pk", s("fresh"))
        .send()
        .await
        .expect("get");
    assert!(
        fresh.item().is_none(),
        "a cancelled transaction writes nothing"
    );
    assert_eq!(
        read_all(&server.streams_client(), &arn).await.len(),
        5,
        "and emits nothing"
    );

    let err = client
        .transact_write_items()
        .transact_items(put("txs", "dup", "a"))
        .transact_items(put("txs", "dup", "b"))
        .send()
        .await
        .expect_err("same item twice");
    assert_eq!(
        message(&err),
        "Transaction request cannot include multiple operations on one item"
    );
    let err = client
        .transact_write_items()
        .transact_items(put("missing_table", "a", "a"))
        .send()
        .await
        .expect_err("missing table");
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn client_request_token_is_idempotent() {
    let server = TestServer::start();
    let client = server.client();
    let arn = stream_table(&client, "idem").await;
    for _ in 0..2 {
        client
            .transact_write_items()
            .client_request_token("token-1")
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("idem")
                            .key("pk", s("c"))
                            .update_expression("ADD c :one")
                            .expression_attribute_values(":one", n("1"))
                            .build()
                            .expect("update"),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("transaction");
    }
    let got = client
        .get_item()
        .table_name("idem")
        .key("pk", s("c"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        got.item().and_then(|i| i.get("c")),
        Some(&n("1")),
        "applied once"
    );
    assert_eq!(
        read_all(&server.streams_client(), &arn).await.len(),
        1,
        "one record"
    );
    let err = client
        .transact_write_items()
        .client_request_token("token-1")
        .transact_items(put("idem", "c", "other"))
        .send()
        .await
        .expect_err("mismatch");
    assert_eq!(code(&err), "IdempotentParameterMismatchException");
    // After ten minutes the token is forgotten.
    server.advance(601);
    client
        .transact_write_items()
        .client_request_token("token-1")
        .transact_items(put("idem", "c", "other"))
        .send()
        .await
        .expect("token expired");
}

#[tokio::test]
async fn transact_get_reads_one_snapshot() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tget", None).await;
    set_pair(&client, "tget", 0).await;
    // A writer moves both items to the same new value in each transaction; every
    // TransactGetItems meanwhile sees the two equal, never one before and one after a write.
    let writer = {
        let client = client.clone();
        tokio::spawn(async move {
            for i in 1..=150 {
                set_pair(&client, "tget", i).await;
            }
        })
    };
    loop {
        let done = writer.is_finished();
        let (a, b, missing) = read_pair(&client, "tget").await;
        assert_eq!(a, b, "a torn read");
        assert!(missing, "a missing item reads as no item");
        if done {
            assert_eq!(a, 150);
            break;
        }
    }
    writer.await.expect("writer");
}

/// One transaction setting `v` of items a and b to `value`.
async fn set_pair(client: &Client, table: &str, value: i64) {
    let put = |pk: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .item("pk", s(pk))
                    .item("v", n(&value.to_string()))
                    .build()
                    .expect("put"),
            )
            .build()
    };
    client
        .transact_write_items()
        .transact_items(put("a"))
        .transact_items(put("b"))
        .send()
        .await
        .expect("transaction");
}

/// One TransactGetItems of a, b and a missing item: (a.v, b.v, whether the missing one was
/// absent).
async fn read_pair(client: &Client, table: &str) -> (i64, i64, bool) {
    let get = |pk: &str| {
        TransactGetItem::builder()
            .get(
                Get::builder()
                    .table_name(table)
                    .key("pk", s(pk))
                    .build()
                    .expect("get"),
            )
            .build()
    };
    let out = client
        .transact_get_items()
        .transact_items(get("a"))
        .transact_items(get("b"))
        .transact_items(get("missing"))
        .send()
        .await
        .expect("transact get");
    let v = |i: usize| -> i64 {
        out.responses()[i]
            .item()
            .and_then(|m| m.get("v"))
            .and_then(|v| v.as_n().ok())
            .and_then(|x| x.parse().ok())
            .expect("v")
    };
    (v(0), v(1), out.responses()[2].item().is_none())
}

#[tokio::test]
async fn transactions_are_isolated_from_concurrent_writers() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "iso", None).await;
    set_pair(&client, "iso", 0).await;
    // Transfers keep a + b == 0; single-item writers meanwhile count in another attribute of
    // the same items, and readers check the sum. A transaction that was not isolated would
    // show a sum off zero, or lose a single-item write by writing back a stale item.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                let add = |pk: &str, v: &str| {
                    TransactWriteItem::builder()
                        .update(
                            Update::builder()
                                .table_name("iso")
                                .key("pk", s(pk))
                                .update_expression("ADD v :d")
                                .expression_attribute_values(":d", n(v))
                                .build()
                                .expect("update"),
                        )
                        .build()
                };
                client
                    .transact_write_items()
                    .transact_items(add("a", "1"))
                    .transact_items(add("b", "-1"))
                    .send()
                    .await
                    .expect("transfer");
            }
        }));
    }
    for _ in 0..2 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                client
                    .update_item()
                    .table_name("iso")
                    .key("pk", s(if i % 2 == 0 { "a" } else { "b" }))
                    .update_expression("ADD touched :one")
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await
                    .expect("single write");
            }
        }));
    }
    let reader = {
        let client = client.clone();
        tokio::spawn(async move {
            for _ in 0..60 {
                let (a, b, _) = read_pair(&client, "iso").await;
                assert_eq!(a + b, 0, "a transfer seen half done");
            }
        })
    };
    for t in tasks {
        t.await.expect("task");
    }
    reader.await.expect("reader");
    let (a, b, _) = read_pair(&client, "iso").await;
    assert_eq!((a, b), (80, -80));
    let mut touched = 0;
    for pk in ["a", "b"] {
        let item = client
            .get_item()
            .table_name("iso")
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .expect("get");
        touched += item
            .item()
            .and_then(|i| i.get("touched"))
            .and_then(|v| v.as_n().ok())
            .and_then(|x| x.parse::<i64>().ok())
            .unwrap_or(0);
    }
    assert_eq!(
        touched, 80,
        "no single-item write was lost to a transaction"
    );
}
