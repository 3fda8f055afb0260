"""AssumeRoleWithWebIdentity with `MINIO_IDENTITY_OPENID_CLAIM_USERINFO=on`, against the real
OpenID provider: the caller sends the access token issued with the ID token as
`WebIdentityAccessToken`; Tessera asks the provider's UserInfo endpoint for the claims and
merges them under the ID token's own (which win). Here the ID token is requested without the
`policy` claim, which the OpenID `claims` parameter asks for in the UserInfo answer only, so
the policy can only come from UserInfo."""

from __future__ import annotations

import pytest

from helpers import sts_credentials, sts_error, sts_request, start_tessera
from oidc import decode_jwt

WEB = "AssumeRoleWithWebIdentity"
# The policy claim only in the UserInfo answer; the rest as usual.
USERINFO_POLICY = {"userinfo": {"policy": None}}
SCOPE = "openid profile email"


@pytest.fixture(scope="module")
def server(oidc_provider, tmp_path_factory):
    s = start_tessera(tmp_path_factory.mktemp("tessera-userinfo"), {
        "MINIO_IDENTITY_OPENID_CONFIG_URL": oidc_provider.discovery_url,
        "MINIO_IDENTITY_OPENID_CLIENT_ID": "tessera",
        "MINIO_IDENTITY_OPENID_CLAIM_USERINFO": "on",
    })
    yield s
    s.stop()


def login(oidc_provider, user: str) -> dict:
    answer = oidc_provider.id_token(user, scope=SCOPE, claims=USERINFO_POLICY)
    assert "policy" not in decode_jwt(answer["id_token"]), "the ID token must not carry it"
    return answer


def web_identity(server, id_token: str, access_token: str | None = None):
    params = {"Action": WEB, "Version": "2011-06-15", "WebIdentityToken": id_token}
    if access_token is not None:
        params["WebIdentityAccessToken"] = access_token
    return sts_request(server, params)


def test_the_policy_claim_comes_from_userinfo(server, oidc_provider):
    answer = login(oidc_provider, "alice")
    creds = sts_credentials(web_identity(server, answer["id_token"], answer["access_token"]),
                            WEB)
    assert creds["AccessKeyId"].startswith("ASIA")


def test_without_the_access_token_the_call_says_what_to_send(server, oidc_provider):
    answer = login(oidc_provider, "alice")
    resp = web_identity(server, answer["id_token"])
    code, message = sts_error(resp)
    assert (resp.status_code, code) == (400, "InvalidParameterValue"), resp.text
    assert "WebIdentityAccessToken" in message and "CLAIM_USERINFO" in message, message


def test_another_users_access_token_is_refused(server, oidc_provider):
    alice = login(oidc_provider, "alice")
    bob = login(oidc_provider, "bob")
    resp = web_identity(server, alice["id_token"], bob["access_token"])
    code, message = sts_error(resp)
    assert (resp.status_code, code) == (400, "InvalidParameterValue"), resp.text
    assert "someone else" in message, message
    assert b"<Credentials>" not in resp.content


def test_a_bogus_access_token_is_refused_by_the_provider(server, oidc_provider):
    answer = login(oidc_provider, "alice")
    resp = web_identity(server, answer["id_token"], "not-an-access-token")
    code, message = sts_error(resp)
    assert (resp.status_code, code) == (400, "InvalidParameterValue"), resp.text
    assert "UserInfo" in message and "401" in message, message
