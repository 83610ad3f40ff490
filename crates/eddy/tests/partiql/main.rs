//! PartiQL through the AWS SDK: ExecuteStatement (every statement kind, parameters, RETURNING,
//! GetItem/Query/Scan reads with NextToken paging, index reads) and its errors here;
//! BatchExecuteStatement, ExecuteTransaction and the stream records PartiQL writes produce in
//! [`batch`].

mod batch;
#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::execute_statement::{
    ExecuteStatementError, ExecuteStatementOutput,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
};
use common::{TestServer, code, create_table, message, n, s};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) async fn exec(
    client: &Client,
    statement: &str,
    params: &[AttributeValue],
) -> ExecuteStatementOutput {
    client
        .execute_statement()
        .statement(statement)
        .set_parameters((!params.is_empty()).then(|| params.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e:?}"))
}

pub(crate) async fn exec_err(
    client: &Client,
    statement: &str,
    params: &[AttributeValue],
) -> (String, String) {
    let err = client
        .execute_statement()
        .statement(statement)
        .set_parameters((!params.is_empty()).then(|| params.to_vec()))
        .send()
        .await
        .expect_err(statement);
    (code(&err), message(&err))
}

pub(crate) async fn get(client: &Client, table: &str, pk: &str) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item()
        .cloned()
}

#[tokio::test]
async fn insert_select_update_delete() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;

    let out = exec(
        &client,
        "INSERT INTO tbl VALUE {'pk': 'a', 'n': 1, 'tags': <<'x'>>}",
        &[],
    )
    .await;
    assert!(out.items().is_empty(), "a write answers with no items");
    let item = get(&client, "tbl", "a").await.expect("inserted");
    assert_eq!(item["n"], n("1"));
    assert_eq!(item["tags"], AttributeValue::Ss(vec!["x".into()]));

    let out = exec(&client, r#"SELECT * FROM "tbl" WHERE pk = 'a'"#, &[]).await;
    assert_eq!(out.items(), [item]);
    assert!(out.next_token().is_none());

    exec(
        &client,
        "UPDATE tbl SET n = n + 41 SET tags = set_add(tags, <<'y'>>) REMOVE gone WHERE pk = 'a'",
        &[],
    )
    .await;
    let item = get(&client, "tbl", "a").await.expect("updated");
    assert_eq!(item["n"], n("42"));
    assert_eq!(
        item["tags"],
        AttributeValue::Ss(vec!["x".into(), "y".into()])
    );

    exec(&client, "DELETE FROM tbl WHERE pk = 'a'", &[]).await;
    assert!(get(&client, "tbl", "a").await.is_none());
    // Deleting a missing item succeeds; selecting it finds nothing.
    exec(&client, "DELETE FROM tbl WHERE pk = 'a'", &[]).await;
    let out = exec(&client, "SELECT * FROM tbl WHERE pk = 'a'", &[]).await;
    assert!(out.items().is_empty());
}

#[tokio::test]
async fn writes_follow_dynamodb_rules() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    exec(&client, "INSERT INTO tbl VALUE {'pk': 'a', 'v': 1}", &[]).await;

    let err = client
        .execute_statement()
        .statement("INSERT INTO tbl VALUE {'pk': 'a', 'v': 2}")
        .send()
        .await
        .expect_err("duplicate");
    assert_eq!(code(&err), "DuplicateItemException");
    assert_eq!(message(&err), "Duplicate primary key exists in table");
    assert!(matches!(
        err.into_service_error(),
        ExecuteStatementError::DuplicateItemException(_)
    ));
    assert_eq!(get(&client, "tbl", "a").await.expect("kept")["v"], n("1"));

    // UPDATE needs the item to exist, and never creates it.
    let (c, m) = exec_err(&client, "UPDATE tbl SET v = 5 WHERE pk = 'nope'", &[]).await;
    assert_eq!(
        (c.as_str(), m.as_str()),
        (
            "ConditionalCheckFailedException",
            "The conditional request failed"
        )
    );
    assert!(get(&client, "tbl", "nope").await.is_none());

    // The WHERE clause beyond the key is the write's condition.
    let err = client
        .execute_statement()
        .statement("UPDATE tbl SET v = 5 WHERE pk = 'a' AND v > 3")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect_err("condition");
    match err.into_service_error() {
        ExecuteStatementError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item().and_then(|i| i.get("v")), Some(&n("1")));
        }
        other => panic!("unexpected {other:?}"),
    }
    exec(
        &client,
        "UPDATE tbl SET v = 5 WHERE pk = 'a' AND v < 3",
        &[],
    )
    .await;
    let (c, _) = exec_err(&client, "DELETE FROM tbl WHERE pk = 'a' AND v = 1", &[]).await;
    assert_eq!(c, "ConditionalCheckFailedException");
    exec(&client, "DELETE FROM tbl WHERE pk = 'a' AND v = 5", &[]).await;
    assert!(get(&client, "tbl", "a").await.is_none());
}

#[tokio::test]
async fn returning_and_parameters() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    exec(
        &client,
        "INSERT INTO tbl VALUE {'pk': ?, 'a': ?, 'm': ?}",
        &[
            s("k"),
            n("1"),
            AttributeValue::M(HashMap::from([("x".into(), s("y"))])),
        ],
    )
    .await;

    let out = exec(
        &client,
        "UPDATE tbl SET a = ? WHERE pk = ? RETURNING MODIFIED OLD *",
        &[n("2"), s("k")],
    )
    .await;
    assert_eq!(out.items(), [HashMap::from([("a".to_owned(), n("1"))])]);
    let out = exec(
        &client,
        "UPDATE tbl SET b = 'new' WHERE pk = 'k' RETURNING ALL NEW *",
        &[],
    )
    .await;
    let all = &out.items()[0];
    assert_eq!((all.len(), &all["a"], &all["b"]), (4, &n("2"), &s("new")));
    let out = exec(
        &client,
        "DELETE FROM tbl WHERE pk = 'k' RETURNING ALL OLD *",
        &[],
    )
    .await;
    assert_eq!(out.items(), std::slice::from_ref(all));

    let (c, m) = exec_err(&client, "SELECT * FROM tbl WHERE pk = ?", &[s("a"), s("b")]).await;
    assert_eq!(
        (c.as_str(), m.as_str()),
        (
            "ValidationException",
            "Number of parameters in request and statement don't match."
        )
    );
    let (c, _) = exec_err(&client, "SELECT * FROM tbl WHERE pk = ?", &[]).await;
    assert_eq!(c, "ValidationException");
    let err = client
        .execute_statement()
        .statement("SELECT * FROM tbl")
        .set_parameters(Some(Vec::new()))
        .send()
        .await
        .expect_err("empty Parameters");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

/// A table keyed by `pk` (S) and `sk` (N) holding `pk` 'a' with sk 0..10 and 'b' with 0..3.
async fn composite(client: &Client) {
    create_table(client, "cmp", Some(ScalarAttributeType::N)).await;
    for (pk, count) in [("a", 10), ("b", 3)] {
        for i in 0..count {
            client
                .put_item()
                .table_name("cmp")
                .item("pk", s(pk))
                .item("sk", n(&i.to_string()))
                .item("odd", AttributeValue::Bool(i % 2 == 1))
                .item(
                    "m",
                    AttributeValue::M(HashMap::from([("k".into(), n(&i.to_string()))])),
                )
                .send()
                .await
                .expect("put");
        }
    }
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| match &i["sk"] {
            AttributeValue::N(v) => v.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// Every item of a SELECT, following NextToken with a page size of `limit`.
async fn select_all(client: &Client, statement: &str, limit: i32) -> (Vec<Item>, usize) {
    let (mut items, mut pages, mut token) = (Vec::new(), 0, None);
    loop {
        let out = client
            .execute_statement()
            .statement(statement)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        pages += 1;
        items.extend(out.items().iter().cloned());
        assert_eq!(
            out.next_token().is_some(),
            out.last_evaluated_key().is_some()
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return (items, pages);
        }
    }
}

#[tokio::test]
async fn selects_query_scan_and_page() {
    let server = TestServer::start();
    let client = server.client();
    composite(&client).await;

    let out = exec(
        &client,
        "SELECT * FROM cmp WHERE pk = 'a' AND sk > 6 ORDER BY sk DESC",
        &[],
    )
    .await;
    assert_eq!(sks(out.items()), ["9", "8", "7"]);
    let out = exec(
        &client,
        "SELECT * FROM cmp WHERE pk = 'a' AND sk BETWEEN 2 AND 4 AND odd = true",
        &[],
    )
    .await;
    assert_eq!(sks(out.items()), ["3"]);
    // IN on the partition key is a Scan; ORDER BY still orders what it returns.
    let out = exec(
        &client,
        "SELECT * FROM cmp WHERE pk IN ['a', 'b'] AND sk < 2 ORDER BY sk DESC",
        &[],
    )
    .await;
    assert_eq!(sks(out.items()), ["1", "1", "0", "0"]);
    // ... across its pages too.
    let (items, _) = select_all(
        &client,
        "SELECT * FROM cmp WHERE pk IN ['a', 'b'] AND sk < 4 ORDER BY sk DESC",
        3,
    )
    .await;
    assert_eq!(sks(&items), ["3", "2", "2", "1", "1", "0", "0"]);
    let out = exec(
        &client,
        "SELECT sk, m.k FROM cmp WHERE pk = 'b' AND sk = 2",
        &[],
    )
    .await;
    assert_eq!(
        out.items(),
        [HashMap::from([("sk".into(), n("2")), ("k".into(), n("2"))])]
    );

    let (items, pages) = select_all(&client, "SELECT * FROM cmp WHERE pk = 'a'", 3).await;
    assert_eq!(
        sks(&items),
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    );
    assert!(pages >= 4);
    let (items, _) = select_all(
        &client,
        "SELECT * FROM cmp WHERE pk = 'a' ORDER BY sk DESC",
        4,
    )
    .await;
    assert_eq!(
        sks(&items),
        ["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]
    );
    let (items, _) = select_all(&client, "SELECT pk FROM cmp WHERE odd = true", 4).await;
    assert_eq!(items.len(), 6, "a filtered scan reads every page");
    let (items, _) = select_all(&client, "SELECT * FROM cmp", 5).await;
    assert_eq!(items.len(), 13);

    // A token belongs to its statement and parameters.
    let out = client
        .execute_statement()
        .statement("SELECT * FROM cmp WHERE pk = ?")
        .parameters(s("a"))
        .limit(2)
        .send()
        .await
        .expect("first page");
    let token = out.next_token().expect("more").to_owned();
    let err = client
        .execute_statement()
        .statement("SELECT * FROM cmp WHERE pk = ?")
        .parameters(s("b"))
        .next_token(&token)
        .send()
        .await
        .expect_err("other request");
    assert_eq!(message(&err), "NextToken does not match request");
    let err = client
        .execute_statement()
        .statement("SELECT * FROM cmp")
        .next_token("bm9wZQ==")
        .send()
        .await
        .expect_err("bad token");
    assert_eq!(message(&err), "Invalid NextToken");

    let (c, m) = exec_err(&client, "SELECT * FROM cmp WHERE pk = 1", &[]).await;
    assert_eq!(c, "ValidationException");
    assert_eq!(
        m,
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    let (_, m) = exec_err(
        &client,
        "SELECT * FROM cmp WHERE odd = true ORDER BY sk",
        &[],
    )
    .await;
    assert_eq!(
        m,
        "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
    );
}

#[tokio::test]
async fn selects_read_indexes() {
    let server = TestServer::start();
    let client = server.client();
    let def = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("def")
    };
    let key = |name: &str| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(KeyType::Hash)
            .build()
            .expect("key")
    };
    client
        .create_table()
        .table_name("gsi")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def("pk"))
        .attribute_definitions(def("color"))
        .key_schema(key("pk"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_color")
                .key_schema(key("color"))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .expect("gsi"),
        )
        .send()
        .await
        .expect("create");
    for (pk, color) in [("1", "red"), ("2", "blue"), ("3", "red")] {
        exec(
            &client,
            "INSERT INTO gsi VALUE {'pk': ?, 'color': ?, 'size': 9}",
            &[s(pk), s(color)],
        )
        .await;
    }
    let out = exec(
        &client,
        r#"SELECT * FROM "gsi"."by_color" WHERE color = 'red'"#,
        &[],
    )
    .await;
    let mut pks: Vec<_> = out.items().iter().map(|i| i["pk"].clone()).collect();
    pks.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(pks, [s("1"), s("3")]);
    assert!(
        out.items().iter().all(|i| i.len() == 2),
        "the index holds keys only"
    );

    let err = client
        .execute_statement()
        .statement(r#"SELECT * FROM "gsi"."by_color" WHERE color = 'red'"#)
        .consistent_read(true)
        .send()
        .await
        .expect_err("consistent GSI read");
    assert_eq!(
        message(&err),
        "Consistent reads are not supported on global secondary indexes"
    );
    let (_, m) = exec_err(&client, r#"SELECT * FROM "gsi"."nope""#, &[]).await;
    assert_eq!(m, "The table does not have the specified index: nope");
}

#[tokio::test]
async fn statement_errors() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "cmp", Some(ScalarAttributeType::S)).await;
    let cases = [
        (
            "SELECTT * FROMM c",
            "ValidationException",
            "Statement wasn't well formed, can't be processed: Expected data manipulation",
        ),
        (
            r#"SELECT * FROM "missing" WHERE pk = 'x'"#,
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "INSERT INTO cmp VALUE {'pk': 'a'}",
            "ValidationException",
            "Key attribute should be present in the item: Key sk",
        ),
        (
            "INSERT INTO cmp VALUE {'pk': 'a', 'sk': 1}",
            "ValidationException",
            "Key attribute's data type should match its data type in table's schema: Key sk",
        ),
        (
            "UPDATE cmp SET v = 1 WHERE pk = 'a'",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE cmp SET pk = 'b' WHERE pk = 'a' AND sk = 'b'",
            "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        ),
        (
            "EXISTS(SELECT * FROM cmp WHERE pk = 'a' AND sk = 'b' AND v = 1)",
            "ValidationException",
            "EXISTS can only be used in ExecuteTransaction write requests.",
        ),
    ];
    for (statement, want_code, want_message) in cases {
        let (c, m) = exec_err(&client, statement, &[]).await;
        assert_eq!(
            (c.as_str(), m.as_str()),
            (want_code, want_message),
            "{statement}"
        );
    }
    let err = client
        .execute_statement()
        .statement("SELECT * FROM cmp")
        .limit(0)
        .send()
        .await
        .expect_err("limit");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

#[tokio::test]
async fn consumed_capacity() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tbl", None).await;
    let out = client
        .execute_statement()
        .statement("INSERT INTO tbl VALUE {'pk': 'a'}")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("insert");
    let cc = out.consumed_capacity().expect("ConsumedCapacity");
    assert_eq!(
        (cc.table_name(), cc.capacity_units()),
        (Some("tbl"), Some(1.0))
    );
    let out = client
        .execute_statement()
        .statement("SELECT * FROM tbl WHERE pk = 'a'")
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("select");
    assert_eq!(
        out.consumed_capacity().and_then(|c| c.capacity_units()),
        Some(0.5)
    );
}
