"""STS AssumeRoleWithWebIdentity and AssumeRoleWithClientGrants against a real OpenID provider
(tests/oidc/provider.mjs, driven by oidc.py): tokens from its authorization-code and
client_credentials flows, and tokens it would never issue signed with its own keys.

This module starts a Tessera of its own, after the session's `oidc_provider`, with two OpenID
providers over the same discovery document:

    default  claim-based, client id `tessera` (claim `policy`)
    ROLE     role-based, client id `tessera-es`, role policy `readwrite`; its role ARN is read
             from the line the server prints at start

It checks the response shape, the provider choice by RoleArn, the expiration (the token's `exp`,
or DurationSeconds), the temporary credentials on S3 (policies resolved per request, `${jwt:…}`
variables, session policies), refused tokens (audience, issuer, expiry, nbf, kid, alg, size,
policy claim), a flood of unknown kids (the JWKS is refetched at most once per 10 s), key rotation
and a restart at the provider, and the clients: minio-py's WebIdentityProvider and
ClientGrantsProvider, boto3 and the AWS CLI.

Tests that rotate keys or stop the provider change the session's provider for the tests after
them (new keys sign; the old ones stay published)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from minio import Minio, MinioAdmin
from minio.credentials import ClientGrantsProvider, StaticProvider, WebIdentityProvider
from minio.error import S3Error

from helpers import (
    STS_NS,
    STS_VERSION,
    Tool,
    expect_error,
    make_s3_client,
    start_tessera,
    sts_credentials,
    sts_error,
    sts_request,
    sts_xml,
)
from oidc import _sign, b64url_encode, decode_jwt

WEB = "AssumeRoleWithWebIdentity"
GRANTS = "AssumeRoleWithClientGrants"
AWS_ROLE_ARN = "arn:xxx:xxx:xxx:xxxx"  # boto3 and the AWS CLI need one of 20+ characters
EXP_SLACK = 2  # seconds between a token's exp and the credentials' Expiration
TIME_SLACK = 30  # seconds of tolerance between the test's clock and the server's
ROLE_LINE = re.compile(r"OpenID provider `([^`]*)` \(role-based\): role ARN (\S+)")


# ---------------------------------------------------------------------------------------------
# fixtures


class Idp:
    """The module's Tessera (`server`), its role ARN and the provider."""

    def __init__(self, server, role_arn: str, role_label: str, provider):
        self.server = server
        self.role_arn = role_arn
        self.role_label = role_label
        self.provider = provider


@pytest.fixture(scope="module")
def idp(oidc_provider, tmp_path_factory) -> Idp:
    url = oidc_provider.discovery_url
    server = start_tessera(
        tmp_path_factory.mktemp("tessera-idp"),
        {
            "MINIO_IDENTITY_OPENID_CONFIG_URL": url,
            "MINIO_IDENTITY_OPENID_CLIENT_ID": "tessera",
            "MINIO_IDENTITY_OPENID_CONFIG_URL_ROLE": url,
            "MINIO_IDENTITY_OPENID_CLIENT_ID_ROLE": "tessera-es",
            "MINIO_IDENTITY_OPENID_ROLE_POLICY_ROLE": "readwrite",
        },
        rust_log="warn,tessera_idp=info",
    )
    try:
        found = ROLE_LINE.findall(server.stdout())
        assert len(found) == 1, f"not one role ARN line in the server's stdout:\n{server.stdout()}"
        label, arn = found[0]
        yield Idp(server, arn, label, oidc_provider)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def root_s3(idp):
    return make_s3_client(idp.server)


@pytest.fixture(scope="module")
def admin(idp) -> MinioAdmin:
    s = idp.server
    return MinioAdmin(endpoint=s.host, credentials=StaticProvider(s.access_key, s.secret_key),
                      secure=False)


@pytest.fixture
def bucket(root_s3):
    name = f"wi-{secrets.token_hex(6)}"
    root_s3.create_bucket(Bucket=name)
    yield name
    try:
        for page in root_s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                root_s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        root_s3.delete_bucket(Bucket=name)
    except (ClientError, BotoCoreError):
        pass


# ---------------------------------------------------------------------------------------------
# helpers


def id_token(idp: Idp, login: str, client_id: str = "tessera") -> str:
    return idp.provider.id_token(login, client_id=client_id)["id_token"]


def web_identity(idp: Idp, token: str | None, body: bool = True, **params) -> requests.Response:
    form = {"Action": WEB, "Version": STS_VERSION}
    if token is not None:
        form["WebIdentityToken"] = token
    form.update({k: str(v) for k, v in params.items()})
    return sts_request(idp.server, form, body=body)


def client_grants(idp: Idp, token: str | None, **params) -> requests.Response:
    form = {"Action": GRANTS, "Version": STS_VERSION}
    if token is not None:
        form["Token"] = token
    form.update({k: str(v) for k, v in params.items()})
    return sts_request(idp.server, form)


def parse_expiration(text: str) -> float:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc).timestamp()


def temp_s3(idp: Idp, creds: dict):
    return make_s3_client(idp.server, creds["AccessKeyId"], creds["SecretAccessKey"],
                          session_token=creds["SessionToken"])


def assume(idp: Idp, token: str, **params):
    """A successful WebIdentity call: (credentials, boto3 S3 client with them)."""
    creds = sts_credentials(web_identity(idp, token, **params), WEB)
    return creds, temp_s3(idp, creds)


def refused(resp: requests.Response, code: str = "InvalidParameterValue",
            status: int = 400) -> str:
    """Assert an STS error with that status and code and no credentials; return the message."""
    assert b"<Credentials>" not in resp.content, resp.text[:2000]
    got_code, message = sts_error(resp)
    assert (resp.status_code, got_code) == (status, code), resp.text[:2000]
    return message


def claims(idp: Idp, **over) -> dict:
    """Claims the claim-based provider accepts; a value None drops that claim."""
    now = int(time.time())
    base = {"iss": idp.provider.issuer, "sub": "forger", "aud": "tessera", "iat": now,
            "exp": now + 600, "policy": "readwrite"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def compact(header: dict, payload: dict) -> str:
    return (b64url_encode(json.dumps(header, separators=(",", ":")).encode()) + "."
            + b64url_encode(json.dumps(payload, separators=(",", ":")).encode()))


def rsa_jwk(idp: Idp) -> dict:
    """The private RS256 key that signs now."""
    return next(k for k in idp.provider.private_jwks()["keys"] if k["alg"] == "RS256")


def sign_raw(idp: Idp, header: dict, payload: dict) -> str:
    """A JWS with exactly `header` (no kid added), RS256-signed with the provider's key."""
    signing_input = compact(header, payload)
    return signing_input + "." + b64url_encode(_sign(signing_input.encode(), rsa_jwk(idp)))


def policy_doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resources: list[str]) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def jwks_fetches(idp: Idp) -> int:
    return idp.server.stderr().count("JWKS fetched")


# ---------------------------------------------------------------------------------------------
# 1. Start-up, response shape, expiration


def test_the_role_arn_is_printed_at_start(idp):
    assert idp.role_label.lower() == "role"
    digest = base64.urlsafe_b64encode(hashlib.sha1(b"tessera-es").digest()).rstrip(b"=").decode()
    assert idp.role_arn == f"arn:minio:iam:::role/{digest}"
    assert "OpenID provider `" in idp.server.stdout()
    assert "(claim-based, claim `policy`)" in idp.server.stdout()
    # Both providers fetched the JWKS at start.
    assert jwks_fetches(idp) >= 2, idp.server.stderr()[-3000:]


def test_web_identity_response_shape_and_expiration_from_the_token(idp):
    token = id_token(idp, "alice")
    exp = decode_jwt(token)[1]["exp"]
    resp = web_identity(idp, token)
    assert resp.status_code == 200, resp.text
    assert "xml" in resp.headers.get("Content-Type", "")
    root = sts_xml(resp)
    assert root.tag == f"{STS_NS}{WEB}Response"
    result = root.find(f"{STS_NS}{WEB}Result")
    assert result is not None, resp.text
    assert [c.tag for c in result] == [f"{STS_NS}AssumedRoleUser", f"{STS_NS}Credentials",
                                       f"{STS_NS}SubjectFromWebIdentityToken"]
    aru = result.find(f"{STS_NS}AssumedRoleUser")
    assert [c.tag for c in aru] == [f"{STS_NS}Arn", f"{STS_NS}AssumeRoleId"]
    assert result.findtext(f"{STS_NS}SubjectFromWebIdentityToken") == "alice"
    assert root.findtext(f"{STS_NS}ResponseMetadata/{STS_NS}RequestId")
    creds = sts_credentials(resp, WEB)
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert abs(parse_expiration(creds["Expiration"]) - exp) <= EXP_SLACK, (creds, exp)


def test_parameters_in_the_query_string_with_an_empty_body(idp):
    token = id_token(idp, "bob")
    creds = sts_credentials(web_identity(idp, token, body=False), WEB)
    assert creds["SessionToken"]
    # minio-py's way: everything in the query, no body, no Content-Type
    url = f"{idp.server.endpoint}/"
    resp = requests.post(url, params={"Action": WEB, "Version": STS_VERSION,
                                      "WebIdentityToken": token}, timeout=30)
    sts_credentials(resp, WEB)


def test_duration_seconds_sets_the_expiration_and_the_credentials_expire(idp, bucket, root_s3):
    root_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    token = id_token(idp, "bob")
    token_exp = decode_jwt(token)[1]["exp"]

    before = time.time()
    long_creds = sts_credentials(web_identity(idp, token, DurationSeconds=7200), WEB)
    lifetime = parse_expiration(long_creds["Expiration"]) - before
    assert 7200 - TIME_SLACK <= lifetime <= 7200 + TIME_SLACK, long_creds
    assert parse_expiration(long_creds["Expiration"]) > token_exp  # beyond the token's exp

    before = time.time()
    creds, temp = assume(idp, token, DurationSeconds=2)
    expires = parse_expiration(creds["Expiration"])
    assert before - EXP_SLACK <= expires <= before + 2 + EXP_SLACK, creds
    assert temp.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    time.sleep(min(6.0, max(0.0, expires - time.time()) + 1.5))
    code, status, _ = expect_error(temp.get_object, Bucket=bucket, Key="k")
    assert status == 403 and code in ("InvalidAccessKeyId", "ExpiredToken"), code
    # the long-lived ones still work
    assert temp_s3(idp, long_creds).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


# ---------------------------------------------------------------------------------------------
# 2. Policies of the claim-based provider


def test_alice_readonly_reads_but_cannot_write(idp, bucket, root_s3):
    root_s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"shared")
    _, temp = assume(idp, id_token(idp, "alice"))
    assert temp.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"shared"
    code, status, _ = expect_error(temp.put_object, Bucket=bucket, Key="new.txt", Body=b"x")
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = expect_error(temp.delete_object, Bucket=bucket, Key="doc.txt")
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = expect_error(temp.create_bucket, Bucket=f"wi-no-{secrets.token_hex(4)}")
    assert (code, status) == ("AccessDenied", 403)


def test_bob_readwrite_writes_reads_lists_and_deletes(idp, bucket):
    token = id_token(idp, "bob")
    resp = web_identity(idp, token)
    assert sts_xml(resp).findtext(f"{STS_NS}{WEB}Result/{STS_NS}SubjectFromWebIdentityToken") \
        == "bob"
    temp = temp_s3(idp, sts_credentials(resp, WEB))
    temp.put_object(Bucket=bucket, Key="bob/a.txt", Body=b"from bob")
    assert temp.get_object(Bucket=bucket, Key="bob/a.txt")["Body"].read() == b"from bob"
    listed = temp.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["bob/a.txt"]
    temp.delete_object(Bucket=bucket, Key="bob/a.txt")
    assert temp.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_policy_claim_as_comma_string_or_list_keeps_the_defined_policies(idp, bucket, root_s3):
    root_s3.put_object(Bucket=bucket, Key="r", Body=b"r")
    login = f"pc{secrets.token_hex(3)}"
    idp.provider.add_account(login, {"policy": " nosuchpolicy , readonly "})
    _, temp = assume(idp, id_token(idp, login))
    assert temp.get_object(Bucket=bucket, Key="r")["Body"].read() == b"r"
    assert expect_error(temp.put_object, Bucket=bucket, Key="w", Body=b"w")[:2] == \
        ("AccessDenied", 403)

    login2 = f"pl{secrets.token_hex(3)}"
    idp.provider.add_account(login2, {"policy": ["nosuchpolicy", "readwrite"]})
    _, temp = assume(idp, id_token(idp, login2))
    temp.put_object(Bucket=bucket, Key="w", Body=b"w")


def test_carol_without_a_policy_claim_is_refused(idp):
    message = refused(web_identity(idp, id_token(idp, "carol")))
    assert "`policy`" in message or "policy claim" in message, message


def test_a_policy_claim_naming_only_undefined_policies_is_refused(idp):
    login = f"un{secrets.token_hex(3)}"
    idp.provider.add_account(login, {"policy": "nosuch1,nosuch2"})
    message = refused(web_identity(idp, id_token(idp, login)))
    assert "None of the given policies" in message, message


def test_policies_are_resolved_at_each_request(idp, admin, bucket, root_s3):
    root_s3.put_object(Bucket=bucket, Key="a/1", Body=b"1")
    root_s3.put_object(Bucket=bucket, Key="b/2", Body=b"2")
    name = f"live-{secrets.token_hex(4)}"
    admin.policy_add(name, policy=policy_doc(
        allow(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/a/*"])))
    login = f"lv{secrets.token_hex(3)}"
    idp.provider.add_account(login, {"policy": name})
    _, temp = assume(idp, id_token(idp, login))
    assert temp.get_object(Bucket=bucket, Key="a/1")["Body"].read() == b"1"
    assert expect_error(temp.get_object, Bucket=bucket, Key="b/2")[:2] == ("AccessDenied", 403)

    # The policy changes: the same credentials follow it at once.
    admin.policy_add(name, policy=policy_doc(
        allow(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/b/*"])))
    assert temp.get_object(Bucket=bucket, Key="b/2")["Body"].read() == b"2"
    assert expect_error(temp.get_object, Bucket=bucket, Key="a/1")[:2] == ("AccessDenied", 403)

    # The policy goes away: nothing is allowed any more.
    admin.policy_remove(name)
    assert expect_error(temp.get_object, Bucket=bucket, Key="b/2")[:2] == ("AccessDenied", 403)


def test_jwt_policy_variables_give_each_user_a_home_prefix(idp, admin, bucket, root_s3):
    name = f"jwthome-{secrets.token_hex(4)}"
    admin.policy_add(name, policy=policy_doc(
        allow(["s3:PutObject", "s3:GetObject"],
              [f"arn:aws:s3:::{bucket}/${{jwt:preferred_username}}/*"]),
        allow(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/by-sub/${{jwt:sub}}"])))
    login = f"hm{secrets.token_hex(3)}"
    username = f"user-{secrets.token_hex(3)}"
    idp.provider.add_account(login, {"policy": name, "preferred_username": username})
    token = id_token(idp, login)
    assert decode_jwt(token)[1]["preferred_username"] == username
    root_s3.put_object(Bucket=bucket, Key=f"by-sub/{login}", Body=b"sub")
    root_s3.put_object(Bucket=bucket, Key="by-sub/someone-else", Body=b"no")
    root_s3.put_object(Bucket=bucket, Key="other/x", Body=b"no")

    _, temp = assume(idp, token)
    temp.put_object(Bucket=bucket, Key=f"{username}/mine.txt", Body=b"mine")
    assert temp.get_object(Bucket=bucket, Key=f"{username}/mine.txt")["Body"].read() == b"mine"
    assert temp.get_object(Bucket=bucket, Key=f"by-sub/{login}")["Body"].read() == b"sub"
    for call in (lambda: temp.put_object(Bucket=bucket, Key="other/y", Body=b"y"),
                 lambda: temp.get_object(Bucket=bucket, Key="other/x"),
                 lambda: temp.put_object(Bucket=bucket, Key=f"{login}x/y", Body=b"y"),
                 lambda: temp.get_object(Bucket=bucket, Key="by-sub/someone-else"),
                 lambda: temp.put_object(Bucket=bucket,
                                         Key="${jwt:preferred_username}/z", Body=b"z")):
        assert expect_error(call)[:2] == ("AccessDenied", 403)


def test_a_policy_can_deny_long_sessions_with_sts_duration_seconds(idp, admin):
    name = f"capped-{secrets.token_hex(4)}"
    admin.policy_add(name, policy=policy_doc(
        allow(["s3:GetObject"], ["arn:aws:s3:::*"]),
        {"Effect": "Deny", "Action": ["sts:AssumeRoleWithWebIdentity"],
         "Condition": {"NumericGreaterThan": {"sts:DurationSeconds": "3600"}}}))
    login = f"cap{secrets.token_hex(3)}"
    idp.provider.add_account(login, {"policy": name})
    token = id_token(idp, login)
    message = refused(web_identity(idp, token, DurationSeconds="7200"), "AccessDenied", 403)
    assert "sts:AssumeRoleWithWebIdentity" in message, message
    ok = web_identity(idp, token, DurationSeconds="1800")
    assert ok.status_code == 200, ok.text[:2000]
    assert web_identity(idp, token).status_code == 200


def test_idp_config_lists_the_providers_without_secrets(idp):
    from helpers import madmin_decrypt, signed_request
    listed = signed_request(idp.server, "GET", "/minio/admin/v3/idp-config/openid")
    assert listed.status_code == 200, listed.text
    items = json.loads(madmin_decrypt(listed.content, idp.server.secret_key))
    by_name = {i["name"]: i for i in items}
    assert by_name["role"]["roleARN"] == idp.role_arn
    assert "roleARN" not in by_name["_"]
    one = signed_request(idp.server, "GET", "/minio/admin/v3/idp-config/openid/_")
    assert one.status_code == 200, one.text
    settings = {i["key"]: i["value"]
                for i in json.loads(madmin_decrypt(one.content, idp.server.secret_key))}
    assert settings["client_id"] == "tessera"
    assert settings["claim_name"] == "policy"
    assert "secret" not in json.dumps(settings).lower()


def test_a_session_policy_narrows_the_token_policies(idp, bucket, root_s3):
    root_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    session = json.dumps(policy_doc(allow(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/*"])))
    _, temp = assume(idp, id_token(idp, "bob"), Policy=session)
    assert temp.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert expect_error(temp.put_object, Bucket=bucket, Key="w", Body=b"w")[:2] == \
        ("AccessDenied", 403)
    # It never widens: alice (readonly) with a session policy allowing writes still cannot.
    wide = json.dumps(policy_doc(allow(["s3:*"], ["arn:aws:s3:::*"])))
    _, temp = assume(idp, id_token(idp, "alice"), Policy=wide)
    assert expect_error(temp.put_object, Bucket=bucket, Key="w", Body=b"w")[:2] == \
        ("AccessDenied", 403)


# ---------------------------------------------------------------------------------------------
# 3. Provider choice by RoleArn


def test_the_role_arn_selects_the_role_based_provider(idp, bucket):
    # carol has no policy claim; the role policy (readwrite) applies.
    token = id_token(idp, "carol", client_id="tessera-es")
    assert decode_jwt(token)[0]["alg"] == "ES256"
    creds, temp = assume(idp, token, RoleArn=idp.role_arn)
    assert abs(parse_expiration(creds["Expiration"]) - decode_jwt(token)[1]["exp"]) <= EXP_SLACK
    temp.put_object(Bucket=bucket, Key="carol.txt", Body=b"c")
    assert temp.get_object(Bucket=bucket, Key="carol.txt")["Body"].read() == b"c"
    # alice's readonly claim does not matter to the role-based provider.
    _, temp = assume(idp, id_token(idp, "alice", client_id="tessera-es"), RoleArn=idp.role_arn)
    temp.put_object(Bucket=bucket, Key="alice.txt", Body=b"a")


def test_tokens_must_be_for_the_chosen_providers_client(idp):
    es_token = id_token(idp, "alice", client_id="tessera-es")
    message = refused(web_identity(idp, es_token))  # claim-based: client tessera
    assert "tessera" in message, message
    message = refused(web_identity(idp, id_token(idp, "alice"), RoleArn=idp.role_arn))
    assert "tessera-es" in message, message


@pytest.mark.parametrize("arn", [AWS_ROLE_ARN, "arn:minio:iam:::role/NoSuchRoleXXXXXXXXXXXXXXXX",
                                 "not-an-arn"])
def test_an_unknown_role_arn_is_ignored_beside_the_claim_based_provider(idp, bucket, root_s3,
                                                                        arn):
    root_s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    _, temp = assume(idp, id_token(idp, "alice"), RoleArn=arn)
    assert temp.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    # still alice's readonly policy
    assert expect_error(temp.put_object, Bucket=bucket, Key="w", Body=b"w")[:2] == \
        ("AccessDenied", 403)


# ---------------------------------------------------------------------------------------------
# 4. ClientGrants


def test_client_grants_with_a_client_credentials_access_token(idp, bucket):
    token = idp.provider.access_token(client_id="tessera", resource="urn:tessera")
    at = decode_jwt(token)[1]
    assert at["client_id"] == "tessera" and at["aud"] == "urn:tessera"
    resp = client_grants(idp, token)
    assert resp.status_code == 200, resp.text
    root = sts_xml(resp)
    assert root.tag == f"{STS_NS}{GRANTS}Response"
    result = root.find(f"{STS_NS}{GRANTS}Result")
    assert result.findtext(f"{STS_NS}SubjectFromToken") == "tessera"
    assert result.find(f"{STS_NS}AssumedRoleUser") is not None
    creds = sts_credentials(resp, GRANTS)
    assert abs(parse_expiration(creds["Expiration"]) - at["exp"]) <= EXP_SLACK
    temp = temp_s3(idp, creds)
    temp.put_object(Bucket=bucket, Key="cg.txt", Body=b"grants")
    assert temp.get_object(Bucket=bucket, Key="cg.txt")["Body"].read() == b"grants"


def test_client_grants_with_the_role_arn_and_an_es256_access_token(idp, bucket):
    token = idp.provider.access_token(client_id="tessera-es")
    creds = sts_credentials(client_grants(idp, token, RoleArn=idp.role_arn), GRANTS)
    temp_s3(idp, creds).put_object(Bucket=bucket, Key="es.txt", Body=b"es")
    # without the ARN the claim-based provider (client tessera) refuses it
    assert "tessera" in refused(client_grants(idp, token))


def test_client_grants_errors(idp):
    message = refused(client_grants(idp, None))
    assert "Token" in message
    other = idp.provider.access_token(client_id="other-app")
    refused(client_grants(idp, other))
    now = int(time.time())
    expired = idp.provider.sign_jwt(claims(idp, iat=now - 3600, exp=now - 120))
    refused(client_grants(idp, expired), "ExpiredToken")


@pytest.mark.parametrize("where", ["aud", "aud-list", "azp", "client_id"])
def test_the_client_id_may_be_in_aud_azp_or_client_id(idp, where):
    over = {"aud": {"aud": "tessera", "aud-list": ["urn:x", "tessera"],
                    "azp": "urn:x", "client_id": "urn:tessera"}[where]}
    if where == "azp":
        over["azp"] = "tessera"
    if where == "client_id":
        over["client_id"] = "tessera"
    token = idp.provider.sign_jwt(claims(idp, **over))
    sts_credentials(web_identity(idp, token), WEB)
    sts_credentials(client_grants(idp, token), GRANTS)


# ---------------------------------------------------------------------------------------------
# 5. Refused tokens


def _no_kid(idp):
    return sign_raw(idp, {"alg": "RS256", "typ": "JWT"}, claims(idp))


def _alg_none(idp):
    kid = rsa_jwk(idp)["kid"]
    return compact({"alg": "none", "typ": "JWT", "kid": kid}, claims(idp)) + "."


def _hs256_with_public_key(idp):
    public = next(k for k in idp.provider.jwks()["keys"] if k["kid"] == rsa_jwk(idp)["kid"])
    signing_input = compact({"alg": "HS256", "typ": "JWT", "kid": public["kid"]}, claims(idp))
    secret = json.dumps(public).encode()
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(sig)


def _tampered(idp):
    token = idp.provider.sign_jwt(claims(idp, policy="readonly"))
    header, payload, sig = token.split(".")
    forged = b64url_encode(json.dumps(claims(idp, policy="consoleAdmin")).encode())
    return f"{header}.{forged}.{sig}"


def _now():
    return int(time.time())


BAD_TOKENS = {
    # name: (token builder, code, text the message must contain (lower-cased) or None)
    "other-app-audience": (lambda idp: id_token(idp, "alice", client_id="other-app"),
                           "InvalidParameterValue", "tessera"),
    "other-issuer": (lambda idp: idp.provider.sign_jwt(claims(idp, iss="http://elsewhere.test")),
                     "InvalidParameterValue", "issuer"),
    "expired-2-min-ago": (lambda idp: idp.provider.sign_jwt(
        claims(idp, iat=_now() - 3600, exp=_now() - 120)), "ExpiredToken", None),
    "nbf-10-min-ahead": (lambda idp: idp.provider.sign_jwt(claims(idp, nbf=_now() + 600)),
                         "InvalidParameterValue", None),
    "no-kid": (_no_kid, "InvalidParameterValue", "kid"),
    "alg-none": (_alg_none, "InvalidParameterValue", None),
    "hs256-with-the-public-jwk": (_hs256_with_public_key, "InvalidParameterValue", None),
    "one-megabyte": (lambda idp: idp.provider.sign_jwt(claims(idp, pad="x" * (1 << 20))),
                     "InvalidParameterValue", None),
    "twenty-kib": (lambda idp: idp.provider.sign_jwt(claims(idp, pad="x" * (20 << 10))),
                   "InvalidParameterValue", None),
    "tampered-claims": (_tampered, "InvalidParameterValue", None),
    "no-sub": (lambda idp: idp.provider.sign_jwt(claims(idp, sub=None)),
               "InvalidParameterValue", None),
    "not-a-jwt": (lambda idp: "not.a.jwt", "InvalidParameterValue", None),
    "garbage": (lambda idp: "x" * 100, "InvalidParameterValue", None),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_refused_tokens(idp, case):
    build, code, text = BAD_TOKENS[case]
    token = build(idp)
    message = refused(web_identity(idp, token), code)
    if text:
        assert text in message.lower(), message
    assert len(message) < 4096  # a 1 MB token is not echoed back


def test_a_one_megabyte_token_in_the_query_string_is_refused(idp):
    """In the form body it is an STS error (test_refused_tokens); in the URL the HTTP layer
    refuses the request head first (431, as Go's net/http does past its 1 MB header limit)."""
    token = idp.provider.sign_jwt(claims(idp, pad="x" * (1 << 20)))
    resp = web_identity(idp, token, body=False)
    assert resp.status_code in (400, 414, 431), (resp.status_code, resp.text[:500])
    assert b"<Credentials>" not in resp.content


def test_a_missing_or_empty_web_identity_token_is_refused(idp):
    assert "WebIdentityToken" in refused(web_identity(idp, None))
    refused(web_identity(idp, ""))


# ---------------------------------------------------------------------------------------------
# 6. Unknown kids, key rotation, provider restart


def test_a_flood_of_unknown_kids_refetches_the_jwks_at_most_once_per_10_s(idp):
    header_claims = claims(idp)
    tokens = [idp.provider.sign_jwt(header_claims, header={"kid": f"random-{secrets.token_hex(8)}"})
              for _ in range(1000)]
    assert len({decode_jwt(t)[0]["kid"] for t in tokens}) == 1000
    before = jwks_fetches(idp)

    def send(chunk):
        out = []
        with requests.Session() as s:
            for t in chunk:
                r = s.post(f"{idp.server.endpoint}/",
                           data={"Action": WEB, "Version": STS_VERSION, "WebIdentityToken": t},
                           timeout=30)
                out.append((r.status_code, sts_error(r)[0], b"<Credentials>" in r.content))
        return out

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = [x for part in pool.map(send, [tokens[i::8] for i in range(8)]) for x in part]
    elapsed = time.monotonic() - started
    assert len(results) == 1000
    bad = [r for r in results if r != (400, "InvalidParameterValue", False)]
    assert not bad, bad[:5]
    time.sleep(0.3)  # let the log catch up
    new = jwks_fetches(idp) - before
    assert new <= 5, f"{new} JWKS fetches during a {elapsed:.1f} s flood"
    assert new <= elapsed / 10 + 1, f"{new} JWKS fetches during a {elapsed:.1f} s flood"
    # The server still serves good tokens.
    sts_credentials(web_identity(idp, id_token(idp, "bob")), WEB)


def _accepted_within(idp, token: str, seconds: float = 15.0, **params) -> float:
    """Retry (bounded) until the token is accepted; return how long it took."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < seconds:
        last = web_identity(idp, token, **params)
        if last.status_code == 200:
            return time.monotonic() - started
        time.sleep(0.5)
    pytest.fail(f"token not accepted within {seconds}s: {last.status_code} {last.text[:500]}")


def test_key_rotation_at_the_provider_without_restarting_tessera(idp, bucket):
    old = id_token(idp, "bob")
    old_es = id_token(idp, "carol", client_id="tessera-es")
    sts_credentials(web_identity(idp, old), WEB)
    fetches = jwks_fetches(idp)

    new_kid = idp.provider.rotate_keys()
    new_es_kid = idp.provider.rotate_keys("ES256")
    new = id_token(idp, "bob")
    new_es = id_token(idp, "carol", client_id="tessera-es")
    assert decode_jwt(new)[0]["kid"] == new_kid != decode_jwt(old)[0]["kid"]
    assert decode_jwt(new_es)[0]["kid"] == new_es_kid != decode_jwt(old_es)[0]["kid"]

    _accepted_within(idp, new)
    _accepted_within(idp, new_es, RoleArn=idp.role_arn)
    assert jwks_fetches(idp) > fetches
    # Tokens of the old keys (still published) keep working.
    sts_credentials(web_identity(idp, old), WEB)
    sts_credentials(web_identity(idp, old_es, RoleArn=idp.role_arn), WEB)
    _, temp = assume(idp, new)
    temp.put_object(Bucket=bucket, Key="rotated.txt", Body=b"r")


def test_tessera_keeps_working_while_the_provider_is_down_and_after_a_restart(idp, bucket):
    provider = idp.provider
    before = id_token(idp, "bob")
    before_es = id_token(idp, "carol", client_id="tessera-es")
    provider.stop()
    try:
        # Keys already fetched: tokens still verify while the provider is down.
        _, temp = assume(idp, before)
        temp.put_object(Bucket=bucket, Key="down.txt", Body=b"d")
        assume(idp, before_es, RoleArn=idp.role_arn)
        # A token signed with an unknown kid is still refused (the refetch fails).
        bogus = provider.sign_jwt(claims(idp), header={"kid": f"random-{secrets.token_hex(4)}"})
        assert web_identity(idp, bogus).status_code == 400
    finally:
        provider.start(provider.dir)

    after = id_token(idp, "bob")
    _, temp = assume(idp, after)
    temp.put_object(Bucket=bucket, Key="up.txt", Body=b"u")

    provider.restart()
    again = id_token(idp, "alice")
    _, temp = assume(idp, again)
    assert temp.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"u"
    assume(idp, id_token(idp, "carol", client_id="tessera-es"), RoleArn=idp.role_arn)
    assert idp.server.proc.poll() is None


# ---------------------------------------------------------------------------------------------
# 7. Clients: minio-py, boto3, the AWS CLI


def test_minio_py_web_identity_provider(idp, bucket):
    token = id_token(idp, "bob")
    provider = WebIdentityProvider(
        jwt_provider_func=lambda: {"id_token": token, "expires_in": "3600"},
        sts_endpoint=idp.server.endpoint)
    client = Minio(idp.server.host, credentials=provider, secure=False, region="us-east-1")
    data = b"minio-py web identity"
    client.put_object(bucket, "mp/web.txt", io.BytesIO(data), len(data))
    resp = client.get_object(bucket, "mp/web.txt")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()
    creds = provider.retrieve()
    assert creds.session_token

    # alice's credentials through minio-py cannot write.
    alice = id_token(idp, "alice")
    ro = Minio(idp.server.host, secure=False, region="us-east-1", credentials=WebIdentityProvider(
        jwt_provider_func=lambda: {"id_token": alice, "expires_in": "3600"},
        sts_endpoint=idp.server.endpoint))
    with pytest.raises(S3Error) as e:
        ro.put_object(bucket, "mp/no.txt", io.BytesIO(b"x"), 1)
    assert e.value.code == "AccessDenied"


def test_minio_py_client_grants_provider(idp, bucket):
    at = idp.provider.access_token(client_id="tessera", resource="urn:tessera")
    provider = ClientGrantsProvider(
        jwt_provider_func=lambda: {"access_token": at, "expires_in": "3600"},
        sts_endpoint=idp.server.endpoint)
    client = Minio(idp.server.host, credentials=provider, secure=False, region="us-east-1")
    data = b"minio-py client grants"
    client.put_object(bucket, "mp/grants.txt", io.BytesIO(data), len(data))
    resp = client.get_object(bucket, "mp/grants.txt")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()


def test_boto3_assume_role_with_web_identity_unsigned(idp, bucket):
    sts = boto3.client("sts", endpoint_url=idp.server.endpoint, region_name="us-east-1",
                       aws_access_key_id="AKIAUNUSEDUNUSED0000", aws_secret_access_key="unused",
                       config=Config(retries={"max_attempts": 1}))
    seen = []
    sts.meta.events.register("before-send.sts.AssumeRoleWithWebIdentity",
                             lambda request, **_: seen.append(dict(request.headers)))
    token = id_token(idp, "bob")
    resp = sts.assume_role_with_web_identity(RoleArn=AWS_ROLE_ARN, RoleSessionName="s1",
                                             WebIdentityToken=token)
    assert "Authorization" not in seen[0]
    assert resp["SubjectFromWebIdentityToken"] == "bob"
    creds = resp["Credentials"]
    exp = decode_jwt(token)[1]["exp"]
    assert abs(creds["Expiration"].timestamp() - exp) <= EXP_SLACK
    temp = make_s3_client(idp.server, creds["AccessKeyId"], creds["SecretAccessKey"],
                          session_token=creds["SessionToken"])
    temp.put_object(Bucket=bucket, Key="boto3.txt", Body=b"b")
    assert temp.get_object(Bucket=bucket, Key="boto3.txt")["Body"].read() == b"b"

    # boto3 with the role ARN of the role-based provider
    es = id_token(idp, "carol", client_id="tessera-es")
    resp = sts.assume_role_with_web_identity(RoleArn=idp.role_arn, RoleSessionName="s1",
                                             WebIdentityToken=es)
    assert resp["SubjectFromWebIdentityToken"] == "carol"

    # a refused token is a ClientError with the STS code
    with pytest.raises(ClientError) as e:
        sts.assume_role_with_web_identity(RoleArn=AWS_ROLE_ARN, RoleSessionName="s1",
                                          WebIdentityToken=id_token(idp, "carol"))
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


@pytest.fixture(scope="module")
def aws_cli(idp, tmp_path_factory):
    exe = Path(sys.executable).parent / "aws"
    if not exe.exists():
        found = shutil.which("aws")
        if not found:
            pytest.skip("the AWS CLI is not installed")
        exe = Path(found)
    home = tmp_path_factory.mktemp("aws-home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "MINIO_", "TESSERA_"))}
    env.update(HOME=str(home), AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(home / "none"), AWS_SHARED_CREDENTIALS_FILE=str(home / "none"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    return Tool([str(exe), "--endpoint-url", idp.server.endpoint], env)


def test_aws_cli_assume_role_with_web_identity(idp, aws_cli, bucket, tmp_path):
    token = id_token(idp, "bob")
    out = aws_cli("sts", "assume-role-with-web-identity", "--role-arn", AWS_ROLE_ARN,
                  "--role-session-name", "s1", "--web-identity-token", token,
                  "--output", "json").stdout
    resp = json.loads(out)
    assert resp["SubjectFromWebIdentityToken"] == "bob"
    creds = resp["Credentials"]
    env = dict(aws_cli.env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
               AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    cli = Tool(aws_cli.argv0, env)
    f = tmp_path / "cli.txt"
    f.write_text("from the aws cli\n")
    cli("s3", "cp", str(f), f"s3://{bucket}/cli.txt")
    assert cli("s3", "cp", f"s3://{bucket}/cli.txt", "-").stdout == "from the aws cli\n"

    p = aws_cli("sts", "assume-role-with-web-identity", "--role-arn", AWS_ROLE_ARN,
                "--role-session-name", "s1", "--web-identity-token", id_token(idp, "carol"),
                check=False)
    assert p.returncode != 0 and "InvalidParameterValue" in p.stderr, p.stderr
