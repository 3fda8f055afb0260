//! Helpers shared by the table-driven tests: building a request context and running a table
//! of (policy, action, resource, context, expected decision) rows, reporting every failing row.

#![allow(dead_code)]

use tessera_policy::{Conditions, Decision, Policy, Request};

/// A request context from `(key, values)` pairs.
pub fn context(pairs: &[(&str, &[&str])]) -> Conditions {
    let mut conditions = Conditions::new();
    for (key, values) in pairs {
        conditions.insert(key, values.iter().copied());
    }
    conditions
}

/// One row: a policy document, the request, and the decision it must get.
pub struct Row<'a> {
    pub policy: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a [(&'a str, &'a [&'a str])],
    pub expected: Decision,
}

/// Evaluates every row as an identity policy and panics listing all failures.
pub fn run_rows(rows: &[Row<'_>]) -> usize {
    let mut failures = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let policy = match Policy::parse(row.policy) {
            Ok(policy) => policy,
            Err(e) => {
                failures.push(format!("row {index}: policy does not parse: {e}"));
                continue;
            }
        };
        let conditions = context(row.context);
        let request = Request::new(row.action, row.resource, &conditions);
        let got = policy.evaluate(&request);
        if got != row.expected {
            failures.push(format!(
                "row {index}: {} on {} with {:?}: expected {:?}, got {:?}",
                row.action, row.resource, row.context, row.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    rows.len()
}
