//! Resolved document paths: attribute names with placeholders substituted, and list indexes.

use std::cmp::Ordering;
use std::fmt;

use eddy_types::{AttributeValue, Item};

/// One step of a document path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A map key (or, first, a top-level attribute name).
    Attr(String),
    /// A list index.
    Index(usize),
}

/// A document path such as `a.b[2].c`, with `#name` placeholders already resolved. The first
/// element is always an [`PathElement::Attr`].
///
/// `Display` prints DynamoDB's form used in messages: `[a, b, [2], c]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathElement>);

impl Path {
    /// A top-level attribute.
    pub fn attr(name: impl Into<String>) -> Path {
        Path(vec![PathElement::Attr(name.into())])
    }

    /// The top-level attribute name (empty only for a malformed hand-built path).
    pub fn top(&self) -> &str {
        match self.0.first() {
            Some(PathElement::Attr(name)) => name,
            _ => "",
        }
    }

    /// True when the path has more than one element (`a.b`, `a[0]`).
    pub fn is_nested(&self) -> bool {
        self.0.len() > 1
    }

    /// The value at this path, if the item has one.
    pub fn get<'i>(&self, item: &'i Item) -> Option<&'i AttributeValue> {
        lookup(item, &self.0)
    }

    /// The path without its last element, and that element.
    pub(crate) fn split_last(&self) -> Option<(&PathElement, &[PathElement])> {
        self.0.split_last()
    }

    /// Orders paths element by element (names by bytes, indexes numerically, a name before an
    /// index), a prefix first. Update application sorts by it so that list positions are
    /// visited in index order.
    pub(crate) fn cmp_elements(&self, other: &Path) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let ord = match (a, b) {
                (PathElement::Attr(x), PathElement::Attr(y)) => x.cmp(y),
                (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
                (PathElement::Attr(_), PathElement::Index(_)) => Ordering::Less,
                (PathElement::Index(_), PathElement::Attr(_)) => Ordering::Greater,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

/// The value at the path made of `elements`, if the item has one.
pub(crate) fn lookup<'i>(item: &'i Item, elements: &[PathElement]) -> Option<&'i AttributeValue> {
    let (PathElement::Attr(name), rest) = elements.split_first()? else {
        return None;
    };
    let mut value = item.get(name)?;
    for element in rest {
        value = step(value, element)?;
    }
    Some(value)
}

/// The mutable value at the path made of `elements`, if the item has one.
pub(crate) fn lookup_mut<'i>(
    item: &'i mut Item,
    elements: &[PathElement],
) -> Option<&'i mut AttributeValue> {
    let (PathElement::Attr(name), rest) = elements.split_first()? else {
        return None;
    };
    let mut value = item.get_mut(name)?;
    for element in rest {
        value = step_mut(value, element)?;
    }
    Some(value)
}

/// One step down from `value`, if it has that key or index.
fn step<'v>(value: &'v AttributeValue, element: &PathElement) -> Option<&'v AttributeValue> {
    match (value, element) {
        (AttributeValue::M(map), PathElement::Attr(name)) => map.get(name),
        (AttributeValue::L(list), PathElement::Index(i)) => list.get(*i),
        _ => None,
    }
}

fn step_mut<'v>(
    value: &'v mut AttributeValue,
    element: &PathElement,
) -> Option<&'v mut AttributeValue> {
    match (value, element) {
        (AttributeValue::M(map), PathElement::Attr(name)) => map.get_mut(name),
        (AttributeValue::L(list), PathElement::Index(i)) => list.get_mut(*i),
        _ => None,
    }
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Attr(name) => f.write_str(name),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, element) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{element}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(elements: &[PathElement]) -> Path {
        Path(elements.to_vec())
    }

    fn a(s: &str) -> PathElement {
        PathElement::Attr(s.to_owned())
    }

    #[test]
    fn prints_dynamodb_form() {
        assert_eq!(
            path(&[a("c"), PathElement::Index(1), a("a")]).to_string(),
            "[c, [1], a]"
        );
        assert_eq!(Path::attr("pk").to_string(), "[pk]");
    }

    #[test]
    fn gets_nested_values() {
        let mut inner = Item::new();
        inner.insert(
            "b".into(),
            AttributeValue::L(vec![AttributeValue::S("x".into())]),
        );
        let mut item = Item::new();
        item.insert("a".into(), AttributeValue::M(inner));
        let p = path(&[a("a"), a("b"), PathElement::Index(0)]);
        assert_eq!(p.get(&item), Some(&AttributeValue::S("x".into())));
        assert_eq!(
            path(&[a("a"), a("b"), PathElement::Index(1)]).get(&item),
            None
        );
        assert_eq!(path(&[a("a"), PathElement::Index(0)]).get(&item), None);
        assert_eq!(path(&[a("a"), a("b"), a("c")]).get(&item), None);
        assert_eq!(p.top(), "a");
        assert!(p.is_nested());
        if let Some(v) = lookup_mut(&mut item, &p.0) {
            *v = AttributeValue::Null;
        }
        assert_eq!(p.get(&item), Some(&AttributeValue::Null));
    }

    #[test]
    fn orders_indexes_numerically() {
        let p2 = path(&[a("l"), PathElement::Index(2)]);
        let p10 = path(&[a("l"), PathElement::Index(10)]);
        assert_eq!(p2.cmp_elements(&p10), Ordering::Less);
        assert_eq!(Path::attr("l").cmp_elements(&p2), Ordering::Less);
    }
}
