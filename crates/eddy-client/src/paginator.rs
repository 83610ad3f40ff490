//! Paginators: ListStreams by `ExclusiveStartStreamArn`, DescribeStream by
//! `LastEvaluatedShardId`, GetRecords by `NextShardIterator`. Each is an async [`Stream`] of
//! pages or of items, with botocore's `PaginationConfig` ideas: a page size, a maximum number
//! of items, and a token that resumes where an earlier pagination stopped.

use std::pin::Pin;

use async_trait::async_trait;
use aws_sdk_dynamodbstreams::operation::describe_stream::{
    DescribeStreamInput, DescribeStreamOutput,
};
use aws_sdk_dynamodbstreams::operation::get_records::{GetRecordsInput, GetRecordsOutput};
use aws_sdk_dynamodbstreams::operation::list_streams::{ListStreamsInput, ListStreamsOutput};
use aws_sdk_dynamodbstreams::types::{Record, Shard, Stream as StreamSummary, StreamDescription};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::client::StreamsClient;
use crate::error::{Error, Result};

/// A boxed stream, as the paginators return them.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// One page, with the token that resumes right after it (absent once nothing follows).
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The service's answer; truncated to the items handed out when `max_items` ended the
    /// pagination inside it.
    pub output: T,
    /// Pass to `starting_token` to go on after this page.
    pub resume_token: Option<String>,
}

/// Where a pagination resumes: the cursor the next request starts from (an exclusive start
/// key or a shard iterator), and how many items of that request's answer were already handed
/// out.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct Token {
    next: String,
    #[serde(default)]
    skip: usize,
}

impl Token {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Result<Self> {
        URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| Error::InvalidArgument(format!("invalid pagination token: {s}")))
    }
}

/// One paginated operation.
#[async_trait]
trait Paged: Send + Sync + 'static {
    type Output: Send + 'static;
    type Item: Send + 'static;
    /// Whether the cursor is an exclusive start key (so an item's own key resumes after it)
    /// rather than an iterator (resumed by skipping items).
    const KEYED: bool;
    async fn fetch(&self, cursor: Option<&str>, page_size: Option<i32>) -> Result<Self::Output>;
    /// The cursor of the first request when no token is given, where the operation's own
    /// input has one.
    fn initial_cursor(&self) -> Option<String> {
        None
    }
    fn items(output: &mut Self::Output) -> &mut Vec<Self::Item>;
    fn next_cursor(output: &Self::Output) -> Option<String>;
    fn item_key(item: &Self::Item) -> Option<String>;
}

/// Settings shared by every paginator.
#[derive(Clone, Debug, Default)]
struct Config {
    page_size: Option<i32>,
    max_items: Option<usize>,
    starting_token: Option<String>,
}

fn pages<P: Paged>(op: P, config: Config) -> BoxStream<Result<Page<P::Output>>> {
    Box::pin(async_stream::try_stream! {
        let start = config.starting_token.as_deref().map(Token::decode).transpose()?;
        let (mut cursor, mut skip) = match start {
            Some(t) => (Some(t.next), t.skip),
            None => (None, 0),
        };
        if cursor.is_none() {
            cursor = op.initial_cursor();
        }
        let mut left = config.max_items;
        loop {
            let mut output = op.fetch(cursor.as_deref(), config.page_size).await?;
            let next = P::next_cursor(&output);
            let items = P::items(&mut output);
            items.drain(..skip.min(items.len()));
            // By default the page resumes after its last item: where its answer points.
            let mut resume = next.clone().map(|n| Token { next: n, skip: 0 });
            let mut stop = next.is_none();
            if let Some(n) = left {
                if items.len() > n {
                    // `max_items` ends inside this page: resume after the last item handed
                    // out, by its key where the cursor is a key, else by skipping in the same
                    // request again.
                    items.truncate(n);
                    resume = match (P::KEYED, items.last().and_then(P::item_key)) {
                        (true, Some(key)) => Some(Token { next: key, skip: 0 }),
                        _ => cursor.clone().map(|c| Token { next: c, skip: skip + n }),
                    };
                    stop = true;
                } else if items.len() == n {
                    stop = true;
                }
                left = Some(n - items.len());
            }
            yield Page { output, resume_token: resume.as_ref().map(Token::encode) };
            if stop {
                break;
            }
            cursor = next;
            skip = 0;
        }
    })
}

fn items<P: Paged>(op: P, config: Config) -> BoxStream<Result<P::Item>> {
    Box::pin(pages(op, config).flat_map(|page| {
        let items: Vec<Result<P::Item>> = match page {
            Ok(mut p) => P::items(&mut p.output).drain(..).map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(items)
    }))
}

macro_rules! paginator_settings {
    () => {
        /// How many items each request asks for (the operation's `Limit`).
        pub fn page_size(mut self, n: i32) -> Self {
            self.config.page_size = Some(n);
            self
        }

        /// Stop after this many items; the last page's `resume_token` then resumes there.
        pub fn max_items(mut self, n: usize) -> Self {
            self.config.max_items = Some(n);
            self
        }

        /// Resume from a page's `resume_token`.
        pub fn starting_token(mut self, token: impl Into<String>) -> Self {
            self.config.starting_token = Some(token.into());
            self
        }
    };
}

struct ListStreamsOp {
    client: StreamsClient,
    input: ListStreamsInput,
}

#[async_trait]
impl Paged for ListStreamsOp {
    type Output = ListStreamsOutput;
    type Item = StreamSummary;
    const KEYED: bool = true;

    async fn fetch(&self, cursor: Option<&str>, page_size: Option<i32>) -> Result<Self::Output> {
        let mut input = self.input.clone();
        if let Some(c) = cursor {
            input.exclusive_start_stream_arn = Some(c.to_owned());
        }
        input.limit = page_size.or(input.limit);
        self.client.list_streams(input).await
    }
    fn items(output: &mut Self::Output) -> &mut Vec<Self::Item> {
        output.streams.get_or_insert_with(Vec::new)
    }
    fn next_cursor(output: &Self::Output) -> Option<String> {
        output.last_evaluated_stream_arn.clone()
    }
    fn item_key(item: &Self::Item) -> Option<String> {
        item.stream_arn.clone()
    }
}

/// Pages of ListStreams; see [`StreamsClient::list_streams_paginator`].
pub struct ListStreamsPaginator {
    op: ListStreamsOp,
    config: Config,
}

impl ListStreamsPaginator {
    paginator_settings!();

    /// The pages.
    pub fn pages(self) -> BoxStream<Result<Page<ListStreamsOutput>>> {
        pages(self.op, self.config)
    }

    /// The streams, across pages.
    pub fn items(self) -> BoxStream<Result<StreamSummary>> {
        items(self.op, self.config)
    }
}

struct DescribeStreamOp {
    client: StreamsClient,
    input: DescribeStreamInput,
}

#[async_trait]
impl Paged for DescribeStreamOp {
    type Output = DescribeStreamOutput;
    type Item = Shard;
    const KEYED: bool = true;

    async fn fetch(&self, cursor: Option<&str>, page_size: Option<i32>) -> Result<Self::Output> {
        let mut input = self.input.clone();
        if let Some(c) = cursor {
            input.exclusive_start_shard_id = Some(c.to_owned());
        }
        input.limit = page_size.or(input.limit);
        self.client.describe_stream(input).await
    }
    fn items(output: &mut Self::Output) -> &mut Vec<Self::Item> {
        let description = output
            .stream_description
            .get_or_insert_with(|| StreamDescription::builder().build());
        description.shards.get_or_insert_with(Vec::new)
    }
    fn next_cursor(output: &Self::Output) -> Option<String> {
        output
            .stream_description
            .as_ref()
            .and_then(|d| d.last_evaluated_shard_id.clone())
    }
    fn item_key(item: &Self::Item) -> Option<String> {
        item.shard_id.clone()
    }
}

/// Pages of DescribeStream; see [`StreamsClient::describe_stream_paginator`].
pub struct DescribeStreamPaginator {
    op: DescribeStreamOp,
    config: Config,
}

impl DescribeStreamPaginator {
    paginator_settings!();

    /// The pages.
    pub fn pages(self) -> BoxStream<Result<Page<DescribeStreamOutput>>> {
        pages(self.op, self.config)
    }

    /// The shards, across pages.
    pub fn items(self) -> BoxStream<Result<Shard>> {
        items(self.op, self.config)
    }

    /// The stream's description with the shards of every page collected in it;
    /// `LastEvaluatedShardId` is absent, or the last shard collected when `max_items` stopped
    /// early (pass it as `ExclusiveStartShardId` to go on).
    ///
    /// # Errors
    /// The first error a page request met.
    pub async fn collect(self) -> Result<StreamDescription> {
        let mut pages = self.pages();
        let mut description: Option<StreamDescription> = None;
        while let Some(page) = pages.next().await {
            let page = page?;
            let d = page
                .output
                .stream_description
                .unwrap_or_else(|| StreamDescription::builder().build());
            let more = page.resume_token.is_some();
            let all = match description.as_mut() {
                None => description.insert(d),
                Some(all) => {
                    all.shards
                        .get_or_insert_with(Vec::new)
                        .extend(d.shards.unwrap_or_default());
                    all.stream_status = d.stream_status;
                    all
                }
            };
            // Where DescribeStream would go on: after the last shard collected.
            all.last_evaluated_shard_id = if more {
                all.shards().last().and_then(|s| s.shard_id.clone())
            } else {
                None
            };
        }
        Ok(description.unwrap_or_else(|| StreamDescription::builder().build()))
    }
}

struct GetRecordsOp {
    client: StreamsClient,
    input: GetRecordsInput,
}

#[async_trait]
impl Paged for GetRecordsOp {
    type Output = GetRecordsOutput;
    type Item = Record;
    const KEYED: bool = false;

    async fn fetch(&self, cursor: Option<&str>, page_size: Option<i32>) -> Result<Self::Output> {
        let mut input = self.input.clone();
        if let Some(c) = cursor {
            input.shard_iterator = Some(c.to_owned());
        }
        input.limit = page_size.or(input.limit);
        self.client.get_records(input).await
    }
    fn initial_cursor(&self) -> Option<String> {
        self.input.shard_iterator.clone()
    }
    fn items(output: &mut Self::Output) -> &mut Vec<Self::Item> {
        output.records.get_or_insert_with(Vec::new)
    }
    fn next_cursor(output: &Self::Output) -> Option<String> {
        output.next_shard_iterator.clone()
    }
    fn item_key(_: &Self::Item) -> Option<String> {
        None
    }
}

/// Pages of GetRecords following `NextShardIterator`; see
/// [`StreamsClient::get_records_paginator`]. A closed shard's pagination ends after its last
/// record; an open shard at its tip keeps answering empty pages, so bound it with
/// `max_items` or stop reading the stream.
pub struct GetRecordsPaginator {
    op: GetRecordsOp,
    config: Config,
}

impl GetRecordsPaginator {
    paginator_settings!();

    /// The pages.
    pub fn pages(self) -> BoxStream<Result<Page<GetRecordsOutput>>> {
        pages(self.op, self.config)
    }

    /// The records, across pages.
    pub fn items(self) -> BoxStream<Result<Record>> {
        items(self.op, self.config)
    }
}

impl StreamsClient {
    /// A paginator over ListStreams.
    pub fn list_streams_paginator(&self, input: ListStreamsInput) -> ListStreamsPaginator {
        ListStreamsPaginator {
            op: ListStreamsOp {
                client: self.clone(),
                input,
            },
            config: Config::default(),
        }
    }

    /// A paginator over DescribeStream, page by page of shards.
    pub fn describe_stream_paginator(&self, input: DescribeStreamInput) -> DescribeStreamPaginator {
        DescribeStreamPaginator {
            op: DescribeStreamOp {
                client: self.clone(),
                input,
            },
            config: Config::default(),
        }
    }

    /// A paginator over GetRecords from `input`'s iterator.
    pub fn get_records_paginator(&self, input: GetRecordsInput) -> GetRecordsPaginator {
        GetRecordsPaginator {
            op: GetRecordsOp {
                client: self.clone(),
                input,
            },
            config: Config::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_are_refused() {
        let t = Token {
            next: "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/x".into(),
            skip: 3,
        };
        assert_eq!(Token::decode(&t.encode()).ok(), Some(t));
        assert!(matches!(
            Token::decode("not a token"),
            Err(Error::InvalidArgument(_))
        ));
    }
}
