//! Regions and accounts, as AWS separates them: each request acts in the region of its SigV4
//! credential scope and in the account its access key id names (when 12 digits) or the
//! configured one; `--shared-db` puts every request in one namespace.

mod common;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, StreamSpecification, StreamViewType};
use common::schema::{def, key};
use common::{TestServer, code, s};
use eddy_engine::EngineConfig;

fn client(server: &TestServer, region: &str, access_key: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

fn streams_client(server: &TestServer, region: &str) -> aws_sdk_dynamodbstreams::Client {
    use aws_sdk_dynamodbstreams::config;
    let conf = config::Config::builder()
        .behavior_version(config::BehaviorVersion::latest())
        .region(config::Region::new(region.to_owned()))
        .endpoint_url(&server.endpoint)
        .credentials_provider(config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(conf)
}

async fn tables(client: &Client) -> Vec<String> {
    client
        .list_tables()
        .send()
        .await
        .expect("list")
        .table_names()
        .to_vec()
}

async fn arn(client: &Client, table: &str) -> String {
    client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe")
        .table()
        .and_then(|t| t.table_arn())
        .expect("arn")
        .to_owned()
}

#[tokio::test]
async fn each_region_and_account_has_its_own_tables() {
    let server = TestServer::start();
    let east = client(&server, "us-east-1", "AKIDTEST");
    let west = client(&server, "eu-west-1", "AKIDTEST");
    let other_account = client(&server, "us-east-1", "123456789012");
    common::create_table(&east, "shared_name", None).await;
    assert_eq!(tables(&east).await, ["shared_name"]);
    assert!(tables(&west).await.is_empty());
    assert!(tables(&other_account).await.is_empty());
    // The same name is free in another region and another account.
    common::create_table(&west, "shared_name", None).await;
    common::create_table(&other_account, "shared_name", None).await;
    assert_eq!(
        arn(&east, "shared_name").await,
        "arn:aws:dynamodb:us-east-1:000000000000:table/shared_name"
    );
    assert_eq!(
        arn(&west, "shared_name").await,
        "arn:aws:dynamodb:eu-west-1:000000000000:table/shared_name"
    );
    assert_eq!(
        arn(&other_account, "shared_name").await,
        "arn:aws:dynamodb:us-east-1:123456789012:table/shared_name"
    );
    // Items stay in their own table.
    east.put_item()
        .table_name("shared_name")
        .item("pk", s("k"))
        .item("from", s("east"))
        .send()
        .await
        .expect("put");
    let got = west
        .get_item()
        .table_name("shared_name")
        .key("pk", s("k"))
        .send()
        .await
        .expect("get");
    assert!(got.item().is_none());
    // Another region's table is not found here, even by its ARN.
    let west_only = client(&server, "ap-south-1", "AKIDTEST");
    let e = west_only
        .describe_table()
        .table_name("arn:aws:dynamodb:eu-west-1:000000000000:table/shared_name")
        .send()
        .await
        .expect_err("not here")
        .into_service_error();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // Deleting in one region leaves the others.
    west.delete_table()
        .table_name("shared_name")
        .send()
        .await
        .expect("delete");
    assert_eq!(tables(&east).await, ["shared_name"]);
    assert_eq!(tables(&other_account).await, ["shared_name"]);
}

#[tokio::test]
async fn streams_belong_to_their_region() {
    let server = TestServer::start();
    let west = client(&server, "eu-west-1", "AKIDTEST");
    west.create_table()
        .table_name("events")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(def("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .expect("stream"),
        )
        .send()
        .await
        .expect("create");
    west.put_item()
        .table_name("events")
        .item("pk", s("a"))
        .send()
        .await
        .expect("put");
    let west_streams = streams_client(&server, "eu-west-1");
    let listed = west_streams.list_streams().send().await.expect("list");
    let stream_arn = listed.streams()[0].stream_arn().expect("arn").to_owned();
    assert!(
        stream_arn.starts_with("arn:aws:dynamodb:eu-west-1:000000000000:table/events/stream/"),
        "{stream_arn}"
    );
    let records = common::streams::read_all(&west_streams, &stream_arn).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].aws_region(), Some("eu-west-1"));
    // Another region lists no stream, and does not find this one.
    let east_streams = streams_client(&server, "us-east-1");
    let listed = east_streams.list_streams().send().await.expect("list");
    assert!(listed.streams().is_empty());
    let e = east_streams
        .describe_stream()
        .stream_arn(&stream_arn)
        .send()
        .await
        .expect_err("not here")
        .into_service_error();
    assert_eq!(
        aws_sdk_dynamodbstreams::error::ProvideErrorMetadata::code(&e),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn shared_db_puts_every_request_in_one_namespace() {
    let server = TestServer::start_configured(
        EngineConfig {
            region: "eu-central-1".into(),
            account_id: "111122223333".into(),
            ..EngineConfig::default()
        },
        eddy_server::AppState::with_shared_db,
    );
    let east = client(&server, "us-east-1", "AKIDTEST");
    let west = client(&server, "eu-west-1", "123456789012");
    common::create_table(&east, "one", None).await;
    assert_eq!(tables(&west).await, ["one"]);
    assert_eq!(
        arn(&west, "one").await,
        "arn:aws:dynamodb:eu-central-1:111122223333:table/one"
    );
}
