//! The PartiQL parser and parameter binding: whatever parses is bound to as many parameters
//! as it asks for.
#![no_main]

use eddy_types::{AttributeValue, Number};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statement) = eddy_partiql::parse(text) else {
        return;
    };
    let _ = (statement.table(), statement.is_read(), statement.has_returning());
    let params: Vec<AttributeValue> = (0..statement.param_count())
        .map(|i| match i % 3 {
            0 => AttributeValue::S(format!("p{i}")),
            1 => AttributeValue::N(Number::from_i64(i as i64)),
            _ => AttributeValue::L(vec![AttributeValue::Bool(true)]),
        })
        .collect();
    let _ = statement.bind(&params);
});
