// The demo SP's back-channel logout endpoint (OIDC Back-Channel Logout 1.0), over real HTTP: the
// citizen logs in through an OP (oidc-provider) whose id_tokens carry `sid`; logout tokens signed by
// the test with the OP's key (the SP fetches the OP's /jwks itself) end that session, and the next
// page says so; every token §2.6 says to refuse gets a 400 and leaves the session as it was.
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  CompactEncrypt,
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWTHeaderParameters,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoSp, type DemoSp } from '../../../src/demo-sp/index.ts';
import { Browser, confirmLogout } from '../../support/browser.ts';
import { type LogoutTestOp, startLogoutTestOp } from './logout-test-op.ts';
import { FICTITIOUS_PERSON, freePort } from './test-op.ts';

const OP_HOST = '127.0.0.6';
const SP_HOST = '127.0.0.7';
const CLIENT = { clientId: 'demo-sp', clientSecret: 'demo-sp-secret-at-least-32-characters-long!' };
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const NOTICE = 'Votre session a été fermée par Relais';

let op: LogoutTestOp;
let sp: DemoSp;
let unreachableHubSp: DemoSp;

beforeAll(async () => {
  const spUrl = `http://${SP_HOST}:${await freePort(SP_HOST)}`;
  op = await startLogoutTestOp(OP_HOST, {
    ...CLIENT,
    redirectUris: [`${spUrl}/callback`],
    postLogoutRedirectUris: [`${spUrl}/`],
    backchannelLogoutUri: `${spUrl}/backchannel-logout`,
  });
  sp = await createDemoSp({ ...CLIENT, url: spUrl, issuer: op.issuer });
  await sp.listen();
  // A hub that does not answer: no discovery, so no keys to check a token with.
  unreachableHubSp = await createDemoSp({
    ...CLIENT,
    url: `http://${SP_HOST}:${await freePort(SP_HOST)}`,
    issuer: `http://${OP_HOST}:${await freePort(OP_HOST)}`,
  });
  await unreachableHubSp.listen();
});

afterAll(async () => {
  await Promise.all([sp?.close(), unreachableHubSp?.close()]);
  await op?.close();
});

interface LoggedIn {
  browser: Browser;
  sid: string;
  sub: string;
}

/** A citizen logged in to the demo SP through the OP; the sid and sub of its id_token. */
async function logIn(): Promise<LoggedIn> {
  const browser = new Browser();
  const before = op.idTokens.length;
  const { response } = await browser.navigate(`${sp.url}/login`, () => false);
  expect(response?.status).toBe(200);
  expect(await response?.text()).toContain(FICTITIOUS_PERSON.given_name);
  const claims = op.idTokens.at(-1);
  expect(op.idTokens.length).toBe(before + 1);
  expect(typeof claims?.sid).toBe('string');
  return { browser, sid: String(claims?.sid), sub: String(claims?.sub) };
}

async function home(browser: Browser): Promise<string> {
  const response = await browser.request(`${sp.url}/`);
  expect(response.status).toBe(200);
  return response.text();
}

async function expectLoggedIn(citizen: LoggedIn): Promise<void> {
  const html = await home(citizen.browser);
  expect(html).toContain(FICTITIOUS_PERSON.given_name);
  expect(html).not.toContain(NOTICE);
}

type Claims = Record<string, unknown>;

/** The claims the hub sends, for this citizen: any of them replaced, or dropped when set to undefined. */
function logoutClaims(citizen: { sid?: string; sub?: string }, changes: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    iss: op.issuer,
    aud: CLIENT.clientId,
    iat: now,
    exp: now + 120,
    jti: crypto.randomUUID(),
    sub: citizen.sub,
    sid: citizen.sid,
    events: { [EVENT]: {} },
    ...changes,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims;
}

async function sign(
  claims: Claims,
  options: { key?: CryptoKey; header?: Partial<JWTHeaderParameters> } = {},
): Promise<string> {
  const header = { alg: 'ES256', kid: op.kid, typ: 'logout+jwt', ...options.header };
  for (const [name, value] of Object.entries(header)) {
    if (value === undefined) delete (header as Record<string, unknown>)[name];
  }
  return new SignJWT(claims)
    .setProtectedHeader(header as JWTHeaderParameters)
    .sign(options.key ?? op.signingKey);
}

/** As the hub posts it: a urlencoded form with one logout_token. */
function post(token: string, to: DemoSp = sp): Promise<Response> {
  return fetch(`${to.url}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });
}

async function expectRefused(response: Response, description: RegExp): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  expect(body.error).toBe('invalid_request');
  expect(body.error_description).toMatch(description);
  // Nothing of the internals: no stack, no library's message, no key material.
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|JWS|JWK|jose|Error/);
}

async function receipts(): Promise<string> {
  const response = await fetch(`${sp.url}/backchannel-logouts`);
  expect(response.status).toBe(200);
  return response.text();
}

const digest = (sid: string) => createHash('sha256').update(sid).digest('hex').slice(0, 12);

describe('a valid logout token', () => {
  it('ends the session of its sid: 200 no-store, and the next page says Relais closed it', async () => {
    const citizen = await logIn();
    const other = await logIn();
    expect(other.sid).not.toBe(citizen.sid);

    const response = await post(await sign(logoutClaims(citizen)));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');

    const next = await citizen.browser.request(`${sp.url}/`);
    const html = await next.text();
    expect(html).toContain(NOTICE);
    expect(html).toMatch(/<p class="notice" role="status">Votre session a été fermée par Relais/);
    expect(html).not.toContain(FICTITIOUS_PERSON.given_name);
    expect(html).toContain('Se connecter avec Relais');
    // The dead session's cookie is dropped with it, and the notice is said once.
    expect(next.headers.getSetCookie().some((c) => /^demosp_session=;/.test(c))).toBe(true);
    const again = await home(citizen.browser);
    expect(again).not.toContain(NOTICE);
    expect(again).toContain('Se connecter avec Relais');

    // Another session (another sid) is untouched.
    await expectLoggedIn(other);

    const list = await receipts();
    expect(list).toContain(`sha256:${digest(citizen.sid)}`);
    expect(list).not.toContain(citizen.sid);
    expect(list).toContain('Acceptée : 1 session fermée');
  });

  it('accepts a token without typ, or typed JWT, as older OPs send it', async () => {
    for (const typ of [undefined, 'JWT', 'application/logout+jwt']) {
      const citizen = await logIn();
      const response = await post(await sign(logoutClaims(citizen), { header: { typ } }));
      expect(response.status, String(typ)).toBe(200);
      expect(await home(citizen.browser)).toContain(NOTICE);
    }
  });

  it('with a sub and no sid, ends every session of that sub', async () => {
    const first = await logIn();
    const second = await logIn();
    const response = await post(await sign(logoutClaims({ sub: first.sub })));
    expect(response.status).toBe(200);
    expect(await home(first.browser)).toContain(NOTICE);
    expect(await home(second.browser)).toContain(NOTICE);
    expect(await receipts()).toMatch(/Acceptée : \d+ sessions fermées/);
  });

  it('for a sid with no session here, answers 200 and ends nothing', async () => {
    const citizen = await logIn();
    const response = await post(await sign(logoutClaims({ sid: 'not-a-session-here', sub: citizen.sub })));
    expect(response.status).toBe(200);
    await expectLoggedIn(citizen);
    expect(await receipts()).toContain('Acceptée : aucune session ouverte ici');
  });

  it('whose sub is not the one of its sid’s session ends nothing', async () => {
    const citizen = await logIn();
    const response = await post(await sign(logoutClaims({ sid: citizen.sid, sub: 'someone-else' })));
    expect(response.status).toBe(200);
    await expectLoggedIn(citizen);
  });

  it('sent by the OP itself when the session ends there (oidc-provider’s back-channel logout)', async () => {
    const citizen = await logIn();
    const sent = op.backchannel.length;
    // The citizen logs out at the OP directly, as from another SP: the OP tells this SP.
    const { landing } = await confirmLogout(citizen.browser, `${op.issuer}/session/end`, () => false);
    expect(landing.response?.status).toBe(200);
    expect(op.backchannel.slice(sent)).toEqual([{ ok: true, sid: citizen.sid }]);
    expect(await home(citizen.browser)).toContain(NOTICE);
  });
});

describe('a logout token to refuse: 400 invalid_request, and the session kept', () => {
  let citizen: LoggedIn;
  beforeAll(async () => {
    citizen = await logIn();
  });

  const cases: Array<[string, (c: LoggedIn) => Promise<string>, RegExp]> = [
    [
      'signed by another key (same kid)',
      async (c) => sign(logoutClaims(c), { key: (await generateKeyPair('ES256')).privateKey }),
      /signature/,
    ],
    [
      'signed by a key the OP does not publish',
      async (c) =>
        sign(logoutClaims(c), {
          key: (await generateKeyPair('ES256')).privateKey,
          header: { kid: 'unknown' },
        }),
      /signature/,
    ],
    [
      'signed with another alg than the registered one (RS256)',
      async (c) => {
        const { privateKey } = await generateKeyPair('RS256');
        return sign(logoutClaims(c), { key: privateKey, header: { alg: 'RS256' } });
      },
      /signature/,
    ],
    ['unsigned (alg none)', async (c) => unsigned(logoutClaims(c)), /signature|signed JWT/],
    [
      'with a tampered payload',
      async (c) => {
        const [header, , signature] = (await sign(logoutClaims(c))).split('.');
        const payload = Buffer.from(JSON.stringify(logoutClaims(c, { sub: 'x' }))).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
      /signature/,
    ],
    ['for another audience', async (c) => sign(logoutClaims(c, { aud: 'another-sp' })), /aud/],
    ['from another issuer', async (c) => sign(logoutClaims(c, { iss: 'http://127.0.0.9:1' })), /iss/],
    ['without iss', async (c) => sign(logoutClaims(c, { iss: undefined })), /iss/],
    [
      'expired',
      async (c) => {
        const now = Math.floor(Date.now() / 1000);
        return sign(logoutClaims(c, { iat: now - 600, exp: now - 480 }));
      },
      /expired/,
    ],
    [
      'issued too long ago, however far its exp',
      async (c) => {
        const now = Math.floor(Date.now() / 1000);
        return sign(logoutClaims(c, { iat: now - 3600, exp: now + 3600 }));
      },
      /expired|too long ago/,
    ],
    [
      'issued in the future',
      async (c) => {
        const now = Math.floor(Date.now() / 1000);
        return sign(logoutClaims(c, { iat: now + 600, exp: now + 720 }));
      },
      /iat/,
    ],
    ['without iat', async (c) => sign(logoutClaims(c, { iat: undefined })), /iat/],
    ['without exp', async (c) => sign(logoutClaims(c, { exp: undefined })), /exp/],
    ['without events', async (c) => sign(logoutClaims(c, { events: undefined })), /events/],
    [
      'whose events lacks the back-channel logout event',
      async (c) => sign(logoutClaims(c, { events: { 'http://schemas.openid.net/event/other': {} } })),
      /events/,
    ],
    [
      'whose event is not an object',
      async (c) => sign(logoutClaims(c, { events: { [EVENT]: 'yes' } })),
      /events/,
    ],
    ['with a nonce', async (c) => sign(logoutClaims(c, { nonce: 'n-0S6_WzA2Mj' })), /nonce/],
    [
      'with neither sid nor sub',
      async (c) => sign(logoutClaims(c, { sid: undefined, sub: undefined })),
      /neither a sid nor a sub/,
    ],
    ['whose sid is not a string', async (c) => sign(logoutClaims(c, { sid: 42 })), /sid or sub/],
    ['without jti', async (c) => sign(logoutClaims(c, { jti: undefined })), /jti/],
    [
      'typed as another kind of JWT',
      async (c) => sign(logoutClaims(c), { header: { typ: 'at+jwt' } }),
      /typ/,
    ],
    ['encrypted (this SP registered no encryption)', async (c) => encrypted(logoutClaims(c)), /signed JWT/],
    ['not a JWT at all', async () => 'not-a-jwt', /signed JWT/],
  ];

  it.each(cases)('%s', async (_name, token, description) => {
    await expectRefused(await post(await token(citizen)), description);
    await expectLoggedIn(citizen);
  });

  it('an id_token of this SP, posted as a logout token', async () => {
    // The id_token itself is only held server-side: one the OP would issue, signed with its key.
    const idToken = op.idTokens.at(-1) ?? {};
    await expectRefused(
      await post(await sign({ ...idToken, sid: citizen.sid }, { header: { typ: 'JWT' } })),
      /events/,
    );
    await expectRefused(
      await post(await sign(logoutClaims(citizen, { nonce: idToken.nonce ?? 'n' }))),
      /nonce/,
    );
    await expectLoggedIn(citizen);
  });

  it('a replayed jti: the same token again, or another token with the same jti', async () => {
    const target = await logIn();
    const jti = crypto.randomUUID();
    // Used once for a sid with no session here…
    const first = await sign(logoutClaims({ sid: 'nobody-here', sub: target.sub }, { jti }));
    expect((await post(first)).status).toBe(200);
    await expectRefused(await post(first), /already received/);
    // …then the same jti for the citizen's own session.
    await expectRefused(await post(await sign(logoutClaims(target, { jti }))), /already received/);
    await expectLoggedIn(target);
    expect(await receipts()).toContain('Refusée : jeton déjà reçu (jti rejoué)');
  });

  it('a request without a logout_token, or not a urlencoded form', async () => {
    const token = await sign(logoutClaims(citizen));
    const requests: RequestInit[] = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=abc' },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `logout_token=${token}&logout_token=${token}`,
      },
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logout_token: token }) },
      { headers: { 'content-type': 'text/plain' }, body: `logout_token=${token}` },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `logout_token=${'a'.repeat(20_000)}`,
      },
    ];
    for (const init of requests) {
      const response = await fetch(`${sp.url}/backchannel-logout`, { method: 'POST', ...init });
      await expectRefused(response, /one logout_token/);
    }
    await expectLoggedIn(citizen);
  });

  it('lists the refusals without any claim of the refused tokens', async () => {
    const list = await receipts();
    expect(list).toContain('Refusée : jeton déjà reçu (jti rejoué)');
    expect(list).toContain('Refusée : requête sans logout_token');
    expect(list).not.toContain(citizen.sid);
    expect(list).not.toContain(citizen.sub);
  });
});

describe('without the hub’s keys', () => {
  it('answers 503 temporarily_unavailable (the hub tries again), not a refusal', async () => {
    const token = await sign(logoutClaims({ sid: 'sid-of-nobody', sub: 'sub' }));
    const response = await post(token, unreachableHubSp);
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'the hub keys could not be fetched',
    });
  });
});

describe('the page of the logouts received', () => {
  it('is linked from every page and lists the newest first, in French, with its table headers', async () => {
    const page = await home(new Browser());
    expect(page).toContain('<a href="/backchannel-logouts">Déconnexions reçues de Relais</a>');
    const citizen = await logIn();
    expect((await post(await sign(logoutClaims(citizen)))).status).toBe(200);
    const list = await receipts();
    expect(list).toContain('<title>Déconnexions reçues de Relais — Démo FS</title>');
    expect(list).toMatch(/<th scope="col">Reçue le<\/th>/);
    const rows = [...list.matchAll(/<tr>\s*<td><time datetime="([^"]+)">/g)].map((m) => m[1] ?? '');
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.length).toBeLessThanOrEqual(20);
    expect([...rows].sort().reverse()).toEqual(rows);
    expect(list.indexOf(`sha256:${digest(citizen.sid)}`)).toBeLessThan(list.indexOf('Refusée'));
  });
});

/** A JWT with alg none: no signature at all. */
function unsigned(claims: Claims): string {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
}

/** A signed token, then encrypted to some key (the SP registered none: it cannot be a token for it). */
async function encrypted(claims: Claims): Promise<string> {
  const signed = await sign(claims);
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = await importJWK({ ...(await exportJWK(publicKey)), alg: 'ECDH-ES' }, 'ECDH-ES');
  return new CompactEncrypt(new TextEncoder().encode(signed))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty: 'JWT', typ: 'logout+jwt' })
    .encrypt(key);
}
