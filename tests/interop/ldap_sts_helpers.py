"""Helpers for the AssumeRoleWithLDAPIdentity interop tests (test_ldap_sts.py): a Tessera
pointed at a `ldap.Slapd`, unsigned LDAP logins over raw HTTP, the checks that a refusal carries
no credentials, and the signed admin calls minio-py has no method for (`idp/ldap/policy-entities`,
`revoke-tokens/ldap`)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from minio import MinioAdmin
from minio.credentials import StaticProvider

from helpers import (FORM_CONTENT_TYPE, STS_VERSION, TesseraProcess, madmin_decrypt,
                     signed_request, start_tessera, sts_credentials, sts_error)

ACTION = "AssumeRoleWithLDAPIdentity"

ALICE_DN = "uid=alice,ou=people,dc=tessera,dc=test"
BOB_DN = "uid=bob,ou=people,dc=tessera,dc=test"
CAROL_DN = "uid=carol,ou=people,dc=tessera,dc=test"
DAVE_DN = "uid=dave,ou=contractors,dc=tessera,dc=test"
STAR_DN = "uid=eve*(x),ou=people,dc=tessera,dc=test"
FRANK_DN = "uid=frank\\2Cjr,ou=people,dc=tessera,dc=test"  # Tessera's canonical form
FRANK_DN_ESCAPED_COMMA = "uid=frank\\,jr,ou=people,dc=tessera,dc=test"
FRANK_DN_LOWER_HEX = "uid=frank\\2cjr, ou=people, dc=tessera, dc=test"
READERS_DN = "cn=readers,ou=groups,dc=tessera,dc=test"
WRITERS_DN = "cn=writers,ou=groups,dc=tessera,dc=test"
CONTRACTORS_GROUP_DN = "cn=contractors,ou=groups,dc=tessera,dc=test"
NOMAP_DN = "cn=nomap,ou=groups,dc=tessera,dc=test"

# What Tessera answers to an unknown user and to a wrong password alike (crates/idp/src/ldap).
LOGIN_FAILED = "LDAP login failed: the username or the password is not right"

ADMIN_PREFIX = "/minio/admin/v3/"


def start_ldap_tessera(base: Path, slapd, mode: str = "plain", *,
                       extra_env: dict[str, str] | None = None,
                       drop: tuple[str, ...] = (), rust_log: str = "warn") -> TesseraProcess:
    """A Tessera whose LDAP identity is `slapd` over `mode` ("plain", "ldaps", "starttls"),
    with `extra_env` added and the variables named in `drop` left out."""
    env = slapd.tessera_env(mode)
    for name in drop:
        env.pop(name)
    env.update(extra_env or {})
    return start_tessera(base, env, rust_log=rust_log)


def admin_client(server: TesseraProcess) -> MinioAdmin:
    """minio-py's admin client, as root."""
    return MinioAdmin(endpoint=server.host,
                      credentials=StaticProvider(server.access_key, server.secret_key),
                      secure=False)


def ldap_login(server: TesseraProcess, username: str | None, password: str | None, *,
               in_query: bool = False, timeout: float = 60, **extra: str) -> requests.Response:
    """An unsigned POST / with Action=AssumeRoleWithLDAPIdentity: the parameters form-encoded
    in the body, or (in_query=True) in the query string with an empty body, as minio-py sends
    them. A None username or password is left out; `extra` adds parameters."""
    params = [("Action", ACTION), ("Version", STS_VERSION)]
    if username is not None:
        params.append(("LDAPUsername", username))
    if password is not None:
        params.append(("LDAPPassword", password))
    params += list(extra.items())
    encoded = urlencode(params, quote_via=quote, safe="~")
    if in_query:
        return requests.post(f"{server.endpoint}/?{encoded}", data=b"", timeout=timeout)
    return requests.post(f"{server.endpoint}/", data=encoded.encode(),
                         headers={"Content-Type": FORM_CONTENT_TYPE}, timeout=timeout)


def ldap_credentials(resp: requests.Response) -> dict[str, str]:
    """AccessKeyId, SecretAccessKey, SessionToken and Expiration of a successful login."""
    return sts_credentials(resp, ACTION)


def parse_expiration(text: str) -> float:
    """An STS Expiration (RFC 3339, UTC) as a Unix time."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc).timestamp()


def assert_refused(resp: requests.Response, status: int, code: str | None = None
                   ) -> str:
    """The response is an STS error with `status` (and `code`, when given) that carries no
    credentials; returns its message."""
    got_code, message = sts_error(resp)
    assert resp.status_code == status, (resp.status_code, resp.text[:2000])
    if code is not None:
        assert got_code == code, resp.text[:2000]
    for element in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Credentials"):
        assert element not in resp.text, f"{element} in a refusal: {resp.text[:2000]}"
    return message


def timed(fn, *args, **kwargs):
    """(result of fn, seconds it took)."""
    started = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# admin calls sent by hand (signed as root)


def admin_request(server: TesseraProcess, method: str, command: str,
                  params: list[tuple[str, str]] | None = None) -> requests.Response:
    """A root-signed admin API request, e.g. ("GET", "idp/ldap/policy-entities")."""
    return signed_request(server, method, ADMIN_PREFIX + command, params=params or None)


def admin_json(server: TesseraProcess, resp: requests.Response) -> dict:
    """The madmin-encrypted JSON body of a successful admin reply."""
    assert resp.status_code == 200, (resp.status_code, resp.text[:2000])
    return json.loads(madmin_decrypt(resp.content, server.secret_key))


def admin_error(body: str) -> tuple[str, str]:
    """(Code, Message) of an admin error body (MinIO's JSON error)."""
    try:
        doc = json.loads(body)
    except ValueError:
        return "", body
    return doc.get("Code", ""), doc.get("Message", "")


def ldap_policy_entities(server: TesseraProcess, users=(), groups=(), policies=()) -> dict:
    """GET idp/ldap/policy-entities with the given filters (none: every mapping)."""
    params = ([("user", u) for u in users] + [("group", g) for g in groups]
              + [("policy", p) for p in policies])
    return admin_json(server, admin_request(server, "GET", "idp/ldap/policy-entities", params))


def user_mappings(entities: dict) -> dict[str, list[str]]:
    """userMappings of a policy-entities answer as {DN: sorted policies}."""
    return {m["user"]: sorted(m.get("policies") or []) for m in entities.get("userMappings", [])}


def group_mappings(entities: dict) -> dict[str, list[str]]:
    """groupMappings of a policy-entities answer as {DN: sorted policies}."""
    return {m["group"]: sorted(m.get("policies") or [])
            for m in entities.get("groupMappings", [])}
