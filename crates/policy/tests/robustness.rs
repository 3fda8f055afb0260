//! Deterministic mutation testing (a poor man's fuzzer, reproducible and fast): mutated
//! policy documents must never panic, and every document that is accepted must round-trip
//! through its canonical JSON and decide requests without panicking.

use tessera_policy::{Conditions, Policy, PolicyKind, Request};

const SEEDS: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::home","Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}}]}"#,
    r#"{"Statement":[{"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAllValues:StringNotEquals":{"aws:groups":["a","b"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#,
    r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"],"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"NumericGreaterThanIfExists":{"s3:max-keys":10}}}]}"#,
    r#"{"Statement":[{"Effect":"Allow","Action":"admin:*"},{"Effect":"Allow","Action":"kms:*","Resource":"arn:minio:kms:::k*"},{"Effect":"Allow","Action":"*","Condition":{"ArnLike":{"jwt:arn":"arn:aws:iam::*:role/${jwt:sub}"},"Null":{"aws:userid":false},"BinaryEquals":{"aws:userid":"aGk="},"Bool":{"aws:SecureTransport":"true"}}}]}"#,
];

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "*",
    "?",
    "$",
    "${",
    "}",
    "${aws:username}",
    "${*}",
    "/",
    "\\",
    "null",
    "true",
    "0",
    "-1",
    "\"Allow\"",
    "\"Deny\"",
    "\"s3:*\"",
    "\"arn:aws:s3:::\"",
    "ForAnyValue:",
    "IfExists",
    "é",
    "\u{0}",
    "🙂",
];

/// xorshift64*: small, deterministic, good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(2) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => {
                let end = (at + rng.below(12)).min(chars.len());
                chars.drain(at..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                for (i, c) in token.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            _ => {
                // Copy a random slice of the document somewhere else.
                let from = rng.below(chars.len().max(1));
                let end = (from + rng.below(20)).min(chars.len());
                let slice: Vec<char> = chars[from..end].to_vec();
                for (i, c) in slice.into_iter().enumerate() {
                    chars.insert(at.min(chars.len()) + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_documents_never_panic_and_accepted_ones_round_trip() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let conditions = Conditions::new()
        .with("aws:username", ["alice"])
        .with("aws:groups", ["a", "c"])
        .with("aws:SourceIp", ["10.1.1.1"])
        .with("s3:prefix", ["alice/x"])
        .with("jwt:sub", ["s"])
        .with("aws:userid", ["hi"]);
    let requests = [
        ("s3:GetObject", "arn:aws:s3:::b/alice/k"),
        ("s3:ListBucket", "arn:aws:s3:::home"),
        ("admin:ServerInfo", ""),
        ("kms:KeyStatus", "arn:minio:kms:::key"),
    ];
    let (mut accepted, mut rejected) = (0usize, 0usize);
    for round in 0..20_000 {
        let seed = SEEDS[round % SEEDS.len()];
        let text = mutate(&mut rng, seed);
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Session,
            PolicyKind::Bucket,
        ] {
            match Policy::parse_as(&text, kind) {
                Err(error) => {
                    rejected += 1;
                    assert!(!error.to_string().is_empty());
                }
                Ok(policy) => {
                    accepted += 1;
                    let canonical = policy.to_canonical_json();
                    let again = Policy::parse_as(&canonical, kind).unwrap_or_else(|e| {
                        panic!(
                            "canonical form rejected: {e}\ninput: {text}\ncanonical: {canonical}"
                        )
                    });
                    assert_eq!(
                        again, policy,
                        "round trip changed the policy\ninput: {text}\ncanonical: {canonical}"
                    );
                    for (action, resource) in requests {
                        let request =
                            Request::new(action, resource, &conditions).with_principal("alice");
                        assert_eq!(
                            policy.evaluate(&request),
                            again.evaluate(&request),
                            "{text}"
                        );
                    }
                }
            }
        }
    }
    // The mutations must exercise both paths, or the test proves little.
    println!("accepted {accepted}, rejected {rejected}");
    assert!(
        accepted > 1000,
        "only {accepted} mutated documents were accepted"
    );
    assert!(
        rejected > 5000,
        "only {rejected} mutated documents were rejected"
    );
}
