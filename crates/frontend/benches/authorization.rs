//! The cost of authorising one S3 request as the access gate does it: identity lookup by access
//! key, the request's condition keys (those the policies reference), and the decision over the user's live policies (a
//! 10-statement policy with variables and conditions, attached through a group), alone and with
//! a bucket policy present. Measured against one HMAC-SHA256 over 64 bytes in the same process.
//! Target: a decision costs at most 4 such HMACs.
//!
//! `cargo bench -p tessera-frontend --bench authorization -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tessera_frontend::{Authorizer, ClientInfo, RequestFacts};
use tessera_iam::{
    IamSystem, KeyLookup, MappingTarget, MappingUpdate, RedbIamStore, RootAccount, Secret,
};

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
    {"Sid": "TlsOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secure/*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "PublicForUsers", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*",
     "Condition": {"StringEquals": {"aws:principaltype": ["User", "AssumedRole"]}}},
    {"Sid": "NoOldClients", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*",
     "Condition": {"StringLike": {"aws:UserAgent": ["legacy-tool/*"]}}},
    {"Sid": "TeamListing", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::team",
     "Condition": {"ForAnyValue:StringEquals": {"aws:groups": ["eng", "ops"]}}},
    {"Sid": "BeforeDeadline", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::team/*",
     "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "OnlyOwnWrites", "Effect": "Deny", "Action": "s3:PutObject",
     "NotResource": ["arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::uploads/*"]}
  ]
}"#;

const BUCKET_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"AWS":["bob"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::home/shared/*"]},
  {"Effect":"Deny","Principal":"*","Action":["s3:DeleteObject"],"Resource":["arn:aws:s3:::home/*"],
   "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;

fn hmac_64(key: &[u8; 32], message: &[u8; 64]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length works");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Nanoseconds per call of `f` and of `baseline`, and the ratio of the two: each of 31
/// rounds times both back to back, and the medians are taken (robust to a noisy machine, and
/// drift hits both sides of a round alike).
fn paired_ratio(mut f: impl FnMut(), mut baseline: impl FnMut()) -> (f64, f64, f64) {
    let time = |g: &mut dyn FnMut(), iterations: u32| {
        let start = Instant::now();
        for _ in 0..iterations {
            g();
        }
        start.elapsed().as_nanos() as f64 / f64::from(iterations)
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut ours, mut base, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..31 {
        let b = time(&mut baseline, 20_000);
        let o = time(&mut f, 5_000);
        ours.push(o);
        base.push(b);
        ratios.push(o / b);
    }
    (median(ours), median(base), median(ratios))
}

fn setup(dir: &std::path::Path) -> Arc<IamSystem> {
    let store = Arc::new(RedbIamStore::open(&dir.join("iam.redb")).expect("store"));
    let root = RootAccount {
        access_key: "root".into(),
        secret_key: Secret::new("root-secret-1".into()),
    };
    let iam = Arc::new(IamSystem::open(store, root).expect("iam"));
    iam.put_policy("home", POLICY).expect("policy");
    for i in 0..200 {
        iam.add_user(&format!("user{i:03}"), "user-secret-1")
            .expect("user");
    }
    iam.add_user("alice", "alice-secret-1").expect("alice");
    iam.update_group_members("staff", &["alice".into()], false)
        .expect("group");
    iam.update_mapping(
        &MappingTarget::Group("staff".into()),
        &["home".into()],
        MappingUpdate::Attach,
    )
    .expect("map");
    iam.update_mapping(
        &MappingTarget::User("alice".into()),
        &["readonly".into()],
        MappingUpdate::Attach,
    )
    .expect("map");
    iam
}

fn authorization(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let iam = setup(dir.path());
    let authorizer = Authorizer::new(Arc::clone(&iam));
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "user-agent",
        http::HeaderValue::from_static("aws-cli/2.15.0 Python/3.11"),
    );
    let client = ClientInfo {
        remote: SocketAddr::from(([10, 1, 2, 3], 40000)),
        secure: true,
    };
    let object = "arn:aws:s3:::home/alice/docs/report.pdf";

    let decide = || {
        let KeyLookup::Active { account, .. } = iam.lookup(black_box("alice")) else {
            panic!("alice is active")
        };
        let facts = RequestFacts {
            headers: &headers,
            query: None,
            client: Some(&client),
            operation: "GetObject",
        };
        authorizer.allows(
            Some(&account),
            Some("home"),
            "s3:GetObject",
            black_box(object),
            &facts,
        )
    };
    assert!(decide());

    let key = [7u8; 32];
    let message = [42u8; 64];
    let mut group = c.benchmark_group("authorization");
    group.bench_function("hmac_sha256_64_bytes", |b| {
        b.iter(|| hmac_64(black_box(&key), black_box(&message)))
    });
    group.bench_function("decision", |b| b.iter(|| black_box(decide())));
    let hmac = || {
        black_box(hmac_64(black_box(&key), black_box(&message)));
    };
    let (plain, hmac_ns, plain_ratio) = paired_ratio(
        || {
            black_box(decide());
        },
        hmac,
    );
    iam.put_bucket_policy("home", BUCKET_POLICY)
        .expect("bucket policy");
    assert!(decide());
    group.bench_function("decision_with_bucket_policy", |b| {
        b.iter(|| black_box(decide()))
    });
    group.finish();

    let (with_bucket, _, with_bucket_ratio) = paired_ratio(
        || {
            black_box(decide());
        },
        hmac,
    );
    println!(
        "\nratios (median of 31 paired rounds, same process): decision = {plain_ratio:.2} HMACs \
         ({plain:.0} ns), with bucket policy = {with_bucket_ratio:.2} HMACs ({with_bucket:.0} ns); \
         HMAC = {hmac_ns:.0} ns; target <= 4"
    );
}

criterion_group!(benches, authorization);
criterion_main!(benches);
