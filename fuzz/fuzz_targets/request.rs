//! Request JSON decoded into every operation's input, then run: each input is a script of
//! requests (`Operation\nbody`, separated by NUL bytes) against a fresh in-memory eddy that
//! holds two stream-enabled tables, one with a GSI and one with an LSI. Every answer must be
//! a response or one of DynamoDB's errors; a panic is a finding.
#![no_main]

use std::sync::Arc;

use eddy_engine::{Engine, EngineConfig};
use eddy_server::AppState;
use eddy_storage::MemoryStorage;
use libfuzzer_sys::fuzz_target;

const SETUP: [&str; 2] = [
    r#"{"TableName":"gsi","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"byg","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#,
    r#"{"TableName":"lsi","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"l","AttributeType":"B"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"LocalSecondaryIndexes":[{"IndexName":"byl","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}"#,
];

fn fresh() -> AppState {
    let engine = Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default())
        .expect("in-memory engine opens");
    let state = AppState::new(Arc::new(engine), false);
    for table in SETUP {
        eddy_server::execute(&state, "DynamoDB_20120810.CreateTable", table.as_bytes())
            .expect("setup table");
    }
    state
}

fuzz_target!(|data: &[u8]| {
    let state = fresh();
    for request in data.split(|b| *b == 0).take(16) {
        let (op, body) = match request.iter().position(|b| *b == b'\n') {
            Some(at) => (&request[..at], &request[at + 1..]),
            None => (request, &b""[..]),
        };
        let Ok(op) = std::str::from_utf8(op) else {
            continue;
        };
        let target = if op.starts_with("DynamoDBStreams") {
            op.to_owned()
        } else {
            format!("DynamoDB_20120810.{op}")
        };
        let _ = eddy_server::execute(&state, &target, body);
    }
});
