//! What one node changes in the catalog, another follows: backups, new indexes, deleted tables.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType,
};

use crate::cluster::{Cluster, create};
use crate::common::{code, s};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_made_through_one_node_is_listed_and_restored_through_another() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    create(&cluster, "kept", false).await;
    for i in 0..5 {
        cluster.clients[0]
            .put_item()
            .table_name("kept")
            .item("pk", s(&format!("item-{i}")))
            .send()
            .await
            .expect("put");
    }
    let arn = cluster.clients[0]
        .create_backup()
        .table_name("kept")
        .backup_name("nightly")
        .send()
        .await
        .expect("backup")
        .backup_details
        .expect("details")
        .backup_arn;
    let listed = cluster.clients[1]
        .list_backups()
        .send()
        .await
        .expect("list")
        .backup_summaries
        .unwrap_or_default();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].backup_arn.as_deref(), Some(arn.as_str()));
    cluster.clients[1]
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("kept-again")
        .send()
        .await
        .expect("restore through the other node");
    let count = cluster.clients[0]
        .scan()
        .table_name("kept-again")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan")
        .count;
    assert_eq!(count, 5);
    cluster.clients[0]
        .delete_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect("delete");
    let gone = cluster.clients[1]
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect_err("deleted through the other node");
    assert_eq!(code(&gone), "BackupNotFoundException");
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_follows_another_nodes_table_changes() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let (a, b) = (&cluster.clients[0], &cluster.clients[1]);
    create(&cluster, "changing", false).await;
    // Node b knows the table from a write before the index exists.
    b.put_item()
        .table_name("changing")
        .item("pk", s("before"))
        .item("colour", s("red"))
        .send()
        .await
        .expect("put");
    a.update_table()
        .table_name("changing")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("colour")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-colour")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("colour")
                                .key_type(KeyType::Hash)
                                .build()
                                .expect("key"),
                        )
                        .projection(
                            aws_sdk_dynamodb::types::Projection::builder()
                                .projection_type(aws_sdk_dynamodb::types::ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .expect("index"),
                )
                .build(),
        )
        .send()
        .await
        .expect("add an index through node a");
    // A write through node b maintains the index node a added.
    b.put_item()
        .table_name("changing")
        .item("pk", s("after"))
        .item("colour", s("red"))
        .send()
        .await
        .expect("put");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = b
            .describe_table()
            .table_name("changing")
            .send()
            .await
            .expect("describe")
            .table
            .expect("table")
            .global_secondary_indexes
            .unwrap_or_default()
            .first()
            .and_then(|i| i.index_status.clone());
        if status == Some(aws_sdk_dynamodb::types::IndexStatus::Active) {
            break;
        }
        assert!(Instant::now() < deadline, "the index was never built");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let found = b
        .query()
        .table_name("changing")
        .index_name("by-colour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s("red"))
        .send()
        .await
        .expect("query the new index through node b")
        .count;
    assert_eq!(
        found, 2,
        "both items, the one node b wrote after the index included"
    );

    // Deleted through node a, the table is gone for node b's writes at once.
    a.delete_table()
        .table_name("changing")
        .send()
        .await
        .expect("delete");
    let gone = b
        .put_item()
        .table_name("changing")
        .item("pk", s("late"))
        .send()
        .await
        .expect_err("a write to a table deleted through another node");
    assert_eq!(code(&gone), "ResourceNotFoundException");
}
