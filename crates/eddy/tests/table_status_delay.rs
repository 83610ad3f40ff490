//! `--table-status-delay`: new tables and indexes stay CREATING, and deleted tables DELETING,
//! for that long on eddy's clock, as DynamoDB Local's `-delayTransientStatuses` does, so code
//! that polls for ACTIVE (the SDK's waiters among it) is exercised.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, ProjectionType, ScalarAttributeType,
    TableStatus,
};
use common::schema::{def, key, projection};
use common::{EddyProcess, client_for, code, create_table, s};

fn advance(eddy: &EddyProcess, seconds: u64) {
    let addr = eddy
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let answer = common::http_request(
        addr,
        "POST",
        "/_eddy/clock/advance",
        &[],
        format!("{{\"seconds\": {seconds}}}").as_bytes(),
    );
    assert_eq!(answer.status, 200);
}

async fn status(client: &Client, table: &str) -> Option<TableStatus> {
    client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .ok()
        .and_then(|d| d.table?.table_status)
}

#[tokio::test]
async fn tables_and_indexes_settle_after_the_delay() {
    let eddy = EddyProcess::serve(&[
        "--in-memory",
        "--test-control",
        "--table-status-delay",
        "2s",
    ]);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "slow", None).await;
    assert_eq!(status(&client, "slow").await, Some(TableStatus::Creating));
    // A CREATING table takes no item operations and no changes.
    let put = client
        .put_item()
        .table_name("slow")
        .item("pk", s("a"))
        .send()
        .await
        .expect_err("creating");
    assert_eq!(code(&put.into_service_error()), "ResourceNotFoundException");
    let delete = client
        .delete_table()
        .table_name("slow")
        .send()
        .await
        .expect_err("creating")
        .into_service_error();
    assert_eq!(code(&delete), "ResourceInUseException");
    assert_eq!(
        common::message(&delete),
        "Attempt to change a resource which is still in use: Table is being created: slow"
    );

    advance(&eddy, 2);
    assert_eq!(status(&client, "slow").await, Some(TableStatus::Active));
    client
        .put_item()
        .table_name("slow")
        .item("pk", s("a"))
        .item("g", s("x"))
        .send()
        .await
        .expect("active");

    // A new index reports CREATING, and answers no Query, until the delay has passed.
    client
        .update_table()
        .table_name("slow")
        .attribute_definitions(def("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .key_schema(key("g", KeyType::Hash))
                        .projection(projection(ProjectionType::All, &[]))
                        .build()
                        .expect("index"),
                )
                .build(),
        )
        .send()
        .await
        .expect("add index");
    let index_status = |client: Client| async move {
        client
            .describe_table()
            .table_name("slow")
            .send()
            .await
            .expect("describe")
            .table
            .and_then(|t| t.global_secondary_indexes?.first()?.index_status.clone())
    };
    assert_eq!(
        index_status(client.clone()).await,
        Some(IndexStatus::Creating)
    );
    let query = client
        .query()
        .table_name("slow")
        .index_name("by_g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("x"))
        .send()
        .await
        .expect_err("index creating");
    assert_eq!(code(&query.into_service_error()), "ValidationException");
    advance(&eddy, 2);
    // Past the delay the index is as its backfill is: ACTIVE once that ends, as a waiter sees.
    let mut settled = None;
    for _ in 0..200 {
        settled = index_status(client.clone()).await;
        if settled == Some(IndexStatus::Active) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(settled, Some(IndexStatus::Active));

    // A deleted table answers DELETING for the delay, then is gone.
    let deleted = client
        .delete_table()
        .table_name("slow")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        deleted.table_description.and_then(|t| t.table_status),
        Some(TableStatus::Deleting)
    );
    assert_eq!(status(&client, "slow").await, Some(TableStatus::Deleting));
    // Deleting a table already DELETING is no error.
    let again = client
        .delete_table()
        .table_name("slow")
        .send()
        .await
        .expect("delete again");
    assert_eq!(
        again.table_description.and_then(|t| t.table_status),
        Some(TableStatus::Deleting)
    );
    advance(&eddy, 2);
    let gone = client
        .describe_table()
        .table_name("slow")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(
        code(&gone.into_service_error()),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn without_the_flag_tables_are_active_at_once() {
    let eddy = EddyProcess::serve(&["--in-memory"]);
    let client = client_for(&eddy.endpoint);
    create_table(&client, "quick", None).await;
    assert_eq!(status(&client, "quick").await, Some(TableStatus::Active));
}
