//! The load: writers that each own their keys, so every key's writes are sequential, using
//! every write path (PutItem, conditional UpdateItem, DeleteItem, BatchWriteItem,
//! TransactWriteItems across both tables, PartiQL), until the server dies under them.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, LocalSecondaryIndex, Projection, ProjectionType, Put, PutRequest, ScalarAttributeType,
    StreamSpecification, StreamViewType, TransactWriteItem, WriteRequest,
};
use rand::{Rng, SeedableRng};

use crate::model::{Effect, InFlight, Key, Model, Outcome, TABLE_A, TABLE_B, Table, indexed};
use crate::server::Server;

fn attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute definition")
}

fn key(name: &str, kt: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kt)
        .build()
        .expect("key element")
}

fn all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

/// Creates the two stream tables: A with a global index on `g`, B with a sort key and a local
/// index on `l`.
pub async fn create_tables(db: &Client) -> anyhow::Result<()> {
    let stream = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()?;
    db.create_table()
        .table_name(TABLE_A)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("g"))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key("g", KeyType::Hash))
                .key_schema(key("pk", KeyType::Range))
                .projection(all())
                .build()?,
        )
        .stream_specification(stream.clone())
        .send()
        .await
        .context("creating table A")?;
    db.create_table()
        .table_name(TABLE_B)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr("l"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("l", KeyType::Range))
                .projection(all())
                .build()?,
        )
        .stream_specification(stream)
        .send()
        .await
        .context("creating table B")?;
    Ok(())
}

/// The item a version makes of a key.
pub fn item(k: &Key, v: u64) -> HashMap<String, AttributeValue> {
    let s = |x: &str| AttributeValue::S(x.to_owned());
    let mut item = HashMap::from([
        ("pk".to_owned(), s(&k.1)),
        ("v".to_owned(), AttributeValue::N(v.to_string())),
    ]);
    match k.0 {
        Table::A => {
            item.insert("g".to_owned(), s(&indexed(v)));
        }
        Table::B => {
            item.insert("sk".to_owned(), s(&k.2));
            item.insert("l".to_owned(), s(&indexed(v)));
        }
    }
    item
}

fn key_of(k: &Key) -> HashMap<String, AttributeValue> {
    let mut m = HashMap::from([("pk".to_owned(), AttributeValue::S(k.1.clone()))]);
    if k.0 == Table::B {
        m.insert("sk".to_owned(), AttributeValue::S(k.2.clone()));
    }
    m
}

/// How a request ended.
enum Sent {
    /// Answered with success: its effects happened.
    Applied,
    /// Answered with an error: nothing happened.
    Refused,
    /// No answer: its effects may or may not have happened.
    Unknown,
}

fn sent<T, E, R>(r: Result<T, SdkError<E, R>>) -> Sent {
    match r {
        Ok(_) => Sent::Applied,
        Err(SdkError::ServiceError(_)) => Sent::Refused,
        Err(_) => Sent::Unknown,
    }
}

/// Runs the writers for `duration`, then kills the server under them; returns what they did.
pub async fn run(server: Server, model: &Model, cycle: u32, duration: Duration) -> Outcome {
    let mut writers = Vec::new();
    for w in 0..model.writers {
        let db = server.dynamodb.clone();
        let keys = model.keys_of(w);
        writers.push(tokio::spawn(writer(db, keys, cycle, w)));
    }
    tokio::time::sleep(duration).await;
    server.kill();
    let mut outcome = Outcome::default();
    for handle in writers {
        if let Ok(done) = handle.await {
            outcome.acknowledged += done.acknowledged;
            outcome.acked.extend(done.acked);
            outcome.in_flight.extend(done.in_flight);
        }
    }
    outcome
}

/// One writer: random writes to its own keys until a request goes unanswered.
async fn writer(db: Client, (a, b): (Vec<Key>, Vec<Key>), cycle: u32, w: usize) -> Outcome {
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(cycle) << 8 | w as u64);
    let mut out = Outcome::default();
    let mut n = 0u64;
    let mut version = || {
        n += 1;
        u64::from(cycle) * 1_000_000_000 + w as u64 * 10_000_000 + n
    };
    loop {
        let pick = |rng: &mut rand::rngs::StdRng, keys: &[Key]| {
            keys[rng.random_range(0..keys.len())].clone()
        };
        let (result, effects, transaction) = match rng.random_range(0..7) {
            choice @ (0 | 1) => {
                let k = pick(&mut rng, if choice == 0 { &a } else { &b });
                let v = version();
                let r = db
                    .put_item()
                    .table_name(k.0.name())
                    .set_item(Some(item(&k, v)))
                    .send()
                    .await;
                (
                    sent(r),
                    vec![Effect {
                        key: k,
                        value: Some(v),
                    }],
                    false,
                )
            }
            2 => {
                let k = pick(&mut rng, &a);
                let v = version();
                let r = db
                    .update_item()
                    .table_name(TABLE_A)
                    .set_key(Some(key_of(&k)))
                    .update_expression("SET v = :v, g = :g")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(":v", AttributeValue::N(v.to_string()))
                    .expression_attribute_values(":g", AttributeValue::S(indexed(v)))
                    .send()
                    .await;
                (
                    sent(r),
                    vec![Effect {
                        key: k,
                        value: Some(v),
                    }],
                    false,
                )
            }
            3 => {
                let k = if rng.random_bool(0.5) {
                    pick(&mut rng, &a)
                } else {
                    pick(&mut rng, &b)
                };
                let r = db
                    .delete_item()
                    .table_name(k.0.name())
                    .set_key(Some(key_of(&k)))
                    .send()
                    .await;
                (
                    sent(r),
                    vec![Effect {
                        key: k,
                        value: None,
                    }],
                    false,
                )
            }
            4 => {
                let k1 = pick(&mut rng, &a);
                let mut k2 = pick(&mut rng, &a);
                while k2 == k1 {
                    k2 = pick(&mut rng, &a);
                }
                let k3 = pick(&mut rng, &b);
                let effects: Vec<Effect> = [k1, k2, k3]
                    .into_iter()
                    .map(|k| Effect {
                        key: k,
                        value: Some(version()),
                    })
                    .collect();
                let mut req = db.batch_write_item();
                for table in [Table::A, Table::B] {
                    let puts: Vec<WriteRequest> = effects
                        .iter()
                        .filter(|e| e.key.0 == table)
                        .map(|e| {
                            let put = PutRequest::builder()
                                .set_item(Some(item(&e.key, e.value.unwrap_or_default())))
                                .build()
                                .expect("put request");
                            WriteRequest::builder().put_request(put).build()
                        })
                        .collect();
                    req = req.request_items(table.name(), puts);
                }
                // eddy does not throttle these writers: an unprocessed item would show as a
                // lost write.
                (sent(req.send().await), effects, false)
            }
            5 => {
                let ka = pick(&mut rng, &a);
                let kb = pick(&mut rng, &b);
                let v = version();
                let put = |k: &Key| {
                    TransactWriteItem::builder()
                        .put(
                            Put::builder()
                                .table_name(k.0.name())
                                .set_item(Some(item(k, v)))
                                .build()
                                .expect("put"),
                        )
                        .build()
                };
                let r = db
                    .transact_write_items()
                    .transact_items(put(&ka))
                    .transact_items(put(&kb))
                    .send()
                    .await;
                let effects = vec![
                    Effect {
                        key: ka,
                        value: Some(v),
                    },
                    Effect {
                        key: kb,
                        value: Some(v),
                    },
                ];
                (sent(r), effects, true)
            }
            _ => {
                let k = pick(&mut rng, &a);
                let v = version();
                let r = db
                    .execute_statement()
                    .statement(format!(
                        "INSERT INTO \"{TABLE_A}\" VALUE {{'pk': ?, 'v': ?, 'g': ?}}"
                    ))
                    .parameters(AttributeValue::S(k.1.clone()))
                    .parameters(AttributeValue::N(v.to_string()))
                    .parameters(AttributeValue::S(indexed(v)))
                    .send()
                    .await;
                (
                    sent(r),
                    vec![Effect {
                        key: k,
                        value: Some(v),
                    }],
                    false,
                )
            }
        };
        match result {
            Sent::Applied => {
                out.acknowledged += 1;
                out.acked.extend(effects);
            }
            Sent::Refused => {}
            Sent::Unknown => {
                out.in_flight.push(InFlight {
                    effects,
                    transaction,
                });
                return out;
            }
        }
    }
}
