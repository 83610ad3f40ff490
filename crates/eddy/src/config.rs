//! The three layers of `eddy serve`'s configuration. A flag wins over its `EDDY_*`
//! environment variable (`--data-dir` reads `EDDY_DATA_DIR`), which wins over the TOML file
//! named by `--config` or `EDDY_CONFIG`, whose keys are the flags' names (`data-dir = "…"`).
//!
//! clap does the merging: every argument gets its environment variable, and the file's values
//! become the arguments' defaults, so one parser validates every layer and its errors name the
//! flag.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// The subcommand the layers apply to.
const SERVE: &str = "serve";

/// Arguments that are not configuration (they say what to do with it).
const NOT_SETTINGS: [&str; 3] = ["help", "config", PRINT_CONFIG];

/// The flag that prints the merged configuration instead of serving.
pub const PRINT_CONFIG: &str = "print-config";

/// Values `--print-config` does not show.
const SECRET: [&str; 1] = ["credential"];

/// The environment variable of flag `long`.
pub fn env_name(long: &str) -> String {
    format!("EDDY_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// `cli` with the environment and file layers added to `serve`'s arguments (the file being
/// the one `--config` or `EDDY_CONFIG` names), and with `--config` and `--print-config`.
/// Also returns the keys the file set.
///
/// # Errors
/// The file cannot be read or parsed, holds a key no flag has, or a value of the wrong shape.
pub fn layered(cli: Command, args: &[OsString]) -> Result<(Command, Vec<String>), String> {
    let file = config_path(args).map(|path| read(&path).map(|table| (path, table)));
    let file = file.transpose()?;
    let file_keys = file
        .as_ref()
        .map(|(_, table)| table.keys().cloned().collect())
        .unwrap_or_default();
    let mut failure = None;
    let cli = cli.mut_subcommand(SERVE, |serve| {
        let mut serve = serve
            .arg(
                clap::Arg::new("config")
                    .long("config")
                    .value_name("FILE")
                    .help(
                        "A TOML file of settings named as the flags (data-dir = \"...\"); flags \
                         and EDDY_* variables win over it [env: EDDY_CONFIG]",
                    ),
            )
            .arg(
                clap::Arg::new(PRINT_CONFIG)
                    .long(PRINT_CONFIG)
                    .action(clap::ArgAction::SetTrue)
                    .help("Print the merged configuration, and where each value came from"),
            );
        let longs: Vec<(clap::Id, String)> = serve
            .get_arguments()
            .filter_map(|a| Some((a.get_id().clone(), a.get_long()?.to_owned())))
            .collect();
        for (id, long) in &longs {
            if !NOT_SETTINGS.contains(&long.as_str()) {
                serve = serve.mut_arg(id, |a| a.env(env_name(long)));
            }
        }
        if let Some((path, table)) = &file {
            for (key, value) in table {
                let found = longs
                    .iter()
                    .find(|(_, long)| long == key && !NOT_SETTINGS.contains(&long.as_str()));
                let Some((id, _)) = found else {
                    failure = Some(format!("{}: unknown key `{key}`", path.display()));
                    break;
                };
                match values(value) {
                    Some(values) => serve = serve.mut_arg(id, |a| a.default_values(values)),
                    None => {
                        failure = Some(format!(
                            "{}: `{key}` must be a string, number, boolean or a list of them",
                            path.display()
                        ));
                        break;
                    }
                }
            }
        }
        serve
    });
    match failure {
        Some(message) => Err(message),
        None => Ok((cli, file_keys)),
    }
}

/// `--config PATH` or `--config=PATH` among `serve`'s arguments, else `EDDY_CONFIG`.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip_while(|a| a.as_os_str() != SERVE).skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = text.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(env_name("config")).map(PathBuf::from)
}

fn read(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.parse::<toml::Table>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A TOML value as the command-line values it stands for.
fn values(value: &toml::Value) -> Option<Vec<String>> {
    let scalar = |v: &toml::Value| match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        toml::Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|v| vec![v]),
    }
}

/// The merged configuration of `serve` as a TOML file `--config` reads back, each value with
/// the layer it came from, sorted by key; `file_keys` are those the file set.
pub fn print(serve: &Command, matches: &ArgMatches, file_keys: &[String]) -> String {
    let mut lines = Vec::new();
    for arg in serve.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NOT_SETTINGS.contains(&long) {
            continue;
        }
        let id = arg.get_id().as_str();
        let values: Vec<String> = matches
            .get_raw(id)
            .map(|raw| raw.map(|v| v.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let env = env_name(long);
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "environment",
            _ if file_keys.iter().any(|k| k == long) => "file",
            _ => "default",
        };
        let shown: Vec<String> = values
            .iter()
            .map(|v| {
                let v = if SECRET.contains(&long) { "…" } else { v };
                toml::Value::String(v.to_owned()).to_string()
            })
            .collect();
        let line = match &shown[..] {
            [] => format!("# {long} is not set ({env})\n"),
            [one] => format!("{long} = {one}  # {source}, {env}\n"),
            many => format!("{long} = [{}]  # {source}, {env}\n", many.join(", ")),
        };
        lines.push((long, line));
    }
    lines.sort_unstable();
    lines.into_iter().map(|(_, line)| line).collect()
}
