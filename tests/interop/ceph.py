"""A throwaway Ceph cluster with radosgw for the interop tests (imported as `ceph`): a real S3
peer for the tests of Tessera's upstream S3 object backend.

`Ceph(workdir)` builds and runs one monitor, one OSD and one radosgw (Debian's Ceph 16.2
Pacific) entirely inside `workdir`, all on 127.0.0.1, with no ceph-mgr. `Ceph(workdir,
sts=True)` also enables radosgw's STS (AssumeRole): its rgw section gets `rgw sts key = <16
random alphanumeric characters>` (`sts_key`, the key of its session tokens) and `rgw s3 auth
use sts = true`; roles are then made with `admin("role", "create", ...)` and
`admin_text("role-policy", "put", ...)`. Without it (the default, which the interop tests use)
radosgw has no STS.

    start()       writes workdir/ceph.conf (a fresh fsid; one monitor speaking msgr2 only on a
                  free port; cephx with every keyring under workdir; run dir, admin sockets,
                  logs, pid files, monitor and OSD data under workdir; pools of size 1 with small
                  pg counts; the OSD on memstore, so objects live in its memory), creates and
                  starts the monitor, creates and starts the OSD, gives radosgw a key and starts
                  it on a second free port, waits until an unauthenticated GET / there answers
                  HTTP (at most START_TIMEOUT in all), then creates the S3 user "tessera-service"
                  with radosgw-admin. `start_seconds` is how long all that took.
    stop()        radosgw, the OSD, then the monitor, each by its pid file in workdir/run
                  (radosgw in the foreground writes none, so the harness writes its pid there):
                  SIGCONT (in case it was paused), SIGTERM, SIGKILL after STOP_TIMEOUT; each is
                  reaped. The directory is left as is.
    pause_rgw()   SIGSTOP to radosgw: connections are still accepted by the kernel, nothing
                  answers (an upstream that hangs)
    resume_rgw()  SIGCONT
    stop_rgw()    radosgw alone, as stop() does it; the monitor and the OSD keep the data
    start_rgw()   radosgw again on the same port, returning once it answers HTTP
    rgw_pid       radosgw's pid while it runs, else None
    endpoint      http://127.0.0.1:PORT, radosgw's S3 endpoint (region "us-east-1" is accepted
                  by its default zonegroup)
    service_access_key, service_secret_key    the keys of the "tessera-service" user
    admin(*args)  run radosgw-admin against this cluster, its JSON output parsed (more users,
                  quotas, bucket stats for the tests' own checks)
    admin_text(*args)   the same, its stdout as text (commands that print no JSON)
    ceph_cli(*args)   run the `ceph` command against this cluster, its stdout returned
    rss_bytes()   resident memory of the running daemons, by name (mon, osd, rgw)

Every command gets `-c workdir/ceph.conf` and an environment without CEPH_ARGS or CEPH_CONF, so
nothing in /etc/ceph is read or written. The daemons run in the foreground (`-f`) in sessions
of their own, as children of the test process, logging to workdir/log. The workdir path must
be short enough for the admin sockets (a UNIX socket path has at most 107 bytes).

The session fixture `ceph` (re-exported by conftest.py) starts one cluster for the test session.
It fails, rather than skips, when the Ceph programs are missing: scripts/test installs the
Debian packages ceph-mon, ceph-osd, radosgw and ceph-common. Tests that stop or pause radosgw
may share it but must leave it running; tests that need the cluster to themselves should make a
Ceph of their own.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from helpers import _free_ports, _read, _tail

START_TIMEOUT = 60.0  # from the first command to radosgw answering HTTP
RGW_START_TIMEOUT = 60.0  # start_rgw(): from exec to radosgw answering HTTP
STOP_TIMEOUT = 15.0  # per daemon, SIGTERM to exit (radosgw takes a few seconds)
TOOL_TIMEOUT = 30.0  # default bound on one ceph / radosgw-admin / ceph-authtool command

SERVICE_UID = "tessera-service"
SERVICE_DISPLAY_NAME = "Tessera upstream service account"
MON_ID = "a"
RGW_NAME = "client.rgw.a"
MEMSTORE_BYTES = 1 << 30  # the capacity the OSD reports; memory is used only as data comes

TOOLS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool",
         "monmaptool")


def _sts_key() -> str:
    """radosgw's `rgw sts key`: 16 random alphanumeric characters (it is used as an AES-128
    key for the session tokens, so exactly 16 bytes)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


class CephError(Exception):
    """The harness could not set up, start or stop the cluster (the message says why)."""


def find_tool(name: str) -> str:
    """The path of a Ceph program; CephError naming scripts/test when it is missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise CephError(f"{name} is not installed: run scripts/test, which installs the Debian "
                        "packages ceph-mon, ceph-osd, radosgw and ceph-common when missing")
    return found


def _alive(pid: int) -> bool:
    """pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class _Daemon:
    """One foreground daemon process: its Popen (to reap it) and its pid file (to signal it).
    ceph-mon and ceph-osd write their pid file themselves; radosgw writes none when it runs in
    the foreground, so for it (writes_pid_file=False) the harness writes the started pid."""

    def __init__(self, name: str, pid_file: Path, out_file: Path, writes_pid_file: bool = True):
        self.name = name
        self.pid_file = pid_file
        self.out_file = out_file  # its stdout and stderr (the real log is log/<name>.log)
        self.writes_pid_file = writes_pid_file
        self.proc: subprocess.Popen | None = None
        self.paused = False

    def start(self, cmd: list[str], env: dict[str, str]) -> None:
        self.pid_file.unlink(missing_ok=True)
        with open(self.out_file, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         env=env, start_new_session=True)
        if not self.writes_pid_file:
            self.pid_file.write_text(f"{self.proc.pid}\n")
        self.paused = False

    @property
    def pid(self) -> int | None:
        """The pid the daemon wrote to its pid file, else the one it was started with."""
        text = _read(self.pid_file).strip()
        if text.isdigit():
            return int(text)
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        pid = self.pid
        if pid is None or not self.running():
            raise CephError(f"{self.name} is not running")
        os.kill(pid, sig)

    def stop(self) -> None:
        """SIGCONT, SIGTERM, then SIGKILL after STOP_TIMEOUT, by the pid file's pid (which is
        the started process's: the daemons run with -f); the process is reaped either way."""
        if self.proc is None:
            return
        pids = {p for p in (self.pid, self.proc.pid) if p is not None}
        if self.proc.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGTERM):
                for pid in pids:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.wait(timeout=STOP_TIMEOUT)
        for pid in pids - {self.proc.pid}:  # a pid file naming another process: bounded wait
            deadline = time.monotonic() + STOP_TIMEOUT
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.proc = None
        self.paused = False
        self.pid_file.unlink(missing_ok=True)


class Ceph:
    """One monitor, one memstore OSD and one radosgw in `workdir` (created if missing).
    `start()` before use, `stop()` after."""

    def __init__(self, workdir: Path, *, sts: bool = False):
        self.dir = Path(workdir).resolve()
        # Opt-in STS (AssumeRole): radosgw gets a session-token key and authenticates
        # temporary credentials. Off by default, so the interop tests see plain radosgw.
        self.sts_key: str | None = _sts_key() if sts else None
        self.conf_file = self.dir / "ceph.conf"
        self.run_dir = self.dir / "run"
        self.log_dir = self.dir / "log"
        self.keyring_dir = self.dir / "keyring"
        # The longest admin socket is a client's: ceph-client.admin.PID.CCTID.asok.
        if len(str(self.run_dir)) + len("/ceph-client.admin.4194304.140737488355328.asok") > 107:
            raise CephError(f"{self.dir}: too long a path for the admin sockets under it "
                            "(a UNIX socket path has at most 107 bytes)")
        self.fsid = str(uuid.uuid4())
        self.mon_port: int | None = None
        self.rgw_port: int | None = None
        self.osd_id: int | None = None
        self.service_access_key: str | None = None
        self.service_secret_key: str | None = None
        self.start_seconds: float | None = None
        self._mon = _Daemon("mon", self.run_dir / f"ceph-mon.{MON_ID}.pid",
                            self.log_dir / f"mon.{MON_ID}.out")
        self._osd: _Daemon | None = None
        self._rgw = _Daemon("rgw", self.run_dir / f"ceph-{RGW_NAME}.pid",
                            self.log_dir / f"{RGW_NAME}.out", writes_pid_file=False)
        self._started = False

    # -- addresses ------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if self.rgw_port is None:
            raise CephError("the cluster has not been started")
        return f"http://127.0.0.1:{self.rgw_port}"

    @property
    def rgw_pid(self) -> int | None:
        return self._rgw.pid if self._rgw.running() else None

    # -- commands -------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment of every command and daemon: no CEPH_ARGS, no CEPH_CONF."""
        return {k: v for k, v in os.environ.items() if k not in ("CEPH_ARGS", "CEPH_CONF")}

    def _run(self, tool: str, args: list[str], *, timeout: float = TOOL_TIMEOUT,
             conf: bool = True) -> str:
        cmd = [find_tool(tool)] + (["-c", str(self.conf_file)] if conf else []) + args
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                 env=self.env(), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise CephError(f"{' '.join(cmd[:4])} ... timed out after {timeout}s") from None
        if out.returncode != 0:
            raise CephError(f"{' '.join(cmd)} failed ({out.returncode}):\n"
                            f"{out.stdout}{out.stderr}")
        return out.stdout

    def ceph_cli(self, *args: str, timeout: float = TOOL_TIMEOUT) -> str:
        """`ceph -c ceph.conf ARGS` as client.admin: its stdout."""
        return self._run("ceph", ["--connect-timeout", str(int(timeout)), *args],
                         timeout=timeout + 5)

    def admin(self, *args: str, timeout: float = TOOL_TIMEOUT):
        """`radosgw-admin -c ceph.conf ARGS` as client.admin: its JSON output parsed (None
        when it printed nothing)."""
        out = self._run("radosgw-admin", list(args), timeout=timeout)
        return json.loads(out) if out.strip() else None

    def admin_text(self, *args: str, timeout: float = TOOL_TIMEOUT) -> str:
        """`radosgw-admin -c ceph.conf ARGS` as client.admin, for the commands that print a
        sentence rather than JSON (`role-policy put`): its stdout."""
        return self._run("radosgw-admin", list(args), timeout=timeout)

    def _authtool(self, *args: str) -> str:
        return self._run("ceph-authtool", list(args), conf=False)

    # -- configuration --------------------------------------------------------------------------

    def _config(self) -> str:
        d = self.dir
        return f"""\
# Written by tests/interop/ceph.py for one throwaway test cluster.
[global]
fsid = {self.fsid}
mon host = [v2:127.0.0.1:{self.mon_port}]
mon initial members = {MON_ID}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
run dir = {d}/run
admin socket = $run_dir/$cluster-$name.asok
pid file = $run_dir/$cluster-$name.pid
log file = {d}/log/$name.log
log to stderr = false
err to stderr = true
mon cluster log file = {d}/log/cluster.log
crash dir = {d}/crash
mon data = {d}/mon/$cluster-$id
osd data = {d}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = {MEMSTORE_BYTES}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
paxos propose interval = 0.01
rgw enable lc threads = false

[client]
keyring = {d}/keyring/$name.keyring
admin socket = $run_dir/$cluster-$name.$pid.$cctid.asok

[{RGW_NAME}]
admin socket = $run_dir/$cluster-$name.asok
rgw frontends = beast endpoint=127.0.0.1:{self.rgw_port} tcp_nodelay=1
rgw data = {d}/rgw
rgw thread pool size = 64
{self._sts_config()}"""

    def _sts_config(self) -> str:
        """The rgw section's STS lines when STS is enabled, else nothing."""
        if self.sts_key is None:
            return ""
        return f"rgw sts key = {self.sts_key}\nrgw s3 auth use sts = true\n"

    # -- set-up ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Build and start the cluster (once per instance); returns once radosgw answers HTTP
        and the service user exists. CephError, with the failing daemon's log, otherwise."""
        if self._started:
            raise CephError("start() is once per Ceph: use start_rgw() to restart radosgw")
        for tool in TOOLS:
            find_tool(tool)
        began = time.monotonic()
        deadline = began + START_TIMEOUT
        self._started = True
        try:
            self._create(deadline)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began

    def _create(self, deadline: float) -> None:
        for sub in ("run", "log", "keyring", "mon", "osd", "rgw", "crash"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.mon_port, self.rgw_port = _free_ports(2)
        self.conf_file.write_text(self._config())
        env = self.env()

        # Monitor: its keyring (with client.admin's key imported), a monmap, mkfs, start.
        mon_keyring = self.keyring_dir / "mon.keyring"
        admin_keyring = self.keyring_dir / "client.admin.keyring"
        self._authtool("--create-keyring", str(mon_keyring), "--gen-key", "-n", "mon.",
                       "--cap", "mon", "allow *")
        self._authtool("--create-keyring", str(admin_keyring), "--gen-key", "-n",
                       "client.admin", "--cap", "mon", "allow *", "--cap", "osd", "allow *",
                       "--cap", "mds", "allow *", "--cap", "mgr", "allow *")
        self._authtool(str(mon_keyring), "--import-keyring", str(admin_keyring))
        monmap = self.dir / "monmap"
        self._run("monmaptool", ["--create", "--clobber", "--fsid", self.fsid, "--addv", MON_ID,
                                 f"[v2:127.0.0.1:{self.mon_port}]", str(monmap)], conf=False)
        self._run("ceph-mon", ["--mkfs", "-i", MON_ID, "--monmap", str(monmap),
                               "--keyring", str(mon_keyring)])
        self._mon.start([find_tool("ceph-mon"), "-c", str(self.conf_file), "-f", "-i", MON_ID],
                        env)

        # OSD: registered with its cephx secret, its keyring written by ceph-authtool (ceph-osd
        # --mkfs --key does not write one with memstore, and mkfs itself needs it to fetch the
        # monitor's config), mkfs, start.
        osd_uuid = str(uuid.uuid4())
        osd_key = self._authtool("--gen-print-key").strip()
        secret = self.dir / "osd-secret.json"
        secret.write_text(json.dumps({"cephx_secret": osd_key}))
        os.chmod(secret, 0o600)
        self.osd_id = int(self._until(deadline, "the monitor to accept `ceph osd new`",
                                      lambda: self.ceph_cli("osd", "new", osd_uuid, "-i",
                                                            str(secret), timeout=10).strip(),
                                      self._mon))
        osd_name = f"osd.{self.osd_id}"
        osd_data = self.dir / "osd" / f"ceph-{self.osd_id}"
        osd_data.mkdir(parents=True, exist_ok=True)
        self._authtool("--create-keyring", str(osd_data / "keyring"), "--name", osd_name,
                       "--add-key", osd_key)
        self._run("ceph-osd", ["--mkfs", "-i", str(self.osd_id), "--osd-uuid", osd_uuid])
        self._osd = _Daemon("osd", self.run_dir / f"ceph-{osd_name}.pid",
                            self.log_dir / f"{osd_name}.out")
        self._osd.start([find_tool("ceph-osd"), "-c", str(self.conf_file), "-f",
                         "-i", str(self.osd_id)], env)

        # radosgw: its key from the monitor, then the daemon, which creates its pools.
        self.ceph_cli("auth", "get-or-create", RGW_NAME, "mon", "allow rw", "osd", "allow rwx",
                      "-o", str(self.keyring_dir / f"{RGW_NAME}.keyring"))
        self._start_rgw_process()
        self._wait_http(deadline)

        user = self.admin("user", "create", "--uid", SERVICE_UID,
                          "--display-name", SERVICE_DISPLAY_NAME)
        keys = user["keys"][0]
        self.service_access_key = keys["access_key"]
        self.service_secret_key = keys["secret_key"]

    def _until(self, deadline: float, what: str, fn, daemon: _Daemon):
        """fn() retried every 0.1 s until it returns without CephError, the daemon it needs
        exits, or the deadline passes."""
        last = ""
        while True:
            if not daemon.running():
                raise CephError(f"{daemon.name} exited while waiting for {what}:\n"
                                f"{self._daemon_log(daemon)}")
            try:
                return fn()
            except CephError as e:
                last = str(e)
            if time.monotonic() >= deadline:
                raise CephError(f"timed out waiting for {what}: {last}\n"
                                f"{self._daemon_log(daemon)}")
            time.sleep(0.1)

    def _daemon_log(self, daemon: _Daemon) -> str:
        name = {"mon": f"mon.{MON_ID}", "osd": f"osd.{self.osd_id}", "rgw": RGW_NAME}[daemon.name]
        return (f"--- {daemon.out_file}:\n{_tail(daemon.out_file, 10)}\n"
                f"--- {self.log_dir / (name + '.log')}:\n"
                f"{_tail(self.log_dir / (name + '.log'))}")

    def _start_rgw_process(self) -> None:
        self._rgw.start([find_tool("radosgw"), "-c", str(self.conf_file), "-f",
                         "-n", RGW_NAME], self.env())

    def _wait_http(self, deadline: float) -> None:
        """Until an unauthenticated GET / on radosgw answers with any HTTP status."""
        url = self.endpoint + "/"
        while True:
            for daemon in (self._mon, self._osd, self._rgw):
                if daemon is not None and not daemon.running():
                    raise CephError(f"{daemon.name} exited during start:\n"
                                    f"{self._daemon_log(daemon)}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # an HTTP answer, whatever its status
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() >= deadline:
                raise CephError(f"radosgw did not answer HTTP on {url} in time:\n"
                                f"{self._daemon_log(self._rgw)}")
            time.sleep(0.1)

    # -- process control ------------------------------------------------------------------------

    def stop(self) -> None:
        """radosgw, the OSD, then the monitor (each SIGCONT, SIGTERM, SIGKILL after
        STOP_TIMEOUT); safe to call more than once."""
        errors = []
        for daemon in (self._rgw, self._osd, self._mon):
            if daemon is None:
                continue
            try:
                daemon.stop()
            except Exception as e:  # stop the others regardless
                errors.append(f"{daemon.name}: {e}")
        if errors:
            raise CephError("stopping the cluster: " + "; ".join(errors))

    def pause_rgw(self) -> None:
        """SIGSTOP to radosgw: its port still accepts connections, nothing answers."""
        self._rgw.signal(signal.SIGSTOP)
        self._rgw.paused = True

    def resume_rgw(self) -> None:
        """SIGCONT to radosgw."""
        self._rgw.signal(signal.SIGCONT)
        self._rgw.paused = False

    def stop_rgw(self) -> None:
        """Stop radosgw alone (continued first if paused); the data stays in the OSD."""
        self._rgw.stop()

    def start_rgw(self, timeout: float = RGW_START_TIMEOUT) -> None:
        """Start radosgw again on the same port; returns once it answers HTTP."""
        if not self._started or self.rgw_port is None:
            raise CephError("the cluster has not been started")
        if self._rgw.running():
            raise CephError("radosgw is already running")
        self._start_rgw_process()
        try:
            self._wait_http(time.monotonic() + timeout)
        except BaseException:
            self._rgw.stop()
            raise

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory (VmRSS) of each running daemon: {"mon": ..., "osd": ..., "rgw": ...}."""
        sizes = {}
        for daemon in (self._mon, self._osd, self._rgw):
            if daemon is None or not daemon.running():
                continue
            for line in _read(Path(f"/proc/{daemon.proc.pid}/status")).splitlines():
                if line.startswith("VmRSS:"):
                    sizes[daemon.name] = int(line.split()[1]) * 1024
        return sizes


@pytest.fixture(scope="session")
def ceph(tmp_path_factory) -> Ceph:
    """One Ceph cluster with radosgw for the test session (fails, not skips, without the Ceph
    packages: scripts/test installs them). Tests may stop, restart or pause radosgw but must
    leave it running; the cluster is stopped at the end of the session."""
    cluster = Ceph(tmp_path_factory.mktemp("ceph"))
    try:
        cluster.start()
    except CephError as e:
        pytest.fail(f"Ceph test cluster: {e}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()
