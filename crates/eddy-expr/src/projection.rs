//! ProjectionExpression: parsing, and projecting an item onto a list of paths.

use std::collections::BTreeMap;

use eddy_types::{AttributeValue, Item};

use crate::error::{ExprError, ExprParam};
use crate::parser;
use crate::path::{Path, PathElement};
use crate::placeholders::Placeholders;
use crate::resolve::{
    FirstProblems, check_overlaps, check_text, invalid, path_word_problem, resolve_path,
};

const RESERVED_WORD: usize = 0;
const UNDEFINED_NAME: usize = 1;
const PATHS: usize = 2;

/// Parses a ProjectionExpression into its paths.
///
/// # Errors
///
/// `Invalid ProjectionExpression: ...`: a syntax error, then (by priority) a reserved word, an
/// undefined `#name`, overlapping or conflicting paths.
pub fn parse_projection(text: &str, ph: &mut Placeholders<'_>) -> Result<Vec<Path>, ExprError> {
    let param = ExprParam::ProjectionExpression;
    check_text(text, param)?;
    let tree = parser::parse_projection(text).map_err(|p| invalid(param, p))?;
    let mut problems = FirstProblems::<3>::new();
    let mut paths = Vec::with_capacity(tree.paths.len());
    for doc in &tree.paths {
        if let Some(problem) = path_word_problem(doc) {
            problems.record(RESERVED_WORD, problem);
        }
        let (path, problem) = resolve_path(doc, ph);
        if let Some(problem) = problem {
            problems.record(UNDEFINED_NAME, problem);
        }
        paths.push(path);
    }
    if !problems.any_up_to(UNDEFINED_NAME) {
        let refs: Vec<&Path> = paths.iter().collect();
        if let Some(problem) = check_overlaps(&refs) {
            problems.record(PATHS, problem);
        }
    }
    match problems.into_first() {
        Some(problem) => Err(invalid(param, problem)),
        None => Ok(paths),
    }
}

/// The part of a projected document built so far.
enum Node {
    Leaf(AttributeValue),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

/// Keeps only the given paths of `item`. Nested paths keep their nesting (`a.b` gives
/// `{a: {b: ...}}`); list elements selected by index are gathered into a list in index order,
/// without gaps, as DynamoDB returns them. Paths the item lacks are skipped.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for path in paths {
        let (Some(value), Some((PathElement::Attr(first), rest))) =
            (path.get(item), path.0.split_first())
        else {
            continue;
        };
        insert(&mut root, first, rest, value);
    }
    root.into_iter()
        .map(|(k, node)| (k, node.into_value()))
        .collect()
}

/// Places `value` under `key` of `map`, following `rest` down the projected document.
fn insert(
    map: &mut BTreeMap<String, Node>,
    key: &str,
    rest: &[PathElement],
    value: &AttributeValue,
) {
    match rest.split_first() {
        None => {
            map.insert(key.to_owned(), Node::Leaf(value.clone()));
        }
        Some((next, rest)) => {
            let child = map
                .entry(key.to_owned())
                .or_insert_with(|| Node::empty_for(next));
            child.descend(next, rest, value);
        }
    }
}

impl Node {
    fn empty_for(next: &PathElement) -> Node {
        match next {
            PathElement::Attr(_) => Node::Map(BTreeMap::new()),
            PathElement::Index(_) => Node::List(BTreeMap::new()),
        }
    }

    /// Places `value` under `element` of this node. A node that is already a whole value
    /// contains the deeper one; a node of the other kind cannot hold it (both cases come only
    /// from overlapping paths, which parsing rejects).
    fn descend(&mut self, element: &PathElement, rest: &[PathElement], value: &AttributeValue) {
        match (self, element) {
            (Node::Map(map), PathElement::Attr(name)) => insert(map, name, rest, value),
            (Node::List(list), PathElement::Index(i)) => match rest.split_first() {
                None => {
                    list.insert(*i, Node::Leaf(value.clone()));
                }
                Some((next, rest)) => {
                    list.entry(*i)
                        .or_insert_with(|| Node::empty_for(next))
                        .descend(next, rest, value);
                }
            },
            _ => {}
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Node::Leaf(v) => v,
            Node::Map(map) => AttributeValue::M(
                map.into_iter()
                    .map(|(k, node)| (k, node.into_value()))
                    .collect(),
            ),
            Node::List(list) => {
                AttributeValue::L(list.into_values().map(Node::into_value).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::legacy::attributes_to_get;
    use crate::test_support::{item, l, m, n, names, s};

    fn parse(text: &str) -> Result<Vec<Path>, ExprError> {
        let names = names();
        let mut ph = Placeholders::new(Some(&names), None);
        parse_projection(text, &mut ph)
    }

    fn err(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn validation_messages() {
        assert_eq!(
            err(""),
            "Invalid ProjectionExpression: The expression can not be empty;"
        );
        assert_eq!(
            err("l[a]"),
            "Invalid ProjectionExpression: Syntax error; token: \"a\", near: \"[a]\""
        );
        assert_eq!(
            err("a, status"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        assert_eq!(
            err("#zz, status"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        assert_eq!(
            err("a, #zz"),
            "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #zz"
        );
        assert_eq!(
            err("a, b, a.c"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, c]"
        );
        assert_eq!(
            err("a.b, a[0]"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"
        );
        assert_eq!(
            err("a = b"),
            "Invalid ProjectionExpression: Syntax error; token: \"=\", near: \"a = b\""
        );
        let paths = parse("#s, a.b[1], #c").expect("parses");
        let printed: Vec<String> = paths.iter().map(ToString::to_string).collect();
        assert_eq!(printed, ["[status]", "[a, b, [1]]", "[c]"]);
    }

    #[test]
    fn projects_nested_paths_and_compacts_lists() {
        let it = item(&[
            ("a", m(&[("b", n("1")), ("c", n("2"))])),
            ("l", l(vec![n("0"), n("1"), n("2"), n("3")])),
            ("docs", l(vec![m(&[("k", s("v")), ("j", s("w"))])])),
            ("x", n("5")),
        ]);
        let paths = parse("a.b, l[3], l[1], x, nope, l[9], docs[0].k, a.zz").expect("parses");
        assert_eq!(
            project(&it, &paths),
            item(&[
                ("a", m(&[("b", n("1"))])),
                ("l", l(vec![n("1"), n("3")])),
                ("docs", l(vec![m(&[("k", s("v"))])])),
                ("x", n("5")),
            ])
        );
        assert_eq!(project(&it, &[]), Item::new());
        let legacy = attributes_to_get(&["x".to_owned(), "nope".to_owned()]);
        assert_eq!(project(&it, &legacy), item(&[("x", n("5"))]));
    }
}
