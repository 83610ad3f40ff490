//! `eddy streams list` and `eddy streams describe`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::operation::list_streams::ListStreamsInput;
use aws_sdk_dynamodbstreams::types::Shard;
use eddy_client::{Error, StreamsClient};
use futures_util::TryStreamExt;

/// Prints one line per stream: table, label, ARN.
pub async fn list(client: &StreamsClient, table: Option<&str>) -> Result<(), Error> {
    let input = ListStreamsInput::builder()
        .set_table_name(table.map(str::to_owned))
        .build()
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let streams: Vec<_> = client
        .list_streams_paginator(input)
        .items()
        .try_collect()
        .await?;
    let rows: Vec<[&str; 3]> = streams
        .iter()
        .map(|s| {
            [
                s.table_name().unwrap_or_default(),
                s.stream_label().unwrap_or_default(),
                s.stream_arn().unwrap_or_default(),
            ]
        })
        .collect();
    let width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(5);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:width$}  {:23}  STREAM ARN", "TABLE", "LABEL");
    for [table, label, arn] in rows {
        let _ = writeln!(out, "{table:width$}  {label:23}  {arn}");
    }
    Ok(())
}

/// Prints the stream's status and its shards as a lineage tree.
pub async fn describe(
    client: &StreamsClient,
    table: Option<&str>,
    arn: Option<&str>,
) -> Result<(), Error> {
    let arn = match (arn, table) {
        (Some(arn), _) => arn.to_owned(),
        (None, Some(table)) => client.latest_stream_arn(table).await?,
        (None, None) => return Err(Error::InvalidArgument("give --table or --arn".into())),
    };
    let input = DescribeStreamInput::builder()
        .stream_arn(&arn)
        .build()
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let d = client.describe_stream_paginator(input).collect().await?;
    let shards = d.shards();
    let open = shards.iter().filter(|s| is_open(s)).count();
    let mut out = std::io::stdout().lock();
    let field = |name: &str, value: &str| format!("{name:9}{value}\n");
    let _ = writeln!(
        out,
        "{}{}{}{}{}{}",
        field("Stream", &arn),
        field("Table", d.table_name().unwrap_or_default()),
        field(
            "Status",
            d.stream_status().map(|s| s.as_str()).unwrap_or_default()
        ),
        field(
            "View",
            d.stream_view_type().map(|s| s.as_str()).unwrap_or_default()
        ),
        field(
            "Created",
            &d.creation_request_date_time()
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                .unwrap_or_default(),
        ),
        field("Shards", &format!("{} ({open} open)", shards.len())),
    );
    for line in lineage_tree(shards) {
        let _ = writeln!(out, "{line}");
    }
    Ok(())
}

fn is_open(shard: &Shard) -> bool {
    shard
        .sequence_number_range()
        .and_then(|r| r.ending_sequence_number())
        .is_none()
}

/// The shards drawn as a tree: roots (no parent, or a parent trimmed away) at the left,
/// children under their parent, each with its state and sequence range.
fn lineage_tree(shards: &[Shard]) -> Vec<String> {
    let ids: BTreeSet<&str> = shards.iter().filter_map(|s| s.shard_id()).collect();
    let mut children: BTreeMap<&str, Vec<&Shard>> = BTreeMap::new();
    let mut roots = Vec::new();
    for shard in shards {
        match shard.parent_shard_id().filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(shard),
            None => roots.push(shard),
        }
    }
    let mut lines = Vec::new();
    for root in roots {
        draw(root, "", "", &children, &mut lines);
    }
    lines
}

fn draw(
    shard: &Shard,
    lead: &str,
    rest: &str,
    children: &BTreeMap<&str, Vec<&Shard>>,
    lines: &mut Vec<String>,
) {
    let id = shard.shard_id().unwrap_or_default();
    let range = shard.sequence_number_range();
    let start = range
        .and_then(|r| r.starting_sequence_number())
        .unwrap_or("?");
    let (state, end) = match range.and_then(|r| r.ending_sequence_number()) {
        Some(end) => ("closed", end),
        None => ("open", ""),
    };
    lines.push(
        format!("{lead}{id}  {state:6}  {start} .. {end}")
            .trim_end()
            .to_owned(),
    );
    let kids = children.get(id).map(Vec::as_slice).unwrap_or_default();
    for (i, child) in kids.iter().enumerate() {
        let last = i + 1 == kids.len();
        let (branch, pad) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        draw(
            child,
            &format!("{rest}{branch}"),
            &format!("{rest}{pad}"),
            children,
            lines,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::SequenceNumberRange;

    fn shard(id: &str, parent: Option<&str>, end: Option<&str>) -> Shard {
        Shard::builder()
            .shard_id(id)
            .set_parent_shard_id(parent.map(str::to_owned))
            .sequence_number_range(
                SequenceNumberRange::builder()
                    .starting_sequence_number("100")
                    .set_ending_sequence_number(end.map(str::to_owned))
                    .build(),
            )
            .build()
    }

    #[test]
    fn children_hang_under_their_parent() {
        let shards = [
            shard("a", Some("trimmed"), Some("199")),
            shard("b", Some("a"), Some("299")),
            shard("c", Some("a"), None),
            shard("d", Some("b"), None),
        ];
        assert_eq!(
            lineage_tree(&shards),
            [
                "a  closed  100 .. 199",
                "├── b  closed  100 .. 299",
                "│   └── d  open    100 ..",
                "└── c  open    100 ..",
            ]
        );
    }
}
