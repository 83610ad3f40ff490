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
