"""The OpenID provider harness itself (tests/oidc/provider.mjs driven by oidc.py), not Tessera:
discovery, ID tokens through the authorization-code flow, JWT access tokens through
client_credentials, key rotation and restarts. Signatures are checked with the published JWKS."""

from __future__ import annotations

import time

import pytest
import requests

from oidc import DEFAULT_RESOURCE, OidcError, OidcProvider, decode_jwt, verify_jwt


@pytest.fixture
def own_provider(tmp_path):
    """A provider of the test's own, for tests that rotate keys or restart it."""
    provider = OidcProvider()
    provider.start(tmp_path)
    yield provider
    provider.stop()


def test_discovery_names_the_issuer_and_its_endpoints(oidc_provider):
    doc = requests.get(oidc_provider.discovery_url, timeout=10).json()
    issuer = f"http://127.0.0.1:{oidc_provider.port}"
    assert doc["issuer"] == oidc_provider.issuer == issuer
    assert doc["jwks_uri"] == oidc_provider.jwks_url == f"{issuer}/jwks"
    assert doc["authorization_endpoint"].startswith(issuer + "/")
    assert doc["token_endpoint"].startswith(issuer + "/")
    assert set(doc["id_token_signing_alg_values_supported"]) >= {"RS256", "ES256"}
    assert {"openid", "profile", "email", "groups", "policy"} <= set(doc["scopes_supported"])
    assert "client_credentials" in doc["grant_types_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_jwks_publishes_an_rs256_and_an_es256_key_without_private_parts(oidc_provider):
    keys = oidc_provider.jwks()["keys"]
    algs = {(k["kty"], k["alg"]) for k in keys}
    assert ("RSA", "RS256") in algs and ("EC", "ES256") in algs
    assert all(k.get("kid") for k in keys)
    assert not any(p in k for k in keys for p in ("d", "p", "q", "dp", "dq", "qi"))
    rsa = next(k for k in keys if k["kty"] == "RSA")
    assert len(rsa["n"]) in (342, 343)  # 2048 bits in base64url
    assert next(k for k in keys if k["kty"] == "EC")["crv"] == "P-256"


def test_alice_id_token_is_rs256_signed_by_a_published_key_with_her_claims(oidc_provider):
    tokens = oidc_provider.id_token("alice")
    assert tokens["token_type"].lower() == "bearer" and tokens["access_token"]
    assert tokens["expires_in"] > 0
    header, _ = decode_jwt(tokens["id_token"])
    assert header["alg"] == "RS256"
    jwks = oidc_provider.jwks()
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]
    claims = verify_jwt(tokens["id_token"], jwks)
    assert claims["iss"] == oidc_provider.issuer
    assert claims["aud"] == "tessera"
    assert claims["sub"] == "alice"
    assert claims["policy"] == "readonly"
    assert claims["preferred_username"] == "alice"
    assert claims["email"] == "alice@example.test"
    assert claims["groups"] == ["eng"]
    assert claims["realm_access"] == {"roles": ["readwrite"]}
    assert claims["nonce"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] <= time.time() + 5


def test_bob_has_a_list_policy_and_carol_none(oidc_provider):
    bob = decode_jwt(oidc_provider.id_token("bob")["id_token"])[1]
    assert bob["policy"] == ["readwrite", "diagnostics"]
    carol = decode_jwt(oidc_provider.id_token("carol")["id_token"])[1]
    assert carol["sub"] == "carol" and "policy" not in carol


def test_claims_follow_the_requested_scopes(oidc_provider):
    claims = decode_jwt(oidc_provider.id_token("alice", scope="openid email")["id_token"])[1]
    assert claims["email"] == "alice@example.test"
    for absent in ("policy", "groups", "preferred_username", "realm_access"):
        assert absent not in claims


def test_tessera_es_gets_es256_id_tokens(oidc_provider):
    token = oidc_provider.id_token("alice", client_id="tessera-es")["id_token"]
    header, _ = decode_jwt(token)
    assert header["alg"] == "ES256"
    claims = verify_jwt(token, oidc_provider.jwks())
    assert claims["aud"] == "tessera-es" and claims["policy"] == "readonly"


def test_other_app_is_another_audience(oidc_provider):
    token = oidc_provider.id_token("alice", client_id="other-app")["id_token"]
    assert verify_jwt(token, oidc_provider.jwks())["aud"] == "other-app"


def test_unknown_login_and_wrong_secret_are_refused(oidc_provider):
    with pytest.raises(OidcError, match="access_denied"):
        oidc_provider.id_token("mallory")
    with pytest.raises(OidcError, match="invalid_client"):
        oidc_provider.id_token("alice", client_secret="wrong")
    with pytest.raises(OidcError, match="invalid_client"):
        oidc_provider.id_token("alice", "tessera-es", "tessera-secret")
    with pytest.raises(OidcError, match="invalid_client"):
        oidc_provider.access_token(client_secret="wrong")


def test_client_credentials_gives_a_jwt_access_token_for_the_resource(oidc_provider):
    token = oidc_provider.access_token()
    header, _ = decode_jwt(token)
    assert header["alg"] == "RS256" and header["typ"].lower() == "at+jwt"
    claims = verify_jwt(token, oidc_provider.jwks())
    assert claims["iss"] == oidc_provider.issuer
    assert claims["aud"] == DEFAULT_RESOURCE
    assert claims["client_id"] == "tessera" and claims["sub"] == "tessera"
    assert claims["policy"] == "readwrite"
    assert claims["exp"] - claims["iat"] == 3600

    other = f"{oidc_provider.issuer}/tessera"
    assert verify_jwt(oidc_provider.access_token(resource=other),
                      oidc_provider.jwks())["aud"] == other
    es = oidc_provider.access_token("tessera-es")
    assert decode_jwt(es)[0]["alg"] == "ES256"
    assert verify_jwt(es, oidc_provider.jwks())["client_id"] == "tessera-es"


def test_user_access_token_for_a_resource_is_a_jwt_with_the_account_claims(oidc_provider):
    tokens = oidc_provider.id_token("bob", resource=DEFAULT_RESOURCE)
    claims = verify_jwt(tokens["access_token"], oidc_provider.jwks())
    assert claims["aud"] == DEFAULT_RESOURCE and claims["sub"] == "bob"
    assert claims["client_id"] == "tessera"
    assert claims["policy"] == ["readwrite", "diagnostics"]


def test_accounts_and_clients_added_at_run_time(oidc_provider):
    oidc_provider.add_account("dave", {"preferred_username": "dave",
                                       "policy": "consoleAdmin", "customPolicy": "p1,p2"})
    claims = decode_jwt(oidc_provider.id_token("dave")["id_token"])[1]
    assert claims["policy"] == "consoleAdmin" and claims["customPolicy"] == "p1,p2"
    assert "customPolicy" not in decode_jwt(oidc_provider.id_token("alice")["id_token"])[1]

    oidc_provider.add_client("short-lived", "short-secret", id_token_ttl=2, access_token_ttl=3,
                             claims={"policy": "diagnostics"})
    claims = decode_jwt(oidc_provider.id_token("alice", "short-lived")["id_token"])[1]
    assert claims["aud"] == "short-lived" and claims["exp"] - claims["iat"] == 2
    at = decode_jwt(oidc_provider.access_token("short-lived"))[1]
    assert at["exp"] - at["iat"] == 3 and at["policy"] == "diagnostics"


def test_sign_jwt_makes_tokens_the_published_keys_verify(oidc_provider):
    now = int(time.time())
    forged = oidc_provider.sign_jwt({"iss": "http://elsewhere", "sub": "x", "aud": "tessera",
                                     "iat": now, "exp": now - 10})
    assert verify_jwt(forged, oidc_provider.jwks())["iss"] == "http://elsewhere"
    es = oidc_provider.sign_jwt({"sub": "y"}, alg="ES256")
    assert decode_jwt(es)[0]["alg"] == "ES256"
    assert verify_jwt(es, oidc_provider.jwks())["sub"] == "y"
    tampered = es[:-4] + ("AAAA" if not es.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError):
        verify_jwt(tampered, oidc_provider.jwks())


def test_rotation_signs_with_a_new_kid_and_keeps_the_old_key_published(own_provider):
    old_token = own_provider.id_token("alice")["id_token"]
    old_kid = decode_jwt(old_token)[0]["kid"]
    new_kid = own_provider.rotate_keys()
    assert new_kid != old_kid

    jwks = own_provider.jwks()
    kids = [k["kid"] for k in jwks["keys"]]
    assert kids[0] == new_kid and old_kid in kids
    new_token = own_provider.id_token("alice")["id_token"]
    assert decode_jwt(new_token)[0]["kid"] == new_kid
    assert verify_jwt(new_token, jwks)["sub"] == "alice"
    assert verify_jwt(old_token, jwks)["sub"] == "alice"
    assert decode_jwt(own_provider.access_token())[0]["kid"] == new_kid
    # ES256 keeps its own key until it is rotated too.
    es = own_provider.id_token("alice", "tessera-es")["id_token"]
    assert decode_jwt(es)[0]["kid"] != new_kid

    assert own_provider.retire_keys() == [old_kid]
    jwks = own_provider.jwks()
    assert old_kid not in [k["kid"] for k in jwks["keys"]]
    with pytest.raises(ValueError):
        verify_jwt(old_token, jwks)
    verify_jwt(new_token, jwks)
    verify_jwt(es, jwks)


def test_restart_keeps_the_keys_and_the_run_time_accounts(own_provider):
    own_provider.rotate_keys("ES256")
    own_provider.add_account("erin", {"policy": "readwrite"})
    token = own_provider.id_token("alice")["id_token"]
    es = own_provider.id_token("erin", "tessera-es")["id_token"]
    kids = [k["kid"] for k in own_provider.jwks()["keys"]]
    port, pid = own_provider.port, own_provider.pid

    own_provider.restart()
    assert own_provider.port == port and own_provider.pid != pid
    jwks = own_provider.jwks()
    assert [k["kid"] for k in jwks["keys"]] == kids
    verify_jwt(token, jwks)
    verify_jwt(es, jwks)
    again = own_provider.id_token("alice")["id_token"]
    assert decode_jwt(again)[0]["kid"] == decode_jwt(token)[0]["kid"]
    assert decode_jwt(own_provider.id_token("erin")["id_token"])[1]["policy"] == "readwrite"
