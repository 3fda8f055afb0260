"""A real OpenID provider for the interop tests (imported as `oidc`).

`OidcProvider` runs tests/oidc/provider.mjs (the npm package oidc-provider; see the comment at
the top of that file for its clients, accounts, scopes and test endpoints) with Node.js on a free
127.0.0.1 port, and mints tokens through the provider's real flows:

    id_token("alice")     the authorization-code flow with PKCE, driven like a browser would
                          (cookies kept, redirects followed by hand, login by `login_hint`),
                          stopping at the redirect to the client's redirect_uri and exchanging
                          the code at the token endpoint: the token response as a dict
    access_token()        client_credentials with a resource indicator: a JWT access token
    rotate_keys()         a new signing key first in the provider's JWKS, the old ones kept
    retire_keys()         the older keys dropped from the JWKS
    restart()             the provider process stopped and started again on the same port with
                          the same keys (sessions and codes are lost, JWTs stay valid)

The session fixture `oidc_provider` (re-exported by conftest.py) starts one provider for the
test session. It fails, rather than skips, when Node.js or the npm package is missing:
scripts/test installs them (`npm ci --prefix tests/oidc`).

`decode_jwt`, `verify_jwt` and `OidcProvider.sign_jwt` let tests inspect tokens and make tokens
the provider would never issue (another issuer, an expired `exp`) signed with its real keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from Crypto.Hash import SHA256
from Crypto.PublicKey import ECC, RSA
from Crypto.Signature import DSS, pkcs1_15

from helpers import _read, _tail, stop_process

REPO = Path(__file__).resolve().parents[2]
PROVIDER_DIR = REPO / "tests" / "oidc"
PROVIDER_SCRIPT = PROVIDER_DIR / "provider.mjs"
REDIRECT_URI = "http://127.0.0.1:1/cb"
DEFAULT_SCOPE = "openid profile email groups policy"
DEFAULT_RESOURCE = "urn:tessera"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0
MIN_NODE = (20, 12)  # oidc-provider 9 calls crypto.hash, new in Node.js 20.12
# The fixed clients of provider.mjs and their secrets.
CLIENT_SECRETS = {"tessera": "tessera-secret", "tessera-es": "tessera-es-secret",
                  "other-app": "other-app-secret"}


class OidcError(Exception):
    """The provider refused a request, or answered in a way the harness did not expect."""


# ---------------------------------------------------------------------------------------------
# JWTs


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def decode_jwt(token: str) -> tuple[dict, dict]:
    """(header, claims) of a compact JWS, without verifying anything."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError(f"not a compact JWS: {len(parts)} parts")
    return json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))


def verify_jwt(token: str, jwks: dict) -> dict:
    """The claims of a JWS whose RS256 or ES256 signature verifies with the key of its `kid` in
    `jwks`; ValueError otherwise. Checks the signature only, not iss, aud or exp."""
    header, claims = decode_jwt(token)
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if not keys:
        raise ValueError(f"kid {header.get('kid')!r} is not in the key set")
    jwk = keys[0]
    signing_input, _, sig = token.rpartition(".")
    digest = SHA256.new(signing_input.encode())
    signature = b64url_decode(sig)
    alg = header.get("alg")
    if alg == "RS256" and jwk["kty"] == "RSA":
        key = RSA.construct((_int(jwk["n"]), _int(jwk["e"])))
        pkcs1_15.new(key).verify(digest, signature)  # raises ValueError
    elif alg == "ES256" and jwk["kty"] == "EC" and jwk["crv"] == "P-256":
        key = ECC.construct(curve="P-256", point_x=_int(jwk["x"]), point_y=_int(jwk["y"]))
        DSS.new(key, "fips-186-3").verify(digest, signature)  # raises ValueError
    else:
        raise ValueError(f"alg {alg!r} does not fit key {jwk.get('kty')}/{jwk.get('crv')}")
    return claims


def _sign(signing_input: bytes, jwk: dict) -> bytes:
    digest = SHA256.new(signing_input)
    if jwk["kty"] == "RSA":
        key = RSA.construct(tuple(_int(jwk[p]) for p in ("n", "e", "d", "p", "q")))
        return pkcs1_15.new(key).sign(digest)
    key = ECC.construct(curve="P-256", d=_int(jwk["d"]))
    return DSS.new(key, "fips-186-3").sign(digest)


# ---------------------------------------------------------------------------------------------
# The provider process


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = b64url_encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge


def check_node() -> str:
    """The path of a Node.js recent enough for oidc-provider 9 with the package installed;
    otherwise an OidcError that says what to install."""
    node = shutil.which("node")
    if not node:
        raise OidcError("Node.js is not installed: scripts/test installs it "
                        "(Debian nodejs and npm), then `npm ci --prefix tests/oidc`")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    m = re.match(r"v(\d+)\.(\d+)", out.stdout.strip())
    if not m or (int(m[1]), int(m[2])) < MIN_NODE:
        raise OidcError(f"Node.js {out.stdout.strip() or '?'} at {node} is too old for "
                        f"oidc-provider 9: it needs {MIN_NODE[0]}.{MIN_NODE[1]} or later")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        raise OidcError("the npm package oidc-provider is not installed in tests/oidc: "
                        "run `npm ci --prefix tests/oidc` (scripts/test does)")
    return node


class OidcProvider:
    """One provider process. `start(tmpdir)` before use, `stop()` after."""

    def __init__(self, id_token_ttl: int = 3600, access_token_ttl: int = 3600):
        self.id_token_ttl = id_token_ttl
        self.access_token_ttl = access_token_ttl
        self.port: int | None = None
        self.dir: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._starts = 0
        # What was added at run time, sent again after a restart.
        self._accounts: dict[str, dict] = {}
        self._clients: dict[str, dict] = {}
        self._secrets = dict(CLIENT_SECRETS)
        self._discovery: dict | None = None

    # -- addresses ------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        if self.port is None:
            raise OidcError("the provider has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return self.discovery()["jwks_uri"]

    @property
    def token_url(self) -> str:
        return self.discovery()["token_endpoint"]

    @property
    def keys_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "keys"

    def discovery(self) -> dict:
        if self._discovery is None:
            self._discovery = self._get_json(self.discovery_url)
        return self._discovery

    def jwks(self) -> dict:
        """The published key set (public keys), as served now."""
        return self._get_json(self.jwks_url)

    def private_jwks(self) -> dict:
        """The private key set as the provider keeps it in its keys directory."""
        return json.loads((self.keys_dir / "jwks.json").read_text())

    # -- process --------------------------------------------------------------------------------

    def start(self, tmpdir: Path) -> None:
        """Start the provider with its keys and logs under tmpdir; returns when discovery
        answers (at most START_TIMEOUT seconds). A start that stays silent is retried once with
        a fresh process: on a loaded machine node has now and then not printed its banner
        within the time (seen in CI), for a reason not found yet."""
        if self._proc is not None:
            raise OidcError("the provider is already running")
        try:
            self._launch(tmpdir)
        except OidcError as first:
            if "did not answer" not in str(first):
                raise
            self._launch(tmpdir)
        self._discovery = None
        for login, claims in self._accounts.items():
            self._post("/test/accounts", {login: claims})
        for body in self._clients.values():
            self._post("/test/clients", body)

    def _launch(self, tmpdir: Path) -> None:
        node = check_node()
        self.dir = Path(tmpdir)
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        stdout_log = self.dir / f"provider.{self._starts}.stdout"
        stderr_log = self.dir / f"provider.{self._starts}.stderr"
        cmd = [node, str(PROVIDER_SCRIPT), "--keys", str(self.keys_dir),
               "--port", str(self.port or 0),
               "--id-token-ttl", str(self.id_token_ttl),
               "--access-token-ttl", str(self.access_token_ttl)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "DEBUG"))}
        with open(stdout_log, "wb") as out, open(stderr_log, "wb") as err:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          cwd=PROVIDER_DIR, env=env)
        self.stderr_log = stderr_log
        deadline = time.monotonic() + START_TIMEOUT
        last = "none"
        try:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    break
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", _read(stdout_log))
                if m:
                    self.port = int(m[1])
                    try:
                        r = requests.get(self.discovery_url, timeout=2)
                        last = f"{r.status_code} {r.text[:200]}"
                        if r.status_code == 200 and r.json().get("issuer") == self.issuer:
                            break
                    except (requests.RequestException, ValueError) as e:
                        last = repr(e)
                time.sleep(0.05)
            else:
                raise OidcError(f"the OpenID provider did not answer within {START_TIMEOUT}s "
                                f"(port {self.port}, last answer: {last})")
            if self._proc.poll() is not None:
                raise OidcError(f"the OpenID provider exited with code {self._proc.returncode}")
        except BaseException as e:
            self.stop()
            if not isinstance(e, OidcError):
                raise
            raise OidcError(f"{e}\nstdout:\n{_tail(stdout_log)}\nstderr:\n{_tail(stderr_log)}")

    def stop(self) -> None:
        """Stop the process by its pid: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc, STOP_TIMEOUT)

    def restart(self) -> None:
        """Stop and start again on the same port with the same keys directory; accounts and
        clients added at run time are added again. Sessions, codes and opaque tokens are lost."""
        if self.dir is None:
            raise OidcError("the provider has not been started")
        self.stop()
        self.start(self.dir)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    # -- HTTP helpers ---------------------------------------------------------------------------

    def _get_json(self, url: str) -> dict:
        r = requests.get(url, timeout=HTTP_TIMEOUT)
        if r.status_code != 200:
            raise OidcError(f"GET {url}: {r.status_code} {r.text[:500]}")
        return r.json()

    def _post(self, path: str, body: dict | None = None) -> dict:
        r = requests.post(f"{self.issuer}{path}", json=body or {}, timeout=HTTP_TIMEOUT)
        if r.status_code != 200:
            raise OidcError(f"POST {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    def _token_request(self, client_id: str, client_secret: str | None, form: dict) -> dict:
        if client_secret is None:
            client_secret = self._secrets.get(client_id, "")
        r = requests.post(self.token_url, data=form, auth=(client_id, client_secret),
                          timeout=HTTP_TIMEOUT)
        if r.status_code != 200:
            raise OidcError(f"token endpoint ({form.get('grant_type')}): "
                            f"{r.status_code} {r.text[:500]}")
        return r.json()

    # -- tokens ---------------------------------------------------------------------------------

    def id_token(self, login: str, client_id: str = "tessera", client_secret: str | None = None,
                 scope: str = DEFAULT_SCOPE, *, resource: str | None = None,
                 claims: dict | None = None) -> dict:
        """Log `login` in through the authorization-code flow with PKCE and return the token
        response (id_token, access_token, expires_in, token_type, scope). client_secret None is
        the client's own (tessera-secret for tessera, and so on). With `resource`, the access
        token is a JWT for that resource. OidcError if the provider refuses."""
        verifier, challenge = _pkce()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "client_id": client_id, "response_type": "code", "redirect_uri": REDIRECT_URI,
            "scope": scope, "state": state, "nonce": nonce, "login_hint": login,
            "code_challenge": challenge, "code_challenge_method": "S256",
        }
        if claims is not None:
            # The OpenID `claims` request parameter, e.g. {"userinfo": {"policy": None}}.
            params["claims"] = json.dumps(claims)
        if resource is not None:
            params["resource"] = resource
        with requests.Session() as browser:
            r = browser.get(self.discovery()["authorization_endpoint"], params=params,
                            allow_redirects=False, timeout=HTTP_TIMEOUT)
            for _ in range(10):
                if r.status_code not in (302, 303) or "Location" not in r.headers:
                    raise OidcError(f"expected a redirect from {r.url}, got {r.status_code}: "
                                    f"{r.text[:500]}")
                location = urljoin(r.url, r.headers["Location"])
                if location.startswith(REDIRECT_URI + "?") or location == REDIRECT_URI:
                    break
                if not location.startswith(self.issuer + "/"):
                    raise OidcError(f"the provider redirected away from itself: {location}")
                r = browser.get(location, allow_redirects=False, timeout=HTTP_TIMEOUT)
            else:
                raise OidcError("too many redirects in the authorization flow")
        answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if "error" in answer:
            raise OidcError(f"authorization refused: {answer['error']}: "
                            f"{answer.get('error_description', '')}")
        if answer.get("state") != state or "code" not in answer:
            raise OidcError(f"unexpected authorization response: {location}")
        return self._token_request(client_id, client_secret, {
            "grant_type": "authorization_code", "code": answer["code"],
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
        })

    def access_token(self, client_id: str = "tessera", client_secret: str | None = None,
                     resource: str = DEFAULT_RESOURCE, scope: str | None = None) -> str:
        """A JWT access token from the client_credentials grant for `resource` (its aud);
        client_secret None is the client's own."""
        form = {"grant_type": "client_credentials", "resource": resource}
        if scope:
            form["scope"] = scope
        return self._token_request(client_id, client_secret, form)["access_token"]

    # -- run-time changes -----------------------------------------------------------------------

    def rotate_keys(self, alg: str = "RS256") -> str:
        """A new key for alg (RS256 or ES256) signs from now on; the old ones stay published.
        Returns the new kid. No restart: the provider is rebuilt in its process."""
        return self._post(f"/test/rotate?alg={alg}")["kid"]

    def retire_keys(self) -> list[str]:
        """Drop every key but the newest of each algorithm from the JWKS; returns their kids."""
        return self._post("/test/retire")["removed"]

    def add_account(self, login: str, claims: dict) -> None:
        """Add or replace an account; claims that no scope names are released with `openid`."""
        self._post("/test/accounts", {login: claims})
        self._accounts[login] = claims

    def add_client(self, client_id: str, client_secret: str, *,
                   id_token_signed_response_alg: str = "RS256", claims: dict | None = None,
                   id_token_ttl: int | None = None, access_token_ttl: int | None = None) -> None:
        """Add or replace a client (redirect_uri and grant types as the fixed ones). `claims`
        go into its client_credentials access tokens; the ttls override the provider's."""
        body = {"client_id": client_id, "client_secret": client_secret,
                "id_token_signed_response_alg": id_token_signed_response_alg,
                "claims": claims or {}, "id_token_ttl": id_token_ttl,
                "access_token_ttl": access_token_ttl}
        self._post("/test/clients", body)
        self._clients[client_id] = body
        self._secrets[client_id] = client_secret

    def sign_jwt(self, claims: dict, *, alg: str = "RS256", kid: str | None = None,
                 header: dict | None = None) -> str:
        """A JWS over `claims` signed with one of the provider's own private keys (the one
        that signs now for alg, or the one with kid), for tokens the provider would not issue."""
        keys = self.private_jwks()["keys"]
        jwk = next((k for k in keys if (k["kid"] == kid if kid else k["alg"] == alg)), None)
        if jwk is None:
            raise OidcError(f"no private key for alg={alg} kid={kid}")
        hdr = {"alg": jwk["alg"], "typ": "JWT", "kid": jwk["kid"], **(header or {})}
        signing_input = (b64url_encode(json.dumps(hdr, separators=(",", ":")).encode()) + "."
                         + b64url_encode(json.dumps(claims, separators=(",", ":")).encode()))
        return signing_input + "." + b64url_encode(_sign(signing_input.encode(), jwk))


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> OidcProvider:
    """One OpenID provider for the test session (fails, not skips, without Node.js or the npm
    package). Tests that rotate or retire keys change it for the tests after them."""
    provider = OidcProvider()
    try:
        provider.start(tmp_path_factory.mktemp("oidc"))
    except OidcError as e:
        pytest.fail(f"OpenID provider: {e}", pytrace=False)
    try:
        yield provider
    finally:
        provider.stop()
