"""`tessera admin idp ldap policy attach|detach|entities`: the real binary against a Tessera
pointed at the test directory. A mapping named by login name or by either spelling of a DN is
kept under the directory's canonical DN, shows in `entities`, takes effect for the next LDAP
login, and a DN the directory does not have is refused with the server's code."""

from __future__ import annotations

import json
import subprocess

import pytest
from minio.credentials import LdapIdentityProvider

from helpers import start_tessera, tessera_binary
from ldap import GROUPS_DN, PEOPLE_DN


@pytest.fixture(scope="module")
def ldap_tessera(slapd, tmp_path_factory):
    server = start_tessera(tmp_path_factory.mktemp("ldap-cli"), slapd.tessera_env("plain"))
    yield server
    server.stop()


def admin(server, *args: str) -> subprocess.CompletedProcess:
    """`tessera admin` with the root credentials in flags and nothing from the environment."""
    cmd = [str(tessera_binary()), "admin", "--endpoint", server.endpoint,
           "--access-key", server.access_key, "--secret-key", server.secret_key, *args]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={"RUST_LOG": "warn"})
    assert server.secret_key not in run.stdout + run.stderr
    return run


def login(server, user: str, password: str):
    return LdapIdentityProvider(server.endpoint, user, password).retrieve()


def test_attach_by_login_name_and_by_either_dn_spelling(ldap_tessera):
    frank_escaped = f"uid=frank\\,jr,{PEOPLE_DN}"
    canonical = f"uid=frank\\2Cjr,{PEOPLE_DN}"
    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "readonly", "--user", frank_escaped)
    assert run.returncode == 0, run.stderr
    # The other spelling names the same DN: detaching through it works.
    run = admin(ldap_tessera, "--json", "idp", "ldap", "policy", "entities", "--user", canonical)
    assert run.returncode == 0, run.stderr
    mappings = json.loads(run.stdout)["userMappings"]
    assert mappings == [{"user": canonical, "policies": ["readonly"]}]
    assert login(ldap_tessera, "frank,jr", "frank-secret").access_key.startswith("ASIA")
    run = admin(ldap_tessera, "idp", "ldap", "policy", "detach", "readonly", "--user", canonical)
    assert run.returncode == 0, run.stderr
    with pytest.raises(ValueError) as refused:
        login(ldap_tessera, "frank,jr", "frank-secret")
    assert "400" in str(refused.value)

    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "diagnostics", "--user", "bob")
    assert run.returncode == 0, run.stderr
    assert "Attached diagnostics" in run.stdout
    run = admin(ldap_tessera, "--json", "idp", "ldap", "policy", "entities", "--policy", "diagnostics")
    entities = json.loads(run.stdout)["policyMappings"]
    assert entities == [{"policy": "diagnostics", "users": [f"uid=bob,{PEOPLE_DN}"]}]
    assert login(ldap_tessera, "bob", "bob-secret").access_key.startswith("ASIA")


def test_group_mapping_table_and_refusals(ldap_tessera):
    readers = f"cn=readers,{GROUPS_DN}"
    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "readonly", "--group", readers)
    assert run.returncode == 0, run.stderr
    run = admin(ldap_tessera, "idp", "ldap", "policy", "entities")
    assert run.returncode == 0, run.stderr
    assert readers in run.stdout and "readonly" in run.stdout

    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "readonly",
                "--group", f"cn=ghosts,{GROUPS_DN}")
    assert run.returncode != 0
    assert "XMinioAdminInvalidArgument" in run.stderr and "no LDAP group" in run.stderr

    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "no-such-policy", "--group", readers)
    assert run.returncode != 0 and "XMinioAdminNoSuchPolicy" in run.stderr

    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "readonly", "--user", "nobody-here")
    assert run.returncode != 0 and "no LDAP user" in run.stderr


def test_idp_config_shows_the_directory_without_its_password(ldap_tessera, slapd):
    from helpers import madmin_decrypt, signed_request
    listed = signed_request(ldap_tessera, "GET", "/minio/admin/v3/idp-config/ldap")
    assert listed.status_code == 200, listed.text
    items = json.loads(madmin_decrypt(listed.content, ldap_tessera.secret_key))
    assert items == [{"type": "ldap", "name": "_", "enabled": True}]
    one = signed_request(ldap_tessera, "GET", "/minio/admin/v3/idp-config/ldap/_")
    assert one.status_code == 200, one.text
    text = madmin_decrypt(one.content, ldap_tessera.secret_key)
    text = text.decode() if isinstance(text, bytes) else text
    settings = {i["key"]: i["value"] for i in json.loads(text)}
    assert settings["server_addr"] == f"127.0.0.1:{slapd.ldap_port}"
    assert settings["transport"] == "insecure"
    assert settings["user_dn_search_filter"] == "(uid=%s)"
    assert "lookup_bind_password" not in settings
    assert slapd.lookup_password not in text
    missing = signed_request(ldap_tessera, "GET", "/minio/admin/v3/idp-config/ldap/other")
    assert missing.status_code == 404


def test_internal_users_keep_working_next_to_ldap(ldap_tessera):
    """Unlike MinIO, which refuses add-user while LDAP is on, both kinds of identity work."""
    from minio import Minio, MinioAdmin
    from minio.credentials import StaticProvider
    adm = MinioAdmin(endpoint=ldap_tessera.host, secure=False,
                     credentials=StaticProvider(ldap_tessera.access_key, ldap_tessera.secret_key))
    adm.user_add("internal-kim", "kim-secret-key-1")
    adm.attach_policy(["readwrite"], user="internal-kim")
    kim = Minio(ldap_tessera.host, access_key="internal-kim", secret_key="kim-secret-key-1",
                secure=False)
    kim.make_bucket("kims-bucket")
    assert "kims-bucket" in [b.name for b in kim.list_buckets()]
    # An LDAP login on the same server, through a group mapping made by the CLI.
    run = admin(ldap_tessera, "idp", "ldap", "policy", "attach", "readwrite",
                "--group", f"cn=writers,{GROUPS_DN}")
    assert run.returncode == 0, run.stderr
    alice = login(ldap_tessera, "alice", "alice-secret")
    client = Minio(ldap_tessera.host, access_key=alice.access_key, secret_key=alice.secret_key,
                   session_token=alice.session_token, secure=False)
    assert "kims-bucket" in [b.name for b in client.list_buckets()]
