// A real OpenID provider for Tessera's tests: the npm package `oidc-provider` (panva), configured
// with fixed clients and accounts, plain HTTP on 127.0.0.1. Started and driven by
// tests/interop/oidc.py; install it with `npm ci --prefix tests/oidc` (scripts/test does).
//
//   node tests/oidc/provider.mjs --keys DIR [--port P] [--id-token-ttl S] [--access-token-ttl S]
//
//   --keys DIR            signing keys, as private JWKs in DIR/jwks.json (mode 0600). Made on the
//                         first start (one RS256 RSA-2048 key, one ES256 P-256 key, each with a
//                         kid), reused by every later start, rewritten by rotation.
//   --port P              listen on 127.0.0.1:P; 0 (the default) picks a free port.
//   --id-token-ttl S      lifetime of ID tokens in seconds (default 3600).
//   --access-token-ttl S  lifetime of access tokens in seconds (default 3600).
//
// Once listening it prints one line to stdout: `oidc-provider listening on http://127.0.0.1:P`.
// The issuer is exactly `http://127.0.0.1:P`; discovery at /.well-known/openid-configuration,
// keys at /jwks, authorization at /auth, tokens at /token. SIGTERM or SIGINT stops it.
//
// Clients (redirect_uri http://127.0.0.1:1/cb, where nothing listens; grant types
// authorization_code and client_credentials; token_endpoint_auth_method client_secret_basic):
//   tessera / tessera-secret        ID tokens RS256; client_credentials tokens carry policy readwrite
//   tessera-es / tessera-es-secret  ID tokens (and JWT access tokens) ES256
//   other-app / other-app-secret    another audience
//
// Accounts (sub = the login): alice, bob, carol; see ACCOUNTS below. Scopes and the claims they
// release: openid (sub, and every claim of an account added at run time that no scope below
// names), profile (preferred_username, name), email (email, email_verified), groups (groups,
// realm_access), policy (policy). conformIdTokenClaims is false, so the claims of the granted
// scopes are in the ID token itself.
//
// Logging in without a human: the interaction route logs in the account named by the standard
// `login_hint` parameter of the authorization request and grants whatever consent is asked, so
// a client following the redirects by hand ends at `redirect_uri?code=...&state=...`. An unknown
// or missing login_hint ends the flow with error=access_denied at the redirect_uri.
//
// JWT access tokens: resource indicators are enabled and every absolute URI is accepted as a
// resource (e.g. `urn:tessera`); a token for a resource is a JWT signed with the client's ID
// token algorithm, with iss, sub, aud = the resource, client_id, iat, exp, jti, and:
// client_credentials tokens add the client's claims, user tokens add the account's claims.
//
// Test endpoints (POST, JSON in and out, served on the same port, outside the OpenID API):
//   POST /test/rotate[?alg=RS256|ES256]  a new key of that alg (default RS256) with a new kid is
//        put FIRST in the key set, so it signs from now on; the older keys stay published, so
//        tokens they signed still verify. -> {"kid": new kid, "kids": all kids in order}
//   POST /test/retire   drops every key but the newest of each algorithm, so tokens signed by
//        the older ones no longer verify. -> {"removed": [kids], "kids": [...]}
//   POST /test/accounts {"login": {claims...}, ...}   adds or replaces accounts (their claims,
//        without sub). -> {"accounts": [logins]}
//   POST /test/clients {"client_id": ..., "client_secret": ..., "id_token_signed_response_alg":
//        "RS256"|"ES256", "claims": {...}, "id_token_ttl": S, "access_token_ttl": S}  adds or
//        replaces a client (same redirect_uri and grant types as above). -> {"clients": [ids]}
// Each of these rebuilds the oidc-provider instance behind the same HTTP server with the new
// configuration (oidc-provider reads keys and clients only when it is constructed). Nothing is
// lost by that: sessions, interactions, codes and tokens live in oidc-provider's in-memory
// adapter, which is one store per process. Keys are written to --keys DIR before the swap, so a
// restart of the process keeps them; accounts and clients added at run time are not written
// (tests/interop/oidc.py adds them again after a restart). A restart loses sessions, codes and
// opaque tokens, never JWTs: they verify against the same keys.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string' },
    port: { type: 'string', default: '0' },
    'id-token-ttl': { type: 'string', default: '3600' },
    'access-token-ttl': { type: 'string', default: '3600' },
  },
  strict: true,
});

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

function seconds(name) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} must be a positive whole number of seconds`);
  return n;
}

if (!args.keys) fail('--keys DIR is required');
const PORT = Number(args.port);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fail('--port must be 0..65535');
const ID_TOKEN_TTL = seconds('id-token-ttl');
const ACCESS_TOKEN_TTL = seconds('access-token-ttl');
const HOST = '127.0.0.1';
const REDIRECT_URI = 'http://127.0.0.1:1/cb';
const SIGNING_ALGS = ['RS256', 'ES256'];

// ---------------------------------------------------------------------------------------------
// Signing keys, as private JWKs in KEYS_FILE. The first key of an algorithm signs.

const KEYS_FILE = path.join(args.keys, 'jwks.json');

function newKey(alg) {
  const { privateKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function saveKeys(keys) {
  fs.mkdirSync(args.keys, { recursive: true });
  const tmp = `${KEYS_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, KEYS_FILE);
}

function loadKeys() {
  if (fs.existsSync(KEYS_FILE)) {
    const { keys } = JSON.parse(fs.readFileSync(KEYS_FILE, 'utf8'));
    if (!Array.isArray(keys) || !keys.length) fail(`${KEYS_FILE} holds no keys`);
    return keys;
  }
  const keys = SIGNING_ALGS.map(newKey);
  saveKeys(keys);
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Accounts and clients.

const ACCOUNTS = new Map(Object.entries({
  alice: {
    preferred_username: 'alice',
    name: 'Alice Liddell',
    email: 'alice@example.test',
    email_verified: true,
    groups: ['eng'],
    realm_access: { roles: ['readwrite'] },
    policy: 'readonly',
  },
  bob: {
    preferred_username: 'bob',
    name: 'Bob Builder',
    email: 'bob@example.test',
    email_verified: true,
    groups: ['eng', 'ops'],
    realm_access: { roles: ['readonly'] },
    policy: ['readwrite', 'diagnostics'],
  },
  carol: {
    preferred_username: 'carol',
    name: 'Carol Danvers',
    email: 'carol@example.test',
    email_verified: false,
    groups: [],
  },
}));

// What each scope releases; claims of run-time accounts that no scope names go under `openid`.
const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['preferred_username', 'name'],
  email: ['email', 'email_verified'],
  groups: ['groups', 'realm_access'],
  policy: ['policy'],
};

function clientEntry({
  client_id, client_secret, id_token_signed_response_alg = 'RS256', claims = {},
  id_token_ttl, access_token_ttl,
}) {
  if (typeof client_id !== 'string' || !client_id) throw new Error('client_id is required');
  if (typeof client_secret !== 'string' || !client_secret) throw new Error('client_secret is required');
  if (!SIGNING_ALGS.includes(id_token_signed_response_alg)) {
    throw new Error(`id_token_signed_response_alg must be one of ${SIGNING_ALGS.join(', ')}`);
  }
  for (const ttl of [id_token_ttl, access_token_ttl]) {
    if (ttl !== undefined && ttl !== null && !(Number.isInteger(ttl) && ttl > 0)) {
      throw new Error('ttls must be positive whole numbers of seconds');
    }
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    throw new Error('claims must be an object');
  }
  return {
    metadata: {
      client_id,
      client_secret,
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg,
    },
    claims,
    idTokenTtl: id_token_ttl ?? undefined,
    accessTokenTtl: access_token_ttl ?? undefined,
  };
}

const CLIENTS = new Map([
  clientEntry({ client_id: 'tessera', client_secret: 'tessera-secret', claims: { policy: 'readwrite' } }),
  clientEntry({ client_id: 'tessera-es', client_secret: 'tessera-es-secret', id_token_signed_response_alg: 'ES256' }),
  clientEntry({ client_id: 'other-app', client_secret: 'other-app-secret' }),
].map((c) => [c.metadata.client_id, c]));

// ---------------------------------------------------------------------------------------------
// The oidc-provider instance, rebuilt from this state when keys or clients change.

const COOKIE_KEYS = [randomBytes(32).toString('base64url')];
const state = { keys: loadKeys(), accounts: ACCOUNTS, clients: CLIENTS };

function claimsConfig(accounts) {
  const named = new Set(Object.values(SCOPE_CLAIMS).flat());
  const extra = new Set();
  for (const claims of accounts.values()) {
    for (const name of Object.keys(claims)) if (!named.has(name)) extra.add(name);
  }
  return { ...SCOPE_CLAIMS, openid: [...SCOPE_CLAIMS.openid, ...extra] };
}

function isAbsoluteUri(value) {
  try {
    const url = new URL(value);
    return !url.hash && Boolean(url.protocol);
  } catch {
    return false;
  }
}

function build(issuer, { keys, accounts, clients }) {
  const clientFor = (id) => clients.get(id);
  return new Provider(issuer, {
    jwks: { keys: structuredClone(keys) },
    clients: [...clients.values()].map((c) => c.metadata),
    cookies: { keys: COOKIE_KEYS },
    claims: claimsConfig(accounts),
    scopes: ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientDefaults: { id_token_signed_response_alg: 'RS256' },
    async findAccount(ctx, sub) {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => ({ ...structuredClone(claims), sub }) };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A request may ask for claims in the UserInfo answer only (the CLAIM_USERINFO tests).
      claimsParameter: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf ?? undefined,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resourceIndicator, client) => {
          if (!isAbsoluteUri(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            audience: resourceIndicator,
            scope: 'read write',
            accessTokenFormat: 'jwt',
            accessTokenTTL: clientFor(client.clientId)?.accessTokenTtl ?? ACCESS_TOKEN_TTL,
            jwt: { sign: { alg: client.idTokenSignedResponseAlg || 'RS256' } },
          };
        },
      },
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind === 'ClientCredentials') return structuredClone(clientFor(token.clientId)?.claims ?? {});
      if (token.accountId && accounts.has(token.accountId)) return structuredClone(accounts.get(token.accountId));
      return undefined;
    },
    ttl: {
      IdToken: (ctx, token, client) => clientFor(client.clientId)?.idTokenTtl ?? ID_TOKEN_TTL,
      AccessToken: (ctx, token, client) => token.resourceServer?.accessTokenTTL
        ?? clientFor(client.clientId)?.accessTokenTtl ?? ACCESS_TOKEN_TTL,
      ClientCredentials: (ctx, token, client) => token.resourceServer?.accessTokenTTL
        ?? clientFor(client.clientId)?.accessTokenTtl ?? ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP: the test endpoints and the interaction route here, the rest to the current provider.

let provider;
let handler;
let issuer;

function swap(next) {
  const candidate = build(issuer, next);
  provider = candidate;
  handler = candidate.callback();
  Object.assign(state, next);
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

const publicKids = (keys) => keys.map((k) => k.kid);

async function testEndpoint(req, res, url) {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
  const body = await readJson(req);
  switch (url.pathname) {
    case '/test/rotate': {
      const alg = url.searchParams.get('alg') || 'RS256';
      if (!SIGNING_ALGS.includes(alg)) return sendJson(res, 400, { error: `alg must be one of ${SIGNING_ALGS}` });
      const key = newKey(alg);
      const keys = [key, ...state.keys];
      saveKeys(keys);
      swap({ ...state, keys });
      return sendJson(res, 200, { kid: key.kid, kids: publicKids(keys) });
    }
    case '/test/retire': {
      const seen = new Set();
      const keys = [];
      const removed = [];
      for (const key of state.keys) {
        if (seen.has(key.alg)) removed.push(key.kid);
        else { seen.add(key.alg); keys.push(key); }
      }
      saveKeys(keys);
      swap({ ...state, keys });
      return sendJson(res, 200, { removed, kids: publicKids(keys) });
    }
    case '/test/accounts': {
      const accounts = new Map(state.accounts);
      for (const [login, claims] of Object.entries(body)) {
        if (!login || claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
          return sendJson(res, 400, { error: 'expected {"login": {claims...}}' });
        }
        const { sub, ...rest } = claims;
        accounts.set(login, rest);
      }
      swap({ ...state, accounts });
      return sendJson(res, 200, { accounts: [...accounts.keys()] });
    }
    case '/test/clients': {
      let entry;
      try {
        entry = clientEntry(body);
      } catch (e) {
        return sendJson(res, 400, { error: e.message });
      }
      const clients = new Map(state.clients).set(entry.metadata.client_id, entry);
      try {
        swap({ ...state, clients });
      } catch (e) {
        return sendJson(res, 400, { error: e.message });
      }
      return sendJson(res, 200, { clients: [...clients.keys()] });
    }
    default:
      return sendJson(res, 404, { error: 'no such test endpoint' });
  }
}

async function finish(req, res, result, merge) {
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: merge });
}

// The only "user": log in the account named by login_hint, then consent to everything asked.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const login = params.login_hint;
    if (typeof login !== 'string' || !state.accounts.has(login)) {
      return finish(req, res, {
        error: 'access_denied',
        error_description: `login_hint names no account of the test provider: ${login ?? '(none)'}`,
      }, false);
    }
    return finish(req, res, { login: { accountId: login } }, false);
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return finish(req, res, { consent: { grantId } }, true);
  }
  return finish(req, res, { error: 'access_denied', error_description: `unhandled prompt ${prompt.name}` }, false);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  let work;
  if (url.pathname.startsWith('/test/')) work = testEndpoint(req, res, url);
  else if (/^\/interaction\/[^/]+$/.test(url.pathname) && req.method === 'GET') work = interaction(req, res);
  else return handler(req, res);
  work.catch((e) => {
    process.stderr.write(`provider.mjs: ${req.method} ${url.pathname}: ${e.stack || e}\n`);
    if (!res.headersSent) sendJson(res, 500, { error: String(e.message || e) });
    else res.end();
  });
  return undefined;
});

server.on('error', (e) => fail(`cannot listen on ${HOST}:${PORT}: ${e.message}`));
server.listen(PORT, HOST, () => {
  issuer = `http://${HOST}:${server.address().port}`;
  swap(state);
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
