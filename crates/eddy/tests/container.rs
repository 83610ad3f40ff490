//! The container image of the Dockerfile, run with podman: it runs as a non-root user, serves,
//! keeps its tables across a restart of the container, passes its health check, and stops with
//! eddy's message on a data volume its user cannot write. Without podman the test says so and
//! passes, since podman is no Rust dependency.
//!
//! The image packages the binary under test through the Dockerfile's `prebuilt` target, the
//! final stage's layout without its compile stage, which would need a registry and a release
//! build.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// The user the image runs as, and owns /data.
const USER: &str = "65532:65532";

/// eddy does not verify signatures unless told to, but reads the region from this shape.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";

/// The image, containers and volume of one run, removed when it ends, passed or failed.
struct Podman {
    /// Flags before every podman subcommand.
    global: Vec<&'static str>,
    /// The image's name, and the prefix of the containers' and volume's.
    name: String,
}

impl Podman {
    fn new() -> Podman {
        let mut global = Vec::new();
        // crun refuses hybrid cgroup hierarchies (v1 controllers beside a v2 mount), as some
        // VMs and CI runners have; runc runs on them and on plain v2.
        if Command::new("runc").arg("--version").output().is_ok() {
            global.extend(["--runtime", "runc"]);
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Podman {
            global,
            name: format!("eddy-container-test-{}-{nanos}", std::process::id()),
        }
    }

    fn image(&self) -> String {
        format!("localhost/{}", self.name)
    }

    fn container(&self, role: &str) -> String {
        format!("{}-{role}", self.name)
    }

    fn volume(&self) -> String {
        format!("{}-data", self.name)
    }

    /// Marks the build's images, the intermediate ones too, for removal.
    fn label(&self) -> String {
        format!("eddy.container-test={}", self.name)
    }

    fn output(&self, args: &[&str]) -> Output {
        Command::new("podman")
            .args(&self.global)
            .args(args)
            .output()
            .expect("podman runs")
    }

    /// Stdout of a podman command that must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            output.status.success(),
            "podman {} failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Runs the image detached with `volume` (a named volume or a host path) as /data.
    fn run(&self, role: &str, volume: &str, publish: &[&str]) {
        let (name, image) = (self.container(role), self.image());
        let mount = format!("{volume}:/data");
        let mut args = vec!["run", "--detach", "--name", &name, "--volume", &mount];
        // Rootful podman raises the container's limits of open files and processes to 1048576
        // by default, which fails where podman may not raise its own (no CAP_SYS_RESOURCE, as
        // in some VMs and CI sandboxes).
        args.extend([
            "--ulimit",
            "nofile=4096:4096",
            "--ulimit",
            "nproc=4096:4096",
        ]);
        args.extend(publish);
        args.push(&image);
        self.ok(&args);
    }

    fn state(&self, role: &str) -> String {
        self.ok(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &self.container(role),
        ])
    }

    /// The container's stdout and stderr.
    fn logs(&self, role: &str) -> String {
        let output = self.output(&["logs", &self.container(role)]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        // Containers first: podman keeps an image or volume a container uses.
        let (serving, refused) = (self.container("serving"), self.container("refused"));
        let _ = self.output(&[
            "rm",
            "--force",
            "--ignore",
            "--volumes",
            "--time",
            "0",
            &serving,
            &refused,
        ]);
        let _ = self.output(&["volume", "rm", "--force", &self.volume()]);
        let filter = format!("label={}", self.label());
        let listed = self.output(&["images", "--all", "--quiet", "--filter", &filter]);
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        let mut rmi = vec!["rmi", "--force"];
        rmi.extend(listed.split_whitespace());
        if rmi.len() > 2 {
            let _ = self.output(&rmi);
        }
    }
}

/// The Dockerfile and, as its `prebuilt` target expects, the binary under test with each
/// shared library ldd lists for it, a passwd and group entry, and an empty data directory.
fn build_context(dir: &Path) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(manifest.join("../../Dockerfile"), dir.join("Dockerfile")).expect("Dockerfile");
    let root = dir.join("image/root");
    let binary = Path::new(env!("CARGO_BIN_EXE_eddy"));
    install(binary, &root.join("usr/local/bin/eddy"));
    let ldd = Command::new("ldd").arg(binary).output().expect("ldd runs");
    for library in String::from_utf8_lossy(&ldd.stdout)
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
    {
        install(Path::new(library), &root.join(&library[1..]));
    }
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).expect("etc");
    std::fs::write(
        etc.join("passwd"),
        "eddy:x:65532:65532:eddy:/data:/sbin/nologin\n",
    )
    .expect("passwd");
    std::fs::write(etc.join("group"), "eddy:x:65532:\n").expect("group");
    std::fs::create_dir_all(dir.join("image/data")).expect("data directory");
}

/// Copies `from` to `to`, following symlinks, so the image holds the file itself.
fn install(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().expect("a parent")).expect("directories");
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One request to `/` on its own connection: the status and the body.
fn http(port: u16, method: &str, headers: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {response:?}")))?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, body.to_owned()))
}

fn dynamodb(port: u16, operation: &str, request: &Value) -> Value {
    let headers = format!(
        "Content-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{operation}\r\nAuthorization: {AUTHORIZATION}\r\n"
    );
    let (status, body) = http(port, "POST", &headers, &request.to_string())
        .unwrap_or_else(|e| panic!("{operation}: {e}"));
    assert_eq!(status, 200, "{operation}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{operation}: {e}: {body}"))
}

/// Waits for `GET /` to answer 200 through the published port; a container that exits or
/// takes over 30 s fails the test with its logs.
fn wait_until_serving(podman: &Podman, role: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if matches!(http(port, "GET", "", ""), Ok((200, _))) {
            return;
        }
        let state = podman.state(role);
        assert!(
            !state.starts_with("exited") && Instant::now() < deadline,
            "{role} is not serving on port {port} ({state}):\n{}",
            podman.logs(role)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_image_serves_keeps_its_data_and_refuses_an_unwritable_volume() {
    if Command::new("podman").arg("--version").output().is_err() {
        println!("skipped: podman is not installed");
        return;
    }
    let podman = Podman::new();
    let context = tempfile::tempdir().expect("tempdir");
    build_context(context.path());
    let label = podman.label();
    let context_path = context.path().to_str().expect("a UTF-8 temporary path");
    // The docker format keeps the HEALTHCHECK, which the OCI format has no field for.
    podman.ok(&[
        "build",
        "--format",
        "docker",
        "--target",
        "prebuilt",
        "--label",
        &label,
        "--tag",
        &podman.image(),
        context_path,
    ]);
    let user = podman.ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Config.User}}",
        &podman.image(),
    ]);
    assert_eq!(user, USER);

    let port = free_port();
    let publish = format!("127.0.0.1:{port}:8000");
    podman.run("serving", &podman.volume(), &["--publish", &publish]);
    wait_until_serving(&podman, "serving", port);
    dynamodb(
        port,
        "CreateTable",
        &json!({
            "TableName": "kept",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    let item = json!({"id": {"S": "a"}, "note": {"S": "survives restarts"}});
    dynamodb(port, "PutItem", &json!({"TableName": "kept", "Item": item}));

    podman.ok(&["restart", "--time", "10", &podman.container("serving")]);
    wait_until_serving(&podman, "serving", port);
    let got = dynamodb(
        port,
        "GetItem",
        &json!({"TableName": "kept", "Key": {"id": {"S": "a"}}}),
    );
    assert_eq!(got["Item"], item, "after a restart: {got}");
    let serving = podman.container("serving");
    let health = podman.output(&["healthcheck", "run", &serving]);
    assert!(
        health.status.success(),
        "the image's health check fails: {}",
        podman.ok(&[
            "inspect",
            "--format",
            "{{json .State.Health.Log}}",
            &serving
        ])
    );

    // Owned by whoever runs the test, and writable by nobody else: not by the image's user.
    let unwritable = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(unwritable.path(), std::fs::Permissions::from_mode(0o555))
        .expect("chmod");
    let unwritable_path = unwritable.path().to_str().expect("a UTF-8 temporary path");
    podman.run("refused", unwritable_path, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        let state = podman.state("refused");
        if state.starts_with("exited") || Instant::now() > deadline {
            break state;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let logs = podman.logs("refused");
    assert!(
        state.starts_with("exited") && state != "exited 0",
        "with an unwritable /data the server should stop with an error ({state}):\n{logs}"
    );
    assert!(
        logs.contains("eddy: cannot use the data directory /data"),
        "the logs should say why:\n{logs}"
    );
}
