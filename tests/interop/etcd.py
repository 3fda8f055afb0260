"""A throwaway etcd (Debian's etcd-server 3.4) for the tests of Tessera nodes sharing their
identity state (imported as `etcd`).

`Etcd(workdir)` runs one single-member etcd with its data under `workdir`, on two free
127.0.0.1 ports (clients, peers), in a session of its own:

    start()      returns once `etcdctl endpoint health` says healthy (at most START_TIMEOUT)
    stop()       SIGTERM to its pid, SIGKILL after STOP_TIMEOUT
    restart()    stop, then start again on the same ports with the same data
    endpoint     http://127.0.0.1:PORT, for MINIO_ETCD_ENDPOINTS
    get(prefix)  the keys under a prefix, read with etcdctl (for the tests' own checks)

The tests make their own instance (a module fixture), since they stop and restart it. Starting
fails, rather than skips, when etcd is missing: scripts/test installs etcd-server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.log_file = self.workdir / "etcd.log"
        self.client_port = _free_port()
        self.peer_port = _free_port()
        self.proc: subprocess.Popen | None = None
        for tool in ("etcd", "etcdctl"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"`{tool}` is missing: run scripts/test, which installs "
                                   "Debian's etcd-server and etcd-client")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD")}
        env["ETCDCTL_API"] = "3"
        return env

    def start(self) -> None:
        peer = f"http://127.0.0.1:{self.peer_port}"
        cmd = ["etcd", "--name", "t", "--data-dir", str(self.data_dir),
               "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
               "--initial-cluster", f"t={peer}", "--initial-cluster-state", "new",
               "--log-level", "error"]
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=self._env(),
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            run = subprocess.run(["etcdctl", "--endpoints", self.endpoint, "endpoint", "health"],
                                 capture_output=True, text=True, env=self._env(), timeout=10)
            if run.returncode == 0:
                return
            time.sleep(0.2)
        tail = self.log_file.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"etcd did not become healthy on {self.endpoint}:\n{tail}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def get(self, prefix: str) -> list[str]:
        run = subprocess.run(["etcdctl", "--endpoints", self.endpoint, "get", prefix,
                              "--prefix", "--keys-only"], capture_output=True, text=True,
                             env=self._env(), timeout=10, check=True)
        return [line for line in run.stdout.splitlines() if line.strip()]
