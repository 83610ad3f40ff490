//! DynamoDB's byte accounting for values and items (the 400 KB limit and capacity units).

use crate::value::{AttributeValue, Item};

/// Largest item DynamoDB stores, in bytes; an item of exactly this size is accepted.
pub const MAX_ITEM_SIZE: usize = 409_600;

/// Fixed cost of a list or map, on top of its elements.
const DOCUMENT_OVERHEAD: usize = 3;
/// Extra cost of each element of a list or map.
const ELEMENT_OVERHEAD: usize = 1;

impl AttributeValue {
    /// The value's size as DynamoDB counts it, not including any attribute name: UTF-8
    /// bytes of a string, raw bytes of a binary, the measured number rule, 1 for BOOL and
    /// NULL, the sum of members for a set, and for L and M 3 bytes plus 1 per element plus
    /// the elements (a map element also counts its name).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
            AttributeValue::Ns(v) => v.iter().map(|n| n.size()).sum(),
            AttributeValue::Bs(v) => v.iter().map(Vec::len).sum(),
            AttributeValue::L(v) => {
                DOCUMENT_OVERHEAD + v.iter().map(|e| ELEMENT_OVERHEAD + e.size()).sum::<usize>()
            }
            AttributeValue::M(m) => {
                DOCUMENT_OVERHEAD
                    + m.iter()
                        .map(|(k, e)| ELEMENT_OVERHEAD + k.len() + e.size())
                        .sum::<usize>()
            }
        }
    }
}

/// An item's size: for each attribute, the UTF-8 bytes of its name plus its value's size.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::Number;

    fn n(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn value_sizes() {
        use AttributeValue::*;
        assert_eq!(S("Fred".into()).size(), 4);
        assert_eq!(S("¿".into()).size(), 2);
        assert_eq!(S(String::new()).size(), 0);
        assert_eq!(B(vec![0; 10]).size(), 10);
        assert_eq!(Bool(false).size(), 1);
        assert_eq!(Null.size(), 1);
        assert_eq!(n("1").size(), 2);
        assert_eq!(n("123456").size(), 4);
        assert_eq!(n("3.14159").size(), 5);
        assert_eq!(n("1E125").size(), 2);
        assert_eq!(Ss(vec!["ab".into(), "c".into()]).size(), 3);
        assert_eq!(Bs(vec![vec![1, 2], vec![]]).size(), 2);
        assert_eq!(
            Ns(vec![
                Number::parse("1").unwrap(),
                Number::parse("-42").unwrap()
            ])
            .size(),
            5
        );
        assert_eq!(L(vec![]).size(), 3);
        assert_eq!(M(Item::new()).size(), 3);
        // 3 + (1 + 1) + (1 + 2)
        assert_eq!(L(vec![Null, S("ab".into())]).size(), 8);
        // 3 + (1 + name 3 + value 4)
        assert_eq!(M([("abc".to_owned(), S("Fred".into()))].into()).size(), 11);
    }

    #[test]
    fn item_sizes() {
        let item: Item = [("id".to_owned(), AttributeValue::S("Fred".into()))].into();
        assert_eq!(item_size(&item), 6);
        assert_eq!(item_size(&Item::new()), 0);
        let item: Item = [
            ("id".to_owned(), AttributeValue::S("Fred".into())),
            ("n".to_owned(), n("-3.14159")),
        ]
        .into();
        assert_eq!(item_size(&item), 6 + 1 + 6);
    }
}
