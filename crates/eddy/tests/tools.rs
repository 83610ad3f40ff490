//! Real DynamoDB tools, unchanged, against eddy: the AWS CLI v1, boto3, the AWS SDK for
//! JavaScript v3 (low-level, document and Streams clients) and the dynamodb-admin web UI. Each
//! test runs one script under `tests/tools/` against its own server; the script prints the
//! tool's version and exits non-zero on any mismatch. The tools come from `scripts/tools-setup`
//! into `target/py` and `target/node`; a test whose tool is missing says so and passes, since
//! none of them is a Rust dependency and the registries may be out of reach. The scripts run
//! by hand too: `EDDY_ENDPOINT=http://127.0.0.1:8000 node crates/eddy/tests/tools/js_sdk.mjs`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;
use eddy_engine::EngineConfig;

/// Far above a passing run's few seconds; only a hung tool gets near it.
const DEADLINE: Duration = Duration::from_secs(180);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

fn node_modules() -> PathBuf {
    workspace().join("target/node/node_modules")
}

fn skip(tool: &str, missing: &str) {
    println!("skipped: {tool} is not installed (run scripts/tools-setup): {missing}");
}

/// Whether `program --version` runs, so a tool on PATH counts as installed.
fn runs(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether node is on PATH and as new as the AWS SDK for JavaScript v3 requires (Node.js 20);
/// an older one, such as some distributions ship, would fail the scripts for no fault of eddy.
fn node_fits() -> bool {
    Command::new("node")
        .args([
            "-e",
            "process.exit(Number(process.versions.node.split('.')[0]) >= 20 ? 0 : 1)",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

/// The npm packages of `wanted` that are not in target/node.
fn missing_npm(wanted: &[&str]) -> Vec<String> {
    let modules = node_modules();
    wanted
        .iter()
        .filter(|p| !modules.join(p).join("package.json").exists())
        .map(|p| format!("{p} in {}", modules.display()))
        .collect()
}

/// Reads a pipe to its end on a thread, so a chatty tool never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Runs `cmd` with `EDDY_ENDPOINT` set to a fresh server; fails with the tool's output unless it
/// exits 0 within the deadline. The server verifies signatures against the scripts' key pair
/// (`test`/`test`), so each tool's own SigV4 signing is checked too.
fn run_against_eddy(tool: &str, cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let server = TestServer::start_configured(EngineConfig::default(), |state| {
        state.with_signature_verification([("test".to_owned(), "test".to_owned())])
    });
    // Its own process group, so a hung run is killed with everything it started (dynamodb-admin,
    // the AWS CLI under bash), and nothing is left holding the output pipes open.
    let mut child = cmd
        .current_dir(workspace())
        .env("EDDY_ENDPOINT", &server.endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {tool}: {e}"));
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the tool") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    let outcome = match status {
        Some(status) if status.success() => {
            print!("{stdout}");
            return;
        }
        Some(status) => format!("{status}"),
        None => format!("no exit after {DEADLINE:?}"),
    };
    panic!("{tool} against eddy failed ({outcome})\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
}

#[test]
fn the_aws_cli_manages_tables_items_and_streams() {
    let venv_aws = workspace().join("target/py/bin/aws");
    if !venv_aws.exists() && !runs(Path::new("aws")) {
        skip(
            "the AWS CLI",
            &format!("neither {} nor aws on PATH", venv_aws.display()),
        );
        return;
    }
    run_against_eddy(
        "the AWS CLI",
        Command::new("bash").arg(script("aws_cli.sh")),
    );
}

#[test]
fn boto3_clients_resources_paginators_and_streams_work() {
    let python = workspace().join("target/py/bin/python");
    let has_boto3 = Command::new(&python)
        .args(["-c", "import boto3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_boto3 {
        skip("boto3", &format!("boto3 for {}", python.display()));
        return;
    }
    run_against_eddy("boto3", Command::new(&python).arg(script("boto3_check.py")));
}

#[test]
fn the_javascript_sdk_document_and_streams_clients_work() {
    let mut missing = missing_npm(&[
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/lib-dynamodb",
        "@aws-sdk/client-dynamodb-streams",
    ]);
    if !node_fits() {
        missing.push("node 20 or newer on PATH".to_owned());
    }
    if !missing.is_empty() {
        skip("the AWS SDK for JavaScript", &missing.join(", "));
        return;
    }
    run_against_eddy(
        "the AWS SDK for JavaScript",
        Command::new("node")
            .arg(script("js_sdk.mjs"))
            .env("EDDY_NODE_MODULES", node_modules()),
    );
}

#[test]
fn dynamodb_admin_lists_pages_and_edits_items() {
    let mut missing = missing_npm(&["dynamodb-admin", "@aws-sdk/client-dynamodb"]);
    if !node_fits() {
        missing.push("node 20 or newer on PATH".to_owned());
    }
    if !missing.is_empty() {
        skip("dynamodb-admin", &missing.join(", "));
        return;
    }
    run_against_eddy(
        "dynamodb-admin",
        Command::new("node")
            .arg(script("dynamodb_admin.mjs"))
            .env("EDDY_NODE_MODULES", node_modules()),
    );
}
