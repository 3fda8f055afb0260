"""Fixtures for the Tessera interop suite.

One Tessera server is started per test session (debug binary by default, or the one named by
the environment variable TESSERA_BIN) on a free 127.0.0.1 port, with root credentials that are
random for every run and a data directory inside pytest's tmp dir. Every client fixture points at
that server: boto3, minio-py, the AWS CLI (run from this venv as a subprocess), rclone and s3cmd.

Setup and run (from the repository root):

    cargo build -p tessera-server
    python3 -m venv .venv && .venv/bin/pip install -r tests/interop/requirements.txt
    apt-get install -y rclone s3cmd        # their tests are skipped when missing
    # slapd and ldap-utils for the LDAP directory (tests/interop/ldap.py): install them as
    # scripts/test does, with slapd/no_configuration preseeded so no system instance is set up
    # ceph-mon, ceph-osd, radosgw and ceph-common for the Ceph cluster (tests/interop/ceph.py)
    .venv/bin/pytest tests/interop -q
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ceph import ceph  # noqa: F401  (the session's Ceph cluster with radosgw)
from helpers import TesseraProcess, Tool, make_s3_client, start_tessera
from ldap import slapd  # noqa: F401  (the session's OpenLDAP directory)
from oidc import oidc_provider  # noqa: F401  (the session's OpenID provider)

REGION = "us-east-1"
START_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def server(request, tmp_path_factory) -> TesseraProcess:
    """The session's Tessera (see helpers.start_tessera), stopped by its pid at the end. With
    TESSERA_TEST_BACKEND=upstream its object data lives in a throwaway Ceph radosgw (the
    session's `ceph` fixture) instead of on its disk, so the S3 tests run against the upstream
    backend: `TESSERA_TEST_BACKEND=upstream .venv/bin/python -m pytest tests/interop/test_boto3.py`."""
    env = {}
    if os.environ.get("TESSERA_TEST_BACKEND") == "upstream":
        cluster = request.getfixturevalue("ceph")
        env = {"TESSERA_UPSTREAM_ENDPOINT": cluster.endpoint,
               "TESSERA_UPSTREAM_ACCESS_KEY": cluster.service_access_key,
               "TESSERA_UPSTREAM_SECRET_KEY": cluster.service_secret_key,
               "TESSERA_UPSTREAM_BUCKET_PREFIX": "suite-"}
    handle = start_tessera(tmp_path_factory.mktemp("tessera"), env, region=REGION,
                           timeout=START_TIMEOUT)
    try:
        yield handle
    finally:
        handle.stop()


# ---------------------------------------------------------------------------------------------
# boto3


@pytest.fixture(scope="session")
def s3(server):
    """A boto3 S3 client: path style, us-east-1, default (flexible) checksum behaviour."""
    return make_s3_client(server)


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:30].strip("-") or "t"


def _empty_and_delete(s3, bucket: str) -> None:
    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for up in page.get("Uploads", []):
                try:
                    s3.abort_multipart_upload(Bucket=bucket, Key=up["Key"],
                                              UploadId=up["UploadId"])
                except ClientError:
                    pass
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except (ClientError, BotoCoreError):
        pass


@pytest.fixture
def bucket_name(request):
    """A unique, valid bucket name that is not created (the test creates it)."""
    return f"it-{_slug(request.node.name)}-{secrets.token_hex(4)}"


@pytest.fixture
def bucket(s3, bucket_name):
    """A fresh, empty bucket for one test; emptied and deleted afterwards."""
    s3.create_bucket(Bucket=bucket_name)
    yield bucket_name
    _empty_and_delete(s3, bucket_name)


@pytest.fixture
def cleanup_buckets(s3):
    """Register bucket names a test creates itself; they are emptied and removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        _empty_and_delete(s3, name)


# ---------------------------------------------------------------------------------------------
# minio-py


@pytest.fixture(scope="session")
def minio_client(server):
    from minio import Minio

    return Minio(server.host, access_key=server.access_key, secret_key=server.secret_key,
                 secure=False, region=server.region)


# ---------------------------------------------------------------------------------------------
# subprocess clients


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "RCLONE_", "MINIO_", "TESSERA_", "S3CMD"))
    }
    env["HOME"] = str(home)
    return env


@pytest.fixture(scope="session")
def tool_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


def _missing_tool(message: str) -> None:
    """A client the suite needs is absent: skip on a developer's machine, fail in CI."""
    if os.environ.get("CI"):
        pytest.fail(message + "; scripts/test installs it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def aws(server, tool_home):
    """Run the AWS CLI from this venv: aws("s3", "ls", ...) -> CompletedProcess."""
    exe = Path(sys.executable).parent / "aws"
    if not exe.exists():
        found = shutil.which("aws")
        if not found:
            _missing_tool("the AWS CLI is not installed (pip install -r tests/interop/requirements.txt)")
        exe = Path(found)
    env = _clean_env(tool_home)
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION=server.region,
        AWS_CONFIG_FILE=str(tool_home / "aws-config-none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tool_home / "aws-credentials-none"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    return Tool([str(exe), "--endpoint-url", server.endpoint], env)


@pytest.fixture(scope="session")
def rclone(server, tool_home):
    """Run rclone with one remote `t:` configured entirely by environment variables."""
    exe = shutil.which("rclone")
    if not exe:
        _missing_tool("rclone is not installed (apt-get install rclone)")
    env = _clean_env(tool_home)
    empty_conf = tool_home / "rclone.conf"
    empty_conf.write_text("")
    env.update(
        RCLONE_CONFIG=str(empty_conf),
        RCLONE_CONFIG_T_TYPE="s3",
        RCLONE_CONFIG_T_PROVIDER="Other",
        RCLONE_CONFIG_T_ENDPOINT=server.endpoint,
        RCLONE_CONFIG_T_ACCESS_KEY_ID=server.access_key,
        RCLONE_CONFIG_T_SECRET_ACCESS_KEY=server.secret_key,
        RCLONE_CONFIG_T_REGION=server.region,
        RCLONE_CONFIG_T_FORCE_PATH_STYLE="true",
    )
    return Tool([exe, "--retries", "1", "--low-level-retries", "2"], env)


@pytest.fixture(scope="session")
def s3cmd(server, tool_home):
    """Run s3cmd with a generated config file (path style, plain HTTP, SigV4)."""
    exe = shutil.which("s3cmd")
    if not exe:
        _missing_tool("s3cmd is not installed (apt-get install s3cmd)")
    cfg = tool_home / "s3cmd.cfg"
    cfg.write_text(
        "[default]\n"
        f"access_key = {server.access_key}\n"
        f"secret_key = {server.secret_key}\n"
        f"host_base = {server.host}\n"
        f"host_bucket = {server.host}\n"
        f"bucket_location = {server.region}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "check_ssl_certificate = False\n"
        "guess_mime_type = True\n"
        "progress_meter = False\n"
    )
    return Tool([exe, "-c", str(cfg)], _clean_env(tool_home))
