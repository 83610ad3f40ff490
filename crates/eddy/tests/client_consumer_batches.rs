//! StreamConsumer's batches: pages gathered up to a record count, and a handler that deals
//! with only part of a batch getting the rest again, with the part it did checkpointed.

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::StreamViewType;
use common::TestServer;
use common::client::streams_client;
use common::streams::{create_stream_table, put};
use eddy_client::{
    Checkpoint, CheckpointStore, ConsumerConfig, Handled, MemoryCheckpointStore, StreamConsumer,
};

fn at_tip() -> ConsumerConfig {
    ConsumerConfig {
        stop_at_tip: true,
        ..ConsumerConfig::default()
    }
}

#[tokio::test]
async fn pages_gather_into_batches_of_up_to_max_batch_records() {
    let server = TestServer::start();
    let client = server.client();
    create_stream_table(&client, "gather", StreamViewType::KeysOnly, false).await;
    for i in 0..12 {
        put(&client, "gather", &format!("k{i:02}")).await;
    }
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    StreamConsumer::for_table(streams_client(&server.endpoint), "gather")
        .config(ConsumerConfig {
            records_per_call: 2,
            max_batch_records: 5,
            // A window longer than the test: batches go when full, and at the tip.
            batching_window: std::time::Duration::from_secs(3600),
            ..at_tip()
        })
        .run(move |batch| {
            seen.lock().expect("sizes").push(batch.records.len());
            async { Ok::<(), std::io::Error>(()) }
        })
        .await
        .expect("run");
    assert_eq!(*sizes.lock().expect("sizes"), [5, 5, 2]);
}

#[tokio::test]
async fn the_rest_of_a_partly_handled_batch_comes_again_after_a_checkpoint() {
    let server = TestServer::start();
    let client = server.client();
    create_stream_table(&client, "partly", StreamViewType::KeysOnly, false).await;
    for i in 0..6 {
        put(&client, "partly", &format!("k{i}")).await;
    }
    let store = Arc::new(MemoryCheckpointStore::new());
    let batches: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let seen = Arc::clone(&batches);
    let summary = StreamConsumer::for_table(streams_client(&server.endpoint), "partly")
        .checkpoint_store(Arc::clone(&store) as Arc<dyn CheckpointStore>)
        .config(at_tip())
        .run_with_progress(move |batch| {
            let seqs: Vec<String> = batch
                .records
                .iter()
                .filter_map(|r| r.dynamodb().and_then(|d| d.sequence_number()))
                .map(str::to_owned)
                .collect();
            let mut all = seen.lock().expect("batches");
            let first_call = all.is_empty();
            all.push(seqs.clone());
            // The first call deals with three records only.
            let handled = if first_call {
                Handled::Through(seqs[2].clone())
            } else {
                Handled::All
            };
            async move { Ok::<_, std::io::Error>(handled) }
        })
        .await
        .expect("run");
    let batches = batches.lock().expect("batches").clone();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].len(), 6);
    assert_eq!(batches[1], batches[0][3..], "the rest, and only the rest");
    let shard = server
        .streams_client()
        .describe_stream()
        .stream_arn(&summary.stream_arn)
        .send()
        .await
        .expect("describe")
        .stream_description()
        .and_then(|d| {
            d.shards()
                .first()
                .and_then(|s| s.shard_id())
                .map(str::to_owned)
        })
        .expect("shard");
    assert_eq!(
        store.get(&summary.stream_arn, &shard).await.expect("get"),
        Some(Checkpoint::Sequence(batches[0][5].clone()))
    );
}
