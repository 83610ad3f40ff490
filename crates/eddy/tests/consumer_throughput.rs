//! A measurement, not a check of speed: how many records per second StreamConsumer drains
//! from a 100k-record backlog, next to a hand-written GetRecords loop over the same shard in
//! the same run. Ignored by default; run it with
//! `cargo test --release -p eddy --test consumer_throughput -- --ignored --nocapture`
//! (`EDDY_DRAIN_RECORDS` changes the backlog's size).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::TestServer;
use common::client::streams_client;
use common::streams::{create_stream_table, iterator, open_shards};
use eddy_client::{ConsumerConfig, StreamConsumer};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; see the file's comment for the command"]
async fn consumer_drain_rate_next_to_a_hand_written_loop() {
    let records: usize = std::env::var("EDDY_DRAIN_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let server = TestServer::start();
    let arn = create_stream_table(&server.client(), "Drain", StreamViewType::NewImage, false).await;
    common::batch_load(&server.client(), "Drain", records).await;
    let sc = server.streams_client();
    let shard = open_shards(&sc, &arn).await.remove(0);
    let (mut loop_rates, mut consumer_rates) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let started = Instant::now();
        let mut it = Some(iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await);
        let mut seen = 0;
        while let Some(current) = it {
            let page = sc
                .get_records()
                .shard_iterator(current)
                .limit(1000)
                .send()
                .await
                .expect("get records");
            seen += page.records().len();
            it = page.next_shard_iterator().map(str::to_owned);
            if page.records().is_empty() {
                break;
            }
        }
        assert_eq!(seen, records);
        loop_rates.push(records as f64 / started.elapsed().as_secs_f64());

        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        let started = Instant::now();
        StreamConsumer::for_table(streams_client(&server.endpoint), "Drain")
            .config(ConsumerConfig {
                stop_at_tip: true,
                ..ConsumerConfig::default()
            })
            .run(move |batch| {
                counted.fetch_add(batch.records.len(), Ordering::Relaxed);
                std::future::ready(Ok::<(), std::io::Error>(()))
            })
            .await
            .expect("consumer");
        assert_eq!(count.load(Ordering::Relaxed), records);
        consumer_rates.push(records as f64 / started.elapsed().as_secs_f64());
    }
    println!(
        "drain of {records} records, medians of 3: hand-written GetRecords loop {:.0} records/s, StreamConsumer {:.0} records/s",
        median(loop_rates),
        median(consumer_rates)
    );
}
