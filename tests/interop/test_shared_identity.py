"""Tessera nodes sharing their identity state in a real etcd (`MINIO_ETCD_ENDPOINTS`): a change
made through any node is enforced by every node, temporary credentials issued by one node work
on the others (one shared key ring), concurrent changes to one user from two nodes lose
nothing, and a node that loses etcd keeps authorising from its copy, refuses IAM changes with
503, and catches up when etcd returns. Object data stays per node here (each node's own disk):
these tests use identity operations only."""

from __future__ import annotations

import json
import threading
import time

import pytest
from minio import MinioAdmin
from minio.credentials import StaticProvider

from etcd import Etcd
from helpers import make_s3_client, signed_request, start_tessera, sts_credentials, sts_request

ROOT_USER = "sharedroot"
ROOT_PASSWORD = "shared-root-secret-1"
# How long a change may take to reach another node before a test gives up (it normally takes
# milliseconds; the issue asks for under a second, checked by PROPAGATION below).
WAIT_LIMIT = 10.0
PROPAGATION = 1.0


@pytest.fixture(scope="module")
def etcd(tmp_path_factory):
    server = Etcd(tmp_path_factory.mktemp("etcd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nodes(etcd, tmp_path_factory):
    env = {"MINIO_ETCD_ENDPOINTS": etcd.endpoint, "TESSERA_ETCD_TIMEOUT": "2s",
           "TESSERA_ROOT_USER": ROOT_USER, "TESSERA_ROOT_PASSWORD": ROOT_PASSWORD}
    started = []
    # Started at once on an empty etcd: they must agree on one STS key ring.
    threads = []
    results: dict[int, object] = {}

    def start(i: int) -> None:
        try:
            results[i] = start_tessera(tmp_path_factory.mktemp(f"node{i}"), env)
        except Exception as e:  # reported below
            results[i] = e

    for i in range(3):
        t = threading.Thread(target=start, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join(timeout=120)
    for i in range(3):
        node = results.get(i)
        if isinstance(node, Exception) or node is None:
            for n in started:
                n.stop()
            raise RuntimeError(f"node {i} did not start: {node}")
        started.append(node)
    yield started
    for n in started:
        n.stop()


def admin(node) -> MinioAdmin:
    return MinioAdmin(endpoint=node.host, secure=False,
                      credentials=StaticProvider(ROOT_USER, ROOT_PASSWORD))


def eventually(check, limit: float = WAIT_LIMIT) -> float:
    """Seconds until `check()` returns true (polled); fails after `limit` seconds."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > limit:
            pytest.fail(f"not true after {limit} s")
        time.sleep(0.02)


def lists_buckets(node, access_key, secret_key, token=None) -> bool:
    r = signed_request(node, "GET", "/", access_key=access_key, secret_key=secret_key,
                       headers={"X-Amz-Security-Token": token} if token else None)
    return r.status_code == 200


def assume_role(node, access_key, secret_key, **params):
    resp = sts_request(node, {"Action": "AssumeRole", "Version": "2011-06-15", **params},
                       access_key=access_key, secret_key=secret_key)
    return sts_credentials(resp)


def test_a_user_made_on_one_node_works_on_the_others_within_a_second(nodes):
    a, b, c = nodes
    admin(a).user_add("kim", "kim-secret-key-1")
    admin(a).attach_policy(["readwrite"], user="kim")
    for other in (b, c):
        took = eventually(lambda: lists_buckets(other, "kim", "kim-secret-key-1"))
        assert took < PROPAGATION, f"took {took:.3f} s"
    admin(b).user_disable("kim")
    took = eventually(lambda: not lists_buckets(a, "kim", "kim-secret-key-1"))
    assert took < PROPAGATION, f"took {took:.3f} s"
    admin(c).user_enable("kim")
    eventually(lambda: lists_buckets(a, "kim", "kim-secret-key-1"))


def test_temporary_credentials_of_one_node_work_on_every_node(nodes):
    a, b, c = nodes
    admin(a).user_add("lee", "lee-secret-key-1")
    admin(a).attach_policy(["readwrite"], user="lee")
    eventually(lambda: lists_buckets(b, "lee", "lee-secret-key-1"))
    for issuer in nodes:
        creds = assume_role(issuer, "lee", "lee-secret-key-1", DurationSeconds="900")
        for node in nodes:
            assert lists_buckets(node, creds["AccessKeyId"], creds["SecretAccessKey"],
                                 creds["SessionToken"]), (issuer.endpoint, node.endpoint)


def test_a_detached_policy_and_a_revocation_reach_every_node(nodes):
    a, b, c = nodes
    admin(a).user_add("max", "max-secret-key-1")
    admin(a).attach_policy(["readwrite"], user="max")
    eventually(lambda: lists_buckets(c, "max", "max-secret-key-1"))
    creds = assume_role(a, "max", "max-secret-key-1", DurationSeconds="900")
    temp = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert lists_buckets(c, *temp)
    # Revoked through node 3, refused by node 1 and node 2.
    r = signed_request(c, "POST", "/minio/admin/v3/revoke-tokens/builtin",
                       params={"user": "max", "fullRevoke": "true"},
                       access_key=ROOT_USER, secret_key=ROOT_PASSWORD)
    assert r.status_code == 204, r.text
    for node in (a, b):
        took = eventually(lambda: not lists_buckets(node, *temp))
        assert took < PROPAGATION, f"took {took:.3f} s"
    # A policy detached on node 2 denies on node 1.
    assert lists_buckets(a, "max", "max-secret-key-1")
    admin(b).detach_policy(["readwrite"], user="max")
    took = eventually(lambda: not lists_buckets(a, "max", "max-secret-key-1"))
    assert took < PROPAGATION, f"took {took:.3f} s"


def test_concurrent_changes_through_two_nodes_lose_nothing(nodes):
    a, b, _ = nodes
    admin(a).user_add("ned", "ned-secret-key-1")
    eventually(lambda: "ned" in admin(b).user_list())
    policies = ["readonly", "writeonly", "diagnostics", "readwrite", "consoleAdmin"]
    errors: list[Exception] = []

    def attach(node, policy):
        try:
            admin(node).attach_policy([policy], user="ned")
        except Exception as e:  # collected and reported
            errors.append(e)

    threads = [threading.Thread(target=attach, args=(a if i % 2 else b, p))
               for i, p in enumerate(policies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    for node in nodes:
        def has_all(node=node):
            got = json.loads(admin(node).user_info("ned")).get("policyName", "")
            return sorted(p for p in got.split(",") if p) == sorted(policies)
        eventually(has_all)


def test_without_etcd_a_node_keeps_authorising_refuses_changes_and_catches_up(nodes, etcd):
    a, b, _ = nodes
    admin(a).user_add("ola", "ola-secret-key-1")
    admin(a).attach_policy(["readwrite"], user="ola")
    eventually(lambda: lists_buckets(b, "ola", "ola-secret-key-1"))
    etcd.stop()
    try:
        assert lists_buckets(a, "ola", "ola-secret-key-1")
        assert lists_buckets(b, "ola", "ola-secret-key-1")
        started = time.monotonic()
        refused = signed_request(a, "PUT", "/minio/admin/v3/set-user-status",
                                 params={"accessKey": "ola", "status": "disabled"},
                                 access_key=ROOT_USER, secret_key=ROOT_PASSWORD)
        assert time.monotonic() - started < WAIT_LIMIT
        assert refused.status_code == 503, refused.text
        error = refused.json()
        assert error["Code"] == "ServiceUnavailable", error
        assert "etcd" in error["Message"] and "refused" in error["Message"], error
        assert lists_buckets(a, "ola", "ola-secret-key-1"), "nothing changed"
        # Temporary credentials are still issued: they need no store.
        creds = assume_role(a, "ola", "ola-secret-key-1", DurationSeconds="900")
        assert lists_buckets(b, creds["AccessKeyId"], creds["SecretAccessKey"],
                             creds["SessionToken"])
    finally:
        etcd.start()
    # Back: changes work again and reach the other node.
    eventually(lambda: _try(lambda: admin(a).user_add("pia", "pia-secret-key-1")))
    admin(a).attach_policy(["readonly"], user="pia")
    eventually(lambda: "pia" in admin(b).user_list())


def _try(fn) -> bool:
    try:
        fn()
        return True
    except Exception:
        return False


def test_moving_from_the_embedded_store_keeps_users_and_sessions(nodes, tmp_path):
    """`tessera admin iam export` from a single node, `import` into the etcd-backed nodes: the
    users work there, and temporary credentials issued before the move stay valid (the key
    ring moves with them)."""
    import os
    import subprocess

    from helpers import tessera_binary
    single = start_tessera(tmp_path / "single", {"TESSERA_ROOT_USER": ROOT_USER,
                                                 "TESSERA_ROOT_PASSWORD": ROOT_PASSWORD})
    try:
        admin(single).user_add("quinn", "quinn-secret-key-1")
        admin(single).attach_policy(["readwrite"], user="quinn")
        creds = assume_role(single, "quinn", "quinn-secret-key-1", DurationSeconds="900")

        def cli(node, *args, stdin=None):
            run = subprocess.run([str(tessera_binary()), "admin", "--endpoint", node.endpoint,
                                  "--access-key", ROOT_USER, "--secret-key", ROOT_PASSWORD,
                                  *args], capture_output=True, text=True, timeout=60,
                                 env={"RUST_LOG": "warn"}, input=stdin)
            assert run.returncode == 0, run.stderr
            assert ROOT_PASSWORD not in run.stdout + run.stderr
            return run

        export = tmp_path / "iam.json"
        cli(single, "iam", "export", str(export))
        assert os.stat(export).st_mode & 0o777 == 0o600
        assert "quinn-secret-key-1" in export.read_text()
        refused = subprocess.run([str(tessera_binary()), "admin", "--endpoint", single.endpoint,
                                  "--access-key", ROOT_USER, "--secret-key", ROOT_PASSWORD,
                                  "iam", "export", str(export)], capture_output=True, text=True,
                                 timeout=60, env={"RUST_LOG": "warn"})
        assert refused.returncode != 0 and "not replaced" in refused.stderr
    finally:
        single.stop()
    a, b, _ = nodes
    run = cli(a, "iam", "import", str(export))
    assert "Imported" in run.stdout
    eventually(lambda: lists_buckets(b, "quinn", "quinn-secret-key-1"))
    assert lists_buckets(b, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    # Not an export: refused with a reason, nothing written.
    bad = subprocess.run([str(tessera_binary()), "admin", "--endpoint", a.endpoint,
                          "--access-key", ROOT_USER, "--secret-key", ROOT_PASSWORD,
                          "iam", "import", "-"], capture_output=True, text=True, timeout=60,
                         env={"RUST_LOG": "warn"},
                         input='{"format":"other","version":1,"records":{"users/x":{}}}')
    assert bad.returncode != 0 and "not a Tessera IAM export" in bad.stderr
