"""Small helpers shared by the interop tests (imported as `helpers`)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import signal
import socket
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import boto3
import pytest
import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def err(exc: ClientError) -> tuple[str, int]:
    """(Error.Code, HTTP status) of a boto3 ClientError."""
    return (exc.response.get("Error", {}).get("Code", ""),
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def expect_error(fn, *args, **kwargs) -> tuple[str, int, str]:
    """Call fn, which must raise ClientError; return (code, status, message)."""
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    code, status = err(ei.value)
    return code, status, ei.value.response.get("Error", {}).get("Message", "")


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)).decode()


def multipart_etag(parts: list[bytes]) -> str:
    """The S3 convention: md5 of the concatenated binary part md5s, dash, part count."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f"{digest}-{len(parts)}"


def rand(n: int) -> bytes:
    return os.urandom(n)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_random_file(path, size: int) -> str:
    """Write `size` random bytes to path; return its sha256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    return h.hexdigest()


def signed_request(server, method: str, path: str, params: dict | None = None,
                   headers: dict | None = None, data: bytes = b"",
                   access_key: str | None = None, secret_key: str | None = None
                   ) -> requests.Response:
    """Send a SigV4-signed request built by hand. `path` is the raw (unencoded) path,
    e.g. "/bucket/some key"; it is percent-encoded here exactly once."""
    url = server.endpoint + quote(path, safe="/~")
    if params:
        url += "?" + urlencode(params, quote_via=quote, safe="~")
    req = AWSRequest(method=method, url=url, data=data, headers=dict(headers or {}))
    creds = Credentials(access_key or server.access_key, secret_key or server.secret_key)
    S3SigV4Auth(creds, "s3", server.region).add_auth(req)
    return requests.request(method, url, headers=dict(req.headers.items()), data=data,
                            timeout=30)


S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def xml_error(resp: requests.Response) -> tuple[str, str]:
    """(Code, Message) of an S3 XML error body."""
    try:
        root = ET.fromstring(resp.content)
    except ET.ParseError:
        return "", resp.text
    code = root.findtext("Code") or root.findtext(f"{S3NS}Code") or ""
    msg = root.findtext("Message") or root.findtext(f"{S3NS}Message") or ""
    return code, msg


def make_s3_client(server, access_key: str | None = None, secret_key: str | None = None,
                   session_token: str | None = None, **config):
    """A boto3 S3 client for the test server (path style, us-east-1); `session_token` is sent
    as X-Amz-Security-Token (temporary credentials); `config` goes to botocore's Config, e.g.
    signature_version="s3v4"."""
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=access_key if access_key is not None else server.access_key,
        aws_secret_access_key=secret_key if secret_key is not None else server.secret_key,
        aws_session_token=session_token,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            **config,
        ),
    )


STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
STS_VERSION = "2011-06-15"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def sts_request(server, params, access_key: str | None = None, secret_key: str | None = None,
                session_token: str | None = None, service: str = "sts", body: bool = True,
                query=None, data: bytes | None = None, region: str | None = None,
                content_sha256: bool = False) -> requests.Response:
    """POST / to the STS endpoint, the way boto3's query protocol does it.

    `params` (a dict or a list of pairs) is form-encoded into the body (body=True) or into the
    query string (body=False); `query` adds parameters to the query string besides; `data` is a
    raw body sent instead of the encoded params. With access_key the request is signed with
    botocore's SigV4Auth for `service` and `region` (default: the server's): no
    x-amz-content-sha256 header, so the server hashes the body itself; a session_token goes into
    the signed X-Amz-Security-Token header; content_sha256=True signs with botocore's S3 signer
    instead, which also sends a signed X-Amz-Content-Sha256 header (as S3 clients do). Without
    access_key it is sent unsigned."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    qpairs = list(query.items()) if isinstance(query, dict) else list(query or [])
    if not body:
        qpairs = pairs + qpairs
    url = server.endpoint + "/"
    if qpairs:
        url += "?" + urlencode(qpairs, quote_via=quote, safe="~")
    if data is None:
        data = urlencode(pairs).encode() if body else b""
    req = AWSRequest(method="POST", url=url, data=data,
                     headers={"Content-Type": FORM_CONTENT_TYPE})
    if access_key is not None:
        creds = Credentials(access_key, secret_key or "", session_token)
        signer = S3SigV4Auth if content_sha256 else SigV4Auth
        signer(creds, service, server.region if region is None else region).add_auth(req)
    return requests.post(url, headers=dict(req.headers.items()), data=data, timeout=60)


def sts_xml(resp: requests.Response) -> ET.Element:
    """The parsed STS response body (success or error)."""
    return ET.fromstring(resp.content)


def sts_credentials(resp: requests.Response, action: str = "AssumeRole") -> dict[str, str]:
    """AccessKeyId, SecretAccessKey, SessionToken and Expiration of a successful STS reply."""
    assert resp.status_code == 200, resp.text
    creds = sts_xml(resp).find(f"{STS_NS}{action}Result/{STS_NS}Credentials")
    assert creds is not None, resp.text
    out = {}
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
        value = creds.findtext(f"{STS_NS}{name}")
        assert value, f"{name} missing or empty in {resp.text}"
        out[name] = value
    return out


def sts_error(resp: requests.Response) -> tuple[str, str]:
    """(Code, Message) of an STS ErrorResponse body; ("", body) when it is not one."""
    try:
        root = sts_xml(resp)
    except ET.ParseError:
        return "", resp.text
    if root.tag != f"{STS_NS}ErrorResponse":
        return "", resp.text
    return (root.findtext(f"{STS_NS}Error/{STS_NS}Code") or "",
            root.findtext(f"{STS_NS}Error/{STS_NS}Message") or "")


class _BodyResponse:
    """The little of urllib3's response that minio.crypto.DecryptReader reads."""

    def __init__(self, content: bytes):
        self._buf = io.BytesIO(content)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(n)

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def madmin_decrypt(content: bytes, secret_key: str) -> bytes:
    """Decrypt a madmin-encrypted admin API reply body with minio-py's implementation."""
    from minio.crypto import decrypt
    return decrypt(_BodyResponse(content), secret_key)


@dataclass
class Tool:
    """A command-line client: tool("s3", "ls") runs argv0 + args with env, captures output and
    fails the test on a non-zero exit unless check=False."""

    argv0: list[str]
    env: dict[str, str]
    timeout: float = 120

    def __call__(self, *args: str, check: bool = True, cwd: str | Path | None = None,
                 input: str | None = None) -> subprocess.CompletedProcess:
        cmd = [*self.argv0, *map(str, args)]
        proc = subprocess.run(cmd, env=self.env, cwd=cwd, input=input, capture_output=True,
                              text=True, timeout=self.timeout)
        if check and proc.returncode != 0:
            pytest.fail(
                f"command failed with exit code {proc.returncode}: {' '.join(cmd)}\n"
                f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}",
                pytrace=False,
            )
        return proc


# ---------------------------------------------------------------------------------------------
# A Tessera process of a test module's own (conftest.py's `server` is the session's one)


@dataclass
class TesseraProcess:
    """A running Tessera started by start_tessera(); the same fields as conftest's Server (so
    make_s3_client and sts_request take it), plus its stdout log and process. stop() ends it."""

    endpoint: str
    host: str
    port: int
    access_key: str
    secret_key: str
    region: str
    datadir: Path
    log: Path  # stderr
    stdout_log: Path
    proc: subprocess.Popen

    def stdout(self) -> str:
        return self.stdout_log.read_text(errors="replace")

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM by pid, then SIGKILL after `timeout` seconds."""
        stop_process(self.proc, timeout)


# ---------------------------------------------------------------------------------------------
# Child processes of the tests (Tessera here, slapd in ldap.py, the OpenID provider in oidc.py):
# free ports, log tails, stopping by pid


def _free_ports(n: int) -> list[int]:
    """n distinct ports that were free on 127.0.0.1 a moment ago (all held while choosing)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    return _free_ports(1)[0]


def _read(path: Path) -> str:
    """The text of a log, "" when it cannot be read."""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _tail(path: Path, n: int = 40) -> str:
    """The last n lines of a log, "<no log>" when it is missing, unreadable or empty."""
    return "\n".join(_read(path).splitlines()[-n:]) or "<no log>"


def stop_process(proc: subprocess.Popen, timeout: float, *, resume: bool = False) -> None:
    """Stop a child by its pid: SIGTERM (followed by SIGCONT when `resume`, so a stopped
    process can act on it), then SIGKILL after `timeout` seconds; nothing if it has exited."""
    if proc.poll() is not None:
        return
    proc.terminate()
    if resume:
        proc.send_signal(signal.SIGCONT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def tessera_binary() -> Path:
    """TESSERA_BIN, or the debug build; the test session ends when it is missing."""
    repo = Path(__file__).resolve().parents[2]
    binary = Path(os.environ.get("TESSERA_BIN", repo / "target" / "debug" / "tessera"))
    if not binary.is_file():
        pytest.exit(f"Tessera binary {binary} not found: run `cargo build -p tessera-server` "
                    "or set TESSERA_BIN", returncode=2)
    return binary


def start_tessera(base: Path, extra_env: dict[str, str] | None = None,
                  rust_log: str | None = None, region: str = "us-east-1",
                  timeout: float = 60.0) -> TesseraProcess:
    """Start Tessera as conftest.py's `server` fixture does (free 127.0.0.1 port, random root
    credentials, TESSERA_STS_DURATION_MIN=1s, data under base/data, stdout and stderr logged to
    base/server.stdout and base/server.stderr), with `extra_env` added to its environment and
    RUST_LOG = rust_log (default: the caller's RUST_LOG or "warn"). Returns once
    GET /minio/health/ready answers 200 after the listening banner (at most `timeout` seconds);
    otherwise stops it and raises RuntimeError with the log tails."""
    import secrets
    import time

    binary = tessera_binary()
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    datadir = base / "data"
    stdout_log = base / "server.stdout"
    stderr_log = base / "server.stderr"
    port = _free_port()
    access_key = "root" + secrets.token_hex(6)
    secret_key = secrets.token_urlsafe(30)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MINIO_", "TESSERA_", "AWS_"))}
    env.update(
        TESSERA_ROOT_USER=access_key,
        TESSERA_ROOT_PASSWORD=secret_key,
        TESSERA_STS_DURATION_MIN="1s",
        RUST_LOG=rust_log or os.environ.get("RUST_LOG", "warn"),
    )
    env.update(extra_env or {})
    # Root credentials given in extra_env (nodes sharing one identity store) are the ones used.
    access_key, secret_key = env["TESSERA_ROOT_USER"], env["TESSERA_ROOT_PASSWORD"]
    with open(stdout_log, "wb") as out, open(stderr_log, "wb") as errf:
        proc = subprocess.Popen(
            [str(binary), "server", "--address", f"127.0.0.1:{port}", str(datadir)],
            stdout=out, stderr=errf, stdin=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    handle = TesseraProcess(endpoint=endpoint, host=f"127.0.0.1:{port}", port=port,
                            access_key=access_key, secret_key=secret_key, region=region,
                            datadir=datadir, log=stderr_log, stdout_log=stdout_log, proc=proc)
    banner = f"Tessera listening on {endpoint}"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if banner in stdout_log.read_text(errors="replace"):
                try:
                    r = requests.get(f"{endpoint}/minio/health/ready", timeout=2)
                    if r.status_code == 200:
                        return handle
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise RuntimeError(
            f"Tessera did not become ready within {timeout}s (exit code {proc.poll()}).\n"
            f"stdout:\n{_tail(stdout_log)}\nstderr:\n{_tail(stderr_log)}")
    except BaseException:
        handle.stop()
        raise
