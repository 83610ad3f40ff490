//! The web console at `/_eddy/console`, driven in headless Chromium by
//! `tests/console/console.mjs` (playwright-core): tables, items, query errors, live stream
//! records with their diffs, and the shard lineage through a clock rollover and a split.
//! Chromium and playwright-core come from `scripts/console-setup`; without them the test says
//! so and passes, since neither is a Rust dependency.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestServer;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn the_console_shows_tables_items_live_records_and_the_shard_lineage() {
    let root = workspace();
    let modules = root.join("target/node/node_modules");
    let Some(chromium) = chromium() else {
        println!("skipped: no chromium found (run scripts/console-setup)");
        return;
    };
    if !modules.join("playwright-core/package.json").exists() {
        println!(
            "skipped: no playwright-core in {} (run scripts/console-setup)",
            modules.display()
        );
        return;
    }
    let artefacts = root.join("target/artefacts/console");
    std::fs::create_dir_all(&artefacts).expect("artefacts folder");
    let server = TestServer::start();
    let output = Command::new("node")
        .arg(root.join("crates/eddy/tests/console/console.mjs"))
        .current_dir(&root)
        .env("EDDY_ENDPOINT", &server.endpoint)
        .env("CHROMIUM", &chromium)
        .env("EDDY_NODE_MODULES", &modules)
        .env("EDDY_ARTEFACTS", &artefacts)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("skipped: node is not installed (run scripts/console-setup)");
            return;
        }
        Err(e) => panic!("running node: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "console test failed ({}); screenshots in {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status,
        artefacts.display()
    );
    print!("{stdout}");
}
