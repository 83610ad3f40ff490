//! Shard iterator decoding: arbitrary text is refused or decodes to an iterator that encodes
//! back to the same text; an iterator altered in any one byte is refused.
#![no_main]

use eddy_streams::{IteratorKey, ShardIterator};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = IteratorKey::from_bytes([7; 32]);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(iterator) = ShardIterator::decode(&key, text) {
        let again = iterator.encode(&key);
        let reread = ShardIterator::decode(&key, &again).expect("own encoding decodes");
        assert_eq!(reread, iterator);
        let other = IteratorKey::from_bytes([8; 32]);
        assert!(ShardIterator::decode(&other, text).is_err(), "another key's iterator");
    }
});
