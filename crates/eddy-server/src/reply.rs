//! Response bodies written straight to bytes.
//!
//! Items dominate most responses; building a `serde_json::Value` tree for them (a map per
//! attribute-value wrapper), serializing it and dropping it cost more than the rest of a Query.
//! [`Out`] writes an object's members into one buffer as they are set, items through
//! `eddy_types`' direct writers, so the bytes are those `serde_json::to_vec` gave for the tree
//! with its members inserted in the same order.

use eddy_types::{Item, write_item_json, write_str_json};
use serde::Serialize;

/// A response body: one JSON object's bytes, or nothing.
#[derive(Debug)]
pub struct Reply(Vec<u8>);

impl Reply {
    /// No body at all, as DynamoDB answers TagResource and UntagResource.
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// The body's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A JSON object being written: members appear in the order they are set.
pub struct Out {
    buf: Vec<u8>,
    members: usize,
    /// Keys set so far: a map would have replaced a repeated key in place, the writer would
    /// emit it twice, so repeats are caught in debug builds.
    #[cfg(debug_assertions)]
    keys: Vec<String>,
}

impl Default for Out {
    fn default() -> Self {
        // Room for a small answer without regrowing; pages of items grow it as they go.
        let mut buf = Vec::with_capacity(256);
        buf.push(b'{');
        Self::within(buf)
    }
}

impl Out {
    /// An object continuing `buf`, whose `{` is already written.
    fn within(buf: Vec<u8>) -> Self {
        Self {
            buf,
            members: 0,
            #[cfg(debug_assertions)]
            keys: Vec::new(),
        }
    }

    /// A body of one member.
    pub fn only(key: &str, v: impl Serialize) -> Reply {
        let mut o = Self::default();
        o.set(key, v);
        o.done()
    }

    /// Writes the separator and `"key":`.
    fn key(&mut self, key: &str) {
        #[cfg(debug_assertions)]
        {
            debug_assert!(
                !self.keys.iter().any(|k| k == key),
                "response member {key} set twice"
            );
            self.keys.push(key.to_owned());
        }
        if self.members > 0 {
            self.buf.push(b',');
        }
        self.members += 1;
        write_str_json(key, &mut self.buf);
        self.buf.push(b':');
    }

    /// Sets a member to a small value (a string, a number, a ConsumedCapacity...), serialized
    /// as it is: no `Value` is built for it.
    pub fn set(&mut self, key: &str, v: impl Serialize) {
        self.key(key);
        let start = self.buf.len();
        // Strings, numbers and Values into a Vec cannot fail to serialize (map keys are
        // strings, the writer does no I/O); should one ever, the member reads null rather than
        // half a value.
        if serde_json::to_writer(&mut self.buf, &v).is_err() {
            self.buf.truncate(start);
            self.buf.extend_from_slice(b"null");
        }
    }

    /// Sets a member when there is a value.
    pub fn set_opt(&mut self, key: &str, v: Option<impl Serialize>) {
        if let Some(v) = v {
            self.set(key, v);
        }
    }

    /// Sets a member to JSON text as it came (a request's member echoed back).
    pub fn set_raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.buf.extend_from_slice(json.as_bytes());
    }

    /// Sets a member to an item's DynamoDB JSON.
    pub fn set_item(&mut self, key: &str, item: &Item) {
        self.key(key);
        write_item_json(item, &mut self.buf);
    }

    /// Sets a member to a JSON array of items.
    pub fn set_items<'a>(&mut self, key: &str, items: impl IntoIterator<Item = &'a Item>) {
        self.set_array(key, items, |o, item| write_item_json(item, &mut o.buf));
    }

    /// Sets a member to an object whose members `fill` sets.
    pub fn set_object(&mut self, key: &str, fill: impl FnOnce(&mut Out)) {
        self.key(key);
        self.nested(fill);
    }

    /// Sets a member to a JSON array with one object per element, each filled by `fill`.
    pub fn set_objects<T>(
        &mut self,
        key: &str,
        elements: impl IntoIterator<Item = T>,
        mut fill: impl FnMut(&mut Out, T),
    ) {
        self.set_array(key, elements, |o, e| o.nested(|n| fill(n, e)));
    }

    /// Sets a member to a JSON array, `each` writing one element.
    fn set_array<T>(
        &mut self,
        key: &str,
        elements: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T),
    ) {
        self.key(key);
        self.buf.push(b'[');
        for (i, e) in elements.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            each(self, e);
        }
        self.buf.push(b']');
    }

    /// Writes an object at the end of the buffer: the buffer moves to the inner object and
    /// back, so nesting copies nothing.
    fn nested(&mut self, fill: impl FnOnce(&mut Out)) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.push(b'{');
        let mut inner = Out::within(buf);
        fill(&mut inner);
        self.buf = inner.close();
    }

    fn close(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }

    /// The finished body.
    pub fn done(self) -> Reply {
        Reply(self.close())
    }
}

#[cfg(test)]
mod tests {
    use eddy_types::{AttributeValue, Number, item_from_json};
    use serde_json::{Map, Value, json};

    use super::*;

    fn sample() -> Item {
        item_from_json(&json!({
            "pk": {"S": "a\"b\\\n\u{1}é"},
            "n": {"N": "-01.50"},
            "b": {"B": "AAEC/w=="},
            "l": {"L": [{"NULL": true}, {"BOOL": false}, {"SS": ["x", "y"]}]},
            "m": {"M": {"inner": {"NS": ["2", "1"]}, "bs": {"BS": ["AA=="]}}},
        }))
        .unwrap()
    }

    /// The tree the server used to build for an item, parsed back from the direct writer's
    /// output (checked against serde_json in eddy-types) so key order is the writer's.
    fn tree(item: &Item) -> Value {
        let mut bytes = Vec::new();
        write_item_json(item, &mut bytes);
        serde_json::from_slice(&bytes).unwrap()
    }

    fn text(r: Reply) -> String {
        String::from_utf8(r.into_bytes()).unwrap()
    }

    #[test]
    fn members_keep_their_order_and_serde_json_bytes() {
        let item = sample();
        let mut o = Out::default();
        o.set("Z", "last\u{0}\"");
        o.set("Count", 3usize);
        o.set_opt("None", None::<Value>);
        o.set_opt("Units", Some(0.5));
        o.set_item("Item", &item);
        o.set_items("Items", [&item, &Item::new()]);
        o.set_items("Empty", []);
        o.set_object("Nested", |n| {
            n.set("a", json!({"y": 1, "x": [true]}));
            n.set_item("Key", &item);
        });
        o.set_objects("List", [Some(&item), None], |e, i| {
            if let Some(i) = i {
                e.set_item("Item", i);
            }
        });
        let mut expected = Map::new();
        expected.insert("Z".into(), "last\u{0}\"".into());
        expected.insert("Count".into(), 3.into());
        expected.insert("Units".into(), 0.5.into());
        expected.insert("Item".into(), tree(&item));
        expected.insert("Items".into(), json!([tree(&item), {}]));
        expected.insert("Empty".into(), json!([]));
        expected.insert(
            "Nested".into(),
            json!({"a": {"y": 1, "x": [true]}, "Key": tree(&item)}),
        );
        expected.insert("List".into(), json!([{"Item": tree(&item)}, {}]));
        let expected = serde_json::to_string(&Value::Object(expected)).unwrap();
        assert_eq!(text(o.done()), expected);
        assert!(expected.starts_with(r#"{"Z":"last\u0000\"","Count":3,"Units":0.5,"Item":{"b":"#));
    }

    #[test]
    fn items_match_the_writer_exactly() {
        let item: Item = [
            (
                "k".to_owned(),
                AttributeValue::N(Number::parse("1e3").unwrap()),
            ),
            ("é".to_owned(), AttributeValue::S("\t".into())),
        ]
        .into();
        let mut o = Out::default();
        o.set_items("Items", [&item]);
        assert_eq!(
            text(o.done()),
            r#"{"Items":[{"k":{"N":"1000"},"é":{"S":"\t"}}]}"#
        );
    }

    #[test]
    fn empty_and_single_bodies() {
        assert_eq!(text(Out::default().done()), "{}");
        assert_eq!(text(Out::only("Tags", json!([]))), r#"{"Tags":[]}"#);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "set twice")]
    fn a_repeated_key_is_caught() {
        let mut o = Out::default();
        o.set("A", 1);
        o.set("A", 2);
    }
}
