"""STS on Tessera: AssumeRole and GetCallerIdentity through boto3, minio-py, the AWS CLI and raw
signed requests; temporary credentials on S3 (headers and presigned URLs), their expiry, session
policies that narrow but never widen, tampered or mismatched session tokens, live changes to the
parent user, admin revocation and temporary-account-info, and bad STS input.

The server runs with TESSERA_STS_DURATION_MIN=1s (conftest.py), so credentials that live a few
seconds can be asked for."""

from __future__ import annotations

import io
import json
import re
import secrets
import string
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config
from minio import Minio, MinioAdmin
from minio.credentials import AssumeRoleProvider, StaticProvider
from minio.error import MinioAdminException, S3Error

from helpers import (
    STS_NS,
    STS_VERSION,
    Tool,
    expect_error,
    madmin_decrypt,
    make_s3_client,
    signed_request,
    sts_credentials,
    sts_error,
    sts_request,
    sts_xml,
    xml_error,
)

ROLE_ARN = "arn:xxx:xxx:xxx:xxxx"  # ignored by the server; boto3 needs one of 20+ characters
ASSUME = {"Action": "AssumeRole", "Version": STS_VERSION, "RoleArn": ROLE_ARN,
          "RoleSessionName": "s1"}
TIME_SLACK = 30  # seconds of tolerance between the test's clock and the server's

HOME_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::BUCKET"],
         "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": ["arn:aws:s3:::BUCKET/${aws:username}/*"]},
    ],
}


# ---------------------------------------------------------------------------------------------
# helpers


def admin_for(server, access_key: str, secret_key: str, session_token: str | None = None
              ) -> MinioAdmin:
    return MinioAdmin(endpoint=server.host,
                      credentials=StaticProvider(access_key, secret_key, session_token),
                      secure=False)


@pytest.fixture(scope="module")
def admin(server) -> MinioAdmin:
    return admin_for(server, server.access_key, server.secret_key)


def new_user(admin: MinioAdmin, prefix: str, policy: str | None = None) -> tuple[str, str]:
    """A fresh enabled IAM user, optionally with a built-in policy attached."""
    name = f"{prefix}{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(18)
    admin.user_add(name, secret)
    if policy:
        admin.attach_policy([policy], user=name)
    return name, secret


def home_policy(admin: MinioAdmin, bucket: str) -> str:
    name = f"home-{bucket}"[:60]
    admin.policy_add(name, policy=json.loads(json.dumps(HOME_POLICY).replace("BUCKET", bucket)))
    return name


def sts_client(server, access_key: str, secret_key: str, session_token: str | None = None,
               **config):
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10,
                      read_timeout=60, **config),
    )


def assume(server, access_key: str, secret_key: str, **kwargs) -> dict:
    """boto3 AssumeRole; returns the Credentials dict."""
    resp = sts_client(server, access_key, secret_key).assume_role(
        RoleArn=ROLE_ARN, RoleSessionName="s1", **kwargs)
    return resp["Credentials"]


def raw_assume(server, access_key: str, secret_key: str, **params) -> dict[str, str]:
    """AssumeRole by a hand-signed form POST (any extra parameter, e.g. TokenRevokeType)."""
    resp = sts_request(server, dict(ASSUME, **{k: str(v) for k, v in params.items()}),
                       access_key, secret_key)
    return sts_credentials(resp)


def temp_s3(server, creds: dict):
    """boto3 S3 with temporary credentials; SigV4 also for presigned URLs (botocore presigns
    S3 with SigV2 unless told otherwise)."""
    return make_s3_client(server, creds["AccessKeyId"], creds["SecretAccessKey"],
                          session_token=creds["SessionToken"], signature_version="s3v4")


def parse_expiration(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def assert_temporary_key(access_key: str) -> None:
    assert access_key.startswith("ASIA") and len(access_key) == 20, access_key


def flip_char(token: str, i: int | None = None) -> str:
    """The token with one character changed (in the middle by default)."""
    i = len(token) // 2 if i is None else i
    repl = "A" if token[i] != "A" else "B"
    return token[:i] + repl + token[i + 1:]


def s3_code(resp: requests.Response) -> tuple[int, str]:
    return resp.status_code, xml_error(resp)[0]


def session_policy(actions: list[str], resources: list[str], **extra) -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# ---------------------------------------------------------------------------------------------
# 1. boto3 AssumeRole as an IAM user, S3 with the session token, presigned URLs


def test_boto3_assume_role_as_iam_user_keeps_the_home_directory_policy(admin, server, s3,
                                                                       bucket):
    name, secret = new_user(admin, "home")
    admin.attach_policy([home_policy(admin, bucket)], user=name)
    s3.put_object(Bucket=bucket, Key="other/secret.txt", Body=b"not yours")

    before = datetime.now(timezone.utc)
    creds = assume(server, name, secret)
    assert_temporary_key(creds["AccessKeyId"])
    assert creds["SecretAccessKey"] and creds["SessionToken"]
    # Default duration: one hour.
    lifetime = (creds["Expiration"] - before).total_seconds()
    assert 3600 - TIME_SLACK <= lifetime <= 3600 + TIME_SLACK, creds["Expiration"]

    temp = temp_s3(server, creds)
    temp.put_object(Bucket=bucket, Key=f"{name}/a.txt", Body=b"mine")
    assert temp.get_object(Bucket=bucket, Key=f"{name}/a.txt")["Body"].read() == b"mine"
    listed = temp.list_objects_v2(Bucket=bucket, Prefix=f"{name}/")
    assert [o["Key"] for o in listed["Contents"]] == [f"{name}/a.txt"]
    for call in (lambda: temp.get_object(Bucket=bucket, Key="other/secret.txt"),
                 lambda: temp.put_object(Bucket=bucket, Key="other/x", Body=b"x"),
                 lambda: temp.list_objects_v2(Bucket=bucket, Prefix="other/")):
        code, status, _ = expect_error(call)
        assert (code, status) == ("AccessDenied", 403)

    url = temp.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": f"{name}/a.txt"}, ExpiresIn=300)
    assert "X-Amz-Security-Token=" in url
    got = requests.get(url, timeout=30)
    assert got.status_code == 200, got.text
    assert got.content == b"mine"

    other = temp.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "other/secret.txt"}, ExpiresIn=300)
    assert s3_code(requests.get(other, timeout=30)) == (403, "AccessDenied")

    # The same URL without its security token is refused.
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qs(parts.query).items() if k != "X-Amz-Security-Token"}
    stripped = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    assert requests.get(stripped, timeout=30).status_code == 403


# ---------------------------------------------------------------------------------------------
# 2. Session policies narrow and never widen


def test_root_session_policy_narrows_to_get_object_on_one_bucket(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"readable")
    creds = assume(server, server.access_key, server.secret_key,
                   Policy=session_policy(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/*"]))
    assert_temporary_key(creds["AccessKeyId"])
    temp = temp_s3(server, creds)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"readable"
    code, status, _ = expect_error(temp.put_object, Bucket=bucket, Key="new.txt", Body=b"x")
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = expect_error(temp.list_buckets)
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = expect_error(temp.list_objects_v2, Bucket=bucket)
    assert (code, status) == ("AccessDenied", 403)
    # Root's admin rights are narrowed away as well.
    temp_admin = admin_for(server, creds["AccessKeyId"], creds["SecretAccessKey"],
                           creds["SessionToken"])
    with pytest.raises(MinioAdminException) as e:
        temp_admin.user_list()
    assert e.value._code == "403", str(e.value)


def test_root_temporary_credentials_without_policy_can_do_everything(server, s3, bucket_name,
                                                                     cleanup_buckets):
    creds = assume(server, server.access_key, server.secret_key)
    temp = temp_s3(server, creds)
    cleanup_buckets.append(bucket_name)
    temp.create_bucket(Bucket=bucket_name)
    temp.put_object(Bucket=bucket_name, Key="k", Body=b"v")
    assert temp.get_object(Bucket=bucket_name, Key="k")["Body"].read() == b"v"
    assert bucket_name in [b["Name"] for b in temp.list_buckets()["Buckets"]]
    temp.delete_object(Bucket=bucket_name, Key="k")
    # Admin calls too.
    temp_admin = admin_for(server, creds["AccessKeyId"], creds["SecretAccessKey"],
                           creds["SessionToken"])
    assert isinstance(json.loads(temp_admin.user_list()), dict)


def test_session_policy_never_widens_a_readonly_user(admin, server, s3, bucket):
    name, secret = new_user(admin, "ro", policy="readonly")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"data")
    creds = assume(server, name, secret, Policy=session_policy(
        ["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{bucket}/*"]))
    temp = temp_s3(server, creds)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"data"
    code, status, _ = expect_error(temp.put_object, Bucket=bucket, Key="new.txt", Body=b"x")
    assert (code, status) == ("AccessDenied", 403)
    # The parent's own keys are no wider either.
    code, status, _ = expect_error(make_s3_client(server, name, secret).put_object,
                                   Bucket=bucket, Key="new.txt", Body=b"x")
    assert (code, status) == ("AccessDenied", 403)


def test_session_policy_limit_counts_the_normalised_document(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"data")
    doc = json.loads(session_policy(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/*"]))
    padded = json.dumps(doc, indent=150)
    assert len(padded) > 2048 > len(json.dumps(doc, separators=(",", ":")))
    creds = raw_assume(server, server.access_key, server.secret_key, Policy=padded)
    temp = temp_s3(server, creds)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"data"
    code, _, _ = expect_error(temp.put_object, Bucket=bucket, Key="x", Body=b"x")
    assert code == "AccessDenied"


# ---------------------------------------------------------------------------------------------
# 3. minio-py


def test_minio_py_assume_role_provider(admin, server, s3, bucket):
    name, secret = new_user(admin, "mpy", policy="readwrite")
    provider = AssumeRoleProvider(sts_endpoint=server.endpoint, access_key=name,
                                  secret_key=secret)
    creds = provider.retrieve()
    assert_temporary_key(creds.access_key)
    assert creds.session_token
    client = Minio(server.host, credentials=provider, secure=False, region=server.region)
    data = b"from minio-py with temporary credentials"
    client.put_object(bucket, "mpy/obj.txt", io.BytesIO(data), len(data))
    resp = client.get_object(bucket, "mpy/obj.txt")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()
    assert s3.get_object(Bucket=bucket, Key="mpy/obj.txt")["Body"].read() == data
    url = client.presigned_get_object(bucket, "mpy/obj.txt")
    assert "X-Amz-Security-Token=" in url
    got = requests.get(url, timeout=30)
    assert got.status_code == 200, got.text
    assert got.content == data

    # A session policy given to the provider narrows the credentials.
    narrowed = AssumeRoleProvider(
        sts_endpoint=server.endpoint, access_key=name, secret_key=secret,
        policy=session_policy(["s3:GetObject"], [f"arn:aws:s3:::{bucket}/*"]))
    reader = Minio(server.host, credentials=narrowed, secure=False, region=server.region)
    resp = reader.get_object(bucket, "mpy/obj.txt")
    try:
        assert resp.read() == data
    finally:
        resp.close()
        resp.release_conn()
    with pytest.raises(S3Error) as e:
        reader.put_object(bucket, "mpy/other.txt", io.BytesIO(b"x"), 1)
    assert e.value.code == "AccessDenied"


# ---------------------------------------------------------------------------------------------
# 4. AWS CLI


def test_awscli_assume_role_cp_and_get_caller_identity(aws, admin, server, s3, bucket, tmp_path):
    name, secret = new_user(admin, "cli", policy="readwrite")
    as_user = Tool(aws.argv0, dict(aws.env, AWS_ACCESS_KEY_ID=name, AWS_SECRET_ACCESS_KEY=secret))

    ident = json.loads(as_user("sts", "get-caller-identity", "--output", "json").stdout)
    assert re.fullmatch(r"\d{12}", ident["Account"]), ident
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:user/{name}"

    out = as_user("sts", "assume-role", "--role-arn", ROLE_ARN, "--role-session-name", "s1",
                  "--output", "json").stdout
    creds = json.loads(out)["Credentials"]
    assert_temporary_key(creds["AccessKeyId"])
    as_temp = Tool(aws.argv0, dict(aws.env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                                   AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                                   AWS_SESSION_TOKEN=creds["SessionToken"]))

    src = tmp_path / "up.txt"
    src.write_bytes(b"uploaded by the aws cli with a session token\n")
    assert "upload:" in as_temp("s3", "cp", str(src), f"s3://{bucket}/cli/up.txt").stdout
    assert s3.get_object(Bucket=bucket, Key="cli/up.txt")["Body"].read() == src.read_bytes()
    back = tmp_path / "back.txt"
    as_temp("s3", "cp", f"s3://{bucket}/cli/up.txt", str(back))
    assert back.read_bytes() == src.read_bytes()

    ident = json.loads(as_temp("sts", "get-caller-identity", "--output", "json").stdout)
    assert ident["Arn"] == (f"arn:aws:sts::{ident['Account']}:assumed-role/{name}/"
                            f"{creds['AccessKeyId']}")
    assert ident["UserId"] == creds["AccessKeyId"]

    # Without the session token the temporary keys are refused.
    no_token = Tool(aws.argv0, {k: v for k, v in as_temp.env.items() if k != "AWS_SESSION_TOKEN"})
    p = no_token("s3", "cp", f"s3://{bucket}/cli/up.txt", str(tmp_path / "x"), check=False)
    assert p.returncode != 0
    assert "403" in p.stderr or "InvalidTokenId" in p.stderr, p.stderr


# ---------------------------------------------------------------------------------------------
# 5. GetCallerIdentity


def test_get_caller_identity_for_root_user_and_temporary_credentials(admin, server):
    root = sts_client(server, server.access_key, server.secret_key).get_caller_identity()
    account = root["Account"]
    assert re.fullmatch(r"\d{12}", account), root
    assert root["Arn"].endswith(":root"), root

    name, secret = new_user(admin, "gci", policy="readonly")
    user = sts_client(server, name, secret).get_caller_identity()
    assert user["Account"] == account
    assert user["Arn"] == f"arn:aws:iam::{account}:user/{name}"

    creds = assume(server, name, secret)
    temp = sts_client(server, creds["AccessKeyId"], creds["SecretAccessKey"],
                      creds["SessionToken"]).get_caller_identity()
    assert temp["Account"] == account
    assert temp["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/{creds['AccessKeyId']}"
    assert temp["UserId"] == creds["AccessKeyId"]


def test_get_caller_identity_response_envelope(server):
    resp = sts_request(server, {"Action": "GetCallerIdentity", "Version": STS_VERSION},
                       server.access_key, server.secret_key)
    assert resp.status_code == 200, resp.text
    root = sts_xml(resp)
    assert root.tag == f"{STS_NS}GetCallerIdentityResponse"
    result = root.find(f"{STS_NS}GetCallerIdentityResult")
    assert result is not None, resp.text
    assert result.findtext(f"{STS_NS}Arn", "").endswith(":root")
    assert result.findtext(f"{STS_NS}UserId")
    assert re.fullmatch(r"\d{12}", result.findtext(f"{STS_NS}Account", ""))
    assert server.secret_key not in resp.text


# ---------------------------------------------------------------------------------------------
# The AssumeRole envelope and parameter handling (raw requests)


def test_assume_role_response_envelope(server):
    before = time.time()
    resp = sts_request(server, ASSUME, server.access_key, server.secret_key)
    assert resp.status_code == 200, resp.text
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n'), resp.content[:80]
    root = sts_xml(resp)
    assert root.tag == f"{STS_NS}AssumeRoleResponse"
    result = root.find(f"{STS_NS}AssumeRoleResult")
    assert result is not None
    assert [c.tag for c in result] == [f"{STS_NS}AssumedRoleUser", f"{STS_NS}Credentials"]
    assert [c.tag for c in result.find(f"{STS_NS}AssumedRoleUser")] == [
        f"{STS_NS}Arn", f"{STS_NS}AssumeRoleId"]
    assert [c.tag for c in result.find(f"{STS_NS}Credentials")] == [
        f"{STS_NS}AccessKeyId", f"{STS_NS}SecretAccessKey", f"{STS_NS}SessionToken",
        f"{STS_NS}Expiration"]
    assert root.findtext(f"{STS_NS}ResponseMetadata/{STS_NS}RequestId")
    creds = sts_credentials(resp)
    assert_temporary_key(creds["AccessKeyId"])
    lifetime = parse_expiration(creds["Expiration"]).timestamp() - before
    assert 3600 - TIME_SLACK <= lifetime <= 3600 + TIME_SLACK
    assert server.secret_key not in resp.text


def test_every_assume_role_issues_new_credentials(server):
    a = raw_assume(server, server.access_key, server.secret_key)
    b = raw_assume(server, server.access_key, server.secret_key)
    assert a["AccessKeyId"] != b["AccessKeyId"]
    assert a["SecretAccessKey"] != b["SecretAccessKey"]
    assert a["SessionToken"] != b["SessionToken"]


@pytest.mark.parametrize("seconds", [1, 899, 900, 43200, 31536000])
def test_duration_seconds_within_bounds_sets_the_expiration(server, seconds):
    before = time.time()
    creds = raw_assume(server, server.access_key, server.secret_key, DurationSeconds=seconds)
    lifetime = parse_expiration(creds["Expiration"]).timestamp() - before
    assert seconds - TIME_SLACK <= lifetime <= seconds + TIME_SLACK, creds["Expiration"]


def test_parameters_in_the_query_string_are_accepted(server):
    before = time.time()
    resp = sts_request(server, dict(ASSUME, DurationSeconds="1200"), server.access_key,
                       server.secret_key, body=False)
    creds = sts_credentials(resp)
    lifetime = parse_expiration(creds["Expiration"]).timestamp() - before
    assert 1200 - TIME_SLACK <= lifetime <= 1200 + TIME_SLACK


def test_form_body_wins_over_the_query_string(server):
    before = time.time()
    resp = sts_request(server, {"DurationSeconds": "1000", "Version": STS_VERSION},
                       server.access_key, server.secret_key,
                       query={"Action": "AssumeRole", "Version": "1999-01-01",
                              "DurationSeconds": "abc"})
    creds = sts_credentials(resp)
    lifetime = parse_expiration(creds["Expiration"]).timestamp() - before
    assert 1000 - TIME_SLACK <= lifetime <= 1000 + TIME_SLACK


# ---------------------------------------------------------------------------------------------
# 6. Expiry


def test_temporary_credentials_expire(admin, server, s3, bucket):
    name, secret = new_user(admin, "exp", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"short-lived")
    # botocore refuses DurationSeconds < 900 before sending unless validation is off.
    client = sts_client(server, name, secret, parameter_validation=False)
    before = time.time()
    creds = client.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1",
                               DurationSeconds=3)["Credentials"]
    expires = creds["Expiration"].timestamp()
    assert before + 1 <= expires <= time.time() + 3 + 1, creds["Expiration"]

    temp = temp_s3(server, creds)
    url = temp.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k.txt"},
                                      ExpiresIn=600)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"short-lived"
    assert requests.get(url, timeout=30).status_code == 200

    time.sleep(min(6.0, max(0.0, expires - time.time()) + 1.5))
    code, status, _ = expect_error(temp.get_object, Bucket=bucket, Key="k.txt")
    assert (code, status) == ("InvalidAccessKeyId", 403)
    assert s3_code(requests.get(url, timeout=30)) == (403, "InvalidAccessKeyId")
    # The parent's own keys are unaffected.
    user = make_s3_client(server, name, secret)
    assert user.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"short-lived"


# ---------------------------------------------------------------------------------------------
# 7. Bad input: no credentials, the right error, no secret in the reply


@dataclass
class Ctx:
    server: object
    admin: MinioAdmin
    name: str
    secret: str


@pytest.fixture(scope="module")
def caller(server, admin) -> Ctx:
    name, secret = new_user(admin, "bad", policy="readwrite")
    return Ctx(server, admin, name, secret)


def _signed(params, **kw):
    def build(c: Ctx):
        return sts_request(c.server, params, c.name, c.secret, **kw), [c.secret]
    return build


def _unsigned(c: Ctx):
    return sts_request(c.server, ASSUME), [c.secret]


def _wrong_secret(c: Ctx):
    wrong = c.secret[:-3] + "xyz"
    return sts_request(c.server, ASSUME, c.name, wrong), [c.secret, wrong]


def _unknown_key(c: Ctx):
    return sts_request(c.server, ASSUME, "nosuchuser" + secrets.token_hex(3), c.secret), [c.secret]


def _with_temporary_credentials(c: Ctx):
    t = raw_assume(c.server, c.name, c.secret)
    resp = sts_request(c.server, ASSUME, t["AccessKeyId"], t["SecretAccessKey"],
                       session_token=t["SessionToken"])
    return resp, [c.secret, t["SecretAccessKey"]]


def _with_service_account(c: Ctx):
    created = json.loads(admin_for(c.server, c.name, c.secret).add_service_account(name="sts"))
    ak, sk = created["credentials"]["accessKey"], created["credentials"]["secretKey"]
    return sts_request(c.server, ASSUME, ak, sk), [c.secret, sk]


def _large_body(c: Ctx):
    return sts_request(c.server, dict(ASSUME, ExternalId="x" * 100_000), c.name, c.secret), [
        c.secret]


def _many_params(c: Ctx):
    names = ("".join(t) for t in ((a, b, d) for a in string.ascii_lowercase
                                  for b in string.ascii_lowercase
                                  for d in string.ascii_lowercase))
    extra = "&".join(next(names) for _ in range(10_000))
    data = (urlencode(ASSUME) + "&" + extra).encode()
    return sts_request(c.server, ASSUME, c.name, c.secret, data=data), [c.secret]


def _too_long_policy():
    resources = [f"arn:aws:s3:::bucket-number-{i:03d}/some/prefix/*" for i in range(80)]
    doc = session_policy(["s3:GetObject"], resources)
    assert len(json.dumps(json.loads(doc), separators=(",", ":"))) > 2048
    return doc


def _principal_policy():
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
         "Resource": ["arn:aws:s3:::b/*"]}]})


NO_VERSION = {k: v for k, v in ASSUME.items() if k != "Version"}
NO_ACTION = {k: v for k, v in ASSUME.items() if k != "Action"}

BAD_INPUT = [
    ("unsigned", _unsigned, 400, {"InvalidParameterValue"}),
    # As an S3 signer sends it (with X-Amz-Content-Sha256), and as plain SigV4 for service s3.
    ("signed-for-s3", _signed(ASSUME, service="s3", content_sha256=True), 403, {"AccessDenied"}),
    ("signed-for-s3-without-content-sha256", _signed(ASSUME, service="s3"), 403,
     {"AccessDenied"}),
    ("version-missing", _signed(NO_VERSION), 400, {"MissingParameter"}),
    ("version-wrong", _signed(dict(ASSUME, Version="2011-06-16")), 400, {"MissingParameter"}),
    ("action-missing", _signed(NO_ACTION), 400, {"InvalidParameterValue"}),
    ("action-get-session-token", _signed(dict(ASSUME, Action="GetSessionToken")), 400,
     {"InvalidParameterValue"}),
    ("duration-0", _signed(dict(ASSUME, DurationSeconds="0")), 400, {"InvalidParameterValue"}),
    ("duration-over-365-days", _signed(dict(ASSUME, DurationSeconds="31536001")), 400,
     {"InvalidParameterValue"}),
    ("duration-abc", _signed(dict(ASSUME, DurationSeconds="abc")), 400,
     {"InvalidParameterValue"}),
    ("duration-negative", _signed(dict(ASSUME, DurationSeconds="-1")), 400,
     {"InvalidParameterValue"}),
    ("policy-not-json", _signed(dict(ASSUME, Policy="{not json")), 400,
     {"InvalidParameterValue"}),
    ("policy-too-long", _signed(dict(ASSUME, Policy=_too_long_policy())), 400,
     {"InvalidParameterValue"}),
    ("policy-with-principal", _signed(dict(ASSUME, Policy=_principal_policy())), 400,
     {"InvalidParameterValue"}),
    ("temporary-credentials", _with_temporary_credentials, 403, {"AccessDenied"}),
    ("service-account", _with_service_account, 403, {"AccessDenied"}),
    ("body-100kb", _large_body, 400, {"InvalidParameterValue"}),
    ("10000-parameters", _many_params, 400, {"InvalidParameterValue"}),
    ("wrong-secret", _wrong_secret, 403, {"AccessDenied", "SignatureDoesNotMatch"}),
    ("unknown-access-key", _unknown_key, 403, {"AccessDenied", "InvalidAccessKeyId"}),
]


@pytest.mark.parametrize("build,status,codes", [c[1:] for c in BAD_INPUT],
                         ids=[c[0] for c in BAD_INPUT])
def test_bad_assume_role_request_is_refused(caller, build, status, codes):
    resp, secrets_used = build(caller)
    assert resp.status_code == status, resp.text
    code, message = sts_error(resp)
    assert code in codes, resp.text
    assert message.strip(), resp.text
    root = sts_xml(resp)
    assert root.find(f"{STS_NS}Error/{STS_NS}Type") is not None, resp.text
    assert b"<Credentials>" not in resp.content and b"<SessionToken>" not in resp.content
    for s in secrets_used:
        assert s not in resp.text


# ---------------------------------------------------------------------------------------------
# 8. Tampered and mismatched session tokens


def test_missing_tampered_and_mismatched_session_tokens_are_refused(admin, server, s3, bucket):
    name, secret = new_user(admin, "tok", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    a = assume(server, name, secret)
    b = assume(server, name, secret)
    c = assume(server, server.access_key, server.secret_key)
    assert temp_s3(server, a).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"

    cases = {
        "missing token": (a["AccessKeyId"], a["SecretAccessKey"], None),
        "flipped character": (a["AccessKeyId"], a["SecretAccessKey"],
                              flip_char(a["SessionToken"])),
        "flipped last character": (a["AccessKeyId"], a["SecretAccessKey"],
                                   flip_char(a["SessionToken"], len(a["SessionToken"]) - 2)),
        "another session's token": (a["AccessKeyId"], a["SecretAccessKey"], b["SessionToken"]),
        "another user's token": (a["AccessKeyId"], a["SecretAccessKey"], c["SessionToken"]),
        "token with the user's keys": (name, secret, a["SessionToken"]),
        "token with root's keys": (server.access_key, server.secret_key, a["SessionToken"]),
    }
    for label, (ak, sk, token) in cases.items():
        client = make_s3_client(server, ak, sk, session_token=token)
        code, status, _ = expect_error(client.get_object, Bucket=bucket, Key="k.txt")
        assert (code, status) == ("InvalidTokenId", 403), label

    # A presigned URL signed over a tampered token.
    tampered = dict(a, SessionToken=flip_char(a["SessionToken"]))
    url = temp_s3(server, tampered).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k.txt"}, ExpiresIn=300)
    assert s3_code(requests.get(url, timeout=30)) == (403, "InvalidTokenId")
    # Both sessions still work with their own tokens.
    for creds in (a, b):
        assert temp_s3(server, creds).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"


# ---------------------------------------------------------------------------------------------
# 9. The parent's policies and status apply at every request


def test_detaching_the_parents_policy_takes_effect_on_temporary_credentials(admin, server, s3,
                                                                            bucket):
    name, secret = new_user(admin, "det", policy="readwrite")
    temp = temp_s3(server, assume(server, name, secret))
    temp.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    admin.detach_policy(["readwrite"], user=name)
    code, status, _ = expect_error(temp.get_object, Bucket=bucket, Key="k.txt")
    assert (code, status) == ("AccessDenied", 403)
    admin.attach_policy(["readwrite"], user=name)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"


def test_disabling_the_parent_stops_its_temporary_credentials(admin, server, s3, bucket):
    name, secret = new_user(admin, "dis", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    temp = temp_s3(server, assume(server, name, secret))
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    admin.user_disable(name)
    code, status, _ = expect_error(temp.get_object, Bucket=bucket, Key="k.txt")
    assert status == 403 and code in {"InvalidAccessKeyId", "AccessDenied"}, code


def test_deleting_the_parent_ends_its_temporary_credentials(admin, server, s3, bucket):
    name, secret = new_user(admin, "del", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    creds = assume(server, name, secret)
    temp = temp_s3(server, creds)
    assert temp.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    admin.user_remove(name)
    code, status, _ = expect_error(temp.get_object, Bucket=bucket, Key="k.txt")
    assert status == 403, code
    code, status, _ = expect_error(temp.put_object, Bucket=bucket, Key="n.txt", Body=b"x")
    assert status == 403, code


# ---------------------------------------------------------------------------------------------
# 10. Revocation and temporary-account-info


def revoke(server, user: str, **params) -> requests.Response:
    return signed_request(server, "POST", "/minio/admin/v3/revoke-tokens/builtin",
                          params={"user": user, **params})


def test_full_revocation_ends_every_earlier_session_of_the_user(admin, server, s3, bucket):
    name, secret = new_user(admin, "rev", policy="readwrite")
    other, other_secret = new_user(admin, "keep", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    sessions = [assume(server, name, secret),
                raw_assume(server, name, secret, TokenRevokeType="T")]
    bystander = assume(server, other, other_secret)
    for creds in sessions + [bystander]:
        assert temp_s3(server, creds).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"

    resp = revoke(server, name, fullRevoke="true")
    assert resp.status_code == 204, resp.text

    for creds in sessions:
        code, status, _ = expect_error(temp_s3(server, creds).get_object, Bucket=bucket,
                                       Key="k.txt")
        assert (code, status) == ("InvalidAccessKeyId", 403)
    # Another user's session and the user's own keys are untouched; new sessions work.
    assert temp_s3(server, bystander).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    assert make_s3_client(server, name, secret).get_object(
        Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    fresh = assume(server, name, secret)
    assert temp_s3(server, fresh).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"


def test_revocation_by_token_type_ends_only_sessions_of_that_type(admin, server, s3, bucket):
    name, secret = new_user(admin, "typ", policy="readwrite")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    typed = raw_assume(server, name, secret, TokenRevokeType="T")
    other_type = raw_assume(server, name, secret, TokenRevokeType="U")
    untyped = raw_assume(server, name, secret)

    resp = revoke(server, name, tokenRevokeType="T")
    assert resp.status_code == 204, resp.text

    code, status, _ = expect_error(temp_s3(server, typed).get_object, Bucket=bucket, Key="k.txt")
    assert (code, status) == ("InvalidAccessKeyId", 403)
    for creds in (other_type, untyped):
        assert temp_s3(server, creds).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    later = raw_assume(server, name, secret, TokenRevokeType="T")
    assert temp_s3(server, later).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"


def temporary_account_info(server, access_key: str) -> dict:
    resp = signed_request(server, "GET", "/minio/admin/v3/temporary-account-info",
                          params={"accessKey": access_key})
    assert resp.status_code == 200, resp.text
    return json.loads(madmin_decrypt(resp.content, server.secret_key))


def test_temporary_account_info_names_the_parent(admin, server):
    name, secret = new_user(admin, "tai", policy="readonly")
    creds = assume(server, name, secret)
    assert temporary_account_info(server, creds["AccessKeyId"])["parentUser"] == name


def test_temporary_account_info_after_the_credentials_were_used(admin, server, s3, bucket):
    name, secret = new_user(admin, "taiu", policy="readonly")
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"v")
    creds = assume(server, name, secret)
    assert temp_s3(server, creds).get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"v"
    assert temporary_account_info(server, creds["AccessKeyId"])["parentUser"] == name
