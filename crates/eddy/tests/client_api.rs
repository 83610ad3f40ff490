//! eddy-client against a real server: the four operations and their errors, paginators with
//! page sizes, item limits and resume tokens, waiters, and presigned requests.

mod common;

use std::time::Duration;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsInput;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorInput;
use aws_sdk_dynamodbstreams::operation::list_streams::ListStreamsInput;
use aws_sdk_dynamodbstreams::types::{ShardIteratorType, StreamStatus};
use common::client::streams_client;
use common::streams::{create_stream_table, spec};
use common::{TestServer, s};
use eddy_client::{
    Error, PresignableOperation, PresigningConfig, StreamsClient, WaiterConfig, can_paginate,
};
use eddy_engine::{EngineConfig, StreamsConfig};
use futures_util::{StreamExt, TryStreamExt};

fn list_input(table: Option<&str>) -> ListStreamsInput {
    ListStreamsInput::builder()
        .set_table_name(table.map(str::to_owned))
        .build()
        .expect("input")
}

fn describe_input(arn: &str) -> DescribeStreamInput {
    DescribeStreamInput::builder()
        .stream_arn(arn)
        .build()
        .expect("input")
}

async fn trim_horizon(client: &StreamsClient, arn: &str, shard: &str) -> String {
    client
        .get_shard_iterator(
            GetShardIteratorInput::builder()
                .stream_arn(arn)
                .shard_id(shard)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .build()
                .expect("input"),
        )
        .await
        .expect("iterator")
        .shard_iterator
        .expect("ShardIterator")
}

fn records_input(iterator: &str) -> GetRecordsInput {
    GetRecordsInput::builder()
        .shard_iterator(iterator)
        .build()
        .expect("input")
}

async fn first_shard(client: &StreamsClient, arn: &str) -> String {
    client
        .describe_stream(describe_input(arn))
        .await
        .expect("describe")
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|s| s.into_iter().next())
        .and_then(|s| s.shard_id)
        .expect("a shard")
}

async fn put(server: &TestServer, table: &str, pk: &str) {
    server
        .client()
        .put_item()
        .table_name(table)
        .item("pk", s(pk))
        .send()
        .await
        .expect("put");
}

#[tokio::test]
async fn operations_answer_and_errors_keep_the_service_code_and_message() {
    let server = TestServer::start();
    let client = streams_client(&server.endpoint);
    let arn = create_stream_table(&server.client(), "Ops", StreamViewType::NewImage, false).await;
    put(&server, "Ops", "a").await;

    let listed = client
        .list_streams(list_input(Some("Ops")))
        .await
        .expect("list");
    assert_eq!(listed.streams().len(), 1);
    assert_eq!(client.latest_stream_arn("Ops").await.expect("arn"), arn);
    let shard = first_shard(&client, &arn).await;
    let iterator = trim_horizon(&client, &arn, &shard).await;
    let page = client
        .get_records(records_input(&iterator))
        .await
        .expect("records");
    assert_eq!(page.records().len(), 1);

    let missing =
        "arn:aws:dynamodb:us-east-1:000000000000:table/Nope/stream/2020-01-01T00:00:00.000";
    match client.describe_stream(describe_input(missing)).await {
        Err(Error::ResourceNotFound(e)) => {
            assert_eq!(e.code, "ResourceNotFoundException");
            assert!(e.message.contains("not found"), "{}", e.message);
        }
        other => panic!("expected ResourceNotFound, got {other:?}"),
    }
    match client.get_records(records_input("garbage")).await {
        Err(Error::Validation(e)) => assert_eq!(e.code, "ValidationException"),
        other => panic!("expected Validation, got {other:?}"),
    }
    server.advance(16 * 60);
    match client.get_records(records_input(&iterator)).await {
        Err(Error::ExpiredIterator(e)) => assert_eq!(e.code, "ExpiredIteratorException"),
        other => panic!("expected ExpiredIterator, got {other:?}"),
    }
    let first = page.records()[0]
        .dynamodb()
        .and_then(|d| d.sequence_number())
        .expect("seq")
        .to_owned();
    server.advance(25 * 3600);
    let after_trimmed = client
        .get_shard_iterator(
            GetShardIteratorInput::builder()
                .stream_arn(&arn)
                .shard_id(&shard)
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(first)
                .build()
                .expect("input"),
        )
        .await;
    assert!(
        matches!(
            after_trimmed,
            Err(Error::TrimmedDataAccess(_)) | Err(Error::ResourceNotFound(_))
        ),
        "{after_trimmed:?}"
    );
    match client.latest_stream_arn("Nope").await {
        Err(Error::ResourceNotFound(_)) => {}
        other => panic!("expected ResourceNotFound, got {other:?}"),
    }
    common::create_table(&server.client(), "NoStream", None).await;
    assert!(matches!(
        client.latest_stream_arn("NoStream").await,
        Err(Error::NoStream { .. })
    ));
}

#[tokio::test]
async fn list_streams_pages_stop_at_max_items_and_resume() {
    let server = TestServer::start();
    let client = streams_client(&server.endpoint);
    for i in 0..5 {
        create_stream_table(
            &server.client(),
            &format!("Pg{i}"),
            StreamViewType::KeysOnly,
            false,
        )
        .await;
    }
    assert!(client.can_paginate("list_streams") && !can_paginate("GetShardIterator"));
    let pages: Vec<_> = client
        .list_streams_paginator(list_input(None))
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    let sizes: Vec<usize> = pages.iter().map(|p| p.output.streams().len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert!(pages.last().expect("a page").resume_token.is_none());

    let all: Vec<String> = client
        .list_streams_paginator(list_input(None))
        .page_size(2)
        .items()
        .map_ok(|s| s.stream_arn.unwrap_or_default())
        .try_collect()
        .await
        .expect("items");
    assert_eq!(all.len(), 5);

    let first: Vec<_> = client
        .list_streams_paginator(list_input(None))
        .page_size(2)
        .max_items(3)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    let got: Vec<String> = first
        .iter()
        .flat_map(|p| {
            p.output
                .streams()
                .iter()
                .filter_map(|s| s.stream_arn.clone())
        })
        .collect();
    assert_eq!(got, all[..3]);
    let token = first
        .last()
        .and_then(|p| p.resume_token.clone())
        .expect("resume token");
    let rest: Vec<String> = client
        .list_streams_paginator(list_input(None))
        .page_size(2)
        .starting_token(token)
        .items()
        .map_ok(|s| s.stream_arn.unwrap_or_default())
        .try_collect()
        .await
        .expect("rest");
    assert_eq!(rest, all[3..]);

    let bad = client
        .list_streams_paginator(list_input(None))
        .starting_token("%%%")
        .items()
        .next()
        .await;
    assert!(matches!(bad, Some(Err(Error::InvalidArgument(_)))));
}

#[tokio::test]
async fn describe_stream_collects_shards_across_pages() {
    let server = TestServer::start_with(EngineConfig {
        streams: StreamsConfig {
            table_partitions: 4,
            ..StreamsConfig::default()
        },
        ..EngineConfig::default()
    });
    let client = streams_client(&server.endpoint);
    let arn =
        create_stream_table(&server.client(), "Shards", StreamViewType::KeysOnly, false).await;
    let pages: Vec<_> = client
        .describe_stream_paginator(describe_input(&arn))
        .page_size(1)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 4);
    let description = client
        .describe_stream_paginator(describe_input(&arn))
        .page_size(1)
        .collect()
        .await
        .expect("collect");
    assert_eq!(description.shards().len(), 4);
    assert!(description.last_evaluated_shard_id().is_none());
    assert_eq!(description.stream_status(), Some(&StreamStatus::Enabled));

    let head: Vec<_> = client
        .describe_stream_paginator(describe_input(&arn))
        .page_size(3)
        .max_items(2)
        .pages()
        .try_collect()
        .await
        .expect("head");
    assert_eq!(head.len(), 1);
    assert_eq!(
        head[0]
            .output
            .stream_description()
            .map(|d| d.shards().len()),
        Some(2)
    );
    let tail: Vec<_> = client
        .describe_stream_paginator(describe_input(&arn))
        .page_size(3)
        .starting_token(head[0].resume_token.clone().expect("token"))
        .items()
        .try_collect()
        .await
        .expect("tail");
    let ids: Vec<_> = description
        .shards()
        .iter()
        .map(|s| s.shard_id.clone())
        .collect();
    let tail_ids: Vec<_> = tail.iter().map(|s| s.shard_id.clone()).collect();
    assert_eq!(tail_ids, ids[2..]);
}

#[tokio::test]
async fn get_records_follows_next_shard_iterator_to_a_closed_shards_end() {
    let server = TestServer::start();
    let client = streams_client(&server.endpoint);
    let arn = create_stream_table(&server.client(), "Recs", StreamViewType::KeysOnly, false).await;
    for i in 0..10 {
        put(&server, "Recs", &format!("k{i}")).await;
    }
    let shard = first_shard(&client, &arn).await;
    let iterator = trim_horizon(&client, &arn, &shard).await;
    let pages: Vec<_> = client
        .get_records_paginator(records_input(&iterator))
        .page_size(3)
        .max_items(7)
        .pages()
        .try_collect()
        .await
        .expect("pages");
    let sizes: Vec<usize> = pages.iter().map(|p| p.output.records().len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let token = pages[2].resume_token.clone().expect("resume token");
    let rest: Vec<_> = client
        .get_records_paginator(records_input(&iterator))
        .page_size(3)
        .max_items(3)
        .starting_token(token)
        .items()
        .try_collect()
        .await
        .expect("rest");
    let keys: Vec<String> = rest.iter().map(|r| common::streams::key(r, "pk")).collect();
    assert_eq!(keys, ["k7", "k8", "k9"]);

    // Disabling the stream closes the shard: the pagination ends after its last record.
    server
        .client()
        .update_table()
        .table_name("Recs")
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("disable");
    let all: Vec<_> = client
        .get_records_paginator(records_input(&trim_horizon(&client, &arn, &shard).await))
        .page_size(4)
        .items()
        .try_collect()
        .await
        .expect("all");
    assert_eq!(all.len(), 10);
}

#[tokio::test]
async fn waiters_succeed_or_name_the_last_state_they_saw() {
    let server = TestServer::start();
    let client = streams_client(&server.endpoint);
    let quick = WaiterConfig::new(Duration::from_millis(10), 3);
    let arn = create_stream_table(&server.client(), "Wait", StreamViewType::KeysOnly, false).await;
    client
        .wait_table_exists("Wait", quick)
        .await
        .expect("exists");
    client
        .wait_table_not_exists("Missing", quick)
        .await
        .expect("not exists");
    match client.wait_table_exists("Missing", quick).await {
        Err(Error::WaiterExhausted {
            waiter,
            attempts,
            last_state,
        }) => {
            assert_eq!(
                (waiter, attempts, last_state.as_str()),
                ("table_exists", 3, "NOT_FOUND")
            );
        }
        other => panic!("expected WaiterExhausted, got {other:?}"),
    }
    match client.wait_table_not_exists("Wait", quick).await {
        Err(Error::WaiterExhausted { last_state, .. }) => assert_eq!(last_state, "ACTIVE"),
        other => panic!("expected WaiterExhausted, got {other:?}"),
    }
    client
        .wait_stream_enabled(&arn, quick)
        .await
        .expect("enabled");
    let shard = first_shard(&client, &arn).await;
    match client.wait_shard_closed(&arn, &shard, quick).await {
        Err(Error::WaiterExhausted { last_state, .. }) => assert_eq!(last_state, "OPEN"),
        other => panic!("expected WaiterExhausted, got {other:?}"),
    }
    server.advance(4 * 3600 + 1);
    client
        .wait_shard_closed(&arn, &shard, quick)
        .await
        .expect("closed by rollover");
    server
        .client()
        .update_table()
        .table_name("Wait")
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("disable");
    client
        .wait_stream_disabled(&arn, quick)
        .await
        .expect("disabled");
    match client.wait_stream_enabled(&arn, quick).await {
        Err(Error::WaiterExhausted { last_state, .. }) => assert_eq!(last_state, "DISABLED"),
        other => panic!("expected WaiterExhausted, got {other:?}"),
    }
    server
        .client()
        .delete_table()
        .table_name("Wait")
        .send()
        .await
        .expect("delete");
    client
        .wait_table_not_exists("Wait", quick)
        .await
        .expect("deleted");
}

/// Sends a presigned request as any HTTP client would: its method, URL, headers and body.
fn send(server: &TestServer, req: &eddy_client::PresignedRequest) -> common::RawResponse {
    let path = req
        .uri
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .expect("path");
    let headers: Vec<(&str, String)> = req
        .headers
        .iter()
        .filter(|(k, _)| k != "host")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    server.raw_request(req.method, path, &headers, &req.body)
}

#[tokio::test]
async fn presigned_requests_are_accepted_until_they_expire() {
    let server = TestServer::start();
    let client = streams_client(&server.endpoint);
    create_stream_table(&server.client(), "Signed", StreamViewType::KeysOnly, false).await;
    let req = client
        .presign(
            PresignableOperation::ListStreams(list_input(Some("Signed"))),
            PresigningConfig::expires_in(Duration::from_secs(60)),
        )
        .await
        .expect("presign");
    assert!(req.uri.contains("X-Amz-Signature="), "{}", req.uri);
    assert!(req.uri.contains("X-Amz-Expires=60"), "{}", req.uri);
    let resp = send(&server, &req);
    assert_eq!(resp.status, 200, "{:?}", resp.json());
    assert_eq!(resp.json()["Streams"][0]["TableName"], "Signed");

    server.advance(120);
    let expired = send(&server, &req);
    assert_eq!(expired.status, 400, "{:?}", expired.json());
    assert!(!expired.error_type().is_empty());

    let too_long = client
        .presign(
            PresignableOperation::ListStreams(list_input(None)),
            PresigningConfig::expires_in(Duration::from_secs(8 * 24 * 3600)),
        )
        .await;
    assert!(matches!(too_long, Err(Error::InvalidArgument(_))));
}

#[tokio::test]
async fn presigned_requests_are_verified_when_verification_is_on() {
    let server = TestServer::start_configured(EngineConfig::default(), |state| {
        state.with_signature_verification([("AKIDTEST".to_owned(), "secret".to_owned())])
    });
    let client = streams_client(&server.endpoint);
    let arn = create_stream_table(
        &server.client(),
        "Verified",
        StreamViewType::KeysOnly,
        false,
    )
    .await;
    let shard = first_shard(&client, &arn).await;
    let ok = client
        .presign(
            PresignableOperation::GetShardIterator(
                GetShardIteratorInput::builder()
                    .stream_arn(&arn)
                    .shard_id(&shard)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .build()
                    .expect("input"),
            ),
            PresigningConfig::default(),
        )
        .await
        .expect("presign");
    let resp = send(&server, &ok);
    assert_eq!(resp.status, 200, "{:?}", resp.json());
    assert!(resp.json()["ShardIterator"].is_string());

    let mut tampered = ok.clone();
    tampered.body = br#"{"StreamArn":"x"}"#.to_vec();
    let resp = send(&server, &tampered);
    assert_eq!(resp.status, 400, "{:?}", resp.json());
    assert!(resp.error_type().ends_with("InvalidSignatureException"));

    let config = common::client::sdk_config(&server.endpoint)
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKIDTEST", "wrong", None, None, "test"),
            ),
        )
        .build();
    let wrong = StreamsClient::new(&config)
        .presign(
            PresignableOperation::DescribeStream(describe_input(&arn)),
            PresigningConfig::default(),
        )
        .await
        .expect("presign");
    let resp = send(&server, &wrong);
    assert_eq!(resp.status, 400, "{:?}", resp.json());
}
