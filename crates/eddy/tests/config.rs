//! Configuration in three layers: flags win over `EDDY_*` variables, which win over the
//! `--config` TOML file; `--print-config` shows the merge; bad keys and values name themselves;
//! and a server started from a file runs with its settings.

mod common;

use std::process::Command;

use common::{client_for, create_table};

fn eddy() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eddy"));
    // The tests' own environment must not leak a layer in.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("EDDY_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn print_config(cmd: &mut Command) -> String {
    let out = cmd.arg("--print-config").output().expect("run eddy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn line<'a>(config: &'a str, key: &str) -> &'a str {
    config
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in\n{config}"))
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("eddy.toml");
    std::fs::write(
        &file,
        "region = \"eu-west-1\"\ntable-partitions = 3\nshard-lifetime = \"2h\"\nin-memory = true\n\
         trigger = [\"table=a,url=http://127.0.0.1:1/\", \"table=b,url=http://127.0.0.1:1/\"]\n",
    )
    .expect("write");
    let config = print_config(
        eddy()
            .args(["serve", "--config"])
            .arg(&file)
            .args(["--table-partitions", "2"])
            .env("EDDY_REGION", "ap-south-1")
            .env("EDDY_SHARD_LIFETIME", "3h"),
    );
    assert_eq!(
        line(&config, "table-partitions"),
        "table-partitions = \"2\"  # flag, EDDY_TABLE_PARTITIONS"
    );
    assert_eq!(
        line(&config, "region"),
        "region = \"ap-south-1\"  # environment, EDDY_REGION"
    );
    assert_eq!(
        line(&config, "shard-lifetime"),
        "shard-lifetime = \"3h\"  # environment, EDDY_SHARD_LIFETIME"
    );
    assert_eq!(
        line(&config, "in-memory"),
        "in-memory = \"true\"  # file, EDDY_IN_MEMORY"
    );
    assert!(
        line(&config, "trigger").starts_with("trigger = [\"table=a,"),
        "{config}"
    );
    assert_eq!(
        line(&config, "listen"),
        "listen = \"127.0.0.1:8000\"  # default, EDDY_LISTEN"
    );

    // What --print-config prints is a file --config reads back to the same settings.
    let printed = dir.path().join("printed.toml");
    std::fs::write(&printed, &config).expect("write");
    let again = print_config(eddy().args(["serve", "--config"]).arg(&printed));
    let values = |c: &str| -> Vec<String> {
        c.lines()
            .map(|l| l.split("  #").next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(values(&again), values(&config));
}

#[test]
fn the_config_file_can_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("eddy.toml");
    std::fs::write(&file, "account-id = \"123456789012\"\n").expect("write");
    let config = print_config(eddy().arg("serve").env("EDDY_CONFIG", &file));
    assert_eq!(
        line(&config, "account-id"),
        "account-id = \"123456789012\"  # file, EDDY_ACCOUNT_ID"
    );
}

#[test]
fn unknown_keys_and_bad_values_name_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("eddy.toml");
    let fails = |toml: &str, expected: &str| {
        std::fs::write(&file, toml).expect("write");
        let out = eddy()
            .args(["serve", "--config"])
            .arg(&file)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{toml}");
        assert!(stderr.contains(expected), "{toml}: {stderr}");
    };
    fails("data-directory = \"x\"\n", "unknown key `data-directory`");
    fails("table-partitions = \"lots\"\n", "--table-partitions");
    fails("stream-retention = \"forever\"\n", "--stream-retention");
    fails("region = { name = \"x\" }\n", "`region` must be a string");
    fails("region = \"x\"\nregion = \"y\"\n", "eddy.toml");

    let out = eddy()
        .args(["serve", "--print-config"])
        .env("EDDY_MAX_CONNECTIONS", "none")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--max-connections"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_server_runs_with_its_files_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("eddy.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\nin-memory = true\nshared-db = true\n\
         account-id = \"123456789012\"\nregion = \"eu-north-1\"\n",
    )
    .expect("write");
    let (mut child, endpoint) = common::spawn_eddy(eddy().args(["serve", "--config"]).arg(&file));
    let client = client_for(&endpoint);
    create_table(&client, "configured", None).await;
    let table = client
        .describe_table()
        .table_name("configured")
        .send()
        .await
        .expect("describe");
    let arn = table
        .table()
        .and_then(|t| t.table_arn())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        arn,
        "arn:aws:dynamodb:eu-north-1:123456789012:table/configured"
    );
    let _ = child.kill();
    let _ = child.wait();
}
