//! BatchGetItem and BatchWriteItem through the AWS SDK.

mod common;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use common::{TestServer, create_table, message, s};

fn put(pk: &str) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .item("pk", s(pk))
                .item("v", s("x"))
                .build()
                .expect("put"),
        )
        .build()
}

#[tokio::test]
async fn batch_write_then_get() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "bt1", None).await;
    create_table(&client, "bt2", None).await;
    let out = client
        .batch_write_item()
        .request_items("bt1", (0..20).map(|i| put(&format!("k{i}"))).collect())
        .request_items("bt2", vec![put("only")])
        .send()
        .await
        .expect("batch write");
    assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()));

    let keys = KeysAndAttributes::builder()
        .keys([("pk".to_owned(), s("k1"))].into())
        .keys([("pk".to_owned(), s("k2"))].into())
        .keys([("pk".to_owned(), s("missing"))].into())
        .build()
        .expect("keys");
    let got = client
        .batch_get_item()
        .request_items("bt1", keys)
        .request_items(
            "bt2",
            KeysAndAttributes::builder()
                .keys([("pk".to_owned(), s("only"))].into())
                .projection_expression("pk")
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect("batch get");
    let responses = got.responses().expect("responses");
    assert_eq!(responses.get("bt1").map(Vec::len), Some(2));
    assert_eq!(responses.get("bt2").map(|v| v[0].len()), Some(1));
    assert!(got.unprocessed_keys().is_none_or(|u| u.is_empty()));

    client
        .batch_write_item()
        .request_items(
            "bt1",
            vec![
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .key("pk", s("k1"))
                            .build()
                            .expect("delete"),
                    )
                    .build(),
            ],
        )
        .send()
        .await
        .expect("delete");
    let scan = client.scan().table_name("bt1").send().await.expect("scan");
    assert_eq!(scan.count(), 19);
}

#[tokio::test]
async fn batch_limits_and_duplicates() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "lim", None).await;
    let err = client
        .batch_write_item()
        .request_items("lim", (0..26).map(|i| put(&format!("k{i}"))).collect())
        .send()
        .await
        .expect_err("26 writes");
    assert!(
        message(&err).contains("Member must have length less than or equal to 25"),
        "{}",
        message(&err)
    );
    let err = client
        .batch_write_item()
        .request_items("lim", vec![put("same"), put("same")])
        .send()
        .await
        .expect_err("duplicates");
    assert_eq!(
        message(&err),
        "Provided list of item keys contains duplicates"
    );
    let scan = client.scan().table_name("lim").send().await.expect("scan");
    assert_eq!(scan.count(), 0, "a rejected batch writes nothing");
    let err = client
        .batch_write_item()
        .request_items("nope", vec![put("a")])
        .send()
        .await
        .expect_err("missing table");
    assert_eq!(message(&err), "Requested resource not found");
}
