//! Writes racing from every node: conditional writes have one winner per round, transactions
//! across tables stay atomic, and a ClientRequestToken holds whichever node a retry reaches.

use std::sync::Arc;

use aws_sdk_dynamodb::types::{Get, Put, TransactGetItem, TransactWriteItem, Update};

use crate::cluster::{Cluster, create, int, read};
use crate::common::{code, n, s};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conditional_writes_racing_from_every_node_have_one_winner_per_round() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let cluster = Arc::new(cluster);
    create(&cluster, "race", false).await;
    for round in 0..15 {
        let mut racers = Vec::new();
        for racer in 0..9 {
            let cluster = Arc::clone(&cluster);
            racers.push(tokio::spawn(async move {
                let put = cluster
                    .any()
                    .put_item()
                    .table_name("race")
                    .item("pk", s(&format!("round-{round}")))
                    .item("winner", n(&racer.to_string()))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                match put {
                    Ok(_) => Some(racer),
                    Err(e) => {
                        assert_eq!(code(&e), "ConditionalCheckFailedException", "{e:?}");
                        None
                    }
                }
            }));
        }
        let mut winners = Vec::new();
        for racer in racers {
            winners.extend(racer.await.expect("racer"));
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let item = read(&cluster, "race", &format!("round-{round}"))
            .await
            .expect("the winner's item");
        assert_eq!(int(&item, "winner"), winners[0]);
    }

    // Optimistic counters: read, then write only if no one wrote since. Every success counts
    // once; none is lost between nodes.
    cluster
        .any()
        .put_item()
        .table_name("race")
        .item("pk", s("counter"))
        .item("version", n("0"))
        .send()
        .await
        .expect("counter");
    let mut workers = Vec::new();
    for _ in 0..6 {
        let cluster = Arc::clone(&cluster);
        workers.push(tokio::spawn(async move {
            let mut won = 0;
            for _ in 0..25 {
                let item = read(&cluster, "race", "counter").await.expect("counter");
                let version = int(&item, "version");
                let update = cluster
                    .any()
                    .update_item()
                    .table_name("race")
                    .key("pk", s("counter"))
                    .update_expression("SET version = :next")
                    .condition_expression("version = :seen")
                    .expression_attribute_values(":seen", n(&version.to_string()))
                    .expression_attribute_values(":next", n(&(version + 1).to_string()))
                    .send()
                    .await;
                match update {
                    Ok(_) => won += 1,
                    Err(e) => assert_eq!(code(&e), "ConditionalCheckFailedException", "{e:?}"),
                }
            }
            won
        }));
    }
    let mut successes = 0;
    for worker in workers {
        successes += worker.await.expect("worker");
    }
    let item = read(&cluster, "race", "counter").await.expect("counter");
    assert!(successes > 0);
    assert_eq!(int(&item, "version"), successes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_across_nodes_stay_atomic() {
    let Some(cluster) = Cluster::start(3) else {
        return;
    };
    let cluster = Arc::new(cluster);
    create(&cluster, "bank", false).await;
    create(&cluster, "ledger", false).await;
    const TOTAL: i64 = 40;
    for (account, balance) in [("a", TOTAL), ("b", 0)] {
        cluster
            .any()
            .put_item()
            .table_name("bank")
            .item("pk", s(account))
            .item("balance", n(&balance.to_string()))
            .send()
            .await
            .expect("account");
    }
    // Movers take one unit from a to b, with a ledger line per move, in one transaction across
    // two tables; readers check through any node that no half of a move is ever seen.
    let mut movers = Vec::new();
    for mover in 0..6 {
        let cluster = Arc::clone(&cluster);
        movers.push(tokio::spawn(async move {
            let mut moved = Vec::new();
            for attempt in 0..12 {
                let line = format!("move-{mover}-{attempt}");
                let debit = Update::builder()
                    .table_name("bank")
                    .key("pk", s("a"))
                    .update_expression("SET balance = balance - :one")
                    .condition_expression("balance > :zero")
                    .expression_attribute_values(":one", n("1"))
                    .expression_attribute_values(":zero", n("0"))
                    .build()
                    .expect("debit");
                let credit = Update::builder()
                    .table_name("bank")
                    .key("pk", s("b"))
                    .update_expression("SET balance = balance + :one")
                    .expression_attribute_values(":one", n("1"))
                    .build()
                    .expect("credit");
                let record = Put::builder()
                    .table_name("ledger")
                    .item("pk", s(&line))
                    .build()
                    .expect("ledger line");
                let sent = cluster
                    .any()
                    .transact_write_items()
                    .transact_items(TransactWriteItem::builder().update(debit).build())
                    .transact_items(TransactWriteItem::builder().update(credit).build())
                    .transact_items(TransactWriteItem::builder().put(record).build())
                    .send()
                    .await;
                match sent {
                    Ok(_) => moved.push(line),
                    Err(e) => assert!(
                        [
                            "TransactionCanceledException",
                            "TransactionConflictException"
                        ]
                        .contains(&code(&e).as_str()),
                        "{e:?}"
                    ),
                }
            }
            moved
        }));
    }
    let reader = {
        let cluster = Arc::clone(&cluster);
        tokio::spawn(async move {
            let mut reads = 0;
            for _ in 0..60 {
                let got = cluster
                    .any()
                    .transact_get_items()
                    .transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .key("pk", s("a"))
                                    .build()
                                    .expect("get"),
                            )
                            .build(),
                    )
                    .transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .key("pk", s("b"))
                                    .build()
                                    .expect("get"),
                            )
                            .build(),
                    )
                    .send()
                    .await;
                let Ok(got) = got else { continue };
                let responses = got.responses.expect("responses");
                let sum: i64 = responses
                    .iter()
                    .map(|r| int(r.item.as_ref().expect("account"), "balance"))
                    .sum();
                assert_eq!(sum, TOTAL, "a transaction was seen half applied");
                reads += 1;
            }
            reads
        })
    };
    let mut moved = Vec::new();
    for mover in movers {
        moved.extend(mover.await.expect("mover"));
    }
    assert!(reader.await.expect("reader") > 0);
    let balance = |account: &'static str| {
        let cluster = Arc::clone(&cluster);
        async move {
            let item = read(&cluster, "bank", account).await.expect("account");
            int(&item, "balance")
        }
    };
    let (a, b) = (balance("a").await, balance("b").await);
    assert_eq!(a + b, TOTAL);
    assert_eq!(
        b,
        moved.len() as i64,
        "every committed move, and only those, moved money"
    );
    let mut lines = Vec::new();
    let mut start = None;
    loop {
        let page = cluster
            .any()
            .scan()
            .table_name("ledger")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        lines.extend(
            page.items()
                .iter()
                .map(|item| item["pk"].as_s().expect("line").clone()),
        );
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    lines.sort();
    moved.sort();
    assert_eq!(
        lines, moved,
        "a ledger line for each committed move, and no other"
    );
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_request_token_holds_across_nodes() {
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    create(&cluster, "tokens", false).await;
    let bump = |amount: &str| {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name("tokens")
                    .key("pk", s("counter"))
                    .update_expression("ADD amount_sum :amount")
                    .expression_attribute_values(":amount", n(amount))
                    .build()
                    .expect("update"),
            )
            .build()
    };
    // The first try reaches one node, its retry another: it runs once.
    for client in &cluster.clients {
        client
            .transact_write_items()
            .client_request_token("retried-token")
            .transact_items(bump("1"))
            .send()
            .await
            .expect("transaction");
    }
    let item = read(&cluster, "tokens", "counter").await.expect("counter");
    assert_eq!(
        int(&item, "amount_sum"),
        1,
        "the retry through another node ran again"
    );
    let other = cluster.clients[1]
        .transact_write_items()
        .client_request_token("retried-token")
        .transact_items(bump("5"))
        .send()
        .await
        .expect_err("another request with the same token");
    assert_eq!(code(&other), "IdempotentParameterMismatchException");
}
