"""A throwaway OpenLDAP directory for the interop tests (imported as `ldap`).

`Slapd(workdir)` builds and runs one slapd (Debian's OpenLDAP 2.5) entirely inside `workdir`:

    start()       the first time: a test CA and a server certificate (SAN IP:127.0.0.1 and
                  DNS:localhost, EC P-256, two days) made with the openssl CLI, slapd.conf filled
                  from tests/ldap/slapd.conf.in, tests/ldap/directory.ldif loaded with slapadd;
                  then slapd on two free 127.0.0.1 ports (plain LDAP with StartTLS, and LDAPS),
                  in a session of its own, returning once the lookup account can bind
    stop()        SIGTERM to its pid (continued first if paused), SIGKILL after STOP_TIMEOUT
    restart()     stop, then start again on the same ports with the same data (a port still
                  held is retried for up to RESTART_BIND_TIMEOUT seconds)
    pause()       SIGSTOP: connections are still accepted by the kernel, nothing answers
    resume()      SIGCONT
    tessera_env(mode)   the MINIO_IDENTITY_LDAP_* (and TESSERA_IDENTITY_LDAP_CA_FILE) variables
                  that point Tessera at it: mode "plain", "ldaps" or "starttls"

and drives it with ldap-utils (ldapsearch, ldapwhoami, ldapmodify) for the tests' own checks:
`search`, `whoami`, `modify` (as the rootdn). tests/ldap/directory.ldif lists the accounts and
groups; USER_DNS, GROUP_MEMBERS and PASSWORDS below are the same facts as constants, with DNs in
the form slapd returns them (an escaped comma comes back as `\\2C`).

The session fixture `slapd` (re-exported by conftest.py) starts one directory for the test
session, and `running_slapd(workdir)` one for a fixture of a test module's own. Both fail, rather
than skip, when slapd, slapadd, ldap-utils or openssl are missing: scripts/test installs them
(Debian slapd and ldap-utils, without a system instance).
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import _free_ports, _read, _tail, stop_process

REPO = Path(__file__).resolve().parents[2]
LDAP_DIR = REPO / "tests" / "ldap"
CONF_TEMPLATE = LDAP_DIR / "slapd.conf.in"
DIRECTORY_LDIF = LDAP_DIR / "directory.ldif"

START_TIMEOUT = 10.0  # from exec to a successful bind of the lookup account
RESTART_BIND_TIMEOUT = 10.0  # how long a restart retries ports still in use
STOP_TIMEOUT = 10.0
TOOL_TIMEOUT = 10.0  # default bound on one ldapsearch / ldapwhoami / ldapmodify
START_ATTEMPTS = 3  # fresh port pairs tried when the picked ports were taken meanwhile

BASE_DN = "dc=tessera,dc=test"
ROOT_DN = "cn=admin,dc=tessera,dc=test"
PEOPLE_DN = "ou=people,dc=tessera,dc=test"
CONTRACTORS_DN = "ou=contractors,dc=tessera,dc=test"
GROUPS_DN = "ou=groups,dc=tessera,dc=test"
SERVICE_DN = "ou=service,dc=tessera,dc=test"
LOOKUP_DN = "cn=lookup,ou=service,dc=tessera,dc=test"
LOOKUP_PASSWORD = "lookup-secret"
USER_SEARCH_BASES = (PEOPLE_DN, CONTRACTORS_DN)
USER_SEARCH_FILTER = "(uid=%s)"
GROUP_SEARCH_FILTER = "(&(objectclass=groupOfNames)(member=%d))"

# Test-only passwords of directory.ldif, by uid (twin has the same one in both entries).
PASSWORDS = {
    "alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret",
    "eve": "eve-secret", "evelyn": "evelyn-secret", "eve*(x)": "star-secret",
    "frank,jr": "frank-secret", "twin": "twin-secret", "dave": "dave-secret",
}
# Each uid's entries, DNs as slapd returns them (normalised: `\,` comes back as `\2C`).
USER_DNS = {
    "alice": ["uid=alice,ou=people,dc=tessera,dc=test"],
    "bob": ["uid=bob,ou=people,dc=tessera,dc=test"],
    "carol": ["uid=carol,ou=people,dc=tessera,dc=test"],
    "eve": ["uid=eve,ou=people,dc=tessera,dc=test"],
    "evelyn": ["uid=evelyn,ou=people,dc=tessera,dc=test"],
    "eve*(x)": ["uid=eve*(x),ou=people,dc=tessera,dc=test"],
    "frank,jr": ["uid=frank\\2Cjr,ou=people,dc=tessera,dc=test"],
    "twin": ["uid=twin,ou=people,dc=tessera,dc=test",
             "uid=twin,ou=contractors,dc=tessera,dc=test"],
    "dave": ["uid=dave,ou=contractors,dc=tessera,dc=test"],
}
# Group DN -> member DNs (normalised form; slapd returns `member` values as they were written,
# so frank's reads `uid=frank\,jr,...` there).
GROUP_MEMBERS = {
    "cn=readers,ou=groups,dc=tessera,dc=test": [
        "uid=alice,ou=people,dc=tessera,dc=test", "uid=bob,ou=people,dc=tessera,dc=test",
        "uid=frank\\2Cjr,ou=people,dc=tessera,dc=test"],
    "cn=writers,ou=groups,dc=tessera,dc=test": ["uid=alice,ou=people,dc=tessera,dc=test"],
    "cn=contractors,ou=groups,dc=tessera,dc=test": [
        "uid=dave,ou=contractors,dc=tessera,dc=test"],
    "cn=nomap,ou=groups,dc=tessera,dc=test": ["uid=carol,ou=people,dc=tessera,dc=test"],
}

MODES = ("plain", "ldaps", "starttls")
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")


class SlapdError(Exception):
    """The harness could not set up, start or stop slapd (the message says why)."""


class LdapError(Exception):
    """An ldap-utils command failed: `returncode` is its exit status (the LDAP result code,
    e.g. 49 invalid credentials, 50 insufficient access, 32 no such object), None when it was
    stopped after its timeout (`timed_out`)."""

    def __init__(self, message: str, returncode: int | None, stderr: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def find_tool(name: str) -> str:
    """The path of a program the harness runs (also looked for in /usr/sbin, where Debian puts
    slapd and slapadd); SlapdError naming scripts/test when it is missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise SlapdError(f"{name} is not installed: run scripts/test, which installs the "
                         "Debian packages slapd and ldap-utils (and openssl) when missing")
    return found


def fill_template(template: str, values: dict[str, str]) -> str:
    """slapd.conf.in with each @NAME@ replaced by values[NAME] in the lines that are not
    comments; SlapdError if such a line keeps a placeholder that has no value."""
    lines = []
    for line in template.splitlines(keepends=True):
        if not line.lstrip().startswith("#"):
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
            left = _PLACEHOLDER.findall(line)
            if left:
                raise SlapdError(f"{CONF_TEMPLATE}: no value for {', '.join(left)}")
        lines.append(line)
    return "".join(lines)


def _run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None,
         input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)


def parse_ldif(text: str) -> list[dict[str, list[str]]]:
    """Entries of unwrapped LDIF (ldapsearch -LLL -o ldif-wrap=no): each a dict with "dn" (a
    one-item list) and every attribute's values; base64 (`attr::`) values are decoded."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry: dict[str, list[str]] = {}
        for line in block.splitlines():
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition(":")
            if not sep:
                continue
            if value.startswith(":"):
                value = base64.b64decode(value[1:].strip()).decode("utf-8", "replace")
            else:
                value = value[1:] if value.startswith(" ") else value
            entry.setdefault(name, []).append(value)
        if "dn" in entry:
            entries.append(entry)
    return entries


class Slapd:
    """One slapd in `workdir` (created if missing). `start()` before use, `stop()` after."""

    def __init__(self, workdir: Path):
        self.dir = Path(workdir).resolve()
        if re.search(r'["\\\s]', str(self.dir)):
            raise SlapdError(f"{self.dir}: the slapd directory must not hold quotes, "
                             "backslashes or white space (slapd.conf.in puts it in quotes)")
        self.ldap_port: int | None = None
        self.ldaps_port: int | None = None
        self.base_dn = BASE_DN
        self.root_dn = ROOT_DN
        self.root_password = secrets.token_hex(16)
        self.lookup_dn = LOOKUP_DN
        self.lookup_password = LOOKUP_PASSWORD
        self.ca_file = self.dir / "tls" / "ca.pem"
        self.cert_file = self.dir / "tls" / "server.pem"
        self.key_file = self.dir / "tls" / "server.key"
        self.conf_file = self.dir / "slapd.conf"
        self.data_dir = self.dir / "data"
        self.log_file: Path | None = None  # stderr of the current (or last) slapd process
        self.paused = False
        self._proc: subprocess.Popen | None = None
        self._prepared = False
        self._starts = 0

    # -- addresses ------------------------------------------------------------------------------

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def tessera_env(self, mode: str = "plain") -> dict[str, str]:
        """The environment that points Tessera's LDAP identity at this directory: "plain"
        (LDAP without TLS, SERVER_INSECURE=on), "ldaps" (the LDAPS port) or "starttls" (the
        plain port with SERVER_STARTTLS=on); the TLS modes trust the test CA through
        TESSERA_IDENTITY_LDAP_CA_FILE."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if self.ldap_port is None:
            raise SlapdError("slapd has not been started")
        port = self.ldaps_port if mode == "ldaps" else self.ldap_port
        env = {
            "MINIO_IDENTITY_LDAP_SERVER_ADDR": f"127.0.0.1:{port}",
            "MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN": self.lookup_dn,
            "MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD": self.lookup_password,
            "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN": ";".join(USER_SEARCH_BASES),
            "MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER": USER_SEARCH_FILTER,
            "MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN": GROUPS_DN,
            "MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER": GROUP_SEARCH_FILTER,
            "MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES": "mail",
        }
        if mode == "plain":
            env["MINIO_IDENTITY_LDAP_SERVER_INSECURE"] = "on"
        elif mode == "starttls":
            env["MINIO_IDENTITY_LDAP_SERVER_STARTTLS"] = "on"
        if mode != "plain":
            env["TESSERA_IDENTITY_LDAP_CA_FILE"] = str(self.ca_file)
        return env

    # -- set-up ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Certificates, slapd.conf and the loaded database, once per instance."""
        for tool in ("slapd", "slapadd", "ldapsearch", "ldapwhoami", "ldapmodify", "openssl"):
            find_tool(tool)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._make_certificates()
        self.conf_file.write_text(fill_template(CONF_TEMPLATE.read_text(), {
            "DIR": str(self.dir), "ROOTPW": self.root_password, "CERT": str(self.cert_file),
            "KEY": str(self.key_file), "CA": str(self.ca_file), "LOOKUP_DN": self.lookup_dn}))
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir()
        out = _run([find_tool("slapadd"), "-q", "-f", str(self.conf_file),
                    "-l", str(DIRECTORY_LDIF)], timeout=60)
        if out.returncode != 0:
            raise SlapdError(f"slapadd of {DIRECTORY_LDIF} failed ({out.returncode}):\n"
                             f"{out.stdout}{out.stderr}")
        self._prepared = True

    def _make_certificates(self) -> None:
        """A CA and a server certificate signed by it, EC P-256, valid for two days."""
        tls = self.ca_file.parent
        tls.mkdir(parents=True, exist_ok=True)
        openssl = find_tool("openssl")
        ca_key = tls / "ca.key"
        csr = tls / "server.csr"
        ext = tls / "server.ext"
        ext.write_text("basicConstraints = critical, CA:FALSE\n"
                       "keyUsage = critical, digitalSignature, keyEncipherment\n"
                       "extendedKeyUsage = serverAuth\n"
                       "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                       "subjectKeyIdentifier = hash\n"
                       "authorityKeyIdentifier = keyid\n")
        steps = [
            [openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(ca_key)],
            [openssl, "req", "-x509", "-new", "-key", str(ca_key), "-sha256", "-days", "2",
             "-subj", "/O=Tessera tests/CN=Tessera test LDAP CA",
             "-addext", "basicConstraints = critical, CA:TRUE",
             "-addext", "keyUsage = critical, keyCertSign, cRLSign",
             "-out", str(self.ca_file)],
            [openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(self.key_file)],
            [openssl, "req", "-new", "-key", str(self.key_file), "-subj",
             "/O=Tessera tests/CN=localhost", "-out", str(csr)],
            [openssl, "x509", "-req", "-in", str(csr), "-CA", str(self.ca_file),
             "-CAkey", str(ca_key), "-set_serial", str(secrets.randbits(63)), "-sha256",
             "-days", "2", "-extfile", str(ext), "-out", str(self.cert_file)],
        ]
        for cmd in steps:
            out = _run(cmd, timeout=60)
            if out.returncode != 0:
                raise SlapdError(f"{' '.join(cmd[:3])} failed ({out.returncode}):\n"
                                 f"{out.stdout}{out.stderr}")

    # -- process --------------------------------------------------------------------------------

    def start(self) -> None:
        """Set up (the first time) and start slapd; returns once the lookup account binds on
        the plain port and the LDAPS port accepts connections. On a first start the ports are
        fresh free ones (another pair is tried if one was taken in the meantime); after that
        they stay the same, and a port still in use is retried for RESTART_BIND_TIMEOUT."""
        if self._proc is not None:
            raise SlapdError("slapd is already running")
        if not self._prepared:
            self._prepare()
        if self.ldap_port is None:
            for attempt in range(START_ATTEMPTS):
                self.ldap_port, self.ldaps_port = _free_ports(2)
                try:
                    self._launch()
                    return
                except _PortInUse:
                    if attempt == START_ATTEMPTS - 1:
                        raise SlapdError(f"no free port pair after {START_ATTEMPTS} tries:\n"
                                         f"{self._log_tail()}") from None
        else:
            deadline = time.monotonic() + RESTART_BIND_TIMEOUT
            while True:
                try:
                    self._launch()
                    return
                except _PortInUse:
                    if time.monotonic() >= deadline:
                        raise SlapdError(
                            f"ports {self.ldap_port}/{self.ldaps_port} still in use after "
                            f"{RESTART_BIND_TIMEOUT}s:\n{self._log_tail()}") from None
                    time.sleep(0.2)

    def _launch(self) -> None:
        self._starts += 1
        self.log_file = self.dir / f"slapd.{self._starts}.log"
        urls = f"ldap://127.0.0.1:{self.ldap_port}/ ldaps://127.0.0.1:{self.ldaps_port}/"
        # -d keeps slapd in the foreground (the pid is slapd's own) and logs to stderr; "none"
        # logs only high-priority messages (start, stop, errors such as a port in use).
        cmd = [find_tool("slapd"), "-f", str(self.conf_file), "-h", urls, "-d", "none"]
        with open(self.log_file, "wb") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                          cwd=self.dir, start_new_session=True)
        self.paused = False
        deadline = time.monotonic() + START_TIMEOUT
        last = "none"
        try:
            while time.monotonic() < deadline:
                code = self._proc.poll()
                if code is not None:
                    log_text = _read(self.log_file)
                    self._proc = None
                    if "Address already in use" in log_text:
                        raise _PortInUse()
                    raise SlapdError(f"slapd exited with code {code}")
                try:
                    self.whoami(self.lookup_dn, self.lookup_password, timeout=3)
                    with socket.create_connection(("127.0.0.1", self.ldaps_port), timeout=2):
                        pass
                    return
                except (LdapError, OSError) as e:
                    last = str(e)
                time.sleep(0.05)
            raise SlapdError(f"slapd did not accept a bind of {self.lookup_dn} within "
                             f"{START_TIMEOUT}s (ports {self.ldap_port}/{self.ldaps_port}; "
                             f"last error: {last})")
        except _PortInUse:
            raise
        except BaseException as e:
            self.stop()
            if not isinstance(e, SlapdError):
                raise
            raise SlapdError(f"{e}\nslapd log ({self.log_file}):\n{self._log_tail()}")

    def _log_tail(self) -> str:
        """The last 30 lines of the current (or last) slapd process's log."""
        return _tail(self.log_file, 30)

    def stop(self) -> None:
        """Stop slapd by its pid: SIGTERM (and SIGCONT if paused, so it can act on it), then
        SIGKILL after STOP_TIMEOUT seconds. The data and ports stay for restart()."""
        proc, self._proc = self._proc, None
        was_paused, self.paused = self.paused, False
        if proc is not None:
            stop_process(proc, STOP_TIMEOUT, resume=was_paused)

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same data (changes made at run time
        are kept; the certificates and root password too)."""
        if not self._prepared:
            raise SlapdError("slapd has not been started")
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: a hanging directory (connects succeed through the kernel's backlog, no
        request is answered) until resume()."""
        if self._proc is None or self._proc.poll() is not None:
            raise SlapdError("slapd is not running")
        self._proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT after pause()."""
        if self._proc is None or self._proc.poll() is not None:
            raise SlapdError("slapd is not running")
        self._proc.send_signal(signal.SIGCONT)
        self.paused = False

    # -- ldap-utils -----------------------------------------------------------------------------

    def tool_env(self, ca_file: Path | str | None = None) -> dict[str, str]:
        """The environment for ldap-utils: no system or user ldap.conf / ldaprc, the test CA
        (or `ca_file`) as the only trusted one, certificates always checked."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
        env.update(LDAPCONF="/dev/null", LDAPRC="tessera-no-ldaprc", HOME=str(self.dir),
                   LDAPTLS_CACERT=str(ca_file or self.ca_file), LDAPTLS_REQCERT="demand")
        return env

    def _connection_args(self, mode: str) -> list[str]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode == "ldaps":
            return ["-H", self.ldaps_url]
        return ["-H", self.ldap_url] + (["-ZZ"] if mode == "starttls" else [])

    def run_tool(self, tool: str, args: list[str], *, mode: str = "plain",
                 bind_dn: str | None = None, password: str | None = None,
                 timeout: float = TOOL_TIMEOUT, input: str | None = None,
                 ca_file: Path | str | None = None) -> str:
        """Run an ldap-utils program (simple bind as bind_dn, anonymous without one) against
        this directory and return its stdout; LdapError when it fails or times out."""
        cmd = [find_tool(tool), "-x", *self._connection_args(mode), "-o", "nettimeout=3"]
        if bind_dn is not None:
            cmd += ["-D", bind_dn, "-w", password or ""]
        cmd += args
        try:
            out = _run(cmd, timeout=timeout, env=self.tool_env(ca_file), input=input)
        except subprocess.TimeoutExpired:
            raise LdapError(f"{tool} ({mode}) timed out after {timeout}s", None) from None
        if out.returncode != 0:
            raise LdapError(f"{tool} ({mode}) failed with {out.returncode}: "
                            f"{out.stderr.strip()}", out.returncode, out.stderr)
        return out.stdout

    def search(self, base: str, filter: str = "(objectClass=*)", attrs: tuple[str, ...] = (),
               *, scope: str = "sub", bind_dn: str | None = LOOKUP_DN,
               password: str | None = LOOKUP_PASSWORD, mode: str = "plain",
               timeout: float = TOOL_TIMEOUT) -> list[dict[str, list[str]]]:
        """ldapsearch (as the lookup account by default): the entries found, see parse_ldif.
        `filter` is passed as is: escaping is the caller's."""
        out = self.run_tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-s", scope,
                                           "-b", base, filter, *attrs],
                            mode=mode, bind_dn=bind_dn, password=password, timeout=timeout)
        return parse_ldif(out)

    def search_dns(self, base: str, filter: str, **kwargs) -> list[str]:
        """The DNs `search` finds (no attributes requested), in slapd's order."""
        return [e["dn"][0] for e in self.search(base, filter, ("1.1",), **kwargs)]

    def whoami(self, bind_dn: str, password: str, *, mode: str = "plain",
               timeout: float = TOOL_TIMEOUT, ca_file: Path | str | None = None) -> str:
        """Simple bind and the Who am I? extended operation: the authzId slapd answers, e.g.
        "dn:uid=alice,ou=people,dc=tessera,dc=test" ("anonymous" for an empty password)."""
        return self.run_tool("ldapwhoami", [], mode=mode, bind_dn=bind_dn, password=password,
                             timeout=timeout, ca_file=ca_file).strip()

    def modify(self, ldif: str, *, timeout: float = TOOL_TIMEOUT) -> None:
        """ldapmodify as the rootdn (ACLs do not apply), with `changetype:` records in ldif."""
        self.run_tool("ldapmodify", [], bind_dn=self.root_dn, password=self.root_password,
                      timeout=timeout, input=ldif)


class _PortInUse(Exception):
    """slapd exited because one of its ports was taken (retried by start())."""


@contextlib.contextmanager
def running_slapd(workdir: Path) -> Iterator[Slapd]:
    """A started Slapd in `workdir`, stopped on leaving; the test fails (not skips) when it
    cannot start. For fixtures: `with running_slapd(dir) as server: yield server`."""
    server = Slapd(workdir)
    try:
        server.start()
    except SlapdError as e:
        pytest.fail(f"OpenLDAP test directory: {e}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def slapd(tmp_path_factory) -> Slapd:
    """One OpenLDAP directory for the test session (fails, not skips, without slapd and
    ldap-utils: scripts/test installs them). Tests that pause, restart or modify it should use
    a Slapd of their own."""
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server
