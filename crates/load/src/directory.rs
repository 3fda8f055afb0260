//! The LDAP directory of the `ldap` scenario: a throwaway OpenLDAP `slapd` (Debian's 2.5) built
//! from the repository's test data (`tests/ldap/slapd.conf.in` and `tests/ldap/directory.ldif`,
//! compiled into the tool) in a temp dir of its own, as the Python harness
//! (`tests/interop/ldap.py`) builds it: a test CA and server certificate made with the openssl
//! CLI (the template's TLS lines name them and slapd refuses to start without them, though the
//! benchmark speaks plain LDAP), the template filled, the LDIF loaded with `slapadd`, then
//! `slapd -h ldap://127.0.0.1:PORT/ -d none` on a free loopback port, ready once the lookup
//! account can bind. Stopped by its pid (SIGTERM, then SIGKILL after [`STOP_TIMEOUT`]) on
//! [`Slapd::stop`] or when dropped, on every exit path; the temp dir goes with it.
//!
//! Unlike the Python harness, slapd stays in the tool's process group: a Ctrl-C at the terminal,
//! which ends the tool without running its destructors, then stops slapd too.
//!
//! Also the facts of that directory the scenario uses (accounts, bases, filters) and the
//! `MINIO_IDENTITY_LDAP_*` settings that point a spawned Tessera at it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::children::{free_port, log_tail};

/// `tests/ldap/slapd.conf.in`: `@NAME@` placeholders on the lines that are not comments.
const CONF_TEMPLATE: &str = include_str!("../../../tests/ldap/slapd.conf.in");
/// `tests/ldap/directory.ldif`: the accounts and groups.
const DIRECTORY_LDIF: &str = include_str!("../../../tests/ldap/directory.ldif");

pub const PEOPLE_DN: &str = "ou=people,dc=tessera,dc=test";
pub const GROUPS_DN: &str = "ou=groups,dc=tessera,dc=test";
pub const LOOKUP_DN: &str = "cn=lookup,ou=service,dc=tessera,dc=test";
pub const LOOKUP_PASSWORD: &str = "lookup-secret";
/// The user search filter; `%s` is the login name.
pub const USER_FILTER: &str = "(uid=%s)";
/// The group search filter; `%d` is the user's DN.
pub const GROUP_FILTER: &str = "(&(objectclass=groupOfNames)(member=%d))";
/// The group both benchmark users are in, and the policy the tool maps to it.
pub const READERS_DN: &str = "cn=readers,ou=groups,dc=tessera,dc=test";
pub const READERS_POLICY: &str = "readonly";
/// The logins of the scenario, sent round-robin (test-only passwords of directory.ldif).
pub const USERS: [(&str, &str); 2] = [("alice", "alice-secret"), ("bob", "bob-secret")];

/// From exec to a successful bind of the lookup account.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Fresh ports tried when the one picked was taken in the meantime.
const START_ATTEMPTS: usize = 3;
/// From SIGTERM to SIGKILL, and from SIGKILL to giving up on reaping.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// The most one openssl or slapadd run may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(60);
/// One readiness probe (connect + bind).
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A running slapd and the temp dir holding its configuration, certificates, data and log.
pub struct Slapd {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
    // Declared last: removed after `Drop::drop` has stopped the process.
    dir: Option<tempfile::TempDir>,
}

impl Slapd {
    /// Builds a directory under `parent` and starts slapd on a free 127.0.0.1 port; returns
    /// once the lookup account binds.
    pub async fn start(parent: &Path) -> Result<Self> {
        let parent = parent.to_owned();
        let prepared = tokio::task::spawn_blocking(move || prepare(&parent))
            .await
            .context("preparing slapd")??;
        let mut slapd = Self {
            child: None,
            port: 0,
            log: prepared.dir.path().join("slapd.log"),
            dir: Some(prepared.dir),
        };
        for attempt in 1..=START_ATTEMPTS {
            match slapd.launch(&prepared.slapd, &prepared.conf).await {
                Ok(()) => return Ok(slapd),
                Err(Launch::PortInUse) if attempt < START_ATTEMPTS => {}
                Err(Launch::PortInUse) => {
                    bail!(
                        "slapd found no free port after {START_ATTEMPTS} tries:\n{}",
                        tail(&slapd.log)
                    )
                }
                Err(Launch::Failed(e)) => {
                    let log = tail(&slapd.log);
                    slapd.shutdown();
                    bail!("{e:#}\n--- slapd log ---\n{log}");
                }
            }
        }
        bail!("slapd did not start")
    }

    async fn launch(&mut self, slapd: &Path, conf: &Path) -> Result<(), Launch> {
        let failed = |e: anyhow::Error| Launch::Failed(e);
        self.port = free_port().map_err(failed)?;
        let log = std::fs::File::create(&self.log)
            .context("creating the slapd log")
            .map_err(failed)?;
        let log_err = log
            .try_clone()
            .context("duplicating the log handle")
            .map_err(failed)?;
        // -d keeps slapd in the foreground (the pid is slapd's own) and logs to stderr; "none"
        // logs only high-priority messages (start, stop, a port already in use).
        let child = Command::new(slapd)
            .arg("-f")
            .arg(conf)
            .arg("-h")
            .arg(format!("{}/", self.url()))
            .args(["-d", "none"])
            .current_dir(self.dir.as_ref().map_or(Path::new("/"), |d| d.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .with_context(|| format!("starting {}", slapd.display()))
            .map_err(failed)?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(status)) => status,
                Some(Err(e)) => return Err(failed(anyhow::anyhow!("polling slapd: {e}"))),
                None => return Err(failed(anyhow::anyhow!("slapd is gone"))),
            };
            if let Some(status) = exited {
                self.child = None;
                if std::fs::read_to_string(&self.log)
                    .unwrap_or_default()
                    .contains("Address already in use")
                {
                    return Err(Launch::PortInUse);
                }
                return Err(failed(anyhow::anyhow!(
                    "slapd exited during start-up ({status})"
                )));
            }
            match probe(&self.url()).await {
                Ok(()) => return Ok(()),
                Err(e) => last = format!("{e:#}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(failed(anyhow::anyhow!(
            "slapd did not accept a bind of {LOOKUP_DN} within {START_TIMEOUT:?} on {} \
             (last: {last})",
            self.url()
        )))
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// slapd's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What a Tessera server needs to log users in against this directory.
    pub fn server_env(&self) -> Vec<(String, String)> {
        server_env(self.port)
    }

    /// Stops slapd and removes its temp dir.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// SIGTERM to our child's pid, SIGKILL if it has not exited after [`STOP_TIMEOUT`], then
    /// the temp dir; again: nothing.
    fn shutdown(&mut self) {
        if let Some(mut child) = self.child.take()
            && let Ok(None) = child.try_wait()
        {
            let pid = child.id().to_string();
            let termed = Command::new("kill")
                .args(["-TERM", &pid])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !(termed && wait_bounded(&mut child, STOP_TIMEOUT)) {
                let _ = child.kill();
                if !wait_bounded(&mut child, STOP_TIMEOUT) {
                    eprintln!("warning: slapd (pid {pid}) did not exit after SIGKILL");
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_owned();
            if let Err(e) = dir.close() {
                eprintln!("warning: removing {}: {e}", path.display());
            }
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.shutdown();
    }
}

enum Launch {
    /// slapd exited because its port was taken: try another.
    PortInUse,
    Failed(anyhow::Error),
}

/// Whether `child` exited within `timeout` (polled; it is reaped if so).
fn wait_bounded(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return true,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => return false,
        }
    }
}

/// One readiness probe: a connection and a simple bind as the lookup account.
async fn probe(url: &str) -> Result<()> {
    let attempt = async {
        let settings = ldap3::LdapConnSettings::new().set_conn_timeout(PROBE_TIMEOUT);
        let (conn, mut ldap) = ldap3::LdapConnAsync::with_settings(settings, url).await?;
        let driver = tokio::spawn(async move {
            let _ = conn.drive().await;
        });
        let bound = ldap.simple_bind(LOOKUP_DN, LOOKUP_PASSWORD).await;
        let _ = ldap.unbind().await;
        driver.abort();
        bound?.success()?;
        Ok::<_, ldap3::LdapError>(())
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt)
        .await
        .context("no answer")?
        .with_context(|| format!("binding to {url} as {LOOKUP_DN}"))
}

/// What `prepare` made.
struct Prepared {
    dir: tempfile::TempDir,
    slapd: PathBuf,
    conf: PathBuf,
}

/// The temp dir with the certificates, slapd.conf and the loaded database (blocking).
fn prepare(parent: &Path) -> Result<Prepared> {
    let slapd = find_tool("slapd")?;
    let slapadd = find_tool("slapadd")?;
    let openssl = find_tool("openssl")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let dir = tempfile::Builder::new()
        .prefix("tessera-load-slapd-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temp dir in {}", parent.display()))?;
    let root = dir.path();
    let root_text = root
        .to_str()
        .with_context(|| format!("{}: not UTF-8", root.display()))?;
    let tls = root.join("tls");
    std::fs::create_dir(&tls).context("creating the tls dir")?;
    let (ca, cert, key) = make_certificates(&openssl, &tls)?;
    let path_text = |p: &Path| p.to_str().unwrap_or_default().to_owned();
    let conf_text = fill_template(
        CONF_TEMPLATE,
        &[
            ("DIR", root_text),
            ("ROOTPW", &root_password()),
            ("CERT", &path_text(&cert)),
            ("KEY", &path_text(&key)),
            ("CA", &path_text(&ca)),
            ("LOOKUP_DN", LOOKUP_DN),
        ],
    )?;
    let conf = root.join("slapd.conf");
    std::fs::write(&conf, conf_text).context("writing slapd.conf")?;
    let ldif = root.join("directory.ldif");
    std::fs::write(&ldif, DIRECTORY_LDIF).context("writing directory.ldif")?;
    std::fs::create_dir(root.join("data")).context("creating the data dir")?;
    let mut load = Command::new(&slapadd);
    load.arg("-q").arg("-f").arg(&conf).arg("-l").arg(&ldif);
    run_bounded(load, "slapadd")?;
    Ok(Prepared { dir, slapd, conf })
}

/// A test CA and a server certificate signed by it (EC P-256, SAN IP:127.0.0.1 and
/// DNS:localhost, two days), as `tests/interop/ldap.py` makes them: (ca, cert, key).
fn make_certificates(openssl: &Path, tls: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let (ca_key, ca, key, csr, ext, cert) = (
        tls.join("ca.key"),
        tls.join("ca.crt"),
        tls.join("server.key"),
        tls.join("server.csr"),
        tls.join("server.ext"),
        tls.join("server.crt"),
    );
    std::fs::write(
        &ext,
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1, DNS:localhost\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n",
    )
    .context("writing the certificate extensions")?;
    let serial = rand::random::<u64>() >> 1;
    let p = |path: &Path| path.as_os_str().to_owned();
    // An EC P-256 private key written to `out`.
    let genpkey = |out: &Path| -> Vec<std::ffi::OsString> {
        vec![
            "genpkey".into(),
            "-algorithm".into(),
            "EC".into(),
            "-pkeyopt".into(),
            "ec_paramgen_curve:P-256".into(),
            "-out".into(),
            p(out),
        ]
    };
    let steps: [Vec<std::ffi::OsString>; 5] = [
        genpkey(&ca_key),
        vec![
            "req".into(),
            "-x509".into(),
            "-new".into(),
            "-key".into(),
            p(&ca_key),
            "-sha256".into(),
            "-days".into(),
            "2".into(),
            "-subj".into(),
            "/O=Tessera tests/CN=Tessera test LDAP CA".into(),
            "-addext".into(),
            "basicConstraints = critical, CA:TRUE".into(),
            "-addext".into(),
            "keyUsage = critical, keyCertSign, cRLSign".into(),
            "-out".into(),
            p(&ca),
        ],
        genpkey(&key),
        vec![
            "req".into(),
            "-new".into(),
            "-key".into(),
            p(&key),
            "-subj".into(),
            "/O=Tessera tests/CN=localhost".into(),
            "-out".into(),
            p(&csr),
        ],
        vec![
            "x509".into(),
            "-req".into(),
            "-in".into(),
            p(&csr),
            "-CA".into(),
            p(&ca),
            "-CAkey".into(),
            p(&ca_key),
            "-set_serial".into(),
            serial.to_string().into(),
            "-sha256".into(),
            "-days".into(),
            "2".into(),
            "-extfile".into(),
            p(&ext),
            "-out".into(),
            p(&cert),
        ],
    ];
    for args in steps {
        let what = format!(
            "openssl {}",
            args.first()
                .map(|a| a.to_string_lossy())
                .unwrap_or_default()
        );
        let mut cmd = Command::new(openssl);
        cmd.args(&args);
        run_bounded(cmd, &what)?;
    }
    Ok((ca, cert, key))
}

/// Runs `cmd` to completion within [`TOOL_TIMEOUT`] (killed after it), its output kept for the
/// error message.
fn run_bounded(mut cmd: Command, what: &str) -> Result<()> {
    let out = tempfile::tempfile().context("a file for a tool's output")?;
    let err = out.try_clone().context("duplicating a file handle")?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            out.try_clone().context("duplicating a file handle")?,
        ))
        .stderr(Stdio::from(err))
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    if !wait_bounded(&mut child, TOOL_TIMEOUT) {
        let _ = child.kill();
        let _ = wait_bounded(&mut child, STOP_TIMEOUT);
        bail!("{what} did not finish within {TOOL_TIMEOUT:?}");
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for {what}"))?;
    if !status.success() {
        use std::io::{Read, Seek};
        let mut out = out;
        let mut text = String::new();
        let _ = out.rewind();
        let _ = out.read_to_string(&mut text);
        bail!("{what} failed ({status}):\n{}", text.trim_end());
    }
    Ok(())
}

/// `name` on the PATH, else in /usr/sbin or /usr/bin (where Debian puts slapd and slapadd).
fn find_tool(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .with_context(|| {
            format!(
                "`{name}` is not installed: the ldap scenario needs OpenLDAP's slapd and slapadd \
                 (Debian packages slapd) and openssl"
            )
        })
}

/// A fresh rootdn password (the rootdn is never used by the tool).
fn root_password() -> String {
    use rand::RngExt;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// The last lines of slapd's log, `<empty>` when there are none.
fn tail(path: &Path) -> String {
    let tail = log_tail(path);
    if tail.is_empty() {
        "<empty>".to_owned()
    } else {
        tail
    }
}

/// `template` with each `@NAME@` replaced by its value on the lines that are not comments
/// (`#` first after optional blanks), as slapd.conf.in asks: values go inside double quotes, so
/// none may hold `"`, `\` or a line break, and no placeholder may be left on such a line.
pub fn fill_template(template: &str, values: &[(&str, &str)]) -> Result<String> {
    for (name, value) in values {
        if value.contains(['"', '\\', '\n', '\r']) {
            bail!(
                "the value of @{name}@ (`{value}`) holds a quote, a backslash or a line break, \
                 which slapd.conf cannot take inside quotes"
            );
        }
    }
    let mut out = String::with_capacity(template.len() + 256);
    for line in template.split_inclusive('\n') {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let mut filled = line.to_owned();
        for (name, value) in values {
            filled = filled.replace(&format!("@{name}@"), value);
        }
        let left = placeholders(&filled);
        if !left.is_empty() {
            bail!("slapd.conf.in: no value for {}", left.join(", "));
        }
        out.push_str(&filled);
    }
    Ok(out)
}

/// The `@NAME@` (upper-case letters and `_`) in `line`.
fn placeholders(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
            .count();
        if len > 0 && after.as_bytes().get(len) == Some(&b'@') {
            found.push(&rest[at..at + len + 2]);
            rest = &after[len + 1..];
        } else {
            rest = after;
        }
    }
    found
}

/// The `MINIO_IDENTITY_LDAP_*` settings for a directory on 127.0.0.1:`port` without TLS.
pub fn server_env(port: u16) -> Vec<(String, String)> {
    [
        ("SERVER_ADDR", format!("127.0.0.1:{port}")),
        ("SERVER_INSECURE", "on".to_owned()),
        ("LOOKUP_BIND_DN", LOOKUP_DN.to_owned()),
        ("LOOKUP_BIND_PASSWORD", LOOKUP_PASSWORD.to_owned()),
        ("USER_DN_SEARCH_BASE_DN", PEOPLE_DN.to_owned()),
        ("USER_DN_SEARCH_FILTER", USER_FILTER.to_owned()),
        ("GROUP_SEARCH_BASE_DN", GROUPS_DN.to_owned()),
        ("GROUP_SEARCH_FILTER", GROUP_FILTER.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("MINIO_IDENTITY_LDAP_{k}"), v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<(&'static str, &'static str)> {
        vec![
            ("DIR", "/tmp/d"),
            ("ROOTPW", "pw"),
            ("CERT", "/tmp/d/tls/server.crt"),
            ("KEY", "/tmp/d/tls/server.key"),
            ("CA", "/tmp/d/tls/ca.crt"),
            ("LOOKUP_DN", LOOKUP_DN),
        ]
    }

    #[test]
    fn placeholders_are_found_only_when_closed() {
        assert_eq!(
            placeholders("a @DIR@/x @LOOKUP_DN@"),
            ["@DIR@", "@LOOKUP_DN@"]
        );
        assert!(placeholders("mail@example.com @lower@ @ @@ @A1@").is_empty());
        assert_eq!(placeholders("@@DIR@"), ["@DIR@"]);
    }

    #[test]
    fn the_template_is_filled_outside_comments() {
        let text = fill_template(CONF_TEMPLATE, &values()).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(
            text.contains("pidfile         \"/tmp/d/slapd.pid\"\n"),
            "{text}"
        );
        assert!(text.contains("directory       \"/tmp/d/data\"\n"));
        assert!(text.contains("rootpw          \"pw\"\n"));
        assert!(text.contains("TLSCACertificateFile    \"/tmp/d/tls/ca.crt\"\n"));
        assert!(text.contains(&format!("by dn.exact=\"{LOOKUP_DN}\" read")));
        // Comments keep their placeholders; nothing else does.
        assert!(text.contains("#   @DIR@ "));
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert!(placeholders(line).is_empty(), "{line}");
        }
        assert_eq!(
            text.lines().count(),
            CONF_TEMPLATE.lines().count(),
            "line for line"
        );
    }

    #[test]
    fn missing_or_unquotable_values_are_refused() {
        let mut few = values();
        few.retain(|(k, _)| *k != "ROOTPW");
        let why = fill_template(CONF_TEMPLATE, &few)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(why.contains("no value for @ROOTPW@"), "{why}");
        for bad in ["a\"b", "a\\b", "a\nb"] {
            let mut v = values();
            v[1] = ("ROOTPW", bad);
            let why = fill_template(CONF_TEMPLATE, &v)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(why.contains("@ROOTPW@"), "{why}");
        }
        assert_eq!(
            fill_template("# @X@\nplain\n", &[]).ok().as_deref(),
            Some("# @X@\nplain\n")
        );
    }

    #[test]
    fn the_ldif_has_the_scenario_accounts() {
        assert!(DIRECTORY_LDIF.contains(&format!("dn: {LOOKUP_DN}\n")));
        assert!(DIRECTORY_LDIF.contains(&format!("userPassword: {LOOKUP_PASSWORD}\n")));
        assert!(DIRECTORY_LDIF.contains(&format!("dn: {READERS_DN}\n")));
        for (user, password) in USERS {
            let dn = format!("uid={user},{PEOPLE_DN}");
            assert!(DIRECTORY_LDIF.contains(&format!("dn: {dn}\n")), "{dn}");
            assert!(DIRECTORY_LDIF.contains(&format!("member: {dn}\n")), "{dn}");
            assert!(DIRECTORY_LDIF.contains(&format!("userPassword: {password}\n")));
        }
    }

    #[test]
    fn server_env_points_tessera_at_the_plain_port() {
        let env = server_env(3389);
        let get = |k: &str| {
            env.iter()
                .find(|(name, _)| name == &format!("MINIO_IDENTITY_LDAP_{k}"))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("SERVER_ADDR"), Some("127.0.0.1:3389"));
        assert_eq!(get("SERVER_INSECURE"), Some("on"));
        assert_eq!(get("LOOKUP_BIND_DN"), Some(LOOKUP_DN));
        assert_eq!(get("LOOKUP_BIND_PASSWORD"), Some("lookup-secret"));
        assert_eq!(
            get("USER_DN_SEARCH_BASE_DN"),
            Some("ou=people,dc=tessera,dc=test")
        );
        assert_eq!(get("USER_DN_SEARCH_FILTER"), Some("(uid=%s)"));
        assert_eq!(
            get("GROUP_SEARCH_BASE_DN"),
            Some("ou=groups,dc=tessera,dc=test")
        );
        assert_eq!(
            get("GROUP_SEARCH_FILTER"),
            Some("(&(objectclass=groupOfNames)(member=%d))")
        );
        assert_eq!(env.len(), 8);
        assert!(
            env.iter()
                .all(|(k, _)| k.starts_with("MINIO_IDENTITY_LDAP_"))
        );
    }

    #[tokio::test]
    async fn slapd_starts_binds_and_stops() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let slapd = Slapd::start(parent.path())
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let url = slapd.url();
        assert!(url.starts_with("ldap://127.0.0.1:"));
        assert!(slapd.pid().is_some());
        probe(&url).await.unwrap_or_else(|e| panic!("{e:#}"));
        tokio::task::spawn_blocking(move || slapd.stop())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(probe(&url).await.is_err(), "stopped");
        let left = std::fs::read_dir(parent.path())
            .map(Iterator::count)
            .unwrap_or(99);
        assert_eq!(left, 0, "the temp dir is removed");
    }
}
