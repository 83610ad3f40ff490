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
    root.into_iter().map(|(k, node)| (k, node.into_value())).collect()
}

/// Places `value` under `key` of `map`, following `rest` down the projected document.
fn insert(map: &mut BTreeMap<String, Node>, key: &str, rest: &[PathElement], value: &AttributeValue) {
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
            Node::List(list) => AttributeValue::L(list.into_values().map(Node::into_value).collect()),
        }
    }
}
