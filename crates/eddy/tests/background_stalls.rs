//! A measurement, not a check of speed: GetItem latency on a small table while a big one is
//! deleted and while a GSI is added to a big one, both done behind the request's answer.
//! Ignored by default; run it with
//! `cargo test --release -p eddy --test background_stalls -- --ignored --nocapture`
//! (`EDDY_STALL_ITEMS` sets the big tables' size, 1,000,000 by default).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use common::{TestServer, batch_load, create_table, s};

/// GetItem on `Small` from 4 connections until `stop`; the latencies, in µs.
async fn probe(client: Client, stop: Arc<AtomicBool>) -> Vec<u64> {
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (client, stop) = (client.clone(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = t;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                client
                    .get_item()
                    .table_name("Small")
                    .key("pk", s(&format!("w0-{}", i % 100)))
                    .send()
                    .await
                    .expect("get");
                out.push(started.elapsed().as_micros() as u64);
                i += 4;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("probe"));
    }
    all
}

fn summary(name: &str, mut lat: Vec<u64>, took: Duration) {
    lat.sort_unstable();
    let at = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    println!(
        "{name}: {:.2} s, {} GetItems on another table: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        took.as_secs_f64(),
        lat.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

async fn index_active(client: &Client) -> bool {
    let d = client
        .describe_table()
        .table_name("Big2")
        .send()
        .await
        .expect("describe");
    d.table()
        .and_then(|t| t.global_secondary_indexes().first())
        .and_then(|i| i.index_status())
        == Some(&IndexStatus::Active)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; see the file's comment for the command"]
async fn other_tables_keep_answering_while_big_ones_are_dropped_or_indexed() {
    let items: usize = std::env::var("EDDY_STALL_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let server = TestServer::start();
    let client = server.client();
    for table in ["Small", "Big", "Big2"] {
        create_table(&client, table, None).await;
    }
    batch_load(&client, "Small", 100).await;
    batch_load(&client, "Big", items).await;
    batch_load(&client, "Big2", items).await;

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let idle = tokio::spawn(probe(client.clone(), Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    summary("idle", idle.await.expect("probe"), started.elapsed());

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(probe(client.clone(), Arc::clone(&stop)));
    let started = Instant::now();
    client
        .delete_table()
        .table_name("Big")
        .send()
        .await
        .expect("delete");
    println!(
        "DeleteTable of {items} items answered in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // The keys are deleted behind the answer; a window long enough to cover that.
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    summary(
        "after DeleteTable",
        during.await.expect("probe"),
        started.elapsed(),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(probe(client.clone(), Arc::clone(&stop)));
    let started = Instant::now();
    client
        .update_table()
        .table_name("Big2")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("payload")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("definition"),
        )
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_payload")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("payload")
                                .key_type(KeyType::Hash)
                                .build()
                                .expect("key"),
                        )
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
        .expect("add gsi");
    println!(
        "UpdateTable adding a GSI over {items} items answered in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    while !index_active(&client).await {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    summary(
        "GSI backfill until ACTIVE",
        during.await.expect("probe"),
        started.elapsed(),
    );
}
