//! Control plane through the AWS SDK: CreateTable, DescribeTable, ListTables, UpdateTable,
//! DeleteTable, tags, DescribeEndpoints, DescribeLimits.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput,
    ScalarAttributeType, TableStatus, Tag,
};
use common::{TestServer, code, create_table, message};

#[tokio::test]
async fn create_describe_list_delete() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "alpha", Some(ScalarAttributeType::N)).await;
    create_table(&client, "beta", None).await;

    let t = client
        .describe_table()
        .table_name("alpha")
        .send()
        .await
        .expect("describe");
    let t = t.table().expect("table");
    assert_eq!(t.table_name(), Some("alpha"));
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert_eq!(t.key_schema().len(), 2);
    assert_eq!(t.item_count(), Some(0));
    assert_eq!(
        t.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/alpha")
    );
    assert_eq!(
        t.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );

    let list = client.list_tables().send().await.expect("list");
    assert_eq!(list.table_names(), ["alpha", "beta"]);
    let page = client.list_tables().limit(1).send().await.expect("list");
    assert_eq!(page.table_names(), ["alpha"]);
    assert_eq!(page.last_evaluated_table_name(), Some("alpha"));
    let page = client
        .list_tables()
        .exclusive_start_table_name("alpha")
        .send()
        .await
        .expect("list");
    assert_eq!(page.table_names(), ["beta"]);
    assert_eq!(page.last_evaluated_table_name(), None);

    let deleted = client
        .delete_table()
        .table_name("alpha")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        deleted.table_description().and_then(|t| t.table_status()),
        Some(&TableStatus::Deleting)
    );
    let err = client
        .describe_table()
        .table_name("alpha")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        message(&err),
        "Requested resource not found: Table: alpha not found"
    );
}

#[tokio::test]
async fn create_table_errors() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "dup", None).await;
    let err = client
        .create_table()
        .table_name("dup")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("def"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("exists");
    assert_eq!(code(&err), "ResourceInUseException");
    assert_eq!(message(&err), "Table already exists: dup");

    let err = client
        .create_table()
        .table_name("undefined_key")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("other")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("def"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("undefined");
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Invalid KeySchema: Some index key attribute have no definition"
    );

    let err = client
        .create_table()
        .table_name("ab")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("def"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("short name");
    assert_eq!(
        message(&err),
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
    );

    let err = client
        .create_table()
        .table_name("no_throughput")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("def"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect_err("provisioned without throughput");
    assert_eq!(code(&err), "ValidationException");
}

#[tokio::test]
async fn update_table_billing_and_throughput() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "upd", None).await;
    let out = client
        .update_table()
        .table_name("upd")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(7)
                .build()
                .expect("pt"),
        )
        .send()
        .await
        .expect("update");
    let t = out.table_description().expect("desc");
    let pt = t.provisioned_throughput().expect("pt");
    assert_eq!(pt.read_capacity_units(), Some(5));
    assert_eq!(pt.write_capacity_units(), Some(7));
    let d = client
        .describe_table()
        .table_name("upd")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        d.table()
            .and_then(|t| t.billing_mode_summary())
            .and_then(|b| b.billing_mode()),
        Some(&BillingMode::Provisioned)
    );
    let err = client
        .update_table()
        .table_name("missing")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_round_trip() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "tagged", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(
            Tag::builder()
                .key("env")
                .value("test")
                .build()
                .expect("tag"),
        )
        .tags(Tag::builder().key("team").value("db").build().expect("tag"))
        .send()
        .await
        .expect("tag");
    let tags = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list");
    let mut pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    pairs.sort_unstable();
    assert_eq!(pairs, [("env", "test"), ("team", "db")]);
    // Tagging a key again replaces its value.
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(
            Tag::builder()
                .key("team")
                .value("storage")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("retag");
    client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("env")
        .send()
        .await
        .expect("untag");
    let tags = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list");
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("team", "storage")]);
}

#[tokio::test]
async fn endpoints_and_limits() {
    let server = TestServer::start();
    let client = server.client();
    let e = client.describe_endpoints().send().await.expect("endpoints");
    assert_eq!(e.endpoints().len(), 1);
    let l = client.describe_limits().send().await.expect("limits");
    assert!(l.table_max_read_capacity_units().unwrap_or(0) > 0);
}

#[tokio::test]
async fn delete_table_answers_at_once_and_the_name_is_free_again() {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "Big", None).await;
    for chunk in 0..100 {
        let puts: Vec<WriteRequest> = (0..25)
            .map(|i| {
                let put = PutRequest::builder()
                    .item("pk", AttributeValue::S(format!("k{chunk}-{i}")))
                    .build()
                    .expect("put");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items("Big", puts)
            .send()
            .await
            .expect("batch write");
    }
    let deleted = client
        .delete_table()
        .table_name("Big")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        deleted
            .table_description()
            .and_then(|t| t.table_status())
            .map(|s| s.as_str()),
        Some("DELETING")
    );
    let gone = client.describe_table().table_name("Big").send().await;
    assert_eq!(
        gone.err()
            .and_then(|e| e.into_service_error().meta().code().map(str::to_owned)),
        Some("ResourceNotFoundException".to_owned())
    );
    // The old items are deleted behind the answer; a table of the same name starts empty.
    create_table(&client, "Big", None).await;
    let scan = client.scan().table_name("Big").send().await.expect("scan");
    assert_eq!(scan.count(), 0);
}
