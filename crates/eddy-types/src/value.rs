//! Attribute values and items.

use std::collections::BTreeMap;

use crate::number::Number;

/// An item, or the content of an `M` value: attribute name → value, ordered by name.
pub type Item = BTreeMap<String, AttributeValue>;

/// Deepest document nesting DynamoDB accepts; a top-level attribute is level 1.
pub const MAX_NESTING_DEPTH: usize = 32;

/// A DynamoDB attribute value.
///
/// Sets keep the order they were written in (DynamoDB returns them unordered, and clients
/// see the order they sent); equality ignores that order.
#[derive(Clone, Debug)]
pub enum AttributeValue {
    /// String.
    S(String),
    /// Number.
    N(Number),
    /// Binary (raw bytes, base64 only on the wire).
    B(Vec<u8>),
    /// Boolean.
    Bool(bool),
    /// Null (always true on the wire).
    Null,
    /// String set.
    Ss(Vec<String>),
    /// Number set.
    Ns(Vec<Number>),
    /// Binary set.
    Bs(Vec<Vec<u8>>),
    /// List.
    L(Vec<AttributeValue>),
    /// Map.
    M(Item),
}

/// The type of an attribute value, as DynamoDB names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
    /// Boolean.
    Bool,
    /// Null.
    Null,
    /// String set.
    Ss,
    /// Number set.
    Ns,
    /// Binary set.
    Bs,
    /// List.
    L,
    /// Map.
    M,
}

impl AttrType {
    /// DynamoDB's name: `S`, `N`, `B`, `BOOL`, `NULL`, `SS`, `NS`, `BS`, `L`, `M`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
            AttrType::B => "B",
            AttrType::Bool => "BOOL",
            AttrType::Null => "NULL",
            AttrType::Ss => "SS",
            AttrType::Ns => "NS",
            AttrType::Bs => "BS",
            AttrType::L => "L",
            AttrType::M => "M",
        }
    }

    /// The type with DynamoDB name `s` (case-sensitive, as on the wire).
    pub fn parse(s: &str) -> Option<AttrType> {
        Some(match s {
            "S" => AttrType::S,
            "N" => AttrType::N,
            "B" => AttrType::B,
            "BOOL" => AttrType::Bool,
            "NULL" => AttrType::Null,
            "SS" => AttrType::Ss,
            "NS" => AttrType::Ns,
            "BS" => AttrType::Bs,
            "L" => AttrType::L,
            "M" => AttrType::M,
            _ => return None,
        })
    }

    /// True for the types a key attribute may have (S, N, B).
    pub fn is_key_type(self) -> bool {
        matches!(self, AttrType::S | AttrType::N | AttrType::B)
    }
}

impl std::fmt::Display for AttrType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AttributeValue {
    /// The value's type.
    pub fn attr_type(&self) -> AttrType {
        match self {
            AttributeValue::S(_) => AttrType::S,
            AttributeValue::N(_) => AttrType::N,
            AttributeValue::B(_) => AttrType::B,
            AttributeValue::Bool(_) => AttrType::Bool,
            AttributeValue::Null => AttrType::Null,
            AttributeValue::Ss(_) => AttrType::Ss,
            AttributeValue::Ns(_) => AttrType::Ns,
            AttributeValue::Bs(_) => AttrType::Bs,
            AttributeValue::L(_) => AttrType::L,
            AttributeValue::M(_) => AttrType::M,
        }
    }

    /// Nesting depth counting this value as level 1: a scalar or set is 1, a list or map is
    /// one more than its deepest element (an empty one is 1). Compare with
    /// [`MAX_NESTING_DEPTH`] after an update builds a new document.
    pub fn depth(&self) -> usize {
        match self {
            AttributeValue::L(items) => 1 + items.iter().map(Self::depth).max().unwrap_or(0),
            AttributeValue::M(map) => 1 + map.values().map(Self::depth).max().unwrap_or(0),
            _ => 1,
        }
    }
}

/// Equality of sets without duplicates, ignoring order.
fn set_eq<T: Ord>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Usually the same order (a value read back and compared with what was written).
    if a == b {
        return true;
    }
    if a.len() <= 8 {
        // Members are distinct, so equal lengths plus containment is equality.
        return a.iter().all(|x| b.contains(x));
    }
    let mut sa: Vec<&T> = a.iter().collect();
    let mut sb: Vec<&T> = b.iter().collect();
    sa.sort_unstable();
    sb.sort_unstable();
    sa == sb
}

impl PartialEq for AttributeValue {
    fn eq(&self, other: &Self) -> bool {
        use AttributeValue::*;
        match (self, other) {
            (S(a), S(b)) => a == b,
            (N(a), N(b)) => a == b,
            (B(a), B(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (Ss(a), Ss(b)) => set_eq(a, b),
            (Ns(a), Ns(b)) => set_eq(a, b),
            (Bs(a), Bs(b)) => set_eq(a, b),
            (L(a), L(b)) => a == b,
            (M(a), M(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for AttributeValue {}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        AttributeValue::S(s.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        AttributeValue::S(s)
    }
}

impl From<Number> for AttributeValue {
    fn from(n: Number) -> Self {
        AttributeValue::N(n)
    }
}

impl From<bool> for AttributeValue {
    fn from(b: bool) -> Self {
        AttributeValue::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn type_names_round_trip() {
        for ty in [
            AttrType::S,
            AttrType::N,
            AttrType::B,
            AttrType::Bool,
            AttrType::Null,
            AttrType::Ss,
            AttrType::Ns,
            AttrType::Bs,
            AttrType::L,
            AttrType::M,
        ] {
            assert_eq!(AttrType::parse(ty.as_str()), Some(ty));
        }
        assert_eq!(AttrType::Bool.as_str(), "BOOL");
        assert_eq!(AttrType::parse("bool"), None);
        assert_eq!(AttributeValue::Ns(vec![]).attr_type(), AttrType::Ns);
    }

    #[test]
    fn equality_is_semantic() {
        use AttributeValue::*;
        assert_eq!(N(n("1.0")), N(n("1")));
        assert_eq!(
            Ss(vec!["a".into(), "b".into()]),
            Ss(vec!["b".into(), "a".into()])
        );
        assert_ne!(
            Ss(vec!["a".into(), "b".into()]),
            Ss(vec!["a".into(), "c".into()])
        );
        assert_ne!(Ss(vec!["a".into()]), Ss(vec!["a".into(), "b".into()]));
        assert_eq!(Ns(vec![n("1"), n("2.5")]), Ns(vec![n("2.50"), n("1")]));
        assert_eq!(Bs(vec![vec![1], vec![2]]), Bs(vec![vec![2], vec![1]]));
        let big_a: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let mut big_b = big_a.clone();
        big_b.reverse();
        assert_eq!(Ss(big_a.clone()), Ss(big_b.clone()));
        big_b[0] = "x".into();
        assert_ne!(Ss(big_a), Ss(big_b));
        // Lists keep order; maps compare by content.
        assert_ne!(
            L(vec![S("a".into()), S("b".into())]),
            L(vec![S("b".into()), S("a".into())])
        );
        let m1: Item = [("x".to_owned(), N(n("1"))), ("y".to_owned(), Null)].into();
        let m2: Item = [("y".to_owned(), Null), ("x".to_owned(), N(n("1.00")))].into();
        assert_eq!(M(m1), M(m2));
        assert_ne!(S("1".into()), N(n("1")));
        assert_ne!(B(vec![]), S(String::new()));
        assert_eq!(Null, Null);
        assert_ne!(Bool(true), Bool(false));
    }

    #[test]
    fn depth_counts_levels() {
        let mut v = AttributeValue::S("leaf".into());
        assert_eq!(v.depth(), 1);
        for _ in 0..31 {
            v = AttributeValue::M([("n".to_owned(), v)].into());
        }
        assert_eq!(v.depth(), 32);
        assert_eq!(AttributeValue::L(vec![]).depth(), 1);
    }
}
