//! The cost of one policy decision, measured against one HMAC-SHA256 over 64 bytes in the same
//! process. Target: a decision (evaluation of a 10-statement policy with variables and
//! conditions) costs at most 4 such HMACs.
//!
//! `cargo bench -p tessera-policy -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tessera_policy::{Conditions, Policy, Request};

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home",
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*", "${aws:username}"]}}},
    {"Sid": "OwnObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::home/${aws:username}/*"},
    {"Sid": "KeepArchive", "Effect": "Deny", "Action": "s3:DeleteObject",
     "Resource": "arn:aws:s3:::home/${aws:username}/archive/*"},
    {"Sid": "SharedFromOffice", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}},
    {"Sid": "TlsOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "PublicForUsers", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*",
     "Condition": {"StringEquals": {"aws:principaltype": ["User", "AssumedRole"]}}},
    {"Sid": "FreshSignatures", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*",
     "Condition": {"NumericGreaterThanIfExists": {"s3:signatureAge": "600000"}}},
    {"Sid": "TeamListing", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team",
     "Condition": {"ForAnyValue:StringEquals": {"aws:groups": ["eng", "ops"]}}},
    {"Sid": "TeamObjects", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::team/${jwt:sub}/*",
     "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "NoForeignAgents", "Effect": "Deny", "NotAction": ["s3:GetObject", "s3:ListBucket"],
     "NotResource": ["arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::uploads/*"],
     "Condition": {"StringNotLike": {"aws:UserAgent": ["aws-cli/*", "Boto3/*", "MinIO *"]}}}
  ]
}"#;

fn conditions() -> Conditions {
    Conditions::new()
        .with("aws:username", ["alice"])
        .with("aws:userid", ["alice"])
        .with("aws:principaltype", ["User"])
        .with("aws:groups", ["eng", "design"])
        .with("jwt:sub", ["3f2a9c"])
        .with("aws:SourceIp", ["10.1.2.3"])
        .with("aws:SecureTransport", ["true"])
        .with("aws:UserAgent", ["aws-cli/2.15.0 Python/3.11"])
        .with("aws:CurrentTime", ["2026-05-01T10:00:00Z"])
        .with("s3:signatureAge", ["1200"])
}

const OBJECT: &str = "arn:aws:s3:::home/alice/docs/report.pdf";

fn hmac_64(key: &[u8; 32], message: &[u8; 64]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length works");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Nanoseconds per call of `f`, the median of several rounds (robust to a noisy machine).
fn nanos_per_call(mut f: impl FnMut(), iterations: u32) -> f64 {
    let mut rounds: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iterations)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

fn decision(c: &mut Criterion) {
    let policy = Policy::parse(POLICY).expect("the bench policy parses");
    assert_eq!(policy.statement_count(), 10);
    let conditions = conditions();
    let allowed = Request::new("s3:GetObject", OBJECT, &conditions);
    let denied = Request::new(
        "s3:DeleteObject",
        "arn:aws:s3:::home/alice/archive/2020.tar",
        &conditions,
    );
    let listing_conditions = conditions.clone().with("s3:prefix", ["alice/docs/"]);
    let listing = Request::new("s3:ListBucket", "arn:aws:s3:::home", &listing_conditions);
    assert!(policy.evaluate(&allowed).is_allowed());
    assert!(!policy.evaluate(&denied).is_allowed());
    assert!(policy.evaluate(&listing).is_allowed());

    let key = [7u8; 32];
    let message = [42u8; 64];

    let mut group = c.benchmark_group("decision");
    group.bench_function("hmac_sha256_64_bytes", |b| {
        b.iter(|| hmac_64(black_box(&key), black_box(&message)))
    });
    group.bench_function("evaluate_10_statements_get_allowed", |b| {
        b.iter(|| black_box(&policy).evaluate(black_box(&allowed)))
    });
    group.bench_function("evaluate_10_statements_delete_denied", |b| {
        b.iter(|| black_box(&policy).evaluate(black_box(&denied)))
    });
    group.bench_function("evaluate_10_statements_list_allowed", |b| {
        b.iter(|| black_box(&policy).evaluate(black_box(&listing)))
    });
    group.bench_function("parse_10_statements", |b| {
        b.iter(|| Policy::parse(black_box(POLICY)))
    });
    group.finish();

    // The ratio, measured here in the same process, interleaved to share the machine's noise.
    let mut hmac_ns = Vec::new();
    let mut decision_ns = Vec::new();
    for _ in 0..3 {
        hmac_ns.push(nanos_per_call(
            || {
                black_box(hmac_64(black_box(&key), black_box(&message)));
            },
            20_000,
        ));
        for request in [&allowed, &denied, &listing] {
            decision_ns.push(nanos_per_call(
                || {
                    black_box(policy.evaluate(black_box(request)));
                },
                20_000,
            ));
        }
    }
    let hmac = hmac_ns.iter().copied().fold(f64::INFINITY, f64::min);
    let worst_decision = decision_ns.iter().copied().fold(0.0, f64::max);
    let ratio = worst_decision / hmac;
    println!(
        "\nratio: one decision (10 statements, variables, conditions; slowest of 3 requests) = {worst_decision:.0} ns \
         = {ratio:.2} x HMAC-SHA256/64 B ({hmac:.0} ns); target <= 4.00 -> {}",
        if ratio <= 4.0 { "met" } else { "NOT met" }
    );
}

criterion_group! {
    name = benches;
    // Reports go under the workspace's target directory, not the crate's working directory.
    config = Criterion::default()
        .output_directory(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("criterion"))
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = decision
}
criterion_main!(benches);
