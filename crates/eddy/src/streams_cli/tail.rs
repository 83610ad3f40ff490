//! `eddy streams tail`: the records of a table's latest stream, through `StreamConsumer`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use eddy_client::{
    CheckpointStore, ConsumerConfig, Error, FileCheckpointStore, MemoryCheckpointStore,
    StartingPosition, StreamConsumer, StreamsClient, record_to_json,
};

use super::{Format, From, TailArgs};

pub async fn tail(client: StreamsClient, args: TailArgs) -> Result<(), Error> {
    let store: Arc<dyn CheckpointStore> = match &args.checkpoint {
        Some(path) => Arc::new(FileCheckpointStore::open(path).await?),
        None => Arc::new(MemoryCheckpointStore::new()),
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Pretty
    } else {
        Format::Json
    });
    let defaults = ConsumerConfig::default();
    let config = ConsumerConfig {
        starting_position: match args.from {
            From::TrimHorizon => StartingPosition::TrimHorizon,
            From::Latest => StartingPosition::Latest,
        },
        stop_at_tip: !args.follow,
        // Without --follow, one shard at a time prints the stream in lineage order.
        max_concurrent_shards: if args.follow {
            defaults.max_concurrent_shards
        } else {
            1
        },
        rediscover_interval: std::time::Duration::from_secs(5),
        ..defaults
    };
    let consumer = StreamConsumer::for_table(client, &args.table)
        .checkpoint_store(store)
        .config(config)
        .on_event(|event| tracing::info!(?event, "consumer"));
    let shutdown = consumer.shutdown_handle();
    // Ctrl-C stops after the batch in hand, with its checkpoint written.
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            shutdown.shutdown();
        }
    });
    consumer
        .run(move |batch| {
            let mut out = std::io::stdout().lock();
            let mut result = Ok(());
            for record in batch.records.iter() {
                let line = match format {
                    Format::Json => record_to_json(record).to_string(),
                    Format::Pretty => super::render::pretty(record),
                };
                if let Err(e) = writeln!(out, "{line}") {
                    result = Err(e);
                    break;
                }
            }
            let result = result.and_then(|()| out.flush());
            std::future::ready(result)
        })
        .await
        .map(|_| ())
}
