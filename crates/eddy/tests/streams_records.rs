//! Stream records through the SDKs: the fields of a record, images per view type, SizeBytes,
//! which writes make a record (INSERT, MODIFY, REMOVE) and which make none (every no-op and
//! failed condition), and BatchWriteItem's one record per changed item.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, KeySchemaElement, KeyType,
    PutRequest, ScalarAttributeType, StreamViewType, WriteRequest,
};
use aws_sdk_dynamodbstreams::types::{AttributeValue as SAttr, ShardIteratorType};
use common::streams::{body, create_stream_table, event, key, read_all, spec, ss};
use common::{TestServer, code, n, s};

type SItem = HashMap<String, SAttr>;

fn sitem(pairs: &[(&str, SAttr)]) -> SItem {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn sn(v: &str) -> SAttr {
    SAttr::N(v.to_owned())
}

/// A table whose only key is the string attribute `key_name`, with a stream of `view`.
async fn keyed_table(client: &Client, name: &str, key_name: &str, view: StreamViewType) -> String {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key_name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key_name)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .stream_specification(spec(true, Some(view)))
        .send()
        .await
        .expect("create")
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_owned()
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_record_carries_every_field_of_the_contract() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "music", StreamViewType::NewAndOldImages, true).await;
    let before = now_s();
    client
        .put_item()
        .table_name("music")
        .item("pk", s("a"))
        .item("sk", s("1"))
        .item("v", n("1"))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name("music")
        .key("pk", s("a"))
        .key("sk", s("1"))
        .update_expression("SET v = :two")
        .expression_attribute_values(":two", n("2"))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name("music")
        .key("pk", s("a"))
        .key("sk", s("1"))
        .send()
        .await
        .unwrap();
    let after = now_s();

    let records = read_all(&sc, &arn).await;
    let events: Vec<&str> = records.iter().map(event).collect();
    assert_eq!(events, ["INSERT", "MODIFY", "REMOVE"]);
    let mut ids = HashSet::new();
    let mut last_seq = 0u128;
    let keys = sitem(&[("pk", ss("a")), ("sk", ss("1"))]);
    for r in &records {
        let id = r.event_id().expect("eventID");
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(ids.insert(id.to_owned()), "eventID unique");
        assert_eq!(r.event_version(), Some("1.1"));
        assert_eq!(r.event_source(), Some("aws:dynamodb"));
        assert_eq!(r.aws_region(), Some("us-east-1"));
        assert!(r.user_identity().is_none());
        let d = body(r);
        let t = d
            .approximate_creation_date_time()
            .expect("ApproximateCreationDateTime");
        assert_eq!(t.subsec_nanos(), 0, "whole seconds");
        assert!(
            (before..=after).contains(&t.secs()),
            "{} not in {before}..={after}",
            t.secs()
        );
        assert_eq!(d.keys(), Some(&keys));
        let seq_text = d.sequence_number().unwrap();
        assert!((21..=40).contains(&seq_text.len()), "{seq_text}");
        assert!(seq_text.bytes().all(|b| b.is_ascii_digit()));
        let seq: u128 = seq_text.parse().unwrap();
        assert!(seq > last_seq, "sequence numbers increase");
        last_seq = seq;
        assert_eq!(
            d.stream_view_type(),
            Some(&aws_sdk_dynamodbstreams::types::StreamViewType::NewAndOldImages)
        );
    }
    let v1 = sitem(&[("pk", ss("a")), ("sk", ss("1")), ("v", sn("1"))]);
    let v2 = sitem(&[("pk", ss("a")), ("sk", ss("1")), ("v", sn("2"))]);
    let (insert, modify, remove) = (body(&records[0]), body(&records[1]), body(&records[2]));
    assert_eq!((insert.new_image(), insert.old_image()), (Some(&v1), None));
    assert_eq!(
        (modify.new_image(), modify.old_image()),
        (Some(&v2), Some(&v1))
    );
    assert_eq!((remove.new_image(), remove.old_image()), (None, Some(&v2)));
    // SizeBytes: keys (pk 2+1, sk 2+1 = 6) plus each image (6 + v: name 1, number 2 = 9).
    assert_eq!(insert.size_bytes(), Some(6 + 9));
    assert_eq!(modify.size_bytes(), Some(6 + 9 + 9));
    assert_eq!(remove.size_bytes(), Some(6 + 9));

    // On the wire ApproximateCreationDateTime is a JSON number of seconds, and Records is an
    // array.
    let shard = common::streams::shards(&sc, &arn).await[0]
        .shard_id()
        .unwrap()
        .to_owned();
    let it = common::streams::iterator(&sc, &arn, &shard, ShardIteratorType::TrimHorizon).await;
    let resp = server.raw(
        Some("DynamoDBStreams_20120810.GetRecords"),
        serde_json::json!({ "ShardIterator": it })
            .to_string()
            .as_bytes(),
    );
    assert_eq!(resp.status, 200);
    let json = resp.json();
    let t = &json["Records"][0]["dynamodb"]["ApproximateCreationDateTime"];
    assert!(t.is_u64(), "{t}");
    assert_eq!(json["Records"][0]["eventVersion"], "1.1");
}

#[tokio::test]
async fn images_follow_the_view_type() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let v1 = sitem(&[("pk", ss("k")), ("a", ss("one"))]);
    let v2 = sitem(&[("pk", ss("k")), ("a", ss("two")), ("b", SAttr::Bool(true))]);
    for (i, view) in [
        StreamViewType::KeysOnly,
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
    ]
    .into_iter()
    .enumerate()
    {
        let table = format!("view{i}");
        let arn = create_stream_table(&client, &table, view.clone(), false).await;
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("k"))
            .item("a", s("one"))
            .send()
            .await
            .unwrap();
        // A PutItem that replaces the item is a MODIFY.
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("k"))
            .item("a", s("two"))
            .item("b", AttributeValue::Bool(true))
            .send()
            .await
            .unwrap();
        client
            .delete_item()
            .table_name(&table)
            .key("pk", s("k"))
            .send()
            .await
            .unwrap();
        let records = read_all(&sc, &arn).await;
        let events: Vec<&str> = records.iter().map(event).collect();
        assert_eq!(events, ["INSERT", "MODIFY", "REMOVE"], "{view:?}");
        let images: Vec<(Option<&SItem>, Option<&SItem>)> = records
            .iter()
            .map(|r| (body(r).new_image(), body(r).old_image()))
            .collect();
        let expected: Vec<(Option<&SItem>, Option<&SItem>)> = match view {
            StreamViewType::KeysOnly => vec![(None, None); 3],
            StreamViewType::NewImage => vec![(Some(&v1), None), (Some(&v2), None), (None, None)],
            StreamViewType::OldImage => vec![(None, None), (None, Some(&v1)), (None, Some(&v2))],
            _ => vec![(Some(&v1), None), (Some(&v2), Some(&v1)), (None, Some(&v2))],
        };
        assert_eq!(images, expected, "{view:?}");
        let keys = sitem(&[("pk", ss("k"))]);
        for r in &records {
            assert_eq!(body(r).keys(), Some(&keys));
            assert_eq!(
                body(r).stream_view_type().map(|v| v.as_str()),
                Some(view.as_str())
            );
            // SizeBytes is the keys plus the images carried.
            let size = |i: Option<&SItem>| i.map_or(0, item_size);
            let expected = item_size(&keys) + size(body(r).new_image()) + size(body(r).old_image());
            assert_eq!(body(r).size_bytes(), Some(expected as i64), "{view:?}");
        }
    }
}

/// DynamoDB's item size for the flat items of these tests (S, N of few digits, BOOL).
fn item_size(item: &SItem) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    SAttr::S(s) => s.len(),
                    SAttr::N(n) => n.len().div_ceil(2) + 1,
                    SAttr::Bool(_) => 1,
                    other => panic!("unsized in this test: {other:?}"),
                }
        })
        .sum()
}

#[tokio::test]
async fn size_bytes_matches_the_contracts_checks() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let fred = keyed_table(&client, "fred", "id", StreamViewType::NewAndOldImages).await;
    client
        .put_item()
        .table_name("fred")
        .item("id", s("Fred"))
        .send()
        .await
        .unwrap();
    let alice = keyed_table(&client, "alice", "Username", StreamViewType::KeysOnly).await;
    client
        .put_item()
        .table_name("alice")
        .item("Username", s("Alice"))
        .item("other", s("not counted in KEYS_ONLY"))
        .send()
        .await
        .unwrap();
    let fred = read_all(&sc, &fred).await;
    assert_eq!(fred.len(), 1);
    assert_eq!(event(&fred[0]), "INSERT");
    assert_eq!(body(&fred[0]).size_bytes(), Some(12));
    let alice = read_all(&sc, &alice).await;
    assert_eq!(alice.len(), 1);
    assert_eq!(body(&alice[0]).size_bytes(), Some(13));
}

#[tokio::test]
async fn key_only_items_give_key_only_images() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "bare", StreamViewType::NewAndOldImages, true).await;
    let keys = sitem(&[("pk", ss("p")), ("sk", ss("s"))]);
    client
        .put_item()
        .table_name("bare")
        .item("pk", s("p"))
        .item("sk", s("s"))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name("bare")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .send()
        .await
        .unwrap();
    // UpdateItem without an update expression creates the bare item.
    client
        .update_item()
        .table_name("bare")
        .key("pk", s("p"))
        .key("sk", s("s"))
        .send()
        .await
        .unwrap();
    let records = read_all(&sc, &arn).await;
    let got: Vec<(&str, Option<&SItem>, Option<&SItem>)> = records
        .iter()
        .map(|r| (event(r), body(r).new_image(), body(r).old_image()))
        .collect();
    assert_eq!(
        got,
        [
            ("INSERT", Some(&keys), None),
            ("REMOVE", None, Some(&keys)),
            ("INSERT", Some(&keys), None),
        ]
    );
}

fn seed_item() -> HashMap<String, AttributeValue> {
    let map: HashMap<String, AttributeValue> = [
        ("x".to_owned(), n("1")),
        ("y".to_owned(), s("why")),
        ("z".to_owned(), AttributeValue::L(vec![n("1"), s("two")])),
    ]
    .into();
    [
        ("pk".to_owned(), s("a")),
        ("n".to_owned(), n("1.5")),
        ("m".to_owned(), AttributeValue::M(map)),
        (
            "ss".to_owned(),
            AttributeValue::Ss(vec!["p".into(), "q".into(), "r".into()]),
        ),
        (
            "ns".to_owned(),
            AttributeValue::Ns(vec!["1".into(), "20".into(), "300".into()]),
        ),
    ]
    .into()
}

#[tokio::test]
async fn writes_that_change_nothing_make_no_record() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "same", StreamViewType::NewAndOldImages, false).await;
    let item = seed_item();
    client
        .put_item()
        .table_name("same")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();

    // Identical PutItem, and equal ones written differently: set order, number text, map
    // key order (the SDK's map order is arbitrary; it is rebuilt here in another order).
    client
        .put_item()
        .table_name("same")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let mut respelled = item.clone();
    respelled.insert("n".into(), n("01.50"));
    respelled.insert(
        "ss".into(),
        AttributeValue::Ss(vec!["r".into(), "p".into(), "q".into()]),
    );
    respelled.insert(
        "ns".into(),
        AttributeValue::Ns(vec!["3E2".into(), "1.0".into(), "20".into()]),
    );
    let map: HashMap<String, AttributeValue> = [
        ("z".to_owned(), AttributeValue::L(vec![n("1.00"), s("two")])),
        ("y".to_owned(), s("why")),
        ("x".to_owned(), n("10E-1")),
    ]
    .into();
    respelled.insert("m".into(), AttributeValue::M(map));
    client
        .put_item()
        .table_name("same")
        .set_item(Some(respelled))
        .send()
        .await
        .unwrap();

    let update = |expr: &'static str, values: &[(&'static str, AttributeValue)]| {
        let mut req = client
            .update_item()
            .table_name("same")
            .key("pk", s("a"))
            .update_expression(expr);
        for (k, v) in values {
            req = req.expression_attribute_values(*k, v.clone());
        }
        req.send()
    };
    update("SET n = :v", &[(":v", n("1.50"))]).await.unwrap();
    update(
        "SET m.x = :v, m.y = :w",
        &[(":v", n("1")), (":w", s("why"))],
    )
    .await
    .unwrap();
    update("ADD n :zero", &[(":zero", n("0"))]).await.unwrap();
    update("ADD ss :p", &[(":p", AttributeValue::Ss(vec!["p".into()]))])
        .await
        .unwrap();
    update(
        "DELETE ss :absent",
        &[(":absent", AttributeValue::Ss(vec!["zzz".into()]))],
    )
    .await
    .unwrap();
    update("REMOVE gone_attr, m.gone_attr", &[]).await.unwrap();
    update("SET n = n + :zero", &[(":zero", n("0"))])
        .await
        .unwrap();

    // DeleteItem of a missing item; UpdateItem REMOVE on a missing item, which must not
    // create it.
    client
        .delete_item()
        .table_name("same")
        .key("pk", s("nobody"))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name("same")
        .key("pk", s("ghost"))
        .update_expression("REMOVE attr")
        .send()
        .await
        .unwrap();
    let ghost = client
        .get_item()
        .table_name("same")
        .key("pk", s("ghost"))
        .send()
        .await
        .unwrap();
    assert!(
        ghost.item().is_none(),
        "REMOVE on a missing item created it"
    );

    // Failed conditions change nothing.
    let e = client
        .put_item()
        .table_name("same")
        .item("pk", s("a"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ConditionalCheckFailedException");
    let e = client
        .put_item()
        .table_name("same")
        .item("pk", s("new"))
        .condition_expression("attribute_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ConditionalCheckFailedException");
    let e = client
        .update_item()
        .table_name("same")
        .key("pk", s("a"))
        .update_expression("SET n = :v")
        .condition_expression("n = :other")
        .expression_attribute_values(":v", n("9"))
        .expression_attribute_values(":other", n("2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ConditionalCheckFailedException");
    let e = client
        .delete_item()
        .table_name("same")
        .key("pk", s("a"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ConditionalCheckFailedException");
    // An update that fails at run time changes nothing either.
    let e = update("SET n = n + :s", &[(":s", s("text"))])
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");

    // Batches: an identical put and a delete of a missing item.
    client
        .batch_write_item()
        .request_items(
            "same",
            vec![
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .key("pk", s("nobody"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            ],
        )
        .send()
        .await
        .unwrap();

    let records = read_all(&sc, &arn).await;
    assert_eq!(records.len(), 1, "only the first put: {records:#?}");
    assert_eq!(event(&records[0]), "INSERT");

    // A real change after all that is one MODIFY.
    update("SET n = :v", &[(":v", n("2"))]).await.unwrap();
    let records = read_all(&sc, &arn).await;
    let events: Vec<&str> = records.iter().map(event).collect();
    assert_eq!(events, ["INSERT", "MODIFY"]);
    let old = body(&records[1]).old_image().unwrap();
    let new = body(&records[1]).new_image().unwrap();
    assert_eq!(old.get("n"), Some(&sn("1.5")));
    assert_eq!(new.get("n"), Some(&sn("2")));
}

#[tokio::test]
async fn batch_write_makes_one_record_per_changed_item() {
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "batch", StreamViewType::NewAndOldImages, false).await;
    let other = create_stream_table(&client, "other", StreamViewType::KeysOnly, false).await;
    for (pk, v) in [("same", "1"), ("changed", "1"), ("deleted", "1")] {
        client
            .put_item()
            .table_name("batch")
            .item("pk", s(pk))
            .item("v", n(v))
            .send()
            .await
            .unwrap();
    }
    let put = |pk: &str, v: &str| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .item("pk", s(pk))
                    .item("v", n(v))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let delete = |pk: &str| {
        WriteRequest::builder()
            .delete_request(DeleteRequest::builder().key("pk", s(pk)).build().unwrap())
            .build()
    };
    let out = client
        .batch_write_item()
        .request_items(
            "batch",
            vec![
                put("new1", "1"),
                put("new2", "1"),
                put("new3", "1"),
                put("same", "1.0"),
                put("changed", "2"),
                delete("deleted"),
                delete("never-was"),
            ],
        )
        .request_items("other", vec![put("o1", "1"), delete("o2")])
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items().is_none_or(HashMap::is_empty));

    let records = read_all(&sc, &arn).await;
    let mut got: Vec<(String, &str)> = records[3..]
        .iter()
        .map(|r| (key(r, "pk"), event(r)))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("changed".to_owned(), "MODIFY"),
            ("deleted".to_owned(), "REMOVE"),
            ("new1".to_owned(), "INSERT"),
            ("new2".to_owned(), "INSERT"),
            ("new3".to_owned(), "INSERT"),
        ]
    );
    // Each table's stream gets its own records: the missing o2 makes none.
    let other = read_all(&sc, &other).await;
    let other: Vec<(String, &str)> = other.iter().map(|r| (key(r, "pk"), event(r))).collect();
    assert_eq!(other, [("o1".to_owned(), "INSERT")]);
    assert_eq!(records.len(), 3 + 5);
}

#[tokio::test]
async fn index_maintenance_makes_no_record() {
    use aws_sdk_dynamodb::types::{
        CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, Projection, ProjectionType,
    };
    let server = TestServer::start();
    let (client, sc) = (server.client(), server.streams_client());
    let arn = create_stream_table(&client, "indexed", StreamViewType::NewAndOldImages, false).await;
    for i in 0..5 {
        client
            .put_item()
            .table_name("indexed")
            .item("pk", s(&format!("k{i}")))
            .item("g", s("group"))
            .send()
            .await
            .unwrap();
    }
    // Building a new index over the existing items writes index entries only.
    client
        .update_table()
        .table_name("indexed")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("g")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("g")
                                .key_type(KeyType::Hash)
                                .build()
                                .unwrap(),
                        )
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create index");
    assert_eq!(read_all(&sc, &arn).await.len(), 5);
    // A write that also moves its index entry is still one record.
    client
        .update_item()
        .table_name("indexed")
        .key("pk", s("k0"))
        .update_expression("SET g = :other")
        .expression_attribute_values(":other", s("other"))
        .send()
        .await
        .unwrap();
    let records = read_all(&sc, &arn).await;
    assert_eq!(records.len(), 6);
    assert_eq!(event(&records[5]), "MODIFY");
}
