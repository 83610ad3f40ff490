//! The workloads: each one's table, the items it preloads, and the request it sends.
//!
//! Requests are serialised once into a [`Template`]; per request only the key bytes are
//! overwritten in a copy, so the generator spends its time on the network, not on JSON.

use bytes::{Bytes, BytesMut};
use clap::ValueEnum;
use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use crate::client::Op;

/// Items per BatchWriteItem, DynamoDB's maximum.
pub const BATCH: usize = 25;
/// Puts per TransactWriteItems.
const TRANSACT_PUTS: usize = 4;
/// Items per Query partition, of the table or of its index.
pub const QUERY_ITEMS: u64 = 10;
/// The global secondary index of gsi-query's table.
const GSI: &str = "gsi";
/// Records per GetRecords page, the API's maximum.
pub const RECORDS_LIMIT: u64 = 1000;
/// Items per Scan page.
const SCAN_LIMIT: u64 = 100;
/// Marks where a key goes in a template; no other part of a request contains it.
const MARK: char = '~';
/// Digits of a preloaded key's index (`k00000042`); `--keys` stays below 10^8.
const INDEX_DIGITS: usize = 8;
/// Hex digits of a random key (`r0123456789abcdef`).
const RANDOM_DIGITS: usize = 16;

/// One kind of request to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// PutItem of new items under random keys.
    Put,
    /// GetItem of preloaded items (always hits).
    Get,
    /// Query returning the 10 items of one preloaded partition.
    Query,
    /// UpdateItem `ADD counter :one` on preloaded items.
    Update,
    /// BatchWriteItem of 25 new items under random keys.
    BatchWrite,
    /// Scan pages of 100 items starting after a random preloaded key.
    Scan,
    /// TransactWriteItems of 4 Puts of new items under random keys.
    TransactWrite,
    /// Query of a global secondary index returning the 10 items of one index partition.
    GsiQuery,
    /// GetRecords pages read from a stream of preloaded inserts, from TRIM_HORIZON to the
    /// end of its shards, pass after pass.
    GetRecords,
}

/// What shapes a workload's items and key space.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub item_bytes: usize,
    pub keys: u64,
}

impl Workload {
    /// The name in flags and reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::Query => "query",
            Workload::Update => "update",
            Workload::BatchWrite => "batch-write",
            Workload::Scan => "scan",
            Workload::TransactWrite => "transact-write",
            Workload::GsiQuery => "gsi-query",
            Workload::GetRecords => "get-records",
        }
    }

    /// What one operation is, for the report's heading.
    pub fn describe(self, p: Params) -> String {
        let size = p.item_bytes;
        match self {
            Workload::Put => format!("PutItem, ~{size}-byte items, random keys"),
            Workload::Get => format!("GetItem hits over {} preloaded ~{size}-byte items", p.keys),
            Workload::Query => format!(
                "Query returning {QUERY_ITEMS} ~{size}-byte items of one of {} partitions",
                partitions(p)
            ),
            Workload::Update => format!("UpdateItem ADD counter :one over {} items", p.keys),
            Workload::BatchWrite => {
                format!("BatchWriteItem of {BATCH} ~{size}-byte items; one op = one batch")
            }
            Workload::Scan => format!(
                "Scan pages of up to {SCAN_LIMIT} from random start keys over {} items",
                p.keys
            ),
            Workload::TransactWrite => format!(
                "TransactWriteItems of {TRANSACT_PUTS} Puts, ~{size}-byte items, random keys; one op = one transaction"
            ),
            Workload::GsiQuery => format!(
                "Query of a GSI (projection ALL) returning {QUERY_ITEMS} ~{size}-byte items of one of {} index partitions",
                partitions(p)
            ),
            Workload::GetRecords => format!(
                "GetRecords (Limit {RECORDS_LIMIT}) from TRIM_HORIZON to the end, pass after pass, over {} INSERT records of ~{size}-byte items; one op = one page",
                p.keys
            ),
        }
    }

    /// Whether the workload reads a stream, so its table has one whatever --streams says.
    pub fn needs_stream(self) -> bool {
        self == Workload::GetRecords
    }

    fn has_sort_key(self) -> bool {
        self == Workload::Query
    }

    /// The CreateTable input for this workload's table.
    pub fn create_table(self, table: &str, streams: bool) -> Value {
        let mut attrs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
        let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
        if self.has_sort_key() {
            attrs.push(json!({"AttributeName": "sk", "AttributeType": "N"}));
            schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
        }
        if self == Workload::GsiQuery {
            attrs.push(json!({"AttributeName": "gsi_pk", "AttributeType": "S"}));
            attrs.push(json!({"AttributeName": "gsi_sk", "AttributeType": "N"}));
        }
        let mut input = json!({
            "TableName": table,
            "AttributeDefinitions": attrs,
            "KeySchema": schema,
            "BillingMode": "PAY_PER_REQUEST",
        });
        if self == Workload::GsiQuery {
            input["GlobalSecondaryIndexes"] = json!([{
                "IndexName": GSI,
                "KeySchema": [
                    {"AttributeName": "gsi_pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }]);
        }
        if streams {
            input["StreamSpecification"] =
                json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"});
        }
        input
    }

    /// How many items to load before timing.
    pub fn preload_count(self, p: Params) -> u64 {
        match self {
            Workload::Put | Workload::BatchWrite | Workload::TransactWrite => 0,
            Workload::Get
            | Workload::Update
            | Workload::Scan
            | Workload::GsiQuery
            | Workload::GetRecords => p.keys,
            Workload::Query => partitions(p) * QUERY_ITEMS,
        }
    }

    /// The `i`-th preloaded item.
    pub fn preload_item(self, i: u64, p: Params) -> Value {
        match self {
            Workload::Query => item(
                &format!("q{:08}", i / QUERY_ITEMS),
                &[("sk", number(i % QUERY_ITEMS))],
                p,
            ),
            Workload::GsiQuery => item(
                &format!("k{i:08}"),
                &[
                    ("gsi_pk", json!({"S": format!("g{:08}", i / QUERY_ITEMS)})),
                    ("gsi_sk", number(i % QUERY_ITEMS)),
                ],
                p,
            ),
            _ => item(&format!("k{i:08}"), &[], p),
        }
    }

    /// The request this workload sends, serialised once; `None` for get-records, which
    /// follows shard iterators instead of repeating one request.
    pub fn template(self, table: &str, p: Params) -> Option<Template> {
        let random_key = format!("r{}", marks(RANDOM_DIGITS));
        let index_key = json!({"pk": {"S": format!("k{}", marks(INDEX_DIGITS))}});
        let (op, input, fill) = match self {
            Workload::Put => (
                Op::PutItem,
                json!({"TableName": table, "Item": item(&random_key, &[], p)}),
                Fill::RandomHex,
            ),
            Workload::Get => (
                Op::GetItem,
                json!({"TableName": table, "Key": index_key}),
                Fill::Index { count: p.keys },
            ),
            Workload::Query => (
                Op::Query,
                json!({
                    "TableName": table,
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": format!("q{}", marks(INDEX_DIGITS))}},
                }),
                Fill::Index {
                    count: partitions(p),
                },
            ),
            Workload::Update => (
                Op::UpdateItem,
                json!({
                    "TableName": table,
                    "Key": index_key,
                    "UpdateExpression": "ADD #c :one",
                    "ExpressionAttributeNames": {"#c": "counter"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }),
                Fill::Index { count: p.keys },
            ),
            Workload::BatchWrite => {
                let puts: Vec<Value> = (0..BATCH)
                    .map(|_| json!({"PutRequest": {"Item": item(&random_key, &[], p)}}))
                    .collect();
                (
                    Op::BatchWriteItem,
                    json!({"RequestItems": {table: puts}}),
                    Fill::RandomHex,
                )
            }
            Workload::Scan => (
                Op::Scan,
                json!({"TableName": table, "Limit": SCAN_LIMIT, "ExclusiveStartKey": index_key}),
                Fill::Index { count: p.keys },
            ),
            Workload::TransactWrite => {
                let puts: Vec<Value> = (0..TRANSACT_PUTS)
                    .map(
                        |_| json!({"Put": {"TableName": table, "Item": item(&random_key, &[], p)}}),
                    )
                    .collect();
                (
                    Op::TransactWriteItems,
                    json!({"TransactItems": puts}),
                    Fill::RandomHex,
                )
            }
            Workload::GsiQuery => (
                Op::Query,
                json!({
                    "TableName": table,
                    "IndexName": GSI,
                    "KeyConditionExpression": "gsi_pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": format!("g{}", marks(INDEX_DIGITS))}},
                }),
                Fill::Index {
                    count: partitions(p),
                },
            ),
            Workload::GetRecords => return None,
        };
        Some(Template::new(op, &input, fill))
    }
}

fn partitions(p: Params) -> u64 {
    (p.keys / QUERY_ITEMS).max(1)
}

fn marks(n: usize) -> String {
    MARK.to_string().repeat(n)
}

/// An item of about `p.item_bytes` by DynamoDB's measure (attribute names plus values):
/// `pk`, the `extra` attributes, and a `data` string as padding.
fn item(pk: &str, extra: &[(&str, Value)], p: Params) -> Value {
    let mut item = json!({"pk": {"S": pk}});
    let mut used = "pk".len() + pk.len() + "data".len();
    for (name, value) in extra {
        used += name.len() + value_size(value);
        item[*name] = value.clone();
    }
    let pad = p.item_bytes.saturating_sub(used).max(1);
    item["data"] = json!({"S": "x".repeat(pad)});
    item
}

fn number(n: u64) -> Value {
    json!({"N": n.to_string()})
}

/// DynamoDB's size of a string (its bytes) or number (a byte per two digits, plus one).
fn value_size(v: &Value) -> usize {
    match (v["S"].as_str(), v["N"].as_str()) {
        (Some(s), _) => s.len(),
        (None, Some(n)) => n.len().div_ceil(2) + 1,
        (None, None) => 0,
    }
}

/// How a template's key slots are filled for each request.
#[derive(Clone, Copy, Debug)]
enum Fill {
    /// 16 random hex digits: a new key each time.
    RandomHex,
    /// A random index below `count`, as 8 decimal digits: a preloaded key.
    Index { count: u64 },
}

impl Fill {
    fn width(self) -> usize {
        match self {
            Fill::RandomHex => RANDOM_DIGITS,
            Fill::Index { .. } => INDEX_DIGITS,
        }
    }
}

/// A serialised request with the offsets of its key slots.
#[derive(Clone, Debug)]
pub struct Template {
    pub op: Op,
    body: Bytes,
    slots: Vec<usize>,
    fill: Fill,
}

impl Template {
    fn new(op: Op, input: &Value, fill: Fill) -> Template {
        let body = input.to_string().into_bytes();
        let width = fill.width();
        let mut slots = Vec::new();
        let mut i = 0;
        while i + width <= body.len() {
            if body[i..i + width].iter().all(|&b| b == MARK as u8) {
                slots.push(i);
                i += width;
            } else {
                i += 1;
            }
        }
        Template {
            op,
            body: Bytes::from(body),
            slots,
            fill,
        }
    }

    /// A request body with fresh keys.
    pub fn body(&self, rng: &mut SmallRng) -> Bytes {
        if self.slots.is_empty() {
            return self.body.clone();
        }
        let mut b = BytesMut::from(&self.body[..]);
        for &at in &self.slots {
            let slot = &mut b[at..at + self.fill.width()];
            match self.fill {
                Fill::RandomHex => write_digits(slot, rng.random::<u64>(), 16),
                Fill::Index { count } => write_digits(slot, rng.random_range(0..count), 10),
            }
        }
        b.freeze()
    }
}

/// Writes `v` in base `radix`, zero-padded to fill `out` (high digits dropped if it overflows).
fn write_digits(out: &mut [u8], mut v: u64, radix: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(v % radix) as usize];
        v /= radix;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const P: Params = Params {
        item_bytes: 200,
        keys: 1000,
    };

    fn sample(w: Workload) -> Value {
        let mut rng = SmallRng::seed_from_u64(7);
        let body = w.template("t", P).expect("a template").body(&mut rng);
        serde_json::from_slice(&body).expect("template body is JSON")
    }

    #[test]
    fn every_template_fills_its_slots() {
        for w in Workload::value_variants() {
            if *w == Workload::GetRecords {
                assert!(w.template("t", P).is_none());
                continue;
            }
            let text = sample(*w).to_string();
            assert!(!text.contains('~'), "{w:?}: {text}");
        }
    }

    fn distinct(mut keys: Vec<&str>) -> usize {
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    }

    #[test]
    fn writes_of_several_items_have_distinct_keys() {
        let v = sample(Workload::BatchWrite);
        let puts = v["RequestItems"]["t"].as_array().expect("puts");
        let keys = puts
            .iter()
            .filter_map(|p| p["PutRequest"]["Item"]["pk"]["S"].as_str())
            .collect();
        assert_eq!(distinct(keys), BATCH);
        let v = sample(Workload::TransactWrite);
        let puts = v["TransactItems"].as_array().expect("puts");
        let keys = puts
            .iter()
            .filter_map(|p| p["Put"]["Item"]["pk"]["S"].as_str())
            .collect();
        assert_eq!(distinct(keys), TRANSACT_PUTS);
    }

    #[test]
    fn gsi_query_asks_for_a_preloaded_index_partition() {
        let v = sample(Workload::GsiQuery);
        let asked = v["ExpressionAttributeValues"][":p"]["S"]
            .as_str()
            .expect("key");
        let partition: u64 = asked[1..].parse().expect("partition");
        let item = Workload::GsiQuery.preload_item(partition * QUERY_ITEMS + 9, P);
        assert_eq!(item["gsi_pk"]["S"], asked);
        assert_eq!(item["gsi_sk"]["N"], "9");
    }

    #[test]
    fn get_keys_are_preloaded_keys() {
        let key = sample(Workload::Get)["Key"]["pk"]["S"]
            .as_str()
            .expect("key")
            .to_string();
        let index: u64 = key[1..].parse().expect("index");
        assert!(index < P.keys);
        assert_eq!(
            Workload::Get.preload_item(index, P)["pk"]["S"],
            key.as_str()
        );
    }

    #[test]
    fn items_are_about_the_asked_size() {
        let item = Workload::Put.preload_item(3, P);
        let data = item["data"]["S"].as_str().expect("data").len();
        assert_eq!(2 + 9 + 4 + data, 200);
        let item = Workload::GsiQuery.preload_item(3, P);
        let data = item["data"]["S"].as_str().expect("data").len();
        assert_eq!(2 + 9 + (6 + 9) + (6 + 2) + 4 + data, 200);
    }
}
