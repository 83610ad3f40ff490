//! How eddy compares: each eddy target's median throughput over each peer's, and GetItem
//! throughput as a fraction of the bare server's (the generator's ceiling on this machine).

use serde::Serialize;

use crate::report::TargetReport;

/// What a target is, which decides what it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An eddy process the harness started.
    Eddy,
    /// The in-process server answering one fixed GetItem response.
    Bare,
    /// A server already running (`--endpoint`).
    Peer,
}

/// One target's median ops/s over another's; `None` ("n/a (errors)") when either answered
/// errors or did not measure at all, since successful ops/s of a server that fails some
/// requests (or does not support the operation) compare nothing.
#[derive(Debug, Serialize)]
pub struct Ratio {
    pub target: String,
    pub against: String,
    pub ratio: Option<f64>,
}

/// A workload's comparisons.
#[derive(Debug, Default, Serialize)]
pub struct Ratios {
    /// Each eddy target over each peer, on tables of the same kind (with or without a stream).
    pub over_peers: Vec<Ratio>,
    /// get only: each eddy target and peer over the bare server. The bare server answers a
    /// GetItem response to every request, so only GetItem is measured against the same work.
    pub of_bare: Vec<Ratio>,
}

impl Ratios {
    /// The ratios among one workload's targets; `bare_comparable` when the workload is the
    /// GetItem the bare server imitates.
    pub fn of(targets: &[TargetReport], bare_comparable: bool) -> Ratios {
        let ops = |t: &TargetReport| {
            t.median
                .as_ref()
                .filter(|m| m.errors == 0)
                .map(|m| m.ops_per_sec)
                .filter(|o| *o > 0.0)
        };
        let pairs = |num: fn(Role) -> bool, den: Role| {
            let mut out = Vec::new();
            for t in targets.iter().filter(|t| num(t.role)) {
                for d in targets
                    .iter()
                    .filter(|d| d.role == den && d.streams == t.streams)
                {
                    out.push(Ratio {
                        target: t.target.clone(),
                        against: d.target.clone(),
                        ratio: ops(t).zip(ops(d)).map(|(top, bottom)| top / bottom),
                    });
                }
            }
            out
        };
        Ratios {
            over_peers: pairs(|r| r == Role::Eddy, Role::Peer),
            of_bare: if bare_comparable {
                pairs(|r| r != Role::Bare, Role::Bare)
            } else {
                Vec::new()
            },
        }
    }

    /// The ratios in words, one line per eddy target and one for the bare ceiling, for the
    /// printed report and the Markdown file alike.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut rest = self.over_peers.as_slice();
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|r| r.target == first.target).count();
            let (same, tail) = rest.split_at(n);
            let list: Vec<String> = same
                .iter()
                .map(|r| format!("{} {}", r.against, times(r.ratio)))
                .collect();
            lines.push(format!(
                "{} / peer ops/s: {}",
                first.target,
                list.join(", ")
            ));
            rest = tail;
        }
        if let Some(first) = self.of_bare.first() {
            let list: Vec<String> = self
                .of_bare
                .iter()
                .map(|r| format!("{} {}", r.target, percent(r.ratio)))
                .collect();
            lines.push(format!(
                "ops/s as a share of {} (the generator's ceiling): {}",
                first.against,
                list.join(", ")
            ));
        }
        lines
    }
}

/// A ratio as `112x`, `4.1x`, `0.82x`: about three significant digits.
fn times(r: Option<f64>) -> String {
    let Some(r) = r else {
        return NOT_COMPARABLE.to_owned();
    };
    if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 10.0 {
        format!("{r:.1}x")
    } else {
        format!("{r:.2}x")
    }
}

/// What a ratio says when a side answered errors or did not measure.
const NOT_COMPARABLE: &str = "n/a (errors)";

/// A fraction as `52%`, or `0.6%` below a tenth.
fn percent(f: Option<f64>) -> String {
    let Some(f) = f else {
        return NOT_COMPARABLE.to_owned();
    };
    let p = f * 100.0;
    if p >= 10.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Figures;

    fn target(name: &str, role: Role, ops: Option<f64>) -> TargetReport {
        failing(name, role, ops, 0)
    }

    fn failing(name: &str, role: Role, ops: Option<f64>, errors: u64) -> TargetReport {
        TargetReport {
            target: name.to_string(),
            role,
            streams: false,
            runs: Vec::new(),
            median: ops.map(|ops_per_sec| Figures {
                ops_per_sec,
                p50_ms: 1.0,
                p99_ms: 1.0,
                p999_ms: 1.0,
                errors,
                cpu_s_per_1k_ops: None,
                peak_rss_mib: None,
                records_per_sec: None,
            }),
            note: None,
            first_error: None,
        }
    }

    #[test]
    fn eddy_over_peers_and_of_bare() {
        let targets = [
            target("eddy-memory", Role::Eddy, Some(1000.0)),
            target("eddy-disk", Role::Eddy, Some(800.0)),
            target("bare", Role::Bare, Some(2000.0)),
            target("moto", Role::Peer, Some(10.0)),
            target("dynalite", Role::Peer, None),
            target("dynoxide", Role::Peer, Some(500.0)),
            failing("broken", Role::Peer, Some(5.0), 3),
        ];
        let r = Ratios::of(&targets, true);
        let over: Vec<(&str, &str, Option<f64>)> = r
            .over_peers
            .iter()
            .map(|r| (r.target.as_str(), r.against.as_str(), r.ratio))
            .collect();
        assert_eq!(
            over,
            [
                ("eddy-memory", "moto", Some(100.0)),
                ("eddy-memory", "dynalite", None),
                ("eddy-memory", "dynoxide", Some(2.0)),
                ("eddy-memory", "broken", None),
                ("eddy-disk", "moto", Some(80.0)),
                ("eddy-disk", "dynalite", None),
                ("eddy-disk", "dynoxide", Some(1.6)),
                ("eddy-disk", "broken", None),
            ]
        );
        let of_bare: Vec<(&str, Option<f64>)> = r
            .of_bare
            .iter()
            .map(|r| (r.target.as_str(), r.ratio))
            .collect();
        assert_eq!(
            of_bare,
            [
                ("eddy-memory", Some(0.5)),
                ("eddy-disk", Some(0.4)),
                ("moto", Some(0.005)),
                ("dynalite", None),
                ("dynoxide", Some(0.25)),
                ("broken", None),
            ]
        );
        assert_eq!(
            r.lines(),
            [
                "eddy-memory / peer ops/s: moto 100x, dynalite n/a (errors), dynoxide 2.00x, broken n/a (errors)",
                "eddy-disk / peer ops/s: moto 80.0x, dynalite n/a (errors), dynoxide 1.60x, broken n/a (errors)",
                "ops/s as a share of bare (the generator's ceiling): eddy-memory 50%, eddy-disk 40%, moto 0.5%, dynalite n/a (errors), dynoxide 25%, broken n/a (errors)",
            ]
        );
        assert!(Ratios::of(&targets, false).of_bare.is_empty());
    }
}
