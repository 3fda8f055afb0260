//! Presenting a run: the markdown results table (ready to paste into BENCHMARKS.md), the
//! ratios of the server under test to its same-run baselines, and the JSON form of both.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::scenarios::{Measurement, Scenario};

pub const TARGET: &str = "tessera";
pub const HYPER: &str = "hyper-baseline";
pub const FSYNC: &str = "fsync-ceiling";
/// Root's GET run in the slices between another identity's (see `run_http_interleaved`).
pub const AS_ROOT: &str = "tessera-as-root";
/// Slices of an interleaved comparison.
pub const INTERLEAVED_ROUNDS: u32 = 6;

/// Conditions of the run, printed above the table.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub target: String,
    pub started_utc: String,
    pub cpus: usize,
    pub seconds_per_run: f64,
    pub max_requests_per_run: u64,
    pub fsync_dir: Option<String>,
}

/// One ratio of the server under test to a baseline at one concurrency.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    pub name: &'static str,
    pub scenario: Scenario,
    pub metric: &'static str,
    pub concurrency: usize,
    pub value: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub results: Vec<Measurement>,
    pub ratios: Vec<Ratio>,
}

impl Report {
    /// Ratios are listed for the chosen `scenarios` at each of `concurrencies`.
    pub fn new(
        run: RunInfo,
        results: Vec<Measurement>,
        scenarios: &[Scenario],
        concurrencies: &[usize],
    ) -> Self {
        let ratios = ratios(&results, concurrencies)
            .into_iter()
            .filter(|r| scenarios.contains(&r.scenario))
            .collect();
        Self {
            run,
            results,
            ratios,
        }
    }

    pub fn write_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).context("encoding the JSON report")?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let r = &self.run;
        let _ = writeln!(out, "## tessera-load, {}\n", r.started_utc);
        let _ = writeln!(
            out,
            "target: {}; {} CPUs; each run {} s or {} requests, whichever first; \
             fsync dir: {}\n",
            r.target,
            r.cpus,
            r.seconds_per_run,
            r.max_requests_per_run,
            r.fsync_dir.as_deref().unwrap_or("-")
        );
        out.push_str(
            "| target | scenario | conc | ok | errors | req/s | p50 ms | p99 ms | MiB/s |\n\
             |---|---|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for m in &self.results {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.0} | {:.3} | {:.3} | {:.1} |",
                m.target,
                m.scenario,
                m.concurrency,
                m.ok,
                m.errors,
                m.ops_per_sec,
                m.p50_ms,
                m.p99_ms,
                m.bytes_per_sec / (1024.0 * 1024.0)
            );
        }
        let errors: Vec<_> = self
            .results
            .iter()
            .filter_map(|m| m.first_error.as_ref().map(|e| (m, e)))
            .collect();
        if !errors.is_empty() {
            out.push_str("\nFirst error per run:\n\n");
            for (m, e) in errors {
                let _ = writeln!(
                    out,
                    "- {} {} c={}: {e}",
                    m.target, m.scenario, m.concurrency
                );
            }
        }
        out.push_str("\n### Ratios (same run, same client code)\n\n");
        out.push_str("| ratio | metric | conc | value |\n|---|---|--:|--:|\n");
        for q in &self.ratios {
            let value = q
                .value
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {value} |",
                q.name, q.metric, q.concurrency
            );
        }
        out
    }
}

fn find<'a>(
    results: &'a [Measurement],
    target: &str,
    scenario: Scenario,
    c: usize,
) -> Option<&'a Measurement> {
    results
        .iter()
        .find(|m| m.target == target && m.scenario == scenario.name() && m.concurrency == c)
}

fn ratio(
    results: &[Measurement],
    baseline: &str,
    scenario: Scenario,
    c: usize,
    metric: fn(&Measurement) -> f64,
) -> Option<f64> {
    let ours = find(results, TARGET, scenario, c)?;
    let base = find(results, baseline, scenario, c)?;
    let b = metric(base);
    (b > 0.0).then(|| metric(ours) / b)
}

fn ratios(results: &[Measurement], concurrencies: &[usize]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for &c in concurrencies {
        out.push(Ratio {
            name: "tessera get4k / hyper get4k",
            scenario: Scenario::Get4k,
            metric: "req/s",
            concurrency: c,
            value: ratio(results, HYPER, Scenario::Get4k, c, |m| m.ops_per_sec),
        });
        out.push(Ratio {
            name: "tessera put4k / fsync-ceiling",
            scenario: Scenario::Put4k,
            metric: "ops/s",
            concurrency: c,
            value: ratio(results, FSYNC, Scenario::Put4k, c, |m| m.ops_per_sec),
        });
        out.push(Ratio {
            name: "tessera get1m / hyper get1m",
            scenario: Scenario::Get1m,
            metric: "bytes/s",
            concurrency: c,
            value: ratio(results, HYPER, Scenario::Get1m, c, |m| m.bytes_per_sec),
        });
        let as_user = find(results, TARGET, Scenario::Get4kUser, c);
        let as_root = find(results, AS_ROOT, Scenario::Get4kUser, c);
        out.push(Ratio {
            name: "tessera get4k as IAM user / as root",
            scenario: Scenario::Get4kUser,
            metric: "req/s",
            concurrency: c,
            value: match (as_user, as_root) {
                (Some(u), Some(r)) if r.ops_per_sec > 0.0 => Some(u.ops_per_sec / r.ops_per_sec),
                _ => None,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(target: &str, scenario: Scenario, c: usize, ops: f64, bytes: f64) -> Measurement {
        Measurement {
            target: target.to_owned(),
            scenario: scenario.name().to_owned(),
            concurrency: c,
            ok: 10,
            errors: 0,
            seconds: 1.0,
            ops_per_sec: ops,
            bytes_per_sec: bytes,
            p50_ms: 1.0,
            p99_ms: 2.0,
            first_error: None,
        }
    }

    #[test]
    fn ratios_pair_the_same_scenario_and_concurrency() {
        let results = vec![
            m(TARGET, Scenario::Get4k, 16, 500.0, 0.0),
            m(HYPER, Scenario::Get4k, 16, 1000.0, 0.0),
            m(HYPER, Scenario::Get4k, 64, 4000.0, 0.0),
            m(TARGET, Scenario::Get1m, 16, 0.0, 300.0),
            m(HYPER, Scenario::Get1m, 16, 0.0, 600.0),
            m(TARGET, Scenario::Get4kUser, 16, 475.0, 0.0),
            m(AS_ROOT, Scenario::Get4kUser, 16, 500.0, 0.0),
        ];
        let r = ratios(&results, &[16, 64]);
        assert_eq!(r.len(), 8);
        assert_eq!(r[0].value, Some(0.5));
        assert_eq!(r[1].value, None);
        assert_eq!(r[2].value, Some(0.5));
        assert_eq!(r[3].name, "tessera get4k as IAM user / as root");
        assert_eq!(r[3].value, Some(0.95));
        assert_eq!(r[4].value, None);
        assert_eq!(r[7].value, None, "no user run at 64");
    }

    #[test]
    fn markdown_has_a_table_and_ratios() {
        let run = RunInfo {
            target: "x".into(),
            started_utc: "now".into(),
            cpus: 2,
            seconds_per_run: 1.0,
            max_requests_per_run: 5,
            fsync_dir: None,
        };
        let report = Report::new(
            run,
            vec![m(HYPER, Scenario::Get4k, 16, 1.0, 2.0)],
            &[Scenario::Get4k],
            &[16],
        );
        let text = report.markdown();
        assert!(text.contains("| hyper-baseline | get4k | 16 |"));
        assert!(text.contains("| tessera get4k / hyper get4k | req/s | 16 | n/a |"));
        assert!(!text.contains("get1m / hyper"));
    }
}
