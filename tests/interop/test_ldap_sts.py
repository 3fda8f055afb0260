"""STS AssumeRoleWithLDAPIdentity against the real OpenLDAP test directory (ldap.py,
tests/ldap/directory.ldif), end to end: minio-py's LdapIdentityProvider and raw unsigned HTTP
(form body and query string), DN policy mappings made with the admin API and resolved at each
request, `${ldap:username}` / `${aws:username}` policy variables, LDAPS and StartTLS (and LDAPS
without the test CA), a directory that restarts or hangs, refused input (filter injection,
missing parameters, ambiguous and oversized names, huge bodies, nothing that tells a wrong
password from an unknown user), the admin calls `idp/ldap/policy-entities`,
`idp/ldap/list-access-keys` and `revoke-tokens/ldap`, a server without LDAP, and logs that never
hold a password.

Servers, all started by this module after the session's `slapd`:

    idp          plain LDAP to the session's directory, group mappings readers -> readonly and
                 writers -> readwrite, RUST_LOG=trace,s3s=off (everything but the s3s layer,
                 which Tessera's default filter also turns off; its logs are searched for
                 passwords)
    tls_server   one per transport: "ldaps" and "starttls" with the test CA, and "ldaps"
                 without TESSERA_IDENTITY_LDAP_CA_FILE
    hang_idp     plain LDAP to a directory of the module's own (`own_slapd`, restarted and
                 paused here) with 2 s connect and operation timeouts
    a Tessera with RUST_LOG=debug, for the passwords in debug logs

Tests that change the mappings of `idp` put them back before they end."""

from __future__ import annotations

import io
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests
from minio import Minio
from minio.credentials import LdapIdentityProvider
from minio.error import MinioAdminException, S3Error

from helpers import STS_VERSION, expect_error, make_s3_client, sts_credentials, sts_request
from ldap import PASSWORDS, PEOPLE_DN, Slapd, running_slapd
from ldap_sts_helpers import (
    ALICE_DN, BOB_DN, CAROL_DN, CONTRACTORS_GROUP_DN, DAVE_DN, FRANK_DN, FRANK_DN_ESCAPED_COMMA,
    FRANK_DN_LOWER_HEX, LOGIN_FAILED, NOMAP_DN, READERS_DN, STAR_DN, WRITERS_DN, admin_client,
    admin_error, admin_request, assert_refused, group_mappings, ldap_credentials, ldap_login,
    ldap_policy_entities, parse_expiration, start_ldap_tessera, timed, user_mappings)

DATA = "ldap-data"  # a bucket of `idp`, with shared.txt
SHARED = b"shared by root"
TIME_SLACK = 30  # seconds between this test's clock and the Expiration the server computed
QUICK = 2.0  # seconds a refusal that needs no directory round trip may take at most
HANG_TIMEOUT = "2s"  # hang_idp's TESSERA_IDENTITY_LDAP_CONNECT_TIMEOUT and _OPERATION_TIMEOUT
HANG_BOUND = 15.0  # seconds a login to a hanging directory may take at most
CONCURRENT_LOGINS = 10  # logins waiting on a hanging directory at once
MAIN_LOG_FILTER = "trace,s3s=off"  # idp's RUST_LOG


# ---------------------------------------------------------------------------------------------
# fixtures


class Idp:
    """The module's main Tessera, root's admin and S3 clients."""

    def __init__(self, server, admin, root):
        self.server = server
        self.admin = admin
        self.root = root


@pytest.fixture(scope="module")
def idp(slapd, tmp_path_factory) -> Idp:
    server = start_ldap_tessera(tmp_path_factory.mktemp("tessera-ldap"), slapd, "plain",
                                rust_log=MAIN_LOG_FILTER)
    try:
        admin = admin_client(server)
        admin.attach_policy_ldap(["readonly"], group=READERS_DN)
        admin.attach_policy_ldap(["readwrite"], group=WRITERS_DN)
        root = make_s3_client(server)
        root.create_bucket(Bucket=DATA)
        root.put_object(Bucket=DATA, Key="shared.txt", Body=SHARED)
        yield Idp(server, admin, root)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_server(slapd, tmp_path_factory):
    """tls_server(mode, without_ca=False): a Tessera of its own per transport (cached)."""
    started = {}

    def get(mode: str, without_ca: bool = False):
        key = (mode, without_ca)
        if key not in started:
            drop = ("TESSERA_IDENTITY_LDAP_CA_FILE",) if without_ca else ()
            started[key] = start_ldap_tessera(
                tmp_path_factory.mktemp(f"tessera-{mode}{'-noca' if without_ca else ''}"),
                slapd, mode, drop=drop)
        return started[key]

    try:
        yield get
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module")
def own_slapd(tmp_path_factory) -> Slapd:
    """A directory of this module's own, restarted and paused by the tests."""
    with running_slapd(tmp_path_factory.mktemp("own-slapd")) as server:
        yield server


@pytest.fixture(scope="module")
def hang_idp(own_slapd, tmp_path_factory):
    """A Tessera on own_slapd with 2 s timeouts, readers -> readonly."""
    server = start_ldap_tessera(
        tmp_path_factory.mktemp("tessera-hang"), own_slapd, "plain",
        extra_env={"TESSERA_IDENTITY_LDAP_CONNECT_TIMEOUT": HANG_TIMEOUT,
                   "TESSERA_IDENTITY_LDAP_OPERATION_TIMEOUT": HANG_TIMEOUT},
        rust_log="info,tessera_idp=debug")
    try:
        admin_client(server).attach_policy_ldap(["readonly"], group=READERS_DN)
        make_s3_client(server).create_bucket(Bucket=DATA)
        make_s3_client(server).put_object(Bucket=DATA, Key="shared.txt", Body=SHARED)
        yield server
    finally:
        server.stop()


@pytest.fixture
def resumed(own_slapd):
    """Makes sure own_slapd runs again after the test, whatever it paused."""
    yield own_slapd
    if own_slapd.paused:
        own_slapd.resume()


# ---------------------------------------------------------------------------------------------
# helpers


def minio_as(server, username: str, password: str, **provider_args) -> Minio:
    """A minio-py client whose credentials come from LdapIdentityProvider."""
    provider = LdapIdentityProvider(server.endpoint, username, password, **provider_args)
    return Minio(server.host, credentials=provider, secure=False, region=server.region)


def login_s3(server, username: str, password: str | None = None, **extra):
    """boto3 S3 client on the temporary credentials of a successful login, and the
    credentials."""
    creds = ldap_credentials(ldap_login(server, username, password or PASSWORDS[username],
                                        **extra))
    client = make_s3_client(server, creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds["SessionToken"])
    return client, creds


def denied(fn, *args, **kwargs) -> None:
    code, status, message = expect_error(fn, *args, **kwargs)
    assert (code, status) == ("AccessDenied", 403), message


def put_policy(admin, name: str, statements: list[dict]) -> str:
    admin.policy_add(name, policy={"Version": "2012-10-17", "Statement": statements})
    return name


def writes_under(bucket: str, prefix: str) -> list[dict]:
    return [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"]}]


def admin_failure(fn, *args, **kwargs) -> tuple[int, str, str]:
    """(HTTP status, Code, Message) of an admin call that must fail."""
    with pytest.raises(MinioAdminException) as ei:
        fn(*args, **kwargs)
    code, message = admin_error(ei.value._body)
    return int(ei.value._code), code, message


# ---------------------------------------------------------------------------------------------
# 1. minio-py's LdapIdentityProvider with group mappings


def test_minio_py_group_mappings_let_alice_write_and_bob_only_read(idp):
    alice = minio_as(idp.server, "alice", PASSWORDS["alice"])
    alice.put_object(DATA, "alice/hello.txt", io.BytesIO(b"from alice"), 10)
    assert alice.get_object(DATA, "alice/hello.txt").read() == b"from alice"
    assert alice.get_object(DATA, "shared.txt").read() == SHARED

    bob = minio_as(idp.server, "bob", PASSWORDS["bob"])
    assert bob.get_object(DATA, "alice/hello.txt").read() == b"from alice"
    for write in (lambda: bob.put_object(DATA, "bob/x", io.BytesIO(b"x"), 1),
                  lambda: bob.remove_object(DATA, "alice/hello.txt")):
        with pytest.raises(S3Error) as e:
            write()
        assert e.value.code == "AccessDenied", e.value
    assert alice.get_object(DATA, "alice/hello.txt").read() == b"from alice"


def test_minio_py_credentials_carry_a_session_token_and_the_requested_lifetime(idp):
    provider = LdapIdentityProvider(idp.server.endpoint, "bob", PASSWORDS["bob"],
                                    duration_seconds=900)
    creds = provider.retrieve()
    assert creds.access_key.startswith("ASIA"), creds.access_key
    assert creds.session_token and creds.session_token.count(".") == 2, creds.session_token
    assert creds.secret_key and creds.secret_key != PASSWORDS["bob"]
    expected = datetime.utcnow() + timedelta(seconds=900)
    assert abs((creds.expiration - expected).total_seconds()) < TIME_SLACK, creds.expiration
    # Without DurationSeconds: an hour, as MinIO grants.
    default = LdapIdentityProvider(idp.server.endpoint, "bob", PASSWORDS["bob"]).retrieve()
    expected = datetime.utcnow() + timedelta(seconds=3600)
    assert abs((default.expiration - expected).total_seconds()) < TIME_SLACK, default.expiration
    assert default.access_key != creds.access_key


def test_credentials_stop_working_when_duration_seconds_have_passed(idp):
    client, creds = login_s3(idp.server, "bob", DurationSeconds="2")
    exp = parse_expiration(creds["Expiration"])
    assert abs(exp - (time.time() + 2)) < TIME_SLACK, creds["Expiration"]
    assert client.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED
    time.sleep(max(0.0, exp - time.time()) + 1.1)
    code, status, message = expect_error(client.get_object, Bucket=DATA, Key="shared.txt")
    assert (code, status) == ("InvalidAccessKeyId", 403), message
    assert "expired" in message, message


def test_an_out_of_range_duration_is_refused_before_the_directory(idp):
    resp, took = timed(ldap_login, idp.server, "bob", PASSWORDS["bob"],
                       DurationSeconds="forever")
    message = assert_refused(resp, 400, "InvalidParameterValue")
    assert "DurationSeconds" in message, message
    assert took < QUICK


# ---------------------------------------------------------------------------------------------
# 2. raw HTTP: form body and query string


@pytest.mark.parametrize("in_query", [False, True], ids=["form-body", "query-string"])
def test_raw_unsigned_login(idp, in_query):
    resp = ldap_login(idp.server, "alice", PASSWORDS["alice"], in_query=in_query,
                      DurationSeconds="1200")
    assert resp.headers["Content-Type"].startswith("application/xml"), resp.headers
    creds = ldap_credentials(resp)
    assert creds["AccessKeyId"].startswith("ASIA"), creds
    assert len(creds["SecretAccessKey"]) >= 30, creds
    assert creds["SessionToken"].count(".") == 2, creds
    exp = parse_expiration(creds["Expiration"])
    assert abs(exp - (time.time() + 1200)) < TIME_SLACK, creds["Expiration"]
    client = make_s3_client(idp.server, creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds["SessionToken"])
    key = f"raw/{'query' if in_query else 'body'}"
    client.put_object(Bucket=DATA, Key=key, Body=b"raw")
    assert client.get_object(Bucket=DATA, Key=key)["Body"].read() == b"raw"
    # The session token is required: without it the access key is unknown.
    bare = make_s3_client(idp.server, creds["AccessKeyId"], creds["SecretAccessKey"])
    code, status, _ = expect_error(bare.get_object, Bucket=DATA, Key=key)
    assert status == 403, code


# ---------------------------------------------------------------------------------------------
# 3. no mapping for the user or the user's groups


@pytest.mark.parametrize("username, user_dn, group_dn", [
    ("carol", CAROL_DN, NOMAP_DN),
    ("dave", DAVE_DN, CONTRACTORS_GROUP_DN),
])
def test_a_user_without_a_mapped_policy_is_refused_naming_the_dn(idp, username, user_dn,
                                                                 group_dn):
    message = assert_refused(ldap_login(idp.server, username, PASSWORDS[username]), 400,
                             "InvalidParameterValue")
    assert "expecting a policy to be set for user" in message, message
    assert f"`{user_dn}`" in message, message
    assert group_dn in message, message


# ---------------------------------------------------------------------------------------------
# 4. mappings are read at each request


def test_detaching_a_group_mapping_takes_effect_at_the_next_request(idp):
    alice, _ = login_s3(idp.server, "alice")
    alice.put_object(Bucket=DATA, Key="alice/before-detach", Body=b"1")
    idp.admin.detach_policy_ldap(["readwrite"], group=WRITERS_DN)
    try:
        # Same credentials, issued before the detach: readers' readonly is all that is left.
        denied(alice.put_object, Bucket=DATA, Key="alice/during-detach", Body=b"2")
        assert alice.get_object(Bucket=DATA, Key="alice/before-detach")["Body"].read() == b"1"
        entities = ldap_policy_entities(idp.server, groups=[WRITERS_DN])
        assert group_mappings(entities) == {WRITERS_DN: []}, entities
    finally:
        idp.admin.attach_policy_ldap(["readwrite"], group=WRITERS_DN)
    alice.put_object(Bucket=DATA, Key="alice/after-reattach", Body=b"3")
    assert alice.get_object(Bucket=DATA, Key="alice/after-reattach")["Body"].read() == b"3"


# ---------------------------------------------------------------------------------------------
# 5. user mappings: by login name, and one DN in any spelling


def test_a_user_mapping_by_login_name_is_kept_under_the_users_dn(idp):
    policy = put_policy(idp.admin, "ldap-bob-drop", writes_under(DATA, "bob-drop/"))
    answer = json.loads(idp.admin.attach_policy_ldap([policy], user="bob"))
    assert answer["policiesAttached"] == [policy], answer
    try:
        entities = ldap_policy_entities(idp.server, users=[BOB_DN])
        assert user_mappings(entities) == {BOB_DN: [policy]}, entities
        by_policy = ldap_policy_entities(idp.server, policies=[policy])
        assert by_policy["policyMappings"] == [{"policy": policy, "users": [BOB_DN]}], by_policy
        bob, _ = login_s3(idp.server, "bob")
        bob.put_object(Bucket=DATA, Key="bob-drop/x", Body=b"bob")
        assert bob.get_object(Bucket=DATA, Key="bob-drop/x")["Body"].read() == b"bob"
        denied(bob.put_object, Bucket=DATA, Key="elsewhere/x", Body=b"bob")
    finally:
        # Detached by DN, with other spacing and case of the attribute types.
        idp.admin.detach_policy_ldap([policy], user="UID=bob, OU=people, DC=tessera, DC=test")
    assert BOB_DN not in user_mappings(ldap_policy_entities(idp.server))
    # Bob's group mapping still lets him log in; the user mapping is gone at once.
    bob, _ = login_s3(idp.server, "bob")
    denied(bob.put_object, Bucket=DATA, Key="bob-drop/y", Body=b"bob")


def test_escaped_comma_spellings_name_one_dn(idp):
    drop = put_policy(idp.admin, "ldap-frank-drop", writes_under(DATA, "frank-drop/"))
    extra = put_policy(idp.admin, "ldap-frank-extra", writes_under(DATA, "frank-extra/"))
    idp.admin.attach_policy_ldap([drop], user=FRANK_DN_ESCAPED_COMMA)
    try:
        frank, _ = login_s3(idp.server, "frank,jr")
        frank.put_object(Bucket=DATA, Key="frank-drop/x", Body=b"frank")
        denied(frank.put_object, Bucket=DATA, Key="frank-extra/x", Body=b"frank")
        idp.admin.attach_policy_ldap([extra], user=FRANK_DN_LOWER_HEX)
        frank.put_object(Bucket=DATA, Key="frank-extra/x", Body=b"frank")
        mappings = user_mappings(ldap_policy_entities(idp.server))
        franks = {dn: p for dn, p in mappings.items() if "frank" in dn}
        assert franks == {FRANK_DN: sorted([drop, extra])}, mappings
        for spelling in (FRANK_DN_ESCAPED_COMMA, FRANK_DN_LOWER_HEX, FRANK_DN):
            entities = ldap_policy_entities(idp.server, users=[spelling])
            assert user_mappings(entities) == {FRANK_DN: sorted([drop, extra])}, (spelling,
                                                                                 entities)
    finally:
        idp.admin.detach_policy_ldap([drop, extra], user=FRANK_DN)
    assert not [dn for dn in user_mappings(ldap_policy_entities(idp.server)) if "frank" in dn]


# ---------------------------------------------------------------------------------------------
# 6. ${ldap:username} and ${aws:username}


@pytest.fixture
def only_user_mappings(idp):
    """The group mappings taken away for one test (alice's readwrite would allow everything),
    put back afterwards."""
    idp.admin.detach_policy_ldap(["readonly"], group=READERS_DN)
    idp.admin.detach_policy_ldap(["readwrite"], group=WRITERS_DN)
    try:
        yield idp
    finally:
        idp.admin.attach_policy_ldap(["readonly"], group=READERS_DN)
        idp.admin.attach_policy_ldap(["readwrite"], group=WRITERS_DN)


def test_home_prefix_from_ldap_username_and_aws_username(only_user_mappings):
    idp = only_user_mappings
    idp.root.create_bucket(Bucket="home")
    idp.root.put_object(Bucket="home", Key="bob/secret", Body=b"bob's")
    home = put_policy(idp.admin, "ldap-home", [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
         "Resource": ["arn:aws:s3:::home/${ldap:username}/*"]},
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": ["arn:aws:s3:::home"],
         "Condition": {"StringLike": {"s3:prefix": ["${ldap:username}/*"]}}},
        {"Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": ["arn:aws:s3:::home/by-aws-username/${aws:username}/*"]},
    ])
    idp.admin.attach_policy_ldap([home], user=ALICE_DN)
    try:
        alice, _ = login_s3(idp.server, "alice")
        alice.put_object(Bucket="home", Key="alice/x", Body=b"mine")
        assert alice.get_object(Bucket="home", Key="alice/x")["Body"].read() == b"mine"
        listed = alice.list_objects_v2(Bucket="home", Prefix="alice/")
        assert [o["Key"] for o in listed["Contents"]] == ["alice/x"]
        denied(alice.put_object, Bucket="home", Key="bob/x", Body=b"not mine")
        denied(alice.get_object, Bucket="home", Key="bob/secret")
        denied(alice.list_objects_v2, Bucket="home", Prefix="bob/")
        denied(alice.put_object, Bucket=DATA, Key="alice/x", Body=b"no group mapping now")
        # aws:username is the login name, not the DN the session acts for.
        alice.put_object(Bucket="home", Key="by-aws-username/alice/x", Body=b"mine")
        denied(alice.put_object, Bucket="home", Key="by-aws-username/bob/x", Body=b"no")
        denied(alice.put_object, Bucket="home", Key=f"by-aws-username/{ALICE_DN}/x", Body=b"no")
    finally:
        idp.admin.detach_policy_ldap([home], user=ALICE_DN)


# ---------------------------------------------------------------------------------------------
# 7. transports


@pytest.mark.parametrize("mode", ["ldaps", "starttls"])
def test_login_over_tls_with_the_ca_file(tls_server, mode):
    server = tls_server(mode)
    # The attach checks the group DN in the directory, over the same transport.
    admin_client(server).attach_policy_ldap(["readonly"], group=READERS_DN)
    root = make_s3_client(server)
    root.create_bucket(Bucket=DATA)
    root.put_object(Bucket=DATA, Key="shared.txt", Body=SHARED)
    bob, creds = login_s3(server, "bob")
    assert creds["AccessKeyId"].startswith("ASIA")
    assert bob.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED
    denied(bob.put_object, Bucket=DATA, Key="x", Body=b"x")
    # The user's own bind goes over TLS too, and a wrong password is refused as such.
    message = assert_refused(ldap_login(server, "bob", "wrong-" + secrets.token_hex(4)), 400,
                             "InvalidParameterValue")
    assert message == LOGIN_FAILED


def test_ldaps_without_the_ca_file_is_a_clear_server_error(tls_server):
    server = tls_server("ldaps", without_ca=True)
    for _ in range(2):  # the lookup connection is not kept half-made either
        resp, took = timed(ldap_login, server, "bob", PASSWORDS["bob"])
        message = assert_refused(resp, 400, "InvalidParameterValue")
        assert message.startswith("LDAP server error"), message
        assert "certificate" in message, message
        assert took < HANG_BOUND, took


# ---------------------------------------------------------------------------------------------
# 8, 9. a directory that restarts or hangs


def test_a_login_after_the_directory_restarts(hang_idp, own_slapd):
    ldap_credentials(ldap_login(hang_idp, "bob", PASSWORDS["bob"]))  # lookup connection made
    own_slapd.restart()
    first = ldap_login(hang_idp, "bob", PASSWORDS["bob"])
    if first.status_code != 200:  # at most one login may see the dropped connection
        second = ldap_login(hang_idp, "bob", PASSWORDS["bob"])
        assert second.status_code == 200, (first.text, second.text)
        first = second
    bob = make_s3_client(hang_idp, *(ldap_credentials(first)[k] for k in (
        "AccessKeyId", "SecretAccessKey", "SessionToken")))
    assert bob.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED


def test_a_hanging_directory_fails_logins_in_bounded_time_and_nothing_else(hang_idp, resumed):
    own_slapd = resumed
    ldap_credentials(ldap_login(hang_idp, "bob", PASSWORDS["bob"]))
    root = make_s3_client(hang_idp)
    own_slapd.pause()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(timed, ldap_login, hang_idp, "bob", PASSWORDS["bob"])
        time.sleep(0.3)
        # While the login waits on the directory: root's AssumeRole and plain S3 requests.
        assumed, took = timed(sts_request, hang_idp, {
            "Action": "AssumeRole", "Version": STS_VERSION, "DurationSeconds": "900"},
            access_key=hang_idp.access_key, secret_key=hang_idp.secret_key)
        assert sts_credentials(assumed)["AccessKeyId"].startswith("ASIA")
        assert took < QUICK, took
        (_, took) = timed(root.put_object, Bucket=DATA, Key="during-hang", Body=b"h")
        assert took < QUICK, took
        body, took = timed(lambda: root.get_object(Bucket=DATA, Key="during-hang")["Body"].read())
        assert body == b"h" and took < QUICK, took
        assert not pending.done(), "the login to the paused directory already finished"
        resp, took = pending.result(timeout=HANG_BOUND + 30)
    message = assert_refused(resp, 400, "InvalidParameterValue")
    assert took < HANG_BOUND, took
    assert message.startswith("LDAP server error"), message
    assert "no answer" in message and f"within {HANG_TIMEOUT[:-1]} s" in message, message
    # A second login while it still hangs (the lookup connection was dropped): bounded too.
    resp, took = timed(ldap_login, hang_idp, "bob", PASSWORDS["bob"])
    message = assert_refused(resp, 400, "InvalidParameterValue")
    assert "LDAP server error" in message and "no answer" in message, message
    assert took < HANG_BOUND, took
    own_slapd.resume()
    bob, _ = login_s3(hang_idp, "bob")
    assert bob.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED


# ---------------------------------------------------------------------------------------------
# 10. refused input


@pytest.mark.parametrize("username, password", [
    ("*", PASSWORDS["alice"]),
    ("*", PASSWORDS["eve"]),
    ("eve*", PASSWORDS["eve"]),
    ("eve*", PASSWORDS["evelyn"]),
    ("alice*", PASSWORDS["alice"]),
    (")(uid=*", PASSWORDS["alice"]),
    ("alice)(uid=*", PASSWORDS["alice"]),
    ("*)(|(uid=*", PASSWORDS["bob"]),
    ("eve*(x)", "wrong-star-secret"),
    ("\\", PASSWORDS["alice"]),
    ("\\2a", PASSWORDS["alice"]),
    ("a\x00b", PASSWORDS["alice"]),
    ("alice\x00", PASSWORDS["alice"]),
    ("alice\x00*", PASSWORDS["alice"]),
], ids=repr)
def test_filter_metacharacters_in_the_username_do_not_widen_the_search(idp, slapd, username,
                                                                       password):
    resp = ldap_login(idp.server, username, password)
    message = assert_refused(resp, 400, "InvalidParameterValue")
    # Not "matches N entries" (a widened search), not a mapping error (someone logged in).
    assert message == LOGIN_FAILED, message


def test_the_directory_would_match_several_entries_for_an_unescaped_eve_star(slapd):
    """What the escaping above protects against: slapd itself finds eve, evelyn and eve*(x)
    for the raw filter (uid=eve*)."""
    assert len(slapd.search_dns(PEOPLE_DN, "(uid=eve*)")) == 3


def test_a_uid_with_filter_metacharacters_logs_in_when_mapped(idp):
    message = assert_refused(ldap_login(idp.server, "eve*(x)", PASSWORDS["eve*(x)"]), 400,
                             "InvalidParameterValue")
    assert "expecting a policy to be set for user" in message and STAR_DN in message, message
    idp.admin.attach_policy_ldap(["readonly"], user=STAR_DN)
    try:
        star, creds = login_s3(idp.server, "eve*(x)")
        assert creds["AccessKeyId"].startswith("ASIA")
        assert star.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED
        assert user_mappings(ldap_policy_entities(idp.server, users=[STAR_DN])) == {
            STAR_DN: ["readonly"]}
    finally:
        idp.admin.detach_policy_ldap(["readonly"], user=STAR_DN)


@pytest.mark.parametrize("username, password, missing", [
    ("bob", "", "LDAPPassword"),
    ("bob", None, "LDAPPassword"),
    (None, PASSWORDS["bob"], "LDAPUsername"),
    ("", PASSWORDS["bob"], "LDAPUsername"),
    (None, None, "LDAPUsername"),
])
def test_missing_or_empty_parameters(idp, username, password, missing):
    for in_query in (False, True):
        resp, took = timed(ldap_login, idp.server, username, password, in_query=in_query)
        message = assert_refused(resp, 400, "MissingParameter")
        assert missing in message, message
        assert took < QUICK


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(idp):
    def answer(username, password):
        resp = ldap_login(idp.server, username, password)
        assert_refused(resp, 400, "InvalidParameterValue")
        # Everything but the request id.
        text = resp.text
        start, end = text.find("<RequestId>"), text.find("</RequestId>")
        assert 0 < start < end, text
        return resp.status_code, dict(resp.headers).get("Content-Type"), \
            (text[:start] + text[end:]).encode()

    wrong_password = answer("bob", "wrong-" + secrets.token_hex(4))
    assert LOGIN_FAILED.encode() in wrong_password[2]
    assert answer("nobody-" + secrets.token_hex(4), "whatever") == wrong_password
    # Nor does an unmapped user with a wrong password learn that the account exists.
    assert answer("carol", "wrong-" + secrets.token_hex(4)) == wrong_password
    assert answer("alice", PASSWORDS["bob"]) == wrong_password


def test_a_login_name_matching_two_entries_is_refused(idp):
    message = assert_refused(ldap_login(idp.server, "twin", PASSWORDS["twin"]), 400,
                             "InvalidParameterValue")
    assert "matches 2 entries" in message, message


def test_oversized_usernames_passwords_and_bodies(idp):
    def refused(username, password, in_query=False):
        resp, took = timed(ldap_login, idp.server, username, password, in_query=in_query)
        assert took < QUICK, took
        return resp

    message = assert_refused(refused("a" * 600, "x"), 400, "InvalidParameterValue")
    assert "longer than 512 bytes" in message, message
    message = assert_refused(refused("a" * 60_000, "x"), 400, "InvalidParameterValue")
    assert "longer than 512 bytes" in message, message
    message = assert_refused(refused("bob", "p" * 5000), 400, "InvalidParameterValue")
    assert "longer than 4096 bytes" in message, message
    # A 64 KiB username does not fit in an STS body.
    message = assert_refused(refused("a" * 65536, "x"), 400, "InvalidParameterValue")
    assert "65536 bytes" in message, message
    # In the query string it is refused too (by the HTTP layer), with no credentials.
    resp = refused("a" * 65536, "x", in_query=True)
    assert 400 <= resp.status_code < 500, resp.status_code
    assert "AccessKeyId" not in resp.text and "SessionToken" not in resp.text
    # A 1 MiB form body that starts as a valid login.
    body = (f"Action=AssumeRoleWithLDAPIdentity&Version={STS_VERSION}&LDAPUsername=bob"
            f"&LDAPPassword={PASSWORDS['bob']}&Padding=").encode() + b"p" * (1 << 20)
    resp, took = timed(requests.post, f"{idp.server.endpoint}/", data=body, timeout=60,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= resp.status_code < 500, resp.status_code
    assert "AccessKeyId" not in resp.text and "SessionToken" not in resp.text, resp.text[:500]
    assert took < 10, took


# ---------------------------------------------------------------------------------------------
# 11. admin API


def test_ldap_policy_entities_lists_the_mappings(idp):
    entities = ldap_policy_entities(idp.server)
    groups = group_mappings(entities)
    assert groups[READERS_DN] == ["readonly"] and groups[WRITERS_DN] == ["readwrite"], entities
    by_policy = {m["policy"]: m for m in entities["policyMappings"]}
    assert READERS_DN in by_policy["readonly"]["groups"], entities
    assert WRITERS_DN in by_policy["readwrite"]["groups"], entities
    # A filter may spell the DN any way; the answer gives the canonical DN.
    filtered = ldap_policy_entities(idp.server,
                                    groups=["CN=readers, OU=groups, DC=tessera, DC=test"])
    assert filtered["groupMappings"] == [{"group": READERS_DN, "policies": ["readonly"]}], \
        filtered
    # minio-py's get_policy_entities asks idp/builtin/policy-entities, which knows no LDAP DN.
    builtin = json.loads(idp.admin.get_policy_entities(users=[], groups=[READERS_DN],
                                                       policies=[]))
    assert not [m for m in builtin.get("groupMappings", []) if m.get("policies")], builtin


def test_attaching_to_a_missing_group_or_user_or_policy_is_refused(idp):
    before = ldap_policy_entities(idp.server)
    for group in ("cn=ghosts,ou=groups,dc=tessera,dc=test",
                  "cn=readers,ou=people,dc=tessera,dc=test"):  # outside the group base
        status, code, message = admin_failure(idp.admin.attach_policy_ldap, ["readonly"],
                                              group=group)
        assert (status, code) == (400, "XMinioAdminInvalidArgument"), message
        assert "no LDAP group" in message, message
    status, code, message = admin_failure(idp.admin.attach_policy_ldap, ["readonly"],
                                          user="uid=nobody,ou=people,dc=tessera,dc=test")
    assert (status, code) == (400, "XMinioAdminInvalidArgument") and "no LDAP user" in message
    status, code, message = admin_failure(idp.admin.attach_policy_ldap, ["readonly"],
                                          user="nobody-" + secrets.token_hex(3))
    assert (status, code) == (400, "XMinioAdminInvalidArgument") and "no LDAP user" in message
    status, code, message = admin_failure(idp.admin.attach_policy_ldap,
                                          ["no-such-policy-" + secrets.token_hex(3)],
                                          group=READERS_DN)
    assert (status, code) == (404, "XMinioAdminNoSuchPolicy"), message
    after = ldap_policy_entities(idp.server)
    assert (group_mappings(after), user_mappings(after)) == (group_mappings(before),
                                                             user_mappings(before))


def test_list_access_keys_ldap_shows_the_sts_keys_of_the_user(idp):
    _, alice_creds = login_s3(idp.server, "alice")
    _, bob_creds = login_s3(idp.server, "bob")
    for user in (ALICE_DN, "alice"):
        listed = json.loads(idp.admin.list_access_keys_ldap(user, "sts-only"))
        keys = {k["accessKey"]: k for k in listed.get("stsKeys") or []}
        assert alice_creds["AccessKeyId"] in keys, listed
        assert bob_creds["AccessKeyId"] not in keys, listed
        mine = keys[alice_creds["AccessKeyId"]]
        assert mine["parentUser"] == ALICE_DN, mine
        assert parse_expiration(mine["expiration"]) == parse_expiration(
            alice_creds["Expiration"]), mine
        assert not listed.get("serviceAccounts"), listed


def test_revoke_tokens_ldap_stops_existing_credentials_only(idp):
    alice, _ = login_s3(idp.server, "alice")
    typed, _ = login_s3(idp.server, "alice", TokenRevokeType="laptop")
    bob, _ = login_s3(idp.server, "bob")
    for client in (alice, typed, bob):
        assert client.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED

    # Only the sessions minted with TokenRevokeType=laptop.
    resp = admin_request(idp.server, "POST", "revoke-tokens/ldap",
                         [("user", ALICE_DN), ("tokenRevokeType", "laptop")])
    assert resp.status_code == 204, resp.text
    code, status, message = expect_error(typed.get_object, Bucket=DATA, Key="shared.txt")
    assert (code, status) == ("InvalidAccessKeyId", 403) and "revoked" in message, message
    assert alice.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED

    resp = admin_request(idp.server, "POST", "revoke-tokens/ldap",
                         [("user", ALICE_DN), ("fullRevoke", "true")])
    assert resp.status_code == 204, resp.text
    code, status, message = expect_error(alice.get_object, Bucket=DATA, Key="shared.txt")
    assert (code, status) == ("InvalidAccessKeyId", 403), message
    assert message == "the temporary credentials were revoked", message
    # Someone else's sessions are untouched, and alice may log in again.
    assert bob.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED
    time.sleep(0.01)  # revocation covers sessions issued up to its millisecond
    again, _ = login_s3(idp.server, "alice")
    assert again.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED
    # Neither both kinds at once nor neither.
    for params in ([("user", ALICE_DN), ("fullRevoke", "true"), ("tokenRevokeType", "x")],
                   [("user", ALICE_DN)]):
        resp = admin_request(idp.server, "POST", "revoke-tokens/ldap", params)
        assert resp.status_code == 400, (params, resp.status_code, resp.text)


# ---------------------------------------------------------------------------------------------
# 12. a server without LDAP


def test_a_server_without_ldap_says_it_is_not_configured(server):
    resp = ldap_login(server, "alice", PASSWORDS["alice"])
    message = assert_refused(resp, 400, "InvalidParameterValue")
    assert "LDAP identities are not configured" in message, message
    resp = admin_request(server, "GET", "idp/ldap/policy-entities")
    assert resp.status_code == 501, (resp.status_code, resp.text)
    assert admin_error(resp.text)[0] == "XMinioAdminNotImplemented", resp.text


# ---------------------------------------------------------------------------------------------
# passwords and logs


def send_logins_with_passwords(server, marker: str) -> None:
    """Logins that succeed and fail in the ways that carry a password, in the form body and in
    the query string (as minio-py sends them)."""
    for in_query in (False, True):
        ldap_credentials(ldap_login(server, "alice", PASSWORDS["alice"], in_query=in_query))
        assert_refused(ldap_login(server, "bob", marker, in_query=in_query), 400)
        assert_refused(ldap_login(server, "nobody", marker, in_query=in_query), 400)
        assert_refused(ldap_login(server, "twin", PASSWORDS["twin"], in_query=in_query), 400)
        assert_refused(ldap_login(server, "carol", PASSWORDS["carol"], in_query=in_query), 400)
        assert_refused(ldap_login(server, "x" * 600, marker, in_query=in_query), 400)
    minio_as(server, "frank,jr", PASSWORDS["frank,jr"]).get_object(DATA, "shared.txt")


def leaked_passwords(server, marker: str) -> list[str]:
    logs = server.stderr() + server.stdout()
    assert "tessera::access" in logs, "the server logged nothing: the check would prove nothing"
    sent = set(PASSWORDS.values()) | {marker, "lookup-secret"}
    return sorted(p for p in sent if p in logs)


def test_passwords_never_reach_the_logs(idp):
    """At RUST_LOG=trace,s3s=off: every module's and library's log but the s3s layer's."""
    marker = "pw-marker-" + secrets.token_hex(8)
    send_logins_with_passwords(idp.server, marker)
    leaked = leaked_passwords(idp.server, marker)
    assert not leaked, f"passwords in Tessera's logs ({idp.server.log}): {leaked}"


# ---------------------------------------------------------------------------------------------
# many logins waiting on a hanging directory


def test_concurrent_logins_to_a_hanging_directory_each_fail_within_the_timeouts(hang_idp,
                                                                              resumed):
    """Each login's wait is bounded by the connect and operation timeouts, however many other
    logins wait on the same directory (a client's wait must not grow with the queue)."""
    own_slapd = resumed
    ldap_credentials(ldap_login(hang_idp, "bob", PASSWORDS["bob"]))
    own_slapd.pause()
    # The first login times out on the lookup connection, which is then dropped.
    assert_refused(ldap_login(hang_idp, "bob", PASSWORDS["bob"]), 400, "InvalidParameterValue")
    with ThreadPoolExecutor(CONCURRENT_LOGINS) as pool:
        results = list(pool.map(
            lambda _: timed(ldap_login, hang_idp, "bob", PASSWORDS["bob"], timeout=120),
            range(CONCURRENT_LOGINS)))
    own_slapd.resume()
    for resp, _ in results:
        message = assert_refused(resp, 400, "InvalidParameterValue")
        assert message.startswith("LDAP server error"), message
    took = sorted(round(t, 1) for _, t in results)
    assert took[-1] < HANG_BOUND, (
        f"{CONCURRENT_LOGINS} concurrent logins to a paused directory took {took} s "
        f"with {HANG_TIMEOUT} connect and operation timeouts")
    bob, _ = login_s3(hang_idp, "bob")
    assert bob.get_object(Bucket=DATA, Key="shared.txt")["Body"].read() == SHARED


# ---------------------------------------------------------------------------------------------
# passwords in debug logs


def test_passwords_never_reach_debug_logs(slapd, tmp_path_factory):
    """At RUST_LOG=debug, which an operator sets to troubleshoot (Tessera's own default,
    info,s3s=off, is replaced by it), an LDAP password must not be written either: MinIO
    redacts LDAPPassword. minio-py sends it in the query string."""
    server = start_ldap_tessera(tmp_path_factory.mktemp("tessera-debug-log"), slapd, "plain",
                                rust_log="debug")
    try:
        admin_client(server).attach_policy_ldap(["readonly"], group=READERS_DN)
        admin_client(server).attach_policy_ldap(["readwrite"], group=WRITERS_DN)
        make_s3_client(server).create_bucket(Bucket=DATA)
        make_s3_client(server).put_object(Bucket=DATA, Key="shared.txt", Body=SHARED)
        marker = "pw-marker-" + secrets.token_hex(8)
        send_logins_with_passwords(server, marker)
    finally:
        server.stop()
    leaked = leaked_passwords(server, marker)
    lines = [line[:300] for line in server.stderr().splitlines()
             if any(p in line for p in leaked)][:3]
    assert not leaked, (f"passwords in Tessera's logs at RUST_LOG=debug ({server.log}): "
                        f"{leaked}; e.g.\n" + "\n".join(lines))
