//! Query and Scan through the AWS SDK: key conditions, sort order, filters, projections,
//! Select COUNT, paging with Limit and ExclusiveStartKey, the 1 MB page, parallel scan.

mod common;

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType, Select};
use common::{TestServer, code, create_table, message, n, s};

async fn load(client: &Client, table: &str) {
    for p in ["a", "b"] {
        for i in 0..20 {
            client
                .put_item()
                .table_name(table)
                .item("pk", s(p))
                .item("sk", n(&i.to_string()))
                .item("even", AttributeValue::Bool(i % 2 == 0))
                .item("tag", s(&format!("t{i:02}")))
                .send()
                .await
                .expect("put");
        }
    }
}

fn sks(items: &[HashMap<String, AttributeValue>]) -> Vec<i64> {
    items
        .iter()
        .map(|i| match i.get("sk") {
            Some(AttributeValue::N(v)) => v.parse().expect("int"),
            other => panic!("bad sk {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn key_conditions_and_order() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "qry", Some(ScalarAttributeType::N)).await;
    load(&client, "qry").await;
    // (key condition, its values, the sort keys it selects)
    type Case<'a> = (&'a str, Vec<(&'a str, AttributeValue)>, Vec<i64>);
    let cases: &[Case] = &[
        ("pk = :p AND sk = :a", vec![(":a", n("3"))], vec![3]),
        ("pk = :p AND sk < :a", vec![(":a", n("3"))], vec![0, 1, 2]),
        ("pk = :p AND sk <= :a", vec![(":a", n("2"))], vec![0, 1, 2]),
        ("pk = :p AND sk > :a", vec![(":a", n("17"))], vec![18, 19]),
        ("pk = :p AND sk >= :a", vec![(":a", n("18"))], vec![18, 19]),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            vec![(":a", n("9")), (":b", n("11"))],
            vec![9, 10, 11],
        ),
    ];
    for (expr, values, expected) in cases {
        let mut req = client
            .query()
            .table_name("qry")
            .key_condition_expression(*expr)
            .expression_attribute_values(":p", s("a"));
        for (k, v) in values {
            req = req.expression_attribute_values(*k, v.clone());
        }
        let out = req.send().await.expect("query");
        assert_eq!(sks(out.items()), *expected, "{expr}");
    }
    let out = client
        .query()
        .table_name("qry")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("b"))
        .scan_index_forward(false)
        .limit(3)
        .send()
        .await
        .expect("reverse");
    assert_eq!(sks(out.items()), vec![19, 18, 17]);
    assert!(out.last_evaluated_key().is_some());
}

#[tokio::test]
async fn begins_with_on_strings() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "bwt", Some(ScalarAttributeType::S)).await;
    for sk in ["a", "ab", "abc", "abd", "b", "ba", "Z", "¿"] {
        client
            .put_item()
            .table_name("bwt")
            .item("pk", s("p"))
            .item("sk", s(sk))
            .send()
            .await
            .expect("put");
    }
    let out = client
        .query()
        .table_name("bwt")
        .key_condition_expression("pk = :p AND begins_with(sk, :b)")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":b", s("ab"))
        .send()
        .await
        .expect("query");
    let got: Vec<&str> = out
        .items()
        .iter()
        .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str))
        .collect();
    assert_eq!(got, ["ab", "abc", "abd"]);
    let all = client
        .query()
        .table_name("bwt")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .expect("query");
    let order: Vec<&str> = all
        .items()
        .iter()
        .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str))
        .collect();
    assert_eq!(
        order,
        ["Z", "a", "ab", "abc", "abd", "b", "ba", "¿"],
        "UTF-8 byte order"
    );
    let rev = client
        .query()
        .table_name("bwt")
        .key_condition_expression("pk = :p AND begins_with(sk, :b)")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":b", s("a"))
        .scan_index_forward(false)
        .send()
        .await
        .expect("query");
    let backwards: Vec<&str> = rev
        .items()
        .iter()
        .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str))
        .collect();
    assert_eq!(backwards, ["abd", "abc", "ab", "a"]);
    assert_eq!(rev.count(), 4);
}

#[tokio::test]
async fn filter_projection_count_and_paging() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "flt", Some(ScalarAttributeType::N)).await;
    load(&client, "flt").await;
    let out = client
        .query()
        .table_name("flt")
        .key_condition_expression("pk = :p")
        .filter_expression("even = :t")
        .projection_expression("tag")
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .send()
        .await
        .expect("filtered");
    assert_eq!(out.count(), 10);
    assert_eq!(out.scanned_count(), 20);
    assert!(
        out.items()
            .iter()
            .all(|i| i.len() == 1 && i.contains_key("tag"))
    );

    let out = client
        .query()
        .table_name("flt")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .select(Select::Count)
        .send()
        .await
        .expect("count");
    assert_eq!(out.count(), 20);
    assert!(out.items().is_empty());

    let mut seen = Vec::new();
    let mut start = None;
    let mut pages = 0;
    loop {
        let out = client
            .query()
            .table_name("flt")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("b"))
            .limit(7)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("page");
        pages += 1;
        seen.extend(sks(out.items()));
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert_eq!(pages, 3);

    let err = client
        .query()
        .table_name("flt")
        .key_condition_expression("pk = :p")
        .filter_expression("sk > :z")
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":z", n("0"))
        .send()
        .await
        .expect_err("filter on key");
    assert_eq!(
        message(&err),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    );
    let err = client
        .query()
        .table_name("flt")
        .key_condition_expression("sk = :z")
        .expression_attribute_values(":z", n("0"))
        .send()
        .await
        .expect_err("no hash key");
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Query condition missed key schema element: pk"
    );
}

#[tokio::test]
async fn scan_pages_segments_and_one_megabyte() {
    let server = TestServer::start();
    let client = server.client();
    create_table(&client, "scn", None).await;
    let blob = "x".repeat(100 * 1024);
    for i in 0..30 {
        client
            .put_item()
            .table_name("scn")
            .item("pk", s(&format!("k{i}")))
            .item("blob", s(&blob))
            .send()
            .await
            .expect("put");
    }
    let first = client.scan().table_name("scn").send().await.expect("scan");
    assert!(
        first.count() >= 10 && first.count() < 30,
        "1 MB page, got {}",
        first.count()
    );
    assert!(first.last_evaluated_key().is_some());

    let mut all = HashSet::new();
    for segment in 0..3 {
        let mut start = None;
        loop {
            let out = client
                .scan()
                .table_name("scn")
                .segment(segment)
                .total_segments(3)
                .projection_expression("pk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("segment");
            for i in out.items() {
                let pk = i
                    .get("pk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .expect("pk");
                assert!(all.insert(pk), "item seen twice");
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
    }
    assert_eq!(all.len(), 30);

    let err = client
        .scan()
        .table_name("scn")
        .segment(3)
        .total_segments(3)
        .send()
        .await
        .expect_err("bad segment");
    assert_eq!(
        message(&err),
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3"
    );
}
