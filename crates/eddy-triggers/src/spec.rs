//! What a trigger is configured with: parsed from `--trigger 'key=value,...'` or from a
//! `[[trigger]]` table of a TOML file, both through the same parameter rules, with the event
//! source mapping's names, defaults and ranges.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::filter::Filter;
use eddy_types::parse_duration;

/// Where a trigger's records come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The table's latest stream, followed across re-enabled streams and re-created tables.
    Table(String),
    /// One stream, by ARN.
    Stream(String),
}

/// How a trigger reaches its handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// POST the event to this URL.
    Url(String),
    /// Call this function through the Lambda Invoke API of `endpoint`.
    Function {
        /// The function's name.
        name: String,
        /// The Lambda API's base URL.
        endpoint: String,
    },
    /// Run this shell command as the handler, serving it the Lambda Runtime API.
    Command(String),
}

/// Where the metadata of discarded batches goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Appended to this file, one JSON document a line.
    File(PathBuf),
    /// POSTed to this URL.
    Url(String),
}

/// Where a trigger without checkpoints starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The oldest record still in the stream.
    TrimHorizon,
    /// Only records written after the trigger started.
    Latest,
}

/// One trigger's settings.
#[derive(Clone, Debug)]
pub struct TriggerSpec {
    /// Its name: checkpoints and status are kept under it.
    pub name: String,
    /// Where records come from.
    pub source: Source,
    /// The handler.
    pub target: Target,
    /// Records in one invocation, at most (BatchSize).
    pub batch_size: usize,
    /// How long records gather before an invocation (MaximumBatchingWindowInSeconds).
    pub batching_window: Duration,
    /// Where reading starts (StartingPosition).
    pub starting_position: Start,
    /// Retries of a failed batch; None retries until the records expire
    /// (MaximumRetryAttempts -1).
    pub max_retries: Option<u32>,
    /// Records older than this are discarded; None keeps them until they expire
    /// (MaximumRecordAgeInSeconds -1).
    pub max_record_age: Option<Duration>,
    /// Split a failed batch in two before retrying (BisectBatchOnFunctionError).
    pub bisect_on_error: bool,
    /// The handler's answer may name the records that failed (ReportBatchItemFailures).
    pub report_batch_item_failures: bool,
    /// Batches of one shard in flight at once (ParallelizationFactor).
    pub parallelization_factor: usize,
    /// Records that match none of these patterns are skipped (FilterCriteria).
    pub filter: Option<Filter>,
    /// Where discarded batches are described (DestinationConfig.OnFailure).
    pub on_failure: Option<Destination>,
    /// Whether the trigger polls at all.
    pub enabled: bool,
    /// How long one invocation may take.
    pub timeout: Duration,
    /// The memory the handler is told it has, in MB.
    pub memory_mb: u32,
}

const KEYS: &[&str] = &[
    "name",
    "table",
    "stream",
    "url",
    "function",
    "lambda-endpoint",
    "command",
    "batch-size",
    "batching-window",
    "starting-position",
    "max-retries",
    "max-record-age",
    "bisect-on-error",
    "report-batch-item-failures",
    "parallelization-factor",
    "filter",
    "on-failure",
    "enabled",
    "timeout",
    "memory",
];

/// Parses every `--trigger` flag and the `[[trigger]]` entries of a `--triggers` file, and
/// names the ones left unnamed.
///
/// # Errors
/// A message naming the trigger, the bad parameter and the range it must be in.
pub fn parse_all(flags: &[String], file: Option<&str>) -> Result<Vec<TriggerSpec>, String> {
    let mut entries = Vec::new();
    for (i, flag) in flags.iter().enumerate() {
        let params = split_flag(flag).map_err(|e| format!("--trigger {}: {e}", i + 1))?;
        entries.push((format!("--trigger {}", i + 1), params));
    }
    if let Some(text) = file {
        for (i, params) in toml_entries(text)?.into_iter().enumerate() {
            entries.push((format!("[[trigger]] {}", i + 1), params));
        }
    }
    let mut specs = Vec::new();
    let mut per_table: BTreeMap<String, usize> = BTreeMap::new();
    for (which, params) in entries {
        let mut spec = from_params(&params).map_err(|e| format!("{which}: {e}"))?;
        if spec.name.is_empty() {
            let base = match &spec.source {
                Source::Table(t) => t.clone(),
                Source::Stream(arn) => table_of_stream(arn).to_owned(),
            };
            let n = per_table.entry(base.clone()).or_default();
            *n += 1;
            spec.name = format!("{base}-{n}");
        }
        specs.push(spec);
    }
    for (i, spec) in specs.iter().enumerate() {
        if specs[..i].iter().any(|s| s.name == spec.name) {
            return Err(format!("two triggers are named {:?}", spec.name));
        }
    }
    Ok(specs)
}

/// The table name inside a stream ARN (`arn:aws:dynamodb:r:a:table/NAME/stream/...`).
fn table_of_stream(arn: &str) -> &str {
    arn.split('/').nth(1).unwrap_or(arn)
}

/// Splits `key=value,key=value` at the commas outside quotes, braces and brackets, so a
/// filter's JSON or a quoted command keeps its own commas.
fn split_flag(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (key, value) = p
                .split_once('=')
                .ok_or_else(|| format!("{:?} is not key=value", p.trim()))?;
            Ok((key.trim().to_owned(), unquote(value.trim()).to_owned()))
        })
        .collect()
}

fn unquote(v: &str) -> &str {
    for q in ['\'', '"'] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// A TOML file's `[[trigger]]` tables as key/value pairs: numbers and booleans become their
/// text, and an array (of filters) one pair per element.
fn toml_entries(text: &str) -> Result<Vec<Vec<(String, String)>>, String> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e| format!("the triggers file is not TOML: {e}"))?;
    if let Some(other) = doc.keys().find(|k| *k != "trigger") {
        return Err(format!(
            "the triggers file holds {other:?}; only [[trigger]] tables belong there"
        ));
    }
    let Some(list) = doc.get("trigger") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or("`trigger` in the triggers file must be written [[trigger]]")?;
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let table = entry
            .as_table()
            .ok_or_else(|| format!("[[trigger]] {} is not a table", i + 1))?;
        let mut params = Vec::new();
        for (key, value) in table {
            let values = match value {
                toml::Value::Array(items) => items.iter().collect(),
                v => vec![v],
            };
            for v in values {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    toml::Value::Float(f) => f.to_string(),
                    _ => {
                        return Err(format!(
                            "[[trigger]] {}: {key} must be a string, number or boolean",
                            i + 1
                        ));
                    }
                };
                params.push((key.clone(), text));
            }
        }
        out.push(params);
    }
    Ok(out)
}

fn from_params(params: &[(String, String)]) -> Result<TriggerSpec, String> {
    let mut one: BTreeMap<&str, &str> = BTreeMap::new();
    let mut filters = Vec::new();
    for (key, value) in params {
        let Some(key) = KEYS.iter().find(|k| **k == key) else {
            return Err(format!(
                "unknown parameter {key:?}; the parameters are {}",
                KEYS.join(", ")
            ));
        };
        if *key == "filter" {
            filters.push(value.clone());
        } else if one.insert(key, value).is_some() {
            return Err(format!("{key} is given twice"));
        }
    }
    let source = match (one.get("table"), one.get("stream")) {
        (Some(t), None) => Source::Table(table_name(t)?),
        (None, Some(s)) if s.starts_with("arn:") => Source::Stream((*s).to_owned()),
        (None, Some(s)) => return Err(format!("stream must be a stream ARN, got {s:?}")),
        (Some(_), Some(_)) => return Err("give table or stream, not both".into()),
        _ => return Err("table (or stream) is required".into()),
    };
    let target = match (one.get("url"), one.get("function"), one.get("command")) {
        (Some(url), None, None) => Target::Url(http_url("url", url)?),
        (None, Some(name), None) => {
            let endpoint = one
                .get("lambda-endpoint")
                .ok_or("function needs lambda-endpoint, the Lambda API's URL")?;
            if name.is_empty() {
                return Err("function must name a function".into());
            }
            Target::Function {
                name: (*name).to_owned(),
                endpoint: http_url("lambda-endpoint", endpoint)?,
            }
        }
        (None, None, Some(command)) if !command.trim().is_empty() => {
            Target::Command((*command).to_owned())
        }
        (None, None, None) => return Err("a handler is required: url, function or command".into()),
        _ => return Err("give one handler: url, function or command".into()),
    };
    if one.contains_key("lambda-endpoint") && !matches!(target, Target::Function { .. }) {
        return Err("lambda-endpoint goes with function".into());
    }
    let int = |key: &str, default: i64, min: i64, max: i64| -> Result<i64, String> {
        match one.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    format!("{key} must be a whole number from {min} to {max}, got {v:?}")
                }),
        }
    };
    let flag = |key: &str, default: bool| -> Result<bool, String> {
        match one.get(key).copied() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(format!("{key} must be true or false, got {v:?}")),
        }
    };
    let batch_size = int("batch-size", 100, 1, 10_000)? as usize;
    let batching_window =
        seconds(one.get("batching-window"), "batching-window", 0, 300)?.unwrap_or(Duration::ZERO);
    let starting_position = match one.get("starting-position").map(|s| s.to_ascii_lowercase()) {
        None => Start::TrimHorizon,
        Some(s) if s == "trim-horizon" || s == "trim_horizon" => Start::TrimHorizon,
        Some(s) if s == "latest" => Start::Latest,
        Some(s) => {
            return Err(format!(
                "starting-position must be trim-horizon or latest, got {s:?}"
            ));
        }
    };
    let max_retries = match int("max-retries", -1, -1, 10_000)? {
        -1 => None,
        n => Some(n as u32),
    };
    let max_record_age = match one.get("max-record-age") {
        Some(&"-1") | None => None,
        Some(v) => seconds(Some(v), "max-record-age", 60, 604_800)?,
    };
    let on_failure = match one.get("on-failure") {
        None => None,
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
            Some(Destination::Url(http_url("on-failure", v)?))
        }
        Some(v) if !v.is_empty() => Some(Destination::File(PathBuf::from(v))),
        Some(_) => return Err("on-failure must be a file path or a URL".into()),
    };
    let filter = if filters.is_empty() {
        None
    } else if filters.len() > 5 {
        return Err(format!(
            "filter may be given at most 5 times, got {}",
            filters.len()
        ));
    } else {
        Some(Filter::parse(&filters)?)
    };
    let timeout = seconds(one.get("timeout"), "timeout", 1, 900)?.unwrap_or(Duration::from_secs(3));
    let name = match one.get("name") {
        Some(n) if valid_name(n) => (*n).to_owned(),
        Some(n) => {
            return Err(format!(
                "name must be 1 to 140 letters, digits, _, - and . not starting with ., got {n:?}"
            ));
        }
        None => String::new(),
    };
    Ok(TriggerSpec {
        name,
        source,
        target,
        batch_size,
        batching_window,
        starting_position,
        max_retries,
        max_record_age,
        bisect_on_error: flag("bisect-on-error", false)?,
        report_batch_item_failures: flag("report-batch-item-failures", false)?,
        parallelization_factor: int("parallelization-factor", 1, 1, 10)? as usize,
        filter,
        on_failure,
        enabled: flag("enabled", true)?,
        timeout,
        memory_mb: int("memory", 128, 128, 10_240)? as u32,
    })
}

/// A duration in whole seconds (`30`) or with a unit (`30s`, `5m`), within `min..=max`
/// seconds.
fn seconds(
    value: Option<&&str>,
    key: &str,
    min: u64,
    max: u64,
) -> Result<Option<Duration>, String> {
    let Some(v) = value else { return Ok(None) };
    let range =
        || format!("{key} must be from {min} to {max} seconds (as 90 or 90s, 15m), got {v:?}");
    let d = if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
        Duration::from_secs(v.parse().map_err(|_| range())?)
    } else {
        parse_duration(v).map_err(|_| range())?
    };
    // Lambda takes these in whole seconds.
    if d < Duration::from_secs(min) || d > Duration::from_secs(max) || d.subsec_nanos() != 0 {
        return Err(range());
    }
    Ok(Some(d))
}

/// A trigger's name: it names its checkpoint file, so it is one plain file name.
fn valid_name(n: &str) -> bool {
    (1..=140).contains(&n.len())
        && !n.starts_with('.')
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A table name as DynamoDB allows it: 3 to 255 of `a-z A-Z 0-9 _ - .`.
fn table_name(t: &str) -> Result<String, String> {
    let valid = (3..=255).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(t.to_owned())
    } else {
        Err(format!(
            "table must be a table name, 3 to 255 letters, digits, _, - and ., got {t:?}"
        ))
    }
}

fn http_url(key: &str, v: &str) -> Result<String, String> {
    let rest = v
        .strip_prefix("http://")
        .ok_or_else(|| format!("{key} must be an http:// URL, got {v:?}"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{key} must name a host, got {v:?}"));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(flag: &str) -> Result<TriggerSpec, String> {
        parse_all(&[flag.to_owned()], None).map(|mut v| v.remove(0))
    }

    #[test]
    fn a_flag_takes_lambdas_defaults() {
        let s = one("table=Orders,url=http://127.0.0.1:9000/h").expect("parses");
        assert_eq!(s.name, "Orders-1");
        assert_eq!(s.source, Source::Table("Orders".into()));
        assert_eq!(s.target, Target::Url("http://127.0.0.1:9000/h".into()));
        assert_eq!(s.batch_size, 100);
        assert_eq!(s.batching_window, Duration::ZERO);
        assert_eq!(s.starting_position, Start::TrimHorizon);
        assert_eq!(s.max_retries, None);
        assert_eq!(s.max_record_age, None);
        assert_eq!(s.parallelization_factor, 1);
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert!(s.enabled && !s.bisect_on_error && !s.report_batch_item_failures);
    }

    #[test]
    fn commas_inside_filters_and_quotes_stay_in_the_value() {
        let s = one(
            r#"table=Tab,command='sh -c "echo a,b"',filter={"eventName":["INSERT","MODIFY"]},batch-size=10"#,
        )
        .expect("parses");
        assert_eq!(s.target, Target::Command(r#"sh -c "echo a,b""#.into()));
        assert_eq!(s.batch_size, 10);
        assert!(s.filter.is_some());
    }

    #[test]
    fn errors_name_the_parameter_and_its_range() {
        for (flag, needle) in [
            (
                "table=Tab,url=http://h/,batch-size=0",
                "batch-size must be a whole number from 1 to 10000",
            ),
            (
                "table=Tab,url=http://h/,batch-size=10001",
                "from 1 to 10000",
            ),
            (
                "table=Tab,url=http://h/,parallelization-factor=11",
                "parallelization-factor must be a whole number from 1 to 10",
            ),
            (
                "table=Tab,url=http://h/,max-retries=-2",
                "max-retries must be a whole number from -1 to 10000",
            ),
            (
                "table=Tab,url=http://h/,max-record-age=59",
                "max-record-age must be from 60 to 604800 seconds",
            ),
            (
                "table=Tab,url=http://h/,batching-window=301",
                "batching-window must be from 0 to 300 seconds",
            ),
            (
                "table=Tab,url=http://h/,starting-position=at",
                "starting-position must be trim-horizon or latest",
            ),
            (
                "table=Tab,url=http://h/,enabled=yes",
                "enabled must be true or false",
            ),
            (
                "table=Tab,url=http://h/,colour=red",
                "unknown parameter \"colour\"",
            ),
            ("url=http://h/", "table (or stream) is required"),
            (
                "table=T,url=http://h/",
                "table must be a table name, 3 to 255",
            ),
            ("table=Tab", "a handler is required"),
            ("table=Tab,url=http://h/,command=x", "give one handler"),
            ("table=Tab,function=f", "function needs lambda-endpoint"),
            ("table=Tab,url=ftp://h/", "url must be an http:// URL"),
            ("table=Tab,url=http://h/,filter={\"a\":1}", "filter"),
        ] {
            let err = one(flag).expect_err(flag);
            assert!(err.contains(needle), "{flag}: {err}");
        }
    }

    #[test]
    fn a_toml_file_uses_the_same_keys() {
        let file = r#"
            [[trigger]]
            table = "Orders"
            url = "http://127.0.0.1:9000/h"
            batch-size = 10
            bisect-on-error = true
            filter = ['{"eventName": ["INSERT"]}', '{"eventName": ["REMOVE"]}']

            [[trigger]]
            name = "audit"
            table = "Orders"
            function = "audit"
            lambda-endpoint = "http://127.0.0.1:3001"
            max-record-age = "1h"
        "#;
        let specs = parse_all(&[], Some(file)).expect("parses");
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].name, "Orders-1");
        assert_eq!(specs[0].batch_size, 10);
        assert!(specs[0].bisect_on_error);
        assert_eq!(specs[1].name, "audit");
        assert_eq!(specs[1].max_record_age, Some(Duration::from_secs(3600)));
        let bad = parse_all(
            &[],
            Some("[[trigger]]\ntable = \"Tab\"\nurl = \"http://h/\"\nbatch-size = 0\n"),
        )
        .expect_err("refused");
        assert!(bad.starts_with("[[trigger]] 1: batch-size"), "{bad}");
    }

    #[test]
    fn names_are_unique() {
        let flags = [
            "table=Tab,url=http://h/,name=a".to_owned(),
            "table=Uni,url=http://h/,name=a".to_owned(),
        ];
        assert!(
            parse_all(&flags, None)
                .expect_err("refused")
                .contains("two triggers")
        );
    }
}
