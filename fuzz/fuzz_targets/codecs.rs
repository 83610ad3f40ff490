//! The binary storage codecs decoding arbitrary bytes: items, stream records and key values.
//! The first byte picks the codec. What decodes re-encodes to bytes that decode the same.
#![no_main]

use eddy_streams::StreamRecord;
use eddy_types::{AttrType, decode_item, decode_key_value, encode_item, encode_key_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(item) = decode_item(bytes) {
                let mut out = Vec::new();
                encode_item(&item, &mut out);
                assert_eq!(decode_item(&out).as_ref(), Ok(&item));
            }
        }
        1 => {
            if let Ok(record) = StreamRecord::decode(bytes) {
                let again = record.encode();
                assert_eq!(StreamRecord::decode(&again).as_ref(), Ok(&record));
            }
        }
        _ => {
            let ty = [AttrType::S, AttrType::N, AttrType::B][usize::from(which / 3) % 3];
            if let Ok((value, _)) = decode_key_value(bytes, ty) {
                let mut out = Vec::new();
                encode_key_value(&value, &mut out);
                let (back, used) = decode_key_value(&out, ty).expect("own encoding decodes");
                assert_eq!((back, used), (value, out.len()));
            }
        }
    }
});
