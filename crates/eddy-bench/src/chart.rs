//! The chart: median ops/s per workload and target as grouped horizontal bars, written as SVG
//! by hand (GitHub shows it in the README, and no plotting crate is needed for bars and text).
//!
//! The axis is logarithmic: moto answers about a hundred times slower than eddy, which would
//! leave it no visible bar on a linear axis.

use std::fmt::Write;

use crate::report::{self, Report};

/// Fixed, so GitHub shows the chart at its size rather than stretching it.
const WIDTH: f64 = 900.0;
/// Right of the longest bar: room for its value label.
const PLOT_RIGHT: f64 = WIDTH - 70.0;
/// Left edge of the chart's text.
const MARGIN: f64 = 20.0;
/// Height of one target's row, and of its bar within it.
const ROW: f64 = 20.0;
const BAR: f64 = 14.0;
/// A workload's heading above its rows, and the space after its last row.
const GROUP_HEAD: f64 = 24.0;
const GROUP_GAP: f64 = 8.0;
/// Estimated width of one character of 12px text (no font metrics in a hand-written SVG).
const CHAR_WIDTH: f64 = 7.0;
/// Longest workload description shown in a heading.
const DESCRIPTION_CHARS: usize = 100;
/// Tableau 10: tells ten targets apart on white; a target keeps its colour in every group.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The chart of a report's workloads.
pub fn svg(report: &Report) -> String {
    // Targets in order of first appearance: the legend's order and the colours.
    let mut names: Vec<&str> = Vec::new();
    for t in report.workloads.iter().flat_map(|w| &w.targets) {
        if !names.contains(&t.target.as_str()) {
            names.push(&t.target);
        }
    }
    let colour = |name: &str| {
        let i = names.iter().position(|n| *n == name).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let plot_left = (MARGIN + 8.0 + longest as f64 * CHAR_WIDTH).clamp(110.0, 360.0);
    let scale = LogScale::over(
        report
            .workloads
            .iter()
            .flat_map(|w| &w.targets)
            .filter_map(|t| t.median.as_ref().map(|m| m.ops_per_sec)),
        plot_left,
    );

    let mut body = String::new();
    // Legend: one swatch and name per target, wrapping to more rows when wide.
    let (mut x, mut y) = (MARGIN, 70.0);
    for name in &names {
        let w = 12.0 + 6.0 + name.chars().count() as f64 * CHAR_WIDTH + 18.0;
        if x + w > WIDTH - MARGIN && x > MARGIN {
            x = MARGIN;
            y += 18.0;
        }
        let _ = write!(
            body,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y:.1}">{}</text>"#,
            y - 10.0,
            colour(name),
            x + 18.0,
            esc(name)
        );
        body.push('\n');
        x += w;
    }

    let plot_top = y + 16.0;
    let mut y = plot_top;
    let mut bars = String::new();
    for w in &report.workloads {
        let description: String = w.description.chars().take(DESCRIPTION_CHARS).collect();
        let _ = writeln!(
            bars,
            r##"<text x="{MARGIN}" y="{:.1}" font-weight="bold" font-size="13">{}<tspan dx="8" font-weight="normal" font-size="11" fill="#555">{}</tspan></text>"##,
            y + 16.0,
            esc(&w.workload),
            esc(&description)
        );
        y += GROUP_HEAD;
        for t in &w.targets {
            let text_y = y + ROW / 2.0 + 4.0;
            let _ = write!(
                bars,
                r#"<text x="{:.1}" y="{text_y:.1}" text-anchor="end">{}</text>"#,
                plot_left - 6.0,
                esc(&t.target)
            );
            match t
                .median
                .as_ref()
                .map(|m| m.ops_per_sec)
                .filter(|o| *o > 0.0)
            {
                Some(ops) => {
                    let end = scale.x(ops);
                    let _ = write!(
                        bars,
                        r#"<rect x="{plot_left:.1}" y="{:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{} {}: {ops:.0} ops/s</title></rect><text x="{:.1}" y="{text_y:.1}" font-size="11">{}</text>"#,
                        y + (ROW - BAR) / 2.0,
                        (end - plot_left).max(1.0),
                        colour(&t.target),
                        esc(&w.workload),
                        esc(&t.target),
                        end + 4.0,
                        si(ops)
                    );
                }
                None => {
                    let _ = write!(
                        bars,
                        r##"<text x="{:.1}" y="{text_y:.1}" font-size="11" font-style="italic" fill="#777">no figures</text>"##,
                        plot_left + 4.0
                    );
                }
            }
            bars.push('\n');
            y += ROW;
        }
        y += GROUP_GAP;
    }
    let plot_bottom = y;

    // Gridlines behind the bars: one per decade, fainter ones at 2..9 times it.
    let mut grid = String::new();
    for exp in scale.lo..=scale.hi {
        let base = 10f64.powi(exp);
        if exp < scale.hi {
            for m in 2..=9 {
                let gx = scale.x(base * f64::from(m));
                let _ = writeln!(
                    grid,
                    r##"<line x1="{gx:.1}" y1="{plot_top:.1}" x2="{gx:.1}" y2="{plot_bottom:.1}" stroke="#eeeeee"/>"##
                );
            }
        }
        let gx = scale.x(base);
        let _ = writeln!(
            grid,
            r##"<line x1="{gx:.1}" y1="{plot_top:.1}" x2="{gx:.1}" y2="{plot_bottom:.1}" stroke="#bbbbbb"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
            plot_bottom + 16.0,
            decade(exp)
        );
    }

    let height = plot_bottom + 50.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{MARGIN}" y="26" font-size="17" font-weight="bold">eddy-bench: median ops/s per workload and target</text>
<text x="{MARGIN}" y="46" fill="#555">{}</text>"##,
        esc(&report::summary(report))
    );
    svg.push_str(&body);
    svg.push_str(&grid);
    svg.push_str(&bars);
    let _ = writeln!(
        svg,
        r##"<line x1="{plot_left:.1}" y1="{plot_bottom:.1}" x2="{PLOT_RIGHT:.1}" y2="{plot_bottom:.1}" stroke="#333333"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">median ops/s, log scale (labelled gridlines x10 apart)</text>
</svg>"##,
        (plot_left + PLOT_RIGHT) / 2.0,
        plot_bottom + 36.0
    );
    svg
}

/// A base-10 logarithmic axis from 10^lo at the plot's left edge to 10^hi at its right.
struct LogScale {
    lo: i32,
    hi: i32,
    left: f64,
}

impl LogScale {
    /// The whole decades around the positive values (1 to 10 when there are none).
    fn over(values: impl Iterator<Item = f64>, left: f64) -> LogScale {
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
            min = min.min(v);
            max = max.max(v);
        }
        if min > max {
            return LogScale { lo: 0, hi: 1, left };
        }
        let lo = min.log10().floor() as i32;
        let hi = (max.log10().ceil() as i32).max(lo + 1);
        LogScale { lo, hi, left }
    }

    fn x(&self, v: f64) -> f64 {
        let f = (v.log10() - f64::from(self.lo)) / f64::from(self.hi - self.lo);
        self.left + f * (PLOT_RIGHT - self.left)
    }
}

/// A decade's tick label: `1`, `100`, `10k`, `1M`.
fn decade(exp: i32) -> String {
    match exp {
        ..0 => format!("{}", 10f64.powi(exp)),
        0..3 => 10i64.pow(exp.unsigned_abs()).to_string(),
        3..6 => format!("{}k", 10i64.pow((exp - 3).unsigned_abs())),
        6..9 => format!("{}M", 10i64.pow((exp - 6).unsigned_abs())),
        _ => format!("1e{exp}"),
    }
}

/// A bar's value with about three significant digits: `812`, `52.6k`, `1.23M`.
fn si(v: f64) -> String {
    let (v, unit) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else if v >= 10.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

/// Text as XML character data or attribute value.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    /// Checks that every element is closed in order and every `&` starts an entity: enough
    /// of well-formedness to catch a broken template or unescaped text.
    fn assert_well_formed(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bare & in {text:?}"
                );
            }
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            if let Some(closing) = tag.strip_prefix('/') {
                assert_eq!(
                    open.pop(),
                    Some(closing),
                    "</{closing}> closes nothing open"
                );
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or("");
                assert!(!name.is_empty() && !name.contains('<'), "odd tag <{tag}>");
                open.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(rest.trim().is_empty(), "text after the root: {rest:?}");
        assert!(open.is_empty(), "never closed: {open:?}");
    }

    #[test]
    fn well_formed_with_every_target() {
        let svg = svg(&sample());
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\""));
        assert_well_formed(&svg);
        for name in ["eddy-memory", "bare", "moto", "dynalite"] {
            assert!(svg.contains(&format!(">{name}</text>")), "{name} missing");
        }
        assert!(svg.contains("get &lt;things&gt; &amp; more"));
        assert!(svg.contains("log scale"));
        assert!(svg.contains("no figures"));
        assert!(svg.contains(">4.00k</text>"));
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        let s = LogScale::over([9.0, 4000.0, 0.0].into_iter(), 100.0);
        assert_eq!((s.lo, s.hi), (0, 4));
        assert!((s.x(1.0) - 100.0).abs() < 1e-9);
        assert!((s.x(10_000.0) - PLOT_RIGHT).abs() < 1e-9);
        let none = LogScale::over(std::iter::empty(), 100.0);
        assert_eq!((none.lo, none.hi), (0, 1));
        let one = LogScale::over([1000.0].into_iter(), 100.0);
        assert_eq!((one.lo, one.hi), (3, 4));
        assert_eq!(
            [-1, 0, 2, 3, 4, 6, 9].map(decade),
            ["0.1", "1", "100", "1k", "10k", "1M", "1e9"]
        );
        assert_eq!(
            [812.0, 52_640.0, 1_234_567.0, 9.5].map(si),
            ["812", "52.6k", "1.23M", "9.50"]
        );
    }
}
