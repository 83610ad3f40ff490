//! A report's tables as Markdown, for the README's Performance section: the workloads with
//! their ratios, the start-up times, and the memory and restart figures.

use std::fmt::Write;

use crate::report::{self, FootprintReport, Report, StartupReport, WorkloadReport, opt};

/// Longest first error shown; the JSON has it whole.
const ERROR_CHARS: usize = 160;

/// A line on the setting, then one heading, table and list of ratios and notes per workload,
/// and the start-up and memory sections when the report has them.
pub fn render(report: &Report) -> String {
    let mut md = report::summary(report);
    if !report.workloads.is_empty() {
        md.push_str(". CPU s/1k ops and RSS only for servers the harness started");
    }
    md.push_str(".\n");
    for w in &report.workloads {
        workload(&mut md, w);
    }
    if !report.startup.is_empty() {
        startup(&mut md, &report.startup);
    }
    if !report.footprint.is_empty() {
        footprint(&mut md, &report.footprint);
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

    let _ = write!(md, "\n### {}\n\n{}.\n\n", w.workload, w.description);
    table_head(md, &head);
    for t in &w.targets {
        let cells: Vec<String> = match &t.median {
            Some(m) => {
                let mut c = vec![format!("{:.0}", m.ops_per_sec)];
                if drains {
                    c.push(opt(m.records_per_sec, 0));
                }
                c.extend([m.p50_ms, m.p99_ms, m.p999_ms].map(|v| format!("{v:.3}")));
                if errors {
                    c.push(m.errors.to_string());
                }
                c.push(opt(m.cpu_s_per_1k_ops, 3));
                c.push(opt(m.peak_rss_mib, 1));
                c
            }
            None => vec!["-".to_string(); head.len()],
        };
        row(md, &t.target, &cells);
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
    list(md, &items);
}

/// The start-up times: one row per target.
fn startup(md: &mut String, startup: &[StartupReport]) {
    md.push_str(
        "\n### start-up\n\nSpawn to the first 200 of GET /_eddy/health, on an empty data directory.\n\n",
    );
    table_head(md, &["median ms", "min ms", "max ms", "runs"]);
    for s in startup {
        let (min, max) = report::min_max(&s.runs_ms);
        let cells = [
            opt(s.median_ms, 1),
            opt(min, 1),
            opt(max, 1),
            s.runs_ms.len().to_string(),
        ];
        row(md, &s.target, &cells);
    }
    let notes: Vec<String> = startup
        .iter()
        .filter_map(|s| Some(format!("note: {}: {}", s.target, s.note.as_ref()?)))
        .collect();
    list(md, &notes);
}

/// The memory figures, one row per target and item count, and the restarts of the targets
/// that keep their data.
fn footprint(md: &mut String, footprint: &[FootprintReport]) {
    md.push_str(concat!(
        "\n### memory\n\nResident memory of a fresh process with its table empty and after ",
        "loading the items with BatchWriteItem of 25; data is items times item size by ",
        "DynamoDB's measure, and growth is loaded minus empty.\n\n"
    ));
    table_head(
        md,
        &[
            "items",
            "data MiB",
            "load s",
            "items/s",
            "empty MiB",
            "loaded MiB",
            "peak MiB",
            "loaded/data",
            "growth/data",
        ],
    );
    for f in footprint {
        let cells = [
            f.items.to_string(),
            format!("{:.1}", f.data_mib),
            opt(f.load_s, 2),
            opt(f.items_per_sec(), 0),
            opt(f.rss_empty_mib, 1),
            opt(f.rss_loaded_mib, 1),
            opt(f.peak_rss_mib, 1),
            opt(f.loaded_per_data(), 2),
            opt(f.growth_per_data(), 2),
        ];
        row(md, &f.target, &cells);
    }
    let notes: Vec<String> = footprint
        .iter()
        .filter_map(|f| {
            Some(format!(
                "note: {} ({} items): {}",
                f.target,
                f.items,
                f.note.as_ref()?
            ))
        })
        .collect();
    list(md, &notes);

    let restarted: Vec<&FootprintReport> = footprint
        .iter()
        .filter(|f| !f.restarts_ms.is_empty())
        .collect();
    if restarted.is_empty() {
        return;
    }
    md.push_str(concat!(
        "\n### restart\n\nThe loaded on-disk targets restarted on their data: spawn to the ",
        "first answered GetItem of the last item loaded. After SIGTERM eddy flushes its ",
        "memtable before it exits (the best case); after SIGKILL the restart replays the ",
        "journal (what a crash leaves).\n\n"
    ));
    table_head(
        md,
        &[
            "items",
            "after",
            "median ms",
            "min ms",
            "max ms",
            "runs",
            "RSS after MiB",
        ],
    );
    for f in restarted {
        for (after, runs, median) in f.restart_kinds() {
            let (min, max) = report::min_max(runs);
            let cells = [
                f.items.to_string(),
                after.to_owned(),
                opt(median, 1),
                opt(min, 1),
                opt(max, 1),
                runs.len().to_string(),
                opt(f.rss_restarted_mib, 1),
            ];
            row(md, &f.target, &cells);
        }
    }
}

/// A table's header row, `target` first and left-aligned, the figures right-aligned.
fn table_head(md: &mut String, figures: &[&str]) {
    let _ = writeln!(
        md,
        "| target | {} |\n| :-- |{}",
        figures.join(" | "),
        " --: |".repeat(figures.len())
    );
}

/// A table row: the target's name, then its cells.
fn row(md: &mut String, target: &str, cells: &[String]) {
    let _ = writeln!(md, "| {} | {} |", cell(target), cells.join(" | "));
}

/// A bulleted list after a table, if there is anything to list.
fn list(md: &mut String, items: &[String]) {
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
        assert!(!md.contains("### start-up") && !md.contains("### memory"));
    }

    /// A start-up and memory report: no workloads, two item counts, the disk target
    /// restarted and the memory target not.
    fn footprint_sample() -> Report {
        let mut report = sample();
        report.workloads.clear();
        report.setting.startup_runs = Some(2);
        report.setting.rss_items = vec![100_000, 1_000_000];
        report.startup = vec![
            StartupReport {
                target: "eddy-memory".into(),
                runs_ms: vec![6.0, 8.0],
                median_ms: Some(7.0),
                note: None,
            },
            StartupReport {
                target: "eddy-disk".into(),
                runs_ms: Vec::new(),
                median_ms: None,
                note: Some("failed: no such file".into()),
            },
        ];
        let loaded = |target: &str, items: u64, restarts_ms: Vec<f64>| {
            let restart_median_ms = report::median_ms(
                &restarts_ms
                    .iter()
                    .map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0))
                    .collect::<Vec<_>>(),
            );
            FootprintReport {
                target: target.into(),
                items,
                data_mib: items as f64 * 200.0 / 1_048_576.0,
                load_s: Some(items as f64 / 50_000.0),
                rss_empty_mib: Some(10.0),
                rss_loaded_mib: Some(10.0 + items as f64 / 10_000.0),
                peak_rss_mib: Some(12.0 + items as f64 / 10_000.0),
                restart_median_ms,
                kill_restart_median_ms: restart_median_ms.map(|m| m * 2.0),
                kill_restarts_ms: restarts_ms.iter().map(|m| m * 2.0).collect(),
                restarts_ms,
                rss_restarted_mib: Some(20.0),
                note: None,
            }
        };
        report.footprint = vec![
            loaded("eddy-memory", 100_000, Vec::new()),
            loaded("eddy-disk", 100_000, vec![30.0, 50.0, 40.0]),
            loaded("eddy-memory", 1_000_000, Vec::new()),
            FootprintReport {
                note: Some("load failed: timed out".into()),
                load_s: None,
                rss_loaded_mib: None,
                ..loaded("eddy-disk", 1_000_000, Vec::new())
            },
        ];
        report
    }

    #[test]
    fn start_up_memory_and_restart_tables() {
        let md = render(&footprint_sample());
        assert!(md.starts_with(
            "median of 2 start-up(s) per target, in turns; 100000 and 1000000 items of ~200 bytes"
        ));
        assert!(md.contains("; 2 core(s); 2026-11-25 UTC.\n"));
        assert!(!md.contains("CPU s/1k ops"));
        assert!(md.contains("| target | median ms | min ms | max ms | runs |"));
        assert!(md.contains("| eddy-memory | 7.0 | 6.0 | 8.0 | 2 |"));
        assert!(md.contains("| eddy-disk | - | - | - | 0 |"));
        assert!(md.contains("- note: eddy-disk: failed: no such file"));
        // 100000 x 200 bytes is 19.07 MiB; 10 MiB more than empty is 0.52 of it.
        assert!(md.contains(
            "| eddy-memory | 100000 | 19.1 | 2.00 | 50000 | 10.0 | 20.0 | 22.0 | 1.05 | 0.52 |"
        ));
        assert!(md.contains("| eddy-disk | 1000000 | 190.7 | - | - | 10.0 | - | 112.0 | - | - |"));
        assert!(md.contains("- note: eddy-disk (1000000 items): load failed: timed out"));
        // Only the restarted target has a restart row.
        let restart = &md[md.find("### restart").expect("restart section")..];
        assert!(
            restart.contains("| eddy-disk | 100000 | SIGTERM | 40.0 | 30.0 | 50.0 | 3 | 20.0 |")
        );
        assert!(
            restart.contains("| eddy-disk | 100000 | SIGKILL | 80.0 | 60.0 | 100.0 | 3 | 20.0 |")
        );
        assert!(!restart.contains("eddy-memory"));
        // Every table row has as many cells as its header.
        let mut width = 0;
        for line in md.lines() {
            if !line.starts_with('|') {
                width = 0;
            } else if width == 0 {
                width = line.matches(" | ").count();
            } else {
                assert_eq!(line.matches(" | ").count(), width, "{line}");
            }
        }
    }

    #[test]
    fn no_restart_section_without_restarts() {
        let mut report = footprint_sample();
        report.footprint.retain(|f| f.restarts_ms.is_empty());
        let md = render(&report);
        assert!(md.contains("### memory") && !md.contains("### restart"));
    }
}
