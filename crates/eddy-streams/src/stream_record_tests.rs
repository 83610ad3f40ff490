use eddy_types::{AttributeValue, Number};
use rand::{Rng, SeedableRng};

use super::*;

const NOW: u64 = 1_700_000_123_456;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn seq() -> SequenceNumber {
    SequenceNumber::FIRST
}

fn build(view: StreamViewType, old: Option<&Item>, new: Option<&Item>) -> Option<StreamRecord> {
    let keys = item(&[("id", s("k"))]);
    build_record(view, keys, old, new, seq(), NOW, false)
}

#[test]
fn size_bytes_checks_from_the_contract() {
    let fred = item(&[("id", s("Fred"))]);
    let record = build_record(
        StreamViewType::NewAndOldImages,
        fred.clone(),
        None,
        Some(&fred),
        seq(),
        NOW,
        false,
    )
    .unwrap();
    assert_eq!(record.event_name(), EventName::Insert);
    assert_eq!(record.size_bytes(), 12);

    let alice = item(&[("Username", s("Alice"))]);
    let full = item(&[("Username", s("Alice")), ("age", n("30"))]);
    let record = build_record(
        StreamViewType::KeysOnly,
        alice,
        None,
        Some(&full),
        seq(),
        NOW,
        false,
    )
    .unwrap();
    assert_eq!(record.size_bytes(), 13);
    assert_eq!(record.new_image(), None);
}

#[test]
fn event_names_follow_the_change() {
    let a = item(&[("id", s("k")), ("v", n("1"))]);
    let b = item(&[("id", s("k")), ("v", n("2"))]);
    let view = StreamViewType::NewAndOldImages;
    assert_eq!(
        build(view, None, Some(&a)).unwrap().event_name(),
        EventName::Insert
    );
    assert_eq!(
        build(view, Some(&a), Some(&b)).unwrap().event_name(),
        EventName::Modify
    );
    assert_eq!(
        build(view, Some(&a), None).unwrap().event_name(),
        EventName::Remove
    );
    assert_eq!(build(view, None, None), None);
    assert_eq!(build(view, Some(&a), Some(&a)), None);
    assert_eq!(EventName::Modify.as_str(), "MODIFY");
}

#[test]
fn semantic_no_ops_make_no_record() {
    let view = StreamViewType::NewAndOldImages;
    // Number text.
    let one = item(&[("id", s("k")), ("n", n("1"))]);
    let one_point_zero = item(&[("id", s("k")), ("n", n("1.0"))]);
    assert_eq!(build(view, Some(&one), Some(&one_point_zero)), None);
    // Set order.
    let set_ab = item(&[
        ("id", s("k")),
        ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
    ]);
    let set_ba = item(&[
        ("id", s("k")),
        ("ss", AttributeValue::Ss(vec!["b".into(), "a".into()])),
    ]);
    assert_eq!(build(view, Some(&set_ab), Some(&set_ba)), None);
    let ns_a = item(&[
        ("id", s("k")),
        (
            "ns",
            AttributeValue::Ns(vec![
                Number::parse("1").unwrap(),
                Number::parse("2.50").unwrap(),
            ]),
        ),
    ]);
    let ns_b = item(&[
        ("id", s("k")),
        (
            "ns",
            AttributeValue::Ns(vec![
                Number::parse("2.5").unwrap(),
                Number::parse("1").unwrap(),
            ]),
        ),
    ]);
    assert_eq!(build(view, Some(&ns_a), Some(&ns_b)), None);
    // Map key order (built in different insertion orders).
    let mut m1 = Item::new();
    m1.insert("x".into(), n("1"));
    m1.insert("y".into(), s("y"));
    let mut m2 = Item::new();
    m2.insert("y".into(), s("y"));
    m2.insert("x".into(), n("1.00"));
    let doc1 = item(&[("id", s("k")), ("m", AttributeValue::M(m1))]);
    let doc2 = item(&[("id", s("k")), ("m", AttributeValue::M(m2))]);
    assert_eq!(build(view, Some(&doc1), Some(&doc2)), None);
    // A real change is still seen: list order matters, types matter.
    let list_ab = item(&[
        ("id", s("k")),
        ("l", AttributeValue::L(vec![s("a"), s("b")])),
    ]);
    let list_ba = item(&[
        ("id", s("k")),
        ("l", AttributeValue::L(vec![s("b"), s("a")])),
    ]);
    assert!(build(view, Some(&list_ab), Some(&list_ba)).is_some());
    let text_one = item(&[("id", s("k")), ("n", s("1"))]);
    assert!(build(view, Some(&one), Some(&text_one)).is_some());
}

#[test]
fn images_follow_the_view_type() {
    let old = item(&[("id", s("k")), ("v", n("1"))]);
    let new = item(&[("id", s("k")), ("v", n("2"))]);
    use StreamViewType::*;
    // (view, change) -> (new image?, old image?)
    let cases = [
        (KeysOnly, None, Some(&new), false, false),
        (KeysOnly, Some(&old), Some(&new), false, false),
        (KeysOnly, Some(&old), None, false, false),
        (NewImage, None, Some(&new), true, false),
        (NewImage, Some(&old), Some(&new), true, false),
        (NewImage, Some(&old), None, false, false),
        (OldImage, None, Some(&new), false, false),
        (OldImage, Some(&old), Some(&new), false, true),
        (OldImage, Some(&old), None, false, true),
        (NewAndOldImages, None, Some(&new), true, false),
        (NewAndOldImages, Some(&old), Some(&new), true, true),
        (NewAndOldImages, Some(&old), None, false, true),
    ];
    for (view, before, after, has_new, has_old) in cases {
        let record = build(view, before, after).unwrap();
        assert_eq!(
            record.new_image(),
            if has_new { after } else { None },
            "{view:?}"
        );
        assert_eq!(
            record.old_image(),
            if has_old { before } else { None },
            "{view:?}"
        );
        assert_eq!(record.view_type(), view);
        assert_eq!(record.keys(), &item(&[("id", s("k"))]));
        let expected_size =
            3 + record.new_image().map_or(0, item_size) + record.old_image().map_or(0, item_size);
        assert_eq!(record.size_bytes(), expected_size);
    }
}

#[test]
fn a_key_only_item_gives_a_key_only_image() {
    let keys = item(&[("id", s("k"))]);
    let record = build(StreamViewType::NewAndOldImages, None, Some(&keys)).unwrap();
    assert_eq!(record.new_image(), Some(&keys));
    let record = build(StreamViewType::OldImage, Some(&keys), None).unwrap();
    assert_eq!(record.old_image(), Some(&keys));
}

#[test]
fn ttl_marks_only_removes() {
    let a = item(&[("id", s("k"))]);
    let b = item(&[("id", s("k")), ("v", n("1"))]);
    let keys = item(&[("id", s("k"))]);
    let remove = build_record(
        StreamViewType::OldImage,
        keys.clone(),
        Some(&a),
        None,
        seq(),
        NOW,
        true,
    )
    .unwrap();
    assert!(remove.is_ttl_delete());
    let modify = build_record(
        StreamViewType::OldImage,
        keys.clone(),
        Some(&a),
        Some(&b),
        seq(),
        NOW,
        true,
    )
    .unwrap();
    assert!(!modify.is_ttl_delete());
    let user = build_record(
        StreamViewType::OldImage,
        keys,
        Some(&a),
        None,
        seq(),
        NOW,
        false,
    )
    .unwrap();
    assert!(!user.is_ttl_delete());
}

#[test]
fn creation_time_and_event_id() {
    let a = item(&[("id", s("k"))]);
    let record = build(StreamViewType::KeysOnly, None, Some(&a)).unwrap();
    assert_eq!(record.creation_ms(), NOW);
    assert_eq!(record.approximate_creation_date_time(), NOW / 1000);
    assert_eq!(record.sequence_number(), seq());
    let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/T1/stream/2024-01-01T00:00:00.000";
    let id = record.event_id(arn);
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(record.event_id(arn), id, "stable across reads");
    assert_ne!(
        record.event_id(&arn.replace("T1", "T2")),
        id,
        "differs across streams"
    );
    let next = build_record(
        StreamViewType::KeysOnly,
        a.clone(),
        None,
        Some(&a),
        seq().next(),
        NOW,
        false,
    )
    .unwrap();
    assert_ne!(next.event_id(arn), id, "differs across records");
}

#[test]
fn view_type_names() {
    for view in StreamViewType::ALL {
        assert_eq!(StreamViewType::parse(view.as_str()), Some(view));
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(json, format!("\"{}\"", view.as_str()));
        assert_eq!(serde_json::from_str::<StreamViewType>(&json).unwrap(), view);
    }
    assert_eq!(StreamViewType::parse("keys_only"), None);
    assert_eq!(StreamViewType::parse(""), None);
}

fn sample_records() -> Vec<StreamRecord> {
    let old = item(&[
        ("id", s("k")),
        ("bin", AttributeValue::B(vec![0, 255, 7])),
        (
            "doc",
            AttributeValue::M(item(&[(
                "l",
                AttributeValue::L(vec![
                    n("-1.5"),
                    AttributeValue::Null,
                    AttributeValue::Bool(true),
                ]),
            )])),
        ),
        ("empty", s("")),
    ]);
    let new = item(&[
        ("id", s("k")),
        (
            "ns",
            AttributeValue::Ns(vec![
                Number::parse("3").unwrap(),
                Number::parse("1").unwrap(),
            ]),
        ),
    ]);
    let keys = item(&[("id", s("k"))]);
    let mut records = Vec::new();
    for view in StreamViewType::ALL {
        for (before, after, ttl) in [
            (None, Some(&new), false),
            (Some(&old), Some(&new), false),
            (Some(&old), None, true),
        ] {
            records.push(build_record(view, keys.clone(), before, after, seq(), NOW, ttl).unwrap());
        }
    }
    records
}

#[test]
fn codec_round_trips() {
    for record in sample_records() {
        let bytes = record.encode();
        let back = StreamRecord::decode(&bytes).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.size_bytes(), record.size_bytes());
        // Set order survives storage (clients see what they wrote).
        if let Some(AttributeValue::Ns(members)) = back.new_image().and_then(|i| i.get("ns")) {
            assert_eq!(members[0].as_str(), "3");
        }
    }
}

#[test]
fn corrupt_bytes_are_errors_not_panics() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for record in sample_records() {
        let bytes = record.encode();
        for cut in 0..bytes.len() {
            assert!(StreamRecord::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extended = bytes.clone();
        extended.push(0);
        assert!(StreamRecord::decode(&extended).is_err());
        if bytes[0] == 1 {
            assert_eq!(
                StreamRecord::decode(&extended),
                Err(StreamsError::Corrupt("trailing bytes after stream record"))
            );
        }
        // Random single-byte changes: an error or some other record, never a panic.
        for _ in 0..200 {
            let mut changed = bytes.clone();
            let i = rng.random_range(0..changed.len());
            changed[i] = rng.random();
            let _ = StreamRecord::decode(&changed);
        }
    }
    for garbage in [&[][..], &[2], &[1, 0x80], &[1, 3], &[1, 0, 0]] {
        assert!(StreamRecord::decode(garbage).is_err(), "{garbage:?}");
    }
    // Random bytes.
    for _ in 0..2000 {
        let len = rng.random_range(0..64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if let Some(first) = bytes.first_mut() {
            *first = 1;
        }
        let _ = StreamRecord::decode(&bytes);
    }
}

/// A modification's record holds two images that share most of their bytes: it is stored
/// compressed, and the uncompressed form (version 1) still reads as the same record.
#[test]
fn records_with_similar_images_are_stored_compressed() {
    let payload = "p".repeat(40) + "0123456789abcdef0123456789abcdef";
    let old = item(&[("id", s("k")), ("n", s("1")), ("payload", s(&payload))]);
    let new = item(&[("id", s("k")), ("n", s("2")), ("payload", s(&payload))]);
    let keys = item(&[("id", s("k"))]);
    let record = build_record(
        StreamViewType::NewAndOldImages,
        keys,
        Some(&old),
        Some(&new),
        seq(),
        NOW,
        false,
    )
    .unwrap();
    let bytes = record.encode();
    assert_eq!(bytes[0], 2, "stored compressed");
    let header = 2 + 16 + 8;
    let body = lz4_flex::block::decompress_size_prepended(&bytes[header..]).unwrap();
    assert!(
        bytes.len() < header + body.len() * 2 / 3,
        "{} of {}",
        bytes.len(),
        header + body.len()
    );
    let mut plain = bytes[..header].to_vec();
    plain[0] = 1;
    plain.extend_from_slice(&body);
    assert_eq!(StreamRecord::decode(&plain).unwrap(), record);
    assert_eq!(StreamRecord::decode(&bytes).unwrap(), record);
}

#[test]
fn a_compressed_body_claiming_too_much_is_refused() {
    let mut bytes = vec![2, 0];
    bytes.extend_from_slice(&[0; 24]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&[0x10, 0x41]);
    assert_eq!(
        StreamRecord::decode(&bytes),
        Err(StreamsError::Corrupt("stream record body too long"))
    );
}
