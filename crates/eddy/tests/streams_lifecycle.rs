//! Stream lifecycle through the SDKs: StreamSpecification on CreateTable and UpdateTable, stream
//! labels and ARNs, the StreamSpecification errors, disable, re-enable and DeleteTable, and the
//! retention that finally forgets a stream.

mod common;

use common::streams::put;

use aws_sdk_dynamodb::types::StreamViewType;
use aws_sdk_dynamodbstreams::types::StreamStatus;
use common::streams::{create_stream_table, is_open, read_all, shards, spec};
use common::{TestServer, code, create_table, message};

/// `YYYY-MM-DDTHH:MM:SS.mmm`, no zone.
fn assert_label(label: &str) {
    let b = label.as_bytes();
    assert_eq!(b.len(), 23, "{label}");
    for (i, &c) in b.iter().enumerate() {
        let expected = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            _ => c.is_ascii_digit(),
        };
        assert!(expected, "label {label} at {i}");
    }
}

fn assert_arn(arn: &str, table: &str) -> String {
    let prefix = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/");
    let label = arn.strip_prefix(&prefix).unwrap_or_else(|| panic!("{arn}"));
    assert_label(label);
    label.to_owned()
}

async fn list_arns(sc: &aws_sdk_dynamodbstreams::Client, table: Option<&str>) -> Vec<String> {
    let out = sc
        .list_streams()
        .set_table_name(table.map(str::to_owned))
        .send()
        .await
        .expect("list streams");
    out.streams()
        .iter()
        .map(|s| s.stream_arn().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn create_table_with_a_stream_reports_it_everywhere() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let out = client
        .create_table()
        .table_name("music")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .stream_specification(spec(true, Some(StreamViewType::NewAndOldImages)))
        .send()
        .await
        .expect("create");
    let t = out.table_description().unwrap();
    let spec_out = t.stream_specification().expect("StreamSpecification");
    assert!(spec_out.stream_enabled());
    assert_eq!(
        spec_out.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    let arn = t.latest_stream_arn().expect("LatestStreamArn").to_owned();
    let label = assert_arn(&arn, "music");
    assert_eq!(t.latest_stream_label(), Some(label.as_str()));

    let described = client
        .describe_table()
        .table_name("music")
        .send()
        .await
        .unwrap();
    let t = described.table().unwrap();
    assert_eq!(t.latest_stream_arn(), Some(arn.as_str()));
    assert_eq!(t.latest_stream_label(), Some(label.as_str()));
    assert!(t.stream_specification().unwrap().stream_enabled());

    let listed = sc.list_streams().send().await.unwrap();
    assert_eq!(listed.streams().len(), 1);
    let entry = &listed.streams()[0];
    assert_eq!(entry.stream_arn(), Some(arn.as_str()));
    assert_eq!(entry.table_name(), Some("music"));
    assert_eq!(entry.stream_label(), Some(label.as_str()));

    let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status(), Some(&StreamStatus::Enabled));
    assert_eq!(d.stream_arn(), Some(arn.as_str()));
    assert_eq!(d.stream_label(), Some(label.as_str()));
    assert_eq!(d.table_name(), Some("music"));
    assert_eq!(
        d.stream_view_type(),
        Some(&aws_sdk_dynamodbstreams::types::StreamViewType::NewAndOldImages)
    );
    assert_eq!(d.key_schema().len(), 1);
    assert_eq!(d.key_schema()[0].attribute_name(), "pk");
    assert!(d.creation_request_date_time().is_some());
    assert_eq!(d.shards().len(), 1, "one partition, one open shard");
    let shard = &d.shards()[0];
    assert!(shard.parent_shard_id().is_none());
    let range = shard.sequence_number_range().unwrap();
    assert!(range.starting_sequence_number().is_some());
    assert!(range.ending_sequence_number().is_none());

    // A table without a stream reports none.
    create_table(&client, "plain", None).await;
    let t = client
        .describe_table()
        .table_name("plain")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    assert!(t.stream_specification().is_none());
    assert!(t.latest_stream_arn().is_none() && t.latest_stream_label().is_none());
    // StreamEnabled=false on CreateTable makes no stream.
    let out = client
        .create_table()
        .table_name("nostream")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("create without stream");
    assert!(
        out.table_description()
            .unwrap()
            .latest_stream_arn()
            .is_none()
    );
    assert_eq!(list_arns(&sc, None).await, vec![arn]);
}

#[tokio::test]
async fn update_table_enables_a_stream_of_each_view_type() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    for (i, view) in [
        StreamViewType::KeysOnly,
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
    ]
    .into_iter()
    .enumerate()
    {
        let table = format!("tbl{i}");
        create_table(&client, &table, None).await;
        put(&client, &table, "before").await;
        let out = client
            .update_table()
            .table_name(&table)
            .stream_specification(spec(true, Some(view.clone())))
            .send()
            .await
            .expect("enable");
        let t = out.table_description().unwrap();
        assert_eq!(
            t.stream_specification().unwrap().stream_view_type(),
            Some(&view)
        );
        let arn = t.latest_stream_arn().unwrap().to_owned();
        assert_eq!(
            t.latest_stream_label(),
            Some(assert_arn(&arn, &table).as_str())
        );
        let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
        let d = d.stream_description().unwrap();
        assert_eq!(d.stream_view_type().unwrap().as_str(), view.as_str());
        assert_eq!(d.stream_status(), Some(&StreamStatus::Enabled));
        // Only writes after the enable are in the stream.
        put(&client, &table, "after").await;
        let records = read_all(&sc, &arn).await;
        assert_eq!(records.len(), 1, "{view:?}");
        assert_eq!(common::streams::key(&records[0], "pk"), "after");
    }
}

#[tokio::test]
async fn stream_specification_errors_have_dynamodbs_messages() {
    let server = TestServer::start();
    let client = server.client();
    create_stream_table(&client, "streamy", StreamViewType::KeysOnly, false).await;
    create_table(&client, "plain", None).await;

    let enable_again = |table: &'static str, view: StreamViewType| {
        client
            .update_table()
            .table_name(table)
            .stream_specification(spec(true, Some(view)))
            .send()
    };
    // Already enabled, also with another view type: the view type can't change in place.
    for view in [StreamViewType::KeysOnly, StreamViewType::NewImage] {
        let e = enable_again("streamy", view).await.unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        assert_eq!(
            message(&e),
            "Table already has an enabled stream: TableName: streamy"
        );
    }
    let e = client
        .update_table()
        .table_name("plain")
        .stream_specification(spec(false, None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert_eq!(
        message(&e),
        "Table has no stream to disable: TableName: plain"
    );

    for table in ["plain", "streamy"] {
        let e = client
            .update_table()
            .table_name(table)
            .stream_specification(spec(true, None))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        assert_eq!(
            message(&e),
            "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required"
        );
        let e = client
            .update_table()
            .table_name(table)
            .stream_specification(spec(false, Some(StreamViewType::KeysOnly)))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ValidationException");
        assert_eq!(
            message(&e),
            "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified"
        );
    }
    // The same two on CreateTable.
    for (enabled, view, text) in [
        (
            true,
            None,
            "If stream is being enabled then UpdateViewType is required",
        ),
        (
            false,
            Some(StreamViewType::NewImage),
            "If stream is being disabled, then UpdateViewType must not be specified",
        ),
    ] {
        let raw = serde_json::json!({
            "TableName": "created",
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "StreamSpecification": match view {
                Some(v) => serde_json::json!({"StreamEnabled": enabled, "StreamViewType": v.as_str()}),
                None => serde_json::json!({"StreamEnabled": enabled}),
            },
        });
        let resp = server.raw(
            Some("DynamoDB_20120810.CreateTable"),
            raw.to_string().as_bytes(),
        );
        assert_eq!(resp.status, 400);
        assert_eq!(
            resp.error_type(),
            "com.amazon.coral.validate#ValidationException"
        );
        assert_eq!(
            resp.json()["message"],
            format!("One or more parameter values were invalid: {text}")
        );
    }
    // Nothing was created or changed by the failures.
    let tables = client.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["plain", "streamy"]);
    let sc = server.streams_client();
    assert_eq!(list_arns(&sc, None).await.len(), 1);
}

#[tokio::test]
async fn disable_closes_shards_and_the_stream_stays_readable() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "tbl", StreamViewType::NewImage, false).await;
    let label = assert_arn(&arn, "tbl");
    put(&client, "tbl", "a").await;
    put(&client, "tbl", "b").await;

    let out = client
        .update_table()
        .table_name("tbl")
        .stream_specification(spec(false, None))
        .send()
        .await
        .expect("disable");
    let t = out.table_description().unwrap();
    assert!(t.stream_specification().is_none());
    assert_eq!(t.latest_stream_arn(), Some(arn.as_str()));

    let t = client
        .describe_table()
        .table_name("tbl")
        .send()
        .await
        .unwrap();
    let t = t.table().unwrap();
    assert!(t.stream_specification().is_none(), "{t:?}");
    assert_eq!(t.latest_stream_arn(), Some(arn.as_str()));
    assert_eq!(t.latest_stream_label(), Some(label.as_str()));

    let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status(), Some(&StreamStatus::Disabled));
    assert!(!d.shards().is_empty());
    for shard in d.shards() {
        assert!(!is_open(shard), "every shard closed: {shard:?}");
    }
    assert_eq!(list_arns(&sc, Some("tbl")).await, vec![arn.clone()]);

    // New writes make no record; the old ones are still there, and reading the closed
    // shard to its end gives no NextShardIterator.
    put(&client, "tbl", "c").await;
    let shard_id = d.shards()[0].shard_id().unwrap().to_owned();
    let it = common::streams::iterator(
        &sc,
        &arn,
        &shard_id,
        aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon,
    )
    .await;
    let page = sc.get_records().shard_iterator(it).send().await.unwrap();
    let keys: Vec<String> = page
        .records()
        .iter()
        .map(|r| common::streams::key(r, "pk"))
        .collect();
    assert_eq!(keys, ["a", "b"]);
    assert!(page.next_shard_iterator().is_none());
    // Disabled is still readable after many hours, short of the retention.
    server.advance(23 * 3600);
    assert_eq!(read_all(&sc, &arn).await.len(), 2);
}

#[tokio::test]
async fn re_enable_mints_a_new_stream_and_the_old_one_stays_readable() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let old = create_stream_table(&client, "tbl", StreamViewType::KeysOnly, false).await;
    put(&client, "tbl", "a").await;
    client
        .update_table()
        .table_name("tbl")
        .stream_specification(spec(false, None))
        .send()
        .await
        .unwrap();
    put(&client, "tbl", "while-disabled").await;
    let out = client
        .update_table()
        .table_name("tbl")
        .stream_specification(spec(true, Some(StreamViewType::NewImage)))
        .send()
        .await
        .expect("re-enable with another view type");
    let t = out.table_description().unwrap();
    let new = t.latest_stream_arn().unwrap().to_owned();
    assert_ne!(new, old);
    let new_label = assert_arn(&new, "tbl");
    assert!(
        new_label > assert_arn(&old, "tbl"),
        "labels follow creation"
    );
    assert_eq!(t.latest_stream_label(), Some(new_label.as_str()));
    assert_eq!(
        t.stream_specification().unwrap().stream_view_type(),
        Some(&StreamViewType::NewImage)
    );
    put(&client, "tbl", "b").await;

    let old_records = read_all(&sc, &old).await;
    let new_records = read_all(&sc, &new).await;
    let keys = |rs: &[aws_sdk_dynamodbstreams::types::Record]| -> Vec<String> {
        rs.iter().map(|r| common::streams::key(r, "pk")).collect()
    };
    assert_eq!(keys(&old_records), ["a"]);
    assert_eq!(keys(&new_records), ["b"]);
    assert!(old_records[0].dynamodb().unwrap().new_image().is_none());
    assert!(new_records[0].dynamodb().unwrap().new_image().is_some());

    let mut listed = list_arns(&sc, Some("tbl")).await;
    listed.sort();
    let mut expected = vec![old.clone(), new.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let status = |arn: String| {
        let sc = sc.clone();
        async move {
            sc.describe_stream()
                .stream_arn(arn)
                .send()
                .await
                .unwrap()
                .stream_description()
                .unwrap()
                .stream_status()
                .cloned()
        }
    };
    assert_eq!(status(old).await, Some(StreamStatus::Disabled));
    assert_eq!(status(new).await, Some(StreamStatus::Enabled));
}

#[tokio::test]
async fn delete_table_disables_the_stream_until_retention_forgets_it() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "gone", StreamViewType::NewAndOldImages, false).await;
    put(&client, "gone", "a").await;
    client
        .delete_table()
        .table_name("gone")
        .send()
        .await
        .unwrap();

    let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.stream_status(), Some(&StreamStatus::Disabled));
    assert_eq!(d.table_name(), Some("gone"));
    assert!(d.shards().iter().all(|s| !is_open(s)));
    assert_eq!(list_arns(&sc, None).await, vec![arn.clone()]);
    assert_eq!(list_arns(&sc, Some("gone")).await, vec![arn.clone()]);
    let records = read_all(&sc, &arn).await;
    assert_eq!(records.len(), 1);
    assert_eq!(common::streams::event(&records[0]), "INSERT");

    // A table of the same name gets a stream of its own; the old one stays.
    let again = create_stream_table(&client, "gone", StreamViewType::KeysOnly, false).await;
    assert_ne!(again, arn);
    assert_eq!(list_arns(&sc, Some("gone")).await.len(), 2);
    client
        .delete_table()
        .table_name("gone")
        .send()
        .await
        .unwrap();

    // Still there just short of the retention period.
    server.advance(24 * 3600 - 60);
    assert_eq!(read_all(&sc, &arn).await.len(), 1);
    assert_eq!(shards(&sc, &arn).await.len(), 1);

    // Gone once it has passed.
    server.advance(120);
    let e = sc
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        format!("Requested resource not found: Stream: {arn} not found")
    );
    let e = sc
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert!(list_arns(&sc, None).await.is_empty());
}

#[tokio::test]
async fn labels_are_the_utc_creation_time_and_never_repeat() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let arn = create_stream_table(&client, "clock", StreamViewType::KeysOnly, false).await;
    let label = assert_arn(&arn, "clock");
    let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
    let created = *d
        .stream_description()
        .unwrap()
        .creation_request_date_time()
        .unwrap();
    assert!(created.secs() >= before, "{created:?}");
    let utc = created
        .fmt(aws_sdk_dynamodbstreams::primitives::DateTimeFormat::DateTime)
        .unwrap();
    assert_eq!(
        label[..19],
        utc[..19],
        "the label is the creation time in UTC"
    );

    // Delete and re-create as fast as the API allows: every stream keeps its own ARN.
    let mut arns = vec![arn];
    for _ in 0..30 {
        client
            .delete_table()
            .table_name("clock")
            .send()
            .await
            .unwrap();
        arns.push(create_stream_table(&client, "clock", StreamViewType::KeysOnly, false).await);
    }
    let mut distinct = arns.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), arns.len(), "ARNs repeat: {arns:?}");
    let mut listed = list_arns(&sc, Some("clock")).await;
    listed.sort();
    assert_eq!(listed, distinct);
}

#[tokio::test]
async fn a_failed_update_table_leaves_the_stream_as_it_was() {
    use aws_sdk_dynamodb::types::{DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    create_table(&client, "partial", None).await;
    let bad_index_update = || {
        GlobalSecondaryIndexUpdate::builder()
            .delete(
                DeleteGlobalSecondaryIndexAction::builder()
                    .index_name("nosuchindex")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let e = client
        .update_table()
        .table_name("partial")
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .global_secondary_index_updates(bad_index_update())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let t = client
        .describe_table()
        .table_name("partial")
        .send()
        .await
        .unwrap();
    assert!(t.table().unwrap().latest_stream_arn().is_none());
    assert!(list_arns(&sc, None).await.is_empty(), "no stream was made");
    put(&client, "partial", "a").await;

    // The same for a disable: the stream stays enabled and keeps recording.
    let out = client
        .update_table()
        .table_name("partial")
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .send()
        .await
        .unwrap();
    let arn = out
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_owned();
    let e = client
        .update_table()
        .table_name("partial")
        .stream_specification(spec(false, None))
        .global_secondary_index_updates(bad_index_update())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    let t = client
        .describe_table()
        .table_name("partial")
        .send()
        .await
        .unwrap();
    assert!(t.table().unwrap().stream_specification().is_some());
    put(&client, "partial", "b").await;
    let d = sc.describe_stream().stream_arn(&arn).send().await.unwrap();
    assert_eq!(
        d.stream_description().unwrap().stream_status(),
        Some(&StreamStatus::Enabled)
    );
    let records = read_all(&sc, &arn).await;
    assert_eq!(records.len(), 1);
    assert_eq!(common::streams::key(&records[0], "pk"), "b");
}
