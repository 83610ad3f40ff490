//! Killing a node and then the leader: nothing acknowledged is lost, and the background duties,
//! stream triggers included, move to a survivor.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::TimeToLiveSpecification;

use crate::cluster::{Cluster, create, read, read_stream, stream_arn};
use crate::common::triggers::Sink;
use crate::common::{http_request, n, s};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_a_node_or_the_leader_loses_nothing_and_duties_move() {
    let Some(mut cluster) = Cluster::start(3) else {
        return;
    };
    create(&cluster, "survive", true).await;
    let leader = cluster.leader();
    let follower = (leader + 1) % 3;
    let mut acknowledged = Vec::new();
    let mut write = |cluster: &Cluster, i: usize| {
        let key = format!("item-{i}");
        acknowledged.push(key.clone());
        let client = cluster.any().clone();
        async move {
            client
                .put_item()
                .table_name("survive")
                .item("pk", s(&key))
                .send()
                .await
                .expect("put");
        }
    };
    for i in 0..30 {
        write(&cluster, i).await;
    }
    cluster.kill(follower);
    for i in 30..60 {
        write(&cluster, i).await;
    }
    cluster.kill(leader);
    let survivor = cluster.leader();
    assert_ne!(survivor, leader);
    for i in 60..90 {
        write(&cluster, i).await;
    }
    for key in &acknowledged {
        let item = read(&cluster, "survive", key).await;
        assert!(item.is_some(), "{key} was acknowledged and is gone");
    }

    // A duty of the leader's alone: the TTL sweep (every second here) deletes an expired item
    // without anything asking for it.
    cluster
        .any()
        .update_time_to_live()
        .table_name("survive")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("ttl");
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
        - 60;
    cluster
        .any()
        .put_item()
        .table_name("survive")
        .item("pk", s("expired"))
        .item("expires", n(&past.to_string()))
        .send()
        .await
        .expect("put");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let item = cluster
            .any()
            .get_item()
            .table_name("survive")
            .key("pk", s("expired"))
            .send()
            .await
            .expect("get")
            .item;
        if item.is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "no node swept the expired item");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Deleted once: one REMOVE record, from the TTL service.
    let arn = stream_arn(&cluster, "survive").await;
    let records = read_stream(&cluster, &arn).await;
    let removes: Vec<_> = records
        .iter()
        .filter(|(_, r)| r.event_name.as_ref().map(|e| e.as_str()) == Some("REMOVE"))
        .collect();
    assert_eq!(removes.len(), 1);
    assert_eq!(
        removes[0]
            .1
            .user_identity
            .as_ref()
            .and_then(|u| u.principal_id.as_deref()),
        Some("dynamodb.amazonaws.com")
    );
    let inserts = records
        .iter()
        .filter(|(_, r)| r.event_name.as_ref().map(|e| e.as_str()) == Some("INSERT"))
        .count();
    assert_eq!(
        inserts, 91,
        "one record per acknowledged write, none lost with a node"
    );

    // A node joining later serves the same data, and does not lead while another does.
    cluster.add_node();
    let newest = cluster.nodes.len() - 1;
    let count = cluster.clients[newest]
        .scan()
        .table_name("survive")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .expect("scan")
        .count;
    assert_eq!(count, 90);
    assert_eq!(cluster.leader(), survivor);
}

/// The keys of every record a sink received, in order of arrival.
fn delivered(sink: &Sink) -> Vec<String> {
    sink.received()
        .iter()
        .flat_map(|r| r.records())
        .map(|record| crate::common::triggers::pk(&record))
        .collect()
}

/// Waits until the sink has received a record of each of `keys`.
fn wait_for_keys(sink: &Sink, keys: &[String]) -> Vec<String> {
    crate::common::triggers::wait_until(&format!("{} keys delivered", keys.len()), || {
        let got = delivered(sink);
        keys.iter().all(|k| got.contains(k)).then_some(got)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trigger_given_to_every_node_runs_on_the_leader_and_moves_with_it() {
    let sink = Sink::ok();
    let trigger = format!(
        "table=orders,url={},starting-position=trim-horizon,batch-size=5",
        sink.url()
    );
    let Some(mut cluster) = Cluster::start_with(2, &["--trigger".to_owned(), trigger]) else {
        return;
    };
    create(&cluster, "orders", true).await;
    let leader = cluster.leader();
    let put = |cluster: &Cluster, key: String| {
        let client = cluster.any().clone();
        async move {
            client
                .put_item()
                .table_name("orders")
                .item("pk", s(&key))
                .send()
                .await
                .expect("put");
        }
    };
    let before: Vec<String> = (0..30).map(|i| format!("before-{i}")).collect();
    for key in &before {
        put(&cluster, key.clone()).await;
    }
    let got = wait_for_keys(&sink, &before);
    assert_eq!(
        got.len(),
        before.len(),
        "each record delivered once, by one node: {got:?}"
    );
    let followers_page = {
        let follower = 1 - leader;
        let addr = cluster
            .endpoint(follower)
            .trim_start_matches("http://")
            .parse()
            .expect("addr");
        http_request(addr, "GET", "/_eddy/triggers", &[], b"").json()
    };
    assert_eq!(
        followers_page["triggers"],
        serde_json::json!([]),
        "the follower runs none"
    );

    // The leader dies; the other node leads and goes on from the checkpoints in the database.
    cluster.kill(leader);
    assert_ne!(cluster.leader(), leader);
    let after: Vec<String> = (0..30).map(|i| format!("after-{i}")).collect();
    for key in &after {
        put(&cluster, key.clone()).await;
    }
    let got = wait_for_keys(&sink, &after);
    for key in &after {
        assert_eq!(
            got.iter().filter(|k| *k == key).count(),
            1,
            "{key} once: {got:?}"
        );
    }
    // At most the batch in flight when the leader died comes again (at least once, as
    // Lambda): not the stream from its start.
    let again = got.len() - before.len() - after.len();
    assert!(again <= 5, "{again} records delivered twice: {got:?}");
}
