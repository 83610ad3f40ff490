//! The workload tables and ratios as Markdown, for the README's Performance section.

use std::fmt::Write;

use crate::report::{self, Report, WorkloadReport};

/// Longest first error shown; the JSON has it whole.
const ERROR_CHARS: usize = 160;

/// One heading, table and list of ratios and notes per workload, after a line on the setting.
pub fn render(report: &Report) -> String {
    let mut md = format!(
        "{}. CPU s/1k ops and RSS only for servers the harness started.\n",
        report::summary(report)
    );
    for w in &report.workloads {
        workload(&mut md, w);
    }
    md
}

fn workload(md: &mut String, w: &WorkloadReport) {
    let drains = w.drains();
    let errors = w
        .targets
        .iter()
        .any(|t| t.median.as_ref().is_some_and(|m| m.errors > 0));
    let mut head = vec![if drains { "pages/s" } else { "ops/s" }];
    if drains {
        head.push("records/s");
    }
    head.extend(["p50 ms", "p99 ms", "p99.9 ms"]);
    if errors {
        head.push("errors");
    }
    head.extend(["CPU s/1k ops", "RSS MiB"]);

    let _ = write!(
        md,
        "\n### {}\n\n{}.\n\n| target | {} |\n| :-- |{}\n",
        w.workload,
        w.description,
        head.join(" | "),
        " --: |".repeat(head.len())
    );
    for t in &w.targets {
        let cells: Vec<String> = match &t.median {
            Some(m) => {
                let mut c = vec![format!("{:.0}", m.ops_per_sec)];
                if drains {
                    c.push(report::opt(m.records_per_sec, 0));
                }
                c.extend([m.p50_ms, m.p99_ms, m.p999_ms].map(|v| format!("{v:.3}")));
                if errors {
                    c.push(m.errors.to_string());
                }
                c.push(report::opt(m.cpu_s_per_1k_ops, 3));
                c.push(report::opt(m.peak_rss_mib, 1));
                c
            }
            None => vec!["-".to_string(); head.len()],
        };
        let _ = writeln!(md, "| {} | {} |", cell(&t.target), cells.join(" | "));
    }

    let mut items = w.ratios.lines();
    items.extend(w.stream_cost.iter().map(|c| c.line()));
    for t in &w.targets {
        if let Some(note) = &t.note {
            items.push(format!("note: {}: {note}", t.target));
        }
        if let Some(e) = &t.first_error {
            let short: String = e.chars().take(ERROR_CHARS).collect();
            let more = if short.len() < e.len() { "…" } else { "" };
            items.push(format!("first error: {}: {short}{more}", t.target));
        }
    }
    if !items.is_empty() {
        md.push('\n');
        for item in items {
            let _ = writeln!(md, "- {item}");
        }
    }
}

/// A table cell's text: a `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn one_table_per_workload_with_ratios() {
        let md = render(&sample());
        assert_eq!(md.matches("\n### ").count(), 2);
        assert!(
            md.contains("| target | ops/s | p50 ms | p99 ms | p99.9 ms | CPU s/1k ops | RSS MiB |")
        );
        assert!(md.contains("| eddy-memory | 1000 | 1.000 | 1.000 | 2.000 | 0.020 | 10.0 |"));
        assert!(md.contains("| dynalite | - | - | - | - | - | - |"));
        assert!(md.contains("- eddy-memory / peer ops/s: moto 100x"));
        assert!(md.contains("- ops/s as a share of bare"));
        // Every table row has as many cells as its header.
        for line in md.lines().filter(|l| l.starts_with('|')) {
            assert_eq!(line.matches(" | ").count(), 6, "{line}");
        }
    }
}
