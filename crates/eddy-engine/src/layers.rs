//! The crate's layers depend only downwards: model, keys, state, write, ops, each using only
//! itself and the layers before it (see lib.rs). A file's layer is its folder, and `keys.rs`
//! is a layer of its own. Every path into the crate is written from `crate::` with its layer
//! first (`crate::state::catalog::Table`), never through a re-export at the root, so the word
//! after each `crate::` names the layer a file uses.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 5] = ["model", "keys", "state", "write", "ops"];

/// The crate's source files, recursively.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.map(|e| e.path()).unwrap_or_else(|e| panic!("{e}"));
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The layer a path under `src/` belongs to: its folder, or `keys` for `keys.rs`; None for
/// the crate root and this check.
fn layer_of(relative: &Path) -> Option<usize> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "layers" => None,
        _ => Some(
            LAYERS
                .iter()
                .position(|l| *l == name)
                .unwrap_or_else(|| panic!("{} belongs to no layer", relative.display())),
        ),
    }
}

/// What is wrong with the crate paths in `text`, a file of layer `own`.
fn violations(text: &str, own: usize) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        match LAYERS.iter().position(|l| *l == word) {
            Some(used) if used <= own => {}
            Some(_) => found.push(format!("uses the higher layer `crate::{word}`")),
            None => found.push(format!("`crate::{word}` does not start with a layer")),
        }
    }
    if text.contains("super::super") {
        found.push("reaches past its folder with `super::super`".to_owned());
    }
    found
}

#[test]
fn each_layer_uses_only_the_layers_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut seen = [0usize; LAYERS.len()];
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap_or(path);
        let Some(own) = layer_of(relative) else {
            continue;
        };
        seen[own] += 1;
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for problem in violations(&text, own) {
            problems.push(format!(
                "{} ({}): {problem}",
                relative.display(),
                LAYERS[own]
            ));
        }
    }
    assert!(
        seen.iter().all(|n| *n > 0),
        "a layer without files: {seen:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_catches_an_upward_path() {
    assert!(violations("use crate::model::error::Result;", 2).is_empty());
    assert!(violations("use crate::state::tokens::Tokens;", 2).is_empty());
    assert_eq!(violations("use crate::ops::ttl::SweepClock;", 2).len(), 1);
    assert_eq!(violations("use crate::Engine;", 4).len(), 1);
    assert_eq!(violations("use crate::{keys, model};", 3).len(), 1);
    assert_eq!(violations("use super::super::ops;", 0).len(), 1);
}
