//! Presenting a run: the markdown results table (ready to paste into BENCHMARKS.md), the
//! ratios of the server under test to its same-run baselines, the check that a spawned
//! server's identity store stayed untouched while it issued temporary credentials, the count
//! of JWKS fetches from the tool's OpenID issuer during each web-identity run, and the JSON
//! form of all of it.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::scenarios::{Measurement, Scenario};
use crate::target::FileState;

pub const TARGET: &str = "tessera";
pub const HYPER: &str = "hyper-baseline";
/// The hyper baseline's get4k run for another scenario (`assume-role`), at its concurrency.
pub const HYPER_GET4K: &str = "hyper-baseline-get4k";
pub const FSYNC: &str = "fsync-ceiling";
/// Root's GET run in the slices between another identity's (see `run_http_interleaved`).
pub const AS_ROOT: &str = "tessera-as-root";
/// The IAM user's GET with its long-term keys, run in the slices between the same GET with
/// its temporary credentials (`get4k-temp`).
pub const AS_USER: &str = "tessera-as-user";
/// Slices of an interleaved comparison.
pub const INTERLEAVED_ROUNDS: u32 = 24;
/// RSA-2048 RS256 signature verifications on all cores, no HTTP (`web-identity`'s limit).
pub const RSA_VERIFY_LIMIT: &str = "rsa2048-verify-limit";
/// The ratio of `web-identity`.
pub const WEB_IDENTITY_RATIO: &str = "tessera web-identity / RSA-2048 verifications on all cores";
/// The target for [`WEB_IDENTITY_RATIO`]: at least this fraction of the crypto limit.
pub const WEB_IDENTITY_TARGET: f64 = 0.35;
/// The `ldap` scenario's directory work done directly with ldap3, no HTTP (see `ldap_direct`).
pub const LDAP_DIRECT: &str = "ldap-direct";
/// The ratio of `ldap`.
pub const LDAP_RATIO: &str = "tessera ldap / ldap3 direct (search + bind + group search)";
/// The target for [`LDAP_RATIO`].
pub const LDAP_TARGET: f64 = 0.6;

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

/// A file of the spawned server fingerprinted right before and right after one run.
#[derive(Clone, Debug, Serialize)]
pub struct FileCheck {
    /// The file's path.
    pub file: String,
    pub scenario: Scenario,
    pub concurrency: usize,
    pub before: Option<FileState>,
    pub after: Option<FileState>,
    /// Same size, modification time and content; `None` when a side could not be read.
    pub unchanged: Option<bool>,
    /// Why a fingerprint is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FileCheck {
    pub fn new(
        file: &Path,
        scenario: Scenario,
        concurrency: usize,
        before: Result<FileState>,
        after: Result<FileState>,
    ) -> Self {
        let error = match (&before, &after) {
            (Err(e), _) => Some(format!("before: {e:#}")),
            (_, Err(e)) => Some(format!("after: {e:#}")),
            _ => None,
        };
        let (before, after) = (before.ok(), after.ok());
        let unchanged = match (&before, &after) {
            (Some(b), Some(a)) => Some(b == a),
            _ => None,
        };
        Self {
            file: file.display().to_string(),
            scenario,
            concurrency,
            before,
            after,
            unchanged,
            error,
        }
    }

    fn markdown_line(&self) -> String {
        let name = Path::new(&self.file)
            .file_name()
            .map_or_else(|| self.file.clone(), |n| n.to_string_lossy().into_owned());
        let during = format!("during {} c={}", self.scenario, self.concurrency);
        match (&self.before, &self.after, self.unchanged) {
            (Some(b), _, Some(true)) => format!(
                "{name} unchanged {during}: yes (size {}, modified {}, sha256 {})",
                b.size, b.modified, b.sha256
            ),
            (Some(b), Some(a), _) => format!(
                "{name} CHANGED {during}: size {} → {}, modified {} → {}, sha256 {} → {}",
                b.size, a.size, b.modified, a.modified, b.sha256, a.sha256
            ),
            _ => format!(
                "{name} {during}: could not check ({})",
                self.error.as_deref().unwrap_or("no fingerprint")
            ),
        }
    }
}

/// The JWKS requests the tool's OpenID issuer had answered right before and right after one
/// web-identity run: the server under test should verify every token with its cached keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JwksCheck {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub before: u64,
    pub after: u64,
    /// JWKS fetches during the run; the target is 0.
    pub fetched_during: u64,
}

impl JwksCheck {
    pub fn new(scenario: Scenario, concurrency: usize, before: u64, after: u64) -> Self {
        Self {
            scenario,
            concurrency,
            before,
            after,
            fetched_during: after.saturating_sub(before),
        }
    }

    fn markdown_line(&self) -> String {
        let during = format!("during {} c={}", self.scenario, self.concurrency);
        let counts = format!("issuer's JWKS count {} → {}", self.before, self.after);
        match self.fetched_during {
            0 => format!("JWKS fetches {during}: 0 ({counts})"),
            n => format!("JWKS FETCHED {n} times {during} ({counts}; target 0)"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub results: Vec<Measurement>,
    pub ratios: Vec<Ratio>,
    /// The spawned server's identity store around each `assume-role` run (`--spawn` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_checks: Vec<FileCheck>,
    /// JWKS fetches from the tool's OpenID issuer around each `web-identity` run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jwks_checks: Vec<JwksCheck>,
}

impl Report {
    /// Ratios are listed for the chosen `scenarios` at each of `concurrencies`.
    pub fn new(
        run: RunInfo,
        results: Vec<Measurement>,
        scenarios: &[Scenario],
        concurrencies: &[usize],
        file_checks: Vec<FileCheck>,
    ) -> Self {
        let ratios = ratios(&results, concurrencies)
            .into_iter()
            .filter(|r| scenarios.contains(&r.scenario))
            .collect();
        Self {
            run,
            results,
            ratios,
            file_checks,
            jwks_checks: Vec::new(),
        }
    }

    /// The same report with the JWKS counts of the web-identity runs.
    pub fn with_jwks_checks(mut self, jwks_checks: Vec<JwksCheck>) -> Self {
        self.jwks_checks = jwks_checks;
        self
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
        if let Some(threads) = self
            .results
            .iter()
            .find(|m| m.target == RSA_VERIFY_LIMIT)
            .and_then(|m| m.threads)
        {
            let _ = writeln!(
                out,
                "\n{RSA_VERIFY_LIMIT}: RSA-2048 PKCS#1 v1.5 SHA-256 checks of one RS256 token's \
                 signature (jsonwebtoken 12 on aws-lc-rs, the key built from the JWK as Tessera \
                 builds it) on {threads} threads (all cores), no HTTP, right after the \
                 web-identity run of the same conc; its req/s are verifications/s."
            );
        }
        if self.results.iter().any(|m| m.target == LDAP_DIRECT) {
            let _ = writeln!(
                out,
                "\n{LDAP_DIRECT}: the directory work of one AssumeRoleWithLDAPIdentity done with \
                 ldap3 0.12.1 (Tessera's library) and no HTTP, right after the ldap run of the \
                 same conc: a search for (uid=…) on one shared lookup connection, a fresh \
                 connection with the user's simple bind and unbind, the group search; its req/s \
                 are logins/s."
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
        for (label, ratio_name, target, of_what) in [
            (
                "web-identity",
                WEB_IDENTITY_RATIO,
                WEB_IDENTITY_TARGET,
                "of the RSA-2048 limit",
            ),
            ("ldap", LDAP_RATIO, LDAP_TARGET, "of ldap3 direct"),
        ] {
            let verdicts: Vec<String> = self
                .ratios
                .iter()
                .filter(|q| q.name == ratio_name)
                .map(|q| match q.value {
                    Some(v) if v >= target => format!("c={}: {v:.3} met", q.concurrency),
                    Some(v) => format!("c={}: {v:.3} NOT met", q.concurrency),
                    None => format!("c={}: n/a", q.concurrency),
                })
                .collect();
            if !verdicts.is_empty() {
                let _ = writeln!(
                    out,
                    "\n{label} target: ≥ {target} {of_what}; {}",
                    verdicts.join("; ")
                );
            }
        }
        if !self.file_checks.is_empty() {
            out.push_str(
                "\n### Identity store of the spawned server (size, mtime, SHA-256 before and after)\n\n",
            );
            for check in &self.file_checks {
                let _ = writeln!(out, "- {}", check.markdown_line());
            }
        }
        if !self.jwks_checks.is_empty() {
            out.push_str(
                "\n### JWKS fetches from the tool's OpenID issuer (counted right before and after each run; target 0)\n\n",
            );
            for check in &self.jwks_checks {
                let _ = writeln!(out, "- {}", check.markdown_line());
            }
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

/// How one ratio is made: the server under test's run of `scenario` over `baseline`'s run of
/// the same scenario and concurrency, compared on `measure` (named `metric`).
struct RatioDef {
    name: &'static str,
    scenario: Scenario,
    metric: &'static str,
    baseline: &'static str,
    measure: fn(&Measurement) -> f64,
}

fn ops_per_sec(m: &Measurement) -> f64 {
    m.ops_per_sec
}

fn bytes_per_sec(m: &Measurement) -> f64 {
    m.bytes_per_sec
}

/// Every ratio, in the order listed at each concurrency.
const RATIO_DEFS: [RatioDef; 9] = [
    RatioDef {
        name: "tessera get4k / hyper get4k",
        scenario: Scenario::Get4k,
        metric: "req/s",
        baseline: HYPER,
        measure: ops_per_sec,
    },
    RatioDef {
        name: "tessera put4k / fsync-ceiling",
        scenario: Scenario::Put4k,
        metric: "ops/s",
        baseline: FSYNC,
        measure: ops_per_sec,
    },
    RatioDef {
        name: "tessera get1m / hyper get1m",
        scenario: Scenario::Get1m,
        metric: "bytes/s",
        baseline: HYPER,
        measure: bytes_per_sec,
    },
    RatioDef {
        name: "tessera get4k as IAM user / as root",
        scenario: Scenario::Get4kUser,
        metric: "req/s",
        baseline: AS_ROOT,
        measure: ops_per_sec,
    },
    RatioDef {
        name: "tessera get4k as root / as root (noise floor)",
        scenario: Scenario::Get4kAa,
        metric: "req/s",
        baseline: AS_ROOT,
        measure: ops_per_sec,
    },
    RatioDef {
        name: "tessera assume-role / hyper get4k",
        scenario: Scenario::AssumeRole,
        metric: "req/s",
        baseline: HYPER_GET4K,
        measure: ops_per_sec,
    },
    RatioDef {
        name: "tessera get4k temporary / long-term keys",
        scenario: Scenario::Get4kTemp,
        metric: "req/s",
        baseline: AS_USER,
        measure: ops_per_sec,
    },
    RatioDef {
        name: WEB_IDENTITY_RATIO,
        scenario: Scenario::WebIdentity,
        metric: "req/s",
        baseline: RSA_VERIFY_LIMIT,
        measure: ops_per_sec,
    },
    RatioDef {
        name: LDAP_RATIO,
        scenario: Scenario::Ldap,
        metric: "req/s",
        baseline: LDAP_DIRECT,
        measure: ops_per_sec,
    },
];

fn ratios(results: &[Measurement], concurrencies: &[usize]) -> Vec<Ratio> {
    concurrencies
        .iter()
        .flat_map(|&c| {
            RATIO_DEFS.iter().map(move |d| Ratio {
                name: d.name,
                scenario: d.scenario,
                metric: d.metric,
                concurrency: c,
                value: ratio(results, d.baseline, d.scenario, c, d.measure),
            })
        })
        .collect()
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
            threads: None,
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
            m(TARGET, Scenario::Get4kAa, 16, 510.0, 0.0),
            m(AS_ROOT, Scenario::Get4kAa, 16, 500.0, 0.0),
        ];
        let r = ratios(&results, &[16, 64]);
        assert_eq!(r.len(), 18);
        assert_eq!(r[0].value, Some(0.5));
        assert_eq!(r[1].value, None);
        assert_eq!(r[2].value, Some(0.5));
        assert_eq!(r[3].name, "tessera get4k as IAM user / as root");
        assert_eq!(r[3].value, Some(0.95));
        assert_eq!(r[4].name, "tessera get4k as root / as root (noise floor)");
        assert_eq!(r[4].value, Some(1.02));
        assert_eq!(r[9].value, None);
        assert_eq!(r[12].value, None, "no user run at 64");
    }

    #[test]
    fn assume_role_is_compared_with_the_hyper_get4k_of_its_own_run() {
        let results = vec![
            m(TARGET, Scenario::AssumeRole, 16, 4000.0, 0.0),
            m(HYPER_GET4K, Scenario::AssumeRole, 16, 10000.0, 0.0),
            // The get4k scenario's own hyper run does not stand in for it.
            m(HYPER, Scenario::Get4k, 64, 20000.0, 0.0),
            m(TARGET, Scenario::AssumeRole, 64, 5000.0, 0.0),
            m(TARGET, Scenario::Get4kTemp, 16, 950.0, 0.0),
            m(AS_USER, Scenario::Get4kTemp, 16, 1000.0, 0.0),
            m(AS_USER, Scenario::Get4kTemp, 64, 0.0, 0.0),
            m(TARGET, Scenario::Get4kTemp, 64, 10.0, 0.0),
        ];
        let r = ratios(&results, &[16, 64]);
        let find = |name: &str, c: usize| {
            r.iter()
                .find(|q| q.name == name && q.concurrency == c)
                .unwrap_or_else(|| panic!("no ratio {name} at {c}"))
        };
        let ar = find("tessera assume-role / hyper get4k", 16);
        assert_eq!(
            (ar.scenario, ar.metric, ar.value),
            (Scenario::AssumeRole, "req/s", Some(0.4))
        );
        assert_eq!(find("tessera assume-role / hyper get4k", 64).value, None);
        let temp = find("tessera get4k temporary / long-term keys", 16);
        assert_eq!(
            (temp.scenario, temp.metric, temp.value),
            (Scenario::Get4kTemp, "req/s", Some(0.95))
        );
        assert_eq!(
            find("tessera get4k temporary / long-term keys", 64).value,
            None,
            "no division by a zero baseline"
        );
        let report = Report::new(
            run_info(),
            results,
            &[Scenario::AssumeRole, Scenario::Get4kTemp],
            &[16, 64],
            Vec::new(),
        );
        assert_eq!(
            report.ratios.len(),
            4,
            "only the two chosen scenarios' ratios"
        );
        let text = report.markdown();
        assert!(text.contains("| tessera assume-role / hyper get4k | req/s | 16 | 0.400 |"));
        assert!(text.contains("| tessera get4k temporary / long-term keys | req/s | 16 | 0.950 |"));
        assert!(!text.contains("Identity store"));
    }

    /// The report of `results` for `scenario` alone at c=16, 64 and 128, and its markdown, once
    /// its ratios are checked: only `name`, in req/s, `at16` and `at64`, none at 128 (no run).
    fn one_ratio_report(
        results: Vec<Measurement>,
        scenario: Scenario,
        name: &str,
        at16: f64,
        at64: f64,
    ) -> (Report, String) {
        let report = Report::new(run_info(), results, &[scenario], &[16, 64, 128], Vec::new());
        let values: Vec<_> = report
            .ratios
            .iter()
            .map(|q| (q.name, q.metric, q.concurrency, q.value))
            .collect();
        assert_eq!(
            values,
            [
                (name, "req/s", 16, Some(at16)),
                (name, "req/s", 64, Some(at64)),
                (name, "req/s", 128, None),
            ]
        );
        let text = report.markdown();
        (report, text)
    }

    #[test]
    fn web_identity_is_compared_with_the_rsa_limit_of_its_own_run() {
        let mut limit16 = m(RSA_VERIFY_LIMIT, Scenario::WebIdentity, 16, 20000.0, 0.0);
        limit16.threads = Some(8);
        let results = vec![
            m(TARGET, Scenario::WebIdentity, 16, 8000.0, 0.0),
            limit16,
            m(TARGET, Scenario::WebIdentity, 64, 5000.0, 0.0),
            m(RSA_VERIFY_LIMIT, Scenario::WebIdentity, 64, 20000.0, 0.0),
            // Another scenario's baseline does not stand in for it.
            m(HYPER_GET4K, Scenario::AssumeRole, 16, 1.0, 0.0),
        ];
        let (report, text) = one_ratio_report(
            results,
            Scenario::WebIdentity,
            WEB_IDENTITY_RATIO,
            0.4,
            0.25,
        );
        assert!(text.contains(
            "| tessera web-identity / RSA-2048 verifications on all cores | req/s | 16 | 0.400 |"
        ));
        assert!(text.contains("| rsa2048-verify-limit | web-identity | 16 | 10 | 0 | 20000 |"));
        assert!(text.contains("on 8 threads (all cores), no HTTP"), "{text}");
        assert!(
            text.contains(
                "web-identity target: ≥ 0.35 of the RSA-2048 limit; c=16: 0.400 met; \
                 c=64: 0.250 NOT met; c=128: n/a"
            ),
            "{text}"
        );
        assert!(!text.contains("JWKS"), "no counts given");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["results"][0]["threads"], serde_json::Value::Null);
        assert_eq!(json["results"][1]["threads"], serde_json::json!(8));
        assert!(json.get("jwks_checks").is_none());
    }

    #[test]
    fn ldap_is_compared_with_ldap3_direct_of_its_own_run() {
        let results = vec![
            m(TARGET, Scenario::Ldap, 16, 1400.0, 0.0),
            m(LDAP_DIRECT, Scenario::Ldap, 16, 2000.0, 0.0),
            m(TARGET, Scenario::Ldap, 64, 1000.0, 0.0),
            m(LDAP_DIRECT, Scenario::Ldap, 64, 2000.0, 0.0),
            // Another scenario's baseline does not stand in for it.
            m(RSA_VERIFY_LIMIT, Scenario::WebIdentity, 16, 1.0, 0.0),
        ];
        let (report, text) = one_ratio_report(results, Scenario::Ldap, LDAP_RATIO, 0.7, 0.5);
        assert!(text.contains(
            "| tessera ldap / ldap3 direct (search + bind + group search) | req/s | 16 | 0.700 |"
        ));
        assert!(text.contains("| ldap-direct | ldap | 64 | 10 | 0 | 2000 |"));
        assert!(
            text.contains("ldap-direct: the directory work of one"),
            "{text}"
        );
        assert!(
            text.contains(
                "ldap target: ≥ 0.6 of ldap3 direct; c=16: 0.700 met; c=64: 0.500 NOT met; \
                 c=128: n/a"
            ),
            "{text}"
        );
        assert!(!text.contains("web-identity target"), "{text}");
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["ratios"][0]["scenario"], serde_json::json!("ldap"));
    }

    #[test]
    fn jwks_checks_count_the_fetches_during_each_run() {
        let quiet = JwksCheck::new(Scenario::WebIdentity, 16, 1, 1);
        assert_eq!(quiet.fetched_during, 0);
        assert_eq!(
            quiet.markdown_line(),
            "JWKS fetches during web-identity c=16: 0 (issuer's JWKS count 1 → 1)"
        );
        let busy = JwksCheck::new(Scenario::WebIdentity, 64, 1, 4);
        assert_eq!(busy.fetched_during, 3);
        assert_eq!(
            busy.markdown_line(),
            "JWKS FETCHED 3 times during web-identity c=64 (issuer's JWKS count 1 → 4; target 0)"
        );
        let report = Report::new(
            run_info(),
            Vec::new(),
            &[Scenario::WebIdentity],
            &[16, 64],
            Vec::new(),
        )
        .with_jwks_checks(vec![quiet, busy]);
        let text = report.markdown();
        assert!(text.contains("### JWKS fetches from the tool's OpenID issuer"));
        assert!(
            text.contains("- JWKS fetches during web-identity c=16: 0 (issuer's JWKS count 1 → 1)")
        );
        assert!(text.contains("- JWKS FETCHED 3 times during web-identity c=64"));
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(
            json["jwks_checks"][0],
            serde_json::json!({"scenario": "web-identity", "concurrency": 16, "before": 1,
                "after": 1, "fetched_during": 0})
        );
        assert_eq!(
            json["jwks_checks"][1]["fetched_during"],
            serde_json::json!(3)
        );
    }

    fn state(size: u64, sha: &str) -> FileState {
        FileState {
            size,
            modified: "2030-01-01T00:00:00Z".into(),
            sha256: sha.into(),
        }
    }

    #[test]
    fn file_checks_say_unchanged_changed_or_unknown() {
        let path = Path::new("/tmp/x/data/.tessera/iam.redb");
        let same = FileCheck::new(
            path,
            Scenario::AssumeRole,
            16,
            Ok(state(8, "aa")),
            Ok(state(8, "aa")),
        );
        assert_eq!(same.unchanged, Some(true));
        assert_eq!(
            same.markdown_line(),
            "iam.redb unchanged during assume-role c=16: yes (size 8, modified \
             2030-01-01T00:00:00Z, sha256 aa)"
        );
        let changed = FileCheck::new(
            path,
            Scenario::AssumeRole,
            64,
            Ok(state(8, "aa")),
            Ok(state(8, "bb")),
        );
        assert_eq!(changed.unchanged, Some(false));
        assert!(
            changed
                .markdown_line()
                .starts_with("iam.redb CHANGED during assume-role c=64:")
        );
        let unknown = FileCheck::new(
            path,
            Scenario::AssumeRole,
            16,
            Ok(state(8, "aa")),
            Err(anyhow::anyhow!("gone")),
        );
        assert_eq!(unknown.unchanged, None);
        assert!(
            unknown
                .markdown_line()
                .contains("could not check (after: gone)")
        );
        let report = Report::new(
            run_info(),
            Vec::new(),
            &[Scenario::AssumeRole],
            &[16],
            vec![same],
        );
        assert!(
            report
                .markdown()
                .contains("- iam.redb unchanged during assume-role c=16: yes")
        );
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["file_checks"][0]["unchanged"], serde_json::json!(true));
        assert_eq!(
            json["file_checks"][0]["scenario"],
            serde_json::json!("assume-role")
        );
        assert_eq!(
            json["file_checks"][0]["before"]["size"],
            serde_json::json!(8)
        );
    }

    fn run_info() -> RunInfo {
        RunInfo {
            target: "x".into(),
            started_utc: "now".into(),
            cpus: 2,
            seconds_per_run: 1.0,
            max_requests_per_run: 5,
            fsync_dir: None,
        }
    }

    #[test]
    fn markdown_has_a_table_and_ratios() {
        let report = Report::new(
            run_info(),
            vec![m(HYPER, Scenario::Get4k, 16, 1.0, 2.0)],
            &[Scenario::Get4k],
            &[16],
            Vec::new(),
        );
        let text = report.markdown();
        assert!(text.contains("| hyper-baseline | get4k | 16 |"));
        assert!(text.contains("| tessera get4k / hyper get4k | req/s | 16 | n/a |"));
        assert!(!text.contains("get1m / hyper"));
    }
}
