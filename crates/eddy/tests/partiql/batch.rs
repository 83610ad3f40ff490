//! BatchExecuteStatement and ExecuteTransaction through the AWS SDK, and the stream records
//! PartiQL writes produce.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError;
use aws_sdk_dynamodb::types::{
    BatchStatementRequest, ParameterizedStatement, ReturnConsumedCapacity, StreamViewType,
};

use super::{exec, exec_err, get};
use crate::common::streams::{body, create_stream_table, event, key, read_shard, shards, ss};
use crate::common::{TestServer, code, create_table, message, n};

fn stmt(text: &str) -> BatchStatementRequest {
    BatchStatementRequest::builder()
        .statement(text)
        .build()
        .expect("statement")
}

fn tx(text: &str) -> ParameterizedStatement {
    ParameterizedStatement::builder()
        .statement(text)
        .build()
        .expect("statement")
}

#[tokio::test]
async fn batch_statements_answer_one_by_one() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    exec(&client, "INSERT INTO tbl VALUE {'pk': 'old', 'v': 1}", &[]).await;
    exec(&client, "INSERT INTO tbl VALUE {'pk': 'kept', 'v': 1}", &[]).await;

    let out = client
        .batch_execute_statement()
        .statements(stmt("INSERT INTO tbl VALUE {'pk': 'new', 'v': 1}"))
        .statements(stmt("INSERT INTO tbl VALUE {'pk': 'kept', 'v': 2}"))
        .statements(stmt("UPDATE tbl SET v = 3 WHERE pk = 'gone'"))
        .statements(stmt(
            "UPDATE tbl SET v = v + 1 WHERE pk = 'old' RETURNING ALL NEW *",
        ))
        .statements(stmt(r#"DELETE FROM "missing" WHERE pk = 'x'"#))
        .statements(stmt("DELETE FROM tbl WHERE"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("batch write");
    let r = out.responses();
    assert_eq!(r.len(), 6);
    let codes: Vec<Option<&str>> = r
        .iter()
        .map(|r| r.error().map(|e| e.code().expect("code").as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some("DuplicateItem"),
            Some("ConditionalCheckFailed"),
            None,
            Some("ResourceNotFound"),
            Some("ValidationError")
        ]
    );
    assert_eq!(
        r[1].error().and_then(|e| e.message()),
        Some("Duplicate primary key exists in table")
    );
    assert_eq!(r[0].table_name(), Some("tbl"));
    assert_eq!(r[3].item().and_then(|i| i.get("v")), Some(&n("2")));
    assert_eq!(out.consumed_capacity().len(), 1);
    assert!(get(&client, "tbl", "new").await.is_some());

    let out = client
        .batch_execute_statement()
        .statements(stmt("SELECT v FROM tbl WHERE pk = 'old'"))
        .statements(stmt("SELECT * FROM tbl WHERE pk = 'none'"))
        .statements(stmt("SELECT * FROM tbl WHERE v = 2"))
        .statements(stmt("EXISTS(SELECT * FROM tbl WHERE pk = 'old' AND v = 2)"))
        .send()
        .await
        .expect("batch read");
    let r = out.responses();
    assert_eq!(
        r[0].item(),
        Some(&HashMap::from([("v".to_owned(), n("2"))]))
    );
    assert!(r[1].item().is_none() && r[1].error().is_none());
    assert_eq!(
        r[2].error().and_then(|e| e.message()),
        Some(
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
        )
    );
    // EXISTS belongs to transactions: it answers with an error and is neither read nor write.
    assert_eq!(
        r[3].error().and_then(|e| e.message()),
        Some("EXISTS can only be used in ExecuteTransaction write requests.")
    );

    let cases = [
        (
            vec![
                "SELECT * FROM tbl WHERE pk = 'a'",
                "DELETE FROM tbl WHERE pk = 'a'",
            ],
            "Read and write requests together in the same batch is not supported.",
        ),
        (
            vec![
                "DELETE FROM tbl WHERE pk = 'a'",
                "UPDATE tbl SET v = 1 WHERE pk = 'a'",
            ],
            "Provided list of item keys contains duplicates",
        ),
    ];
    for (statements, want) in cases {
        let err = client
            .batch_execute_statement()
            .set_statements(Some(statements.iter().map(|t| stmt(t)).collect()))
            .send()
            .await
            .expect_err("refused");
        assert_eq!(
            (code(&err).as_str(), message(&err).as_str()),
            ("ValidationException", want)
        );
    }
    let err = client
        .batch_execute_statement()
        .set_statements(Some(
            (0..26)
                .map(|i| stmt(&format!("DELETE FROM tbl WHERE pk = '{i}'")))
                .collect(),
        ))
        .send()
        .await
        .expect_err("too many");
    assert!(message(&err).contains("Member must have length less than or equal to 25"));
    assert!(
        get(&client, "tbl", "old").await.is_some(),
        "a refused batch runs nothing"
    );
}

#[tokio::test]
async fn transactions_write_all_or_nothing() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    exec(&client, "INSERT INTO tbl VALUE {'pk': 'a', 'v': 1}", &[]).await;
    exec(&client, "INSERT INTO tbl VALUE {'pk': 'b', 'v': 1}", &[]).await;

    client
        .execute_transaction()
        .transact_statements(tx("INSERT INTO tbl VALUE {'pk': 'c', 'v': 1}"))
        .transact_statements(tx("UPDATE tbl SET v = v + 1 WHERE pk = 'a'"))
        .transact_statements(tx("EXISTS(SELECT * FROM tbl WHERE pk = 'b' AND v = 1)"))
        .client_request_token("token-1")
        .send()
        .await
        .expect("transaction");
    assert_eq!(get(&client, "tbl", "a").await.expect("a")["v"], n("2"));
    // A retry with the same token and statements succeeds without running again; other
    // statements under that token are refused.
    let replay = |update: &str| {
        client
            .execute_transaction()
            .transact_statements(tx("INSERT INTO tbl VALUE {'pk': 'c', 'v': 1}"))
            .transact_statements(tx(update))
            .transact_statements(tx("EXISTS(SELECT * FROM tbl WHERE pk = 'b' AND v = 1)"))
            .client_request_token("token-1")
            .send()
    };
    replay("UPDATE tbl SET v = v + 1 WHERE pk = 'a'")
        .await
        .expect("retry");
    assert_eq!(get(&client, "tbl", "a").await.expect("a")["v"], n("2"));
    let err = replay("UPDATE tbl SET v = v + 2 WHERE pk = 'a'")
        .await
        .expect_err("another request under the token");
    assert_eq!(code(&err), "IdempotentParameterMismatchException");
    assert!(get(&client, "tbl", "c").await.is_some());

    let cancelled = |statements: Vec<&str>| {
        let client = client.clone();
        let statements: Vec<_> = statements.into_iter().map(tx).collect();
        async move {
            let err = client
                .execute_transaction()
                .set_transact_statements(Some(statements))
                .send()
                .await
                .expect_err("cancelled");
            match err.into_service_error() {
                ExecuteTransactionError::TransactionCanceledException(e) => e
                    .cancellation_reasons()
                    .iter()
                    .map(|r| {
                        (
                            r.code().unwrap_or_default().to_owned(),
                            r.message().map(str::to_owned),
                        )
                    })
                    .collect::<Vec<_>>(),
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    let reasons = cancelled(vec![
        "DELETE FROM tbl WHERE pk = 'a'",
        "INSERT INTO tbl VALUE {'pk': 'b'}",
        "EXISTS(SELECT * FROM tbl WHERE pk = 'c' AND v = 5)",
        "UPDATE tbl SET v = 1 WHERE pk = 'zz'",
    ])
    .await;
    let none = ("None".to_owned(), None);
    assert_eq!(
        reasons,
        [
            none.clone(),
            (
                "DuplicateItem".into(),
                Some("Duplicate primary key exists in table".into())
            ),
            (
                "ConditionalCheckFailed".into(),
                Some("The conditional request failed".into())
            ),
            (
                "ConditionalCheckFailed".into(),
                Some("The conditional request failed".into())
            ),
        ]
    );
    assert!(
        get(&client, "tbl", "a").await.is_some(),
        "nothing was applied"
    );
    let reasons = cancelled(vec![
        "DELETE FROM tbl WHERE pk = 'a'",
        "DELETE FROM tbl WHERE pk = 5",
    ])
    .await;
    assert_eq!(
        reasons,
        [
            none,
            ("ValidationError".into(), Some("Key attribute's data type should match its data type in table's schema: Key pk".into())),
        ]
    );

    let cases = [
        (
            vec![
                "SELECT * FROM tbl WHERE pk = 'a'",
                "DELETE FROM tbl WHERE pk = 'b'",
            ],
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ),
        (
            vec!["DELETE FROM tbl WHERE pk = 'a' RETURNING ALL OLD *"],
            "RETURNING clause is not supported in ExecuteTransaction.",
        ),
        (
            vec![
                "DELETE FROM tbl WHERE pk = 'a'",
                "UPDATE tbl SET v = 1 WHERE pk = 'a'",
            ],
            "Transaction request cannot include multiple operations on one item",
        ),
        (
            vec!["SELECT * FROM tbl WHERE v = 1"],
            "Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
    ];
    for (statements, want) in cases {
        let err = client
            .execute_transaction()
            .set_transact_statements(Some(statements.into_iter().map(tx).collect()))
            .send()
            .await
            .expect_err("refused");
        assert_eq!(
            (code(&err).as_str(), message(&err).as_str()),
            ("ValidationException", want)
        );
    }
    let err = client
        .execute_transaction()
        .send()
        .await
        .expect_err("no statements");
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn transactions_read_by_key() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    exec(
        &client,
        "INSERT INTO tbl VALUE {'pk': 'a', 'v': 1, 'w': 2}",
        &[],
    )
    .await;
    let out = client
        .execute_transaction()
        .transact_statements(tx("SELECT v FROM tbl WHERE pk = 'a'"))
        .transact_statements(tx("SELECT * FROM tbl WHERE pk = 'missing'"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("read transaction");
    let r = out.responses();
    assert_eq!(
        r[0].item(),
        Some(&HashMap::from([("v".to_owned(), n("1"))]))
    );
    assert!(r[1].item().is_none());
    assert_eq!(out.consumed_capacity()[0].capacity_units(), Some(4.0));
}

#[tokio::test]
async fn partiql_writes_produce_stream_records() {
    let server = TestServer::start();
    let client = server.client();
    let arn = create_stream_table(&client, "str", StreamViewType::NewAndOldImages, false).await;
    exec(&client, "INSERT INTO str VALUE {'pk': 'a', 'v': 1}", &[]).await;
    exec(&client, "UPDATE str SET v = 2 WHERE pk = 'a'", &[]).await;
    // Refused writes leave no record.
    exec_err(&client, "INSERT INTO str VALUE {'pk': 'a', 'v': 9}", &[]).await;
    exec_err(&client, "UPDATE str SET v = 9 WHERE pk = 'nope'", &[]).await;
    client
        .batch_execute_statement()
        .statements(stmt("INSERT INTO str VALUE {'pk': 'b', 'v': 1}"))
        .send()
        .await
        .expect("batch");
    client
        .execute_transaction()
        .transact_statements(tx("DELETE FROM str WHERE pk = 'a'"))
        .transact_statements(tx("UPDATE str SET v = 3 WHERE pk = 'b'"))
        .send()
        .await
        .expect("transaction");

    let sc = server.streams_client();
    let shards = shards(&sc, &arn).await;
    assert_eq!(shards.len(), 1);
    let records = read_shard(&sc, &arn, shards[0].shard_id().expect("id")).await;
    let seen: Vec<(&str, String)> = records.iter().map(|r| (event(r), key(r, "pk"))).collect();
    assert_eq!(
        seen,
        [
            ("INSERT", "a".to_owned()),
            ("MODIFY", "a".to_owned()),
            ("INSERT", "b".to_owned()),
            ("REMOVE", "a".to_owned()),
            ("MODIFY", "b".to_owned()),
        ]
    );
    let modify = body(&records[1]);
    assert_eq!(
        modify.old_image().and_then(|i| i.get("v")),
        Some(&ss_n("1"))
    );
    assert_eq!(
        modify.new_image().and_then(|i| i.get("v")),
        Some(&ss_n("2"))
    );
    assert_eq!(
        body(&records[3]).old_image().and_then(|i| i.get("pk")),
        Some(&ss("a"))
    );
}

fn ss_n(v: &str) -> aws_sdk_dynamodbstreams::types::AttributeValue {
    aws_sdk_dynamodbstreams::types::AttributeValue::N(v.to_owned())
}
