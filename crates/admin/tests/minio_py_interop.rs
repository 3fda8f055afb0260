//! Interop with minio-py's `minio/crypto.py`, the reference client for the madmin payload format:
//! Rust reads what minio-py writes and minio-py reads what Rust writes, with a fresh random
//! password (secret key) per case.
//!
//! minio-py writes only id 0x00 (Argon2id + AES-256-GCM) and reads 0x00 and 0x01. The helper
//! below also covers 0x01 writing (minio-py's stream code with pycryptodome's ChaCha20-Poly1305)
//! and 0x02 both ways (minio-py's stream code with hashlib's PBKDF2-HMAC-SHA256 as the KDF).
//!
//! Needs `.venv/bin/python` with `minio` installed (`scripts/test` prepares it); `TESSERA_PYTHON`
//! points elsewhere; `TESSERA_SKIP_PY_INTEROP=1` skips instead of failing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use tessera_admin::{Algorithm, PayloadError, decrypt, encrypt};

/// Reads `<op> <password hex> <data hex>` lines, answers `ok <hex>` or `err <message>` lines.
const HELPER: &str = r#"
import hashlib, io, sys
import minio.crypto as mc
from Crypto.Cipher import ChaCha20_Poly1305

def pbkdf2(secret, salt):
    return hashlib.pbkdf2_hmac("sha256", secret, salt, 8192, 32)

class Body:
    def __init__(self, data): self._io = io.BytesIO(data)
    def read(self, n=-1): return self._io.read(n)
    def close(self): pass
    def release_conn(self): pass

def run(op, password, data):
    saved = (mc._get_cipher, mc._generate_key)
    try:
        if op == "enc0":
            return mc.encrypt(data, password)
        if op == "enc1":
            mc._get_cipher = lambda _id, key, nonce: ChaCha20_Poly1305.new(key=key, nonce=nonce)
            out = bytearray(mc.encrypt(data, password)); out[32] = 1
            return bytes(out)
        if op == "enc2":
            mc._generate_key = pbkdf2
            out = bytearray(mc.encrypt(data, password)); out[32] = 2
            return bytes(out)
        if op == "dec":
            if len(data) > 32 and data[32] == 2:
                mc._generate_key = pbkdf2
                data = data[:32] + b"\x00" + data[33:]
            return mc.decrypt(Body(data), password)
        raise ValueError("unknown op " + op)
    finally:
        mc._get_cipher, mc._generate_key = saved

for line in sys.stdin:
    op, password, data = (line.split(" ") + ["", ""])[:3]
    try:
        out = run(op, bytes.fromhex(password).decode(), bytes.fromhex(data.strip()))
        print("ok", out.hex(), flush=True)
    except Exception as e:
        print("err", type(e).__name__, str(e).replace("\n", " "), flush=True)
"#;

fn python() -> Option<PathBuf> {
    let path = std::env::var_os("TESSERA_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
        PathBuf::from,
    );
    let probe = Command::new(&path)
        .args(["-c", "import minio.crypto, Crypto.Cipher, argon2"])
        .output();
    let problem = match probe {
        Ok(out) if out.status.success() => return Some(path),
        Ok(out) => format!(
            "it cannot import minio: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("no error output")
        ),
        Err(err) => format!("it cannot be run: {err}"),
    };
    if std::env::var("TESSERA_SKIP_PY_INTEROP").as_deref() == Ok("1") {
        eprintln!("skipping minio-py interop (TESSERA_SKIP_PY_INTEROP=1): {problem}");
        return None;
    }
    panic!(
        "the minio-py interop test needs a Python with the `minio` package at {} but {problem}. \
         Run scripts/test (it prepares .venv with minio-py), or set TESSERA_PYTHON to a Python \
         that has minio, or set TESSERA_SKIP_PY_INTEROP=1 to skip this test.",
        path.display()
    );
}

/// Runs the helper over `(op, password, data)` requests and returns its answers in order.
fn run_helper(python: &PathBuf, requests: &[(&str, &str, &[u8])]) -> Vec<Result<Vec<u8>, String>> {
    let mut child = Command::new(python)
        .args(["-c", HELPER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the Python helper");
    let mut input = String::new();
    for (op, password, data) in requests {
        input.push_str(&format!(
            "{op} {} {}\n",
            hex::encode(password.as_bytes()),
            hex::encode(data)
        ));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run the Python helper");
    writer.join().unwrap().expect("feed the Python helper");
    assert!(out.status.success(), "the Python helper failed");
    let answers: Vec<_> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| match line.split_once(' ') {
            Some(("ok", hex)) => Ok(hex::decode(hex).expect("helper hex")),
            _ => Err(line.to_owned()),
        })
        .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

/// A random secret key like MinIO's (40 characters), sometimes with non-ASCII characters to
/// check both sides use its UTF-8 bytes.
fn random_password(unicode: bool) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = [0u8; 40];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    let key: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 64)]))
        .collect();
    if unicode {
        format!("sécret-ü-{key}")
    } else {
        key
    }
}

fn random_plaintext(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut out).unwrap();
    out
}

#[test]
fn rust_decrypts_what_minio_py_encrypted() {
    let Some(python) = python() else { return };
    let cases: Vec<(&str, usize, String, Vec<u8>)> = [
        ("enc0", 1),
        ("enc0", 16384),
        ("enc0", 16385),
        ("enc0", 40000),
        ("enc1", 100),
        ("enc1", 16384),
        ("enc2", 1),
        ("enc2", 16385),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (op, len))| (op, len, random_password(i == 0), random_plaintext(len)))
    .collect();
    let empty_password = random_password(false);
    let mut requests: Vec<(&str, &str, &[u8])> = cases
        .iter()
        .map(|(op, _, password, plaintext)| (*op, password.as_str(), plaintext.as_slice()))
        .collect();
    requests.push(("enc0", &empty_password, b""));
    let answers = run_helper(&python, &requests);

    for ((op, len, password, plaintext), answer) in cases.iter().zip(&answers) {
        let sealed = answer.as_ref().expect("minio-py encrypts");
        assert_eq!(
            sealed.len(),
            41 + len + 16 * len.div_ceil(16384),
            "{op} {len}"
        );
        let opened = decrypt(password.as_bytes(), sealed)
            .unwrap_or_else(|err| panic!("{op} {len}: Rust cannot read minio-py's payload: {err}"));
        assert_eq!(opened.as_slice(), plaintext, "{op} {len}");
    }

    // Wrong key: refused, with the hint.
    let sealed = answers[0].as_ref().unwrap();
    let err = decrypt(b"not-the-secret-key", sealed).unwrap_err();
    assert!(
        matches!(err, PayloadError::NotAuthentic { fragment: 1 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("different secret key"), "{err}");

    // minio-py writes an empty payload as the bare header; MinIO and Tessera refuse it.
    let header_only = answers.last().unwrap().as_ref().unwrap();
    assert_eq!(header_only.len(), 41);
    assert!(matches!(
        decrypt(empty_password.as_bytes(), header_only),
        Err(PayloadError::NoFragment)
    ));
}

/// One payload Rust sealed for minio-py to open.
struct RustSealed {
    algorithm: Algorithm,
    password: String,
    plaintext: Vec<u8>,
    sealed: Vec<u8>,
}

#[test]
fn minio_py_decrypts_what_rust_encrypted() {
    let Some(python) = python() else { return };
    let cases: Vec<RustSealed> = [
        (Algorithm::Argon2idAesGcm, 0),
        (Algorithm::Argon2idAesGcm, 1),
        (Algorithm::Argon2idAesGcm, 16384),
        (Algorithm::Argon2idAesGcm, 16385),
        (Algorithm::Argon2idAesGcm, 40000),
        (Algorithm::Argon2idChaCha20Poly1305, 0),
        (Algorithm::Argon2idChaCha20Poly1305, 16385),
        (Algorithm::Argon2idChaCha20Poly1305, 40000),
        (Algorithm::Pbkdf2AesGcm, 0),
        (Algorithm::Pbkdf2AesGcm, 1),
        (Algorithm::Pbkdf2AesGcm, 16385),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (algorithm, len))| {
        let password = random_password(i == 1);
        let plaintext = random_plaintext(len);
        let sealed = encrypt(password.as_bytes(), &plaintext, algorithm).unwrap();
        RustSealed {
            algorithm,
            password,
            plaintext,
            sealed,
        }
    })
    .collect();
    let mut requests: Vec<(&str, &str, &[u8])> = cases
        .iter()
        .map(|case| ("dec", case.password.as_str(), case.sealed.as_slice()))
        .collect();
    // minio-py must refuse a wrong key, or the checks above prove nothing.
    requests.push(("dec", "not-the-secret-key", cases[1].sealed.as_slice()));
    let answers = run_helper(&python, &requests);

    for (case, answer) in cases.iter().zip(&answers) {
        let (algorithm, len) = (case.algorithm, case.plaintext.len());
        let opened = answer
            .as_ref()
            .unwrap_or_else(|err| panic!("{algorithm:?} {len}: minio-py cannot read it: {err}"));
        assert_eq!(opened, &case.plaintext, "{algorithm:?} {len}");
    }
    let refused = answers.last().unwrap();
    assert!(refused.is_err(), "minio-py accepted a wrong key");
}
