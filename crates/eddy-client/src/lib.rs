//! A DynamoDB Streams client for Rust, built on the AWS SDK (`aws-sdk-dynamodbstreams` and
//! `aws-sdk-dynamodb`), that works the same against AWS and against eddy.
//!
//! What the SDK lacks for this service, and this crate adds:
//! - the four operations with one [`Error`] enum that keeps the service's code and message;
//! - paginators for ListStreams, DescribeStream and GetRecords, as async streams of pages or
//!   items, with a page size, a maximum number of items and a resume token
//!   ([`StreamsClient::list_streams_paginator`], [`can_paginate`]);
//! - waiters: table exists / not exists, stream enabled / disabled, shard closed
//!   ([`WaiterConfig`]);
//! - presigned requests for any of the four operations ([`StreamsClient::presign`]);
//! - [`StreamConsumer`]: reads every record of a stream in order per shard, parents before
//!   children, checkpointing each batch after its handler succeeded, in memory, in a file, or
//!   in a DynamoDB lease table shared by several workers ([`CheckpointStore`]). Batches may
//!   gather several pages (up to a count, a size in bytes, or a batching window); a handler
//!   may deal with part of a batch ([`Handled::Through`]) and get the rest again; waits follow
//!   a [`Clock`] of the caller's choosing.
//!
//! It is not a server and depends on nothing of eddy's: configuration, credentials, retries
//! and endpoint resolution all come from the AWS SDK's [`aws_types::SdkConfig`].
//!
//! ```no_run
//! use aws_sdk_dynamodbstreams::operation::list_streams::ListStreamsInput;
//! use eddy_client::{ConsumerConfig, FileCheckpointStore, StreamConsumer, StreamsClient};
//! use futures_util::StreamExt;
//! use std::sync::Arc;
//!
//! # async fn example(config: aws_types::SdkConfig) -> Result<(), eddy_client::Error> {
//! // `config` comes from `aws_config::load_defaults(..)`; set its endpoint URL to eddy's
//! // (`http://127.0.0.1:8000`) or leave it unset for AWS.
//! let client = StreamsClient::new(&config);
//!
//! // Every stream of the table, across pages.
//! let input = ListStreamsInput::builder().table_name("Orders").build().expect("input");
//! let mut streams = client.list_streams_paginator(input).page_size(10).items();
//! while let Some(stream) = streams.next().await {
//!     println!("{}", stream?.stream_arn().unwrap_or_default());
//! }
//!
//! // Every record of the table's latest stream, resuming from a file after a restart.
//! let store = Arc::new(FileCheckpointStore::open("orders.checkpoint").await?);
//! StreamConsumer::for_table(client, "Orders")
//!     .checkpoint_store(store)
//!     .config(ConsumerConfig { stop_at_tip: true, ..Default::default() })
//!     .run(|batch| async move {
//!         println!("{} records from {}", batch.records.len(), batch.shard_id);
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

#![deny(unsafe_code, missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod checkpoint;
mod client;
mod clock;
mod consumer;
mod error;
mod paginator;
mod presign;
mod record_json;
mod waiter;

pub use checkpoint::{
    Checkpoint, CheckpointStore, FileCheckpointStore, LeaseTableStore, MemoryCheckpointStore,
};
pub use client::{StreamsClient, can_paginate};
pub use clock::{Clock, Sleep, SystemClock};
pub use consumer::{
    Batch, ConsumerConfig, ConsumerEvent, Handled, HandlerError, RunSummary, ShutdownHandle,
    StartingPosition, StreamConsumer,
};
pub use error::{Error, Result, ServiceError};
pub use paginator::{
    BoxStream, DescribeStreamPaginator, GetRecordsPaginator, ListStreamsPaginator, Page,
};
pub use presign::{PresignableOperation, PresignedRequest, PresigningConfig};
pub use record_json::{item_to_json, record_to_json, value_to_json};
pub use waiter::WaiterConfig;
