// OpenID Connect Back-Channel Logout toward SPs: when a hub session ends (a logout at one SP, its
// expiry, an operator's `relais sessions revoke`), every other SP that took part and registered a
// backchannel_logout_uri receives a logout_token naming its own sub and the sid of its id_tokens.
// The citizen's logout never waits: a slow SP and a dead one are retried in the background.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  compactDecrypt,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Browser, confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { relais } from '../support/cli.ts';
import {
  authorizeRequest,
  type Federation,
  SP_HOST,
  spClient,
  startFederation,
} from '../support/federation.ts';
import { freePort } from '../support/net.ts';
import { completeLogin, redeemCode } from '../support/sp-login.ts';

let federation: Federation;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The SPs' back-channel endpoints: what each received, and a way to hold the slow one's answer. */
interface Received {
  spId: string;
  token: string;
  at: number;
}
const received: Received[] = [];
let release: (() => void) | undefined;
let receiver: Server;
let receiverUrl: string;
let deadUrl: string;

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

let encryption: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  encryption = await generateKeyPair('ECDH-ES', { extractable: true });
  receiver = createServer(async (request, response) => {
    const spId = request.url?.split('/')[1] ?? '';
    const token = new URLSearchParams(await body(request)).get('logout_token') ?? '';
    received.push({ spId, token, at: Date.now() });
    if (spId === 'sp-slow' && received.filter((r) => r.spId === 'sp-slow').length === 1) {
      // The first attempt hangs past the hub's time-out (held until released); the retry is answered.
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    }
    if (!response.destroyed) response.writeHead(200, { 'cache-control': 'no-store' }).end();
  });
  const port = await freePort(SP_HOST);
  await new Promise<void>((resolve) => receiver.listen(port, SP_HOST, resolve));
  receiverUrl = `http://${SP_HOST}:${port}`;
  // Nothing listens there: the connection is refused.
  deadUrl = `http://${SP_HOST}:${await freePort(SP_HOST)}/sp-down/backchannel`;
  const withLogout = (id: string, uri = `${receiverUrl}/${id}/backchannel`) => ({
    client_id: id,
    client_secret: secret(id),
    backchannel_logout_uri: uri,
    backchannel_logout_session_required: true,
  });
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      withLogout('sp-1'),
      withLogout('sp-2'),
      withLogout('sp-slow'),
      withLogout('sp-down', deadUrl),
      // An SP that asked its id_tokens encrypted: its logout tokens are too.
      {
        ...withLogout('sp-enc'),
        jwks: { keys: [{ ...(await exportJWK(encryption.publicKey)), kid: 'sp-enc-key', use: 'enc' }] },
        id_token_encrypted_response_alg: 'ECDH-ES',
      },
      { client_id: 'sp-plain', client_secret: secret('sp-plain') },
    ],
  });
});

afterAll(async () => {
  release?.();
  await federation?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** The SP's authorize in this browser; a first login goes through the IdP, the next ones are SSO. */
async function login(browser: Browser, spId: string) {
  const config = await spClient(federation, spId);
  if (spId === 'sp-enc')
    client.enableDecryptingResponses(config, ['A256GCM'], {
      key: encryption.privateKey,
      alg: 'ECDH-ES',
      kid: 'sp-enc-key',
    });
  const request = await authorizeRequest(federation, config);
  const citizen = new Citizen(request);
  Object.assign(citizen, { browser });
  await citizen.go(request.url);
  if (/name="idp"/.test(citizen.currentPage().html)) {
    const { tokens } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
    return { config, tokens };
  }
  await citizen.consent('accept');
  return { config, tokens: await redeemCode({ config, request, citizen }) };
}

type Login = Awaited<ReturnType<typeof login>>;
const idTokenOf = (sp: Login) => sp.tokens.claims() as JWTPayload & { sid?: string };

async function verifyLogoutToken(token: string, spId: string, currentDate?: Date) {
  const jwks = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: federation.issuer,
    audience: spId,
    typ: 'logout+jwt',
    ...(currentDate ? { currentDate } : {}),
  });
  expect(protectedHeader.alg).toBe('ES256');
  expect(payload.events).toEqual({ [EVENT]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(typeof payload.jti).toBe('string');
  expect(Number(payload.exp) - Number(payload.iat)).toBeLessThanOrEqual(120);
  return payload as JWTPayload & { sid?: string };
}

const eventsOf = async (name: string) =>
  federation.hub.sql.query<{ client_id: string; data: Record<string, unknown> }>(
    'select client_id, data from events where name = $1 order by id',
    [name],
  );

describe('back-channel logout', () => {
  it('tells the other SPs at once, never waiting on a slow or dead one, naming their sub and sid', async () => {
    const browser = new Browser();
    const sps = {
      'sp-2': await login(browser, 'sp-2'),
      'sp-slow': await login(browser, 'sp-slow'),
      'sp-down': await login(browser, 'sp-down'),
      'sp-plain': await login(browser, 'sp-plain'),
    };
    const sp1 = await login(browser, 'sp-1');
    // Every SP's id_token carries the sid its logout token will name.
    for (const sp of [sp1, ...Object.values(sps)]) expect(idTokenOf(sp).sid).toMatch(/^[\w-]{20,}$/);
    expect(idTokenOf(sp1).sid).not.toBe(idTokenOf(sps['sp-2']).sid);

    const postLogout = String(federation.sps.get('sp-1')?.post_logout_redirect_uris[0]);
    const url = client.buildEndSessionUrl(sp1.config, {
      id_token_hint: sp1.tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
      state: 'bye',
    });
    const { landing } = await confirmLogout(browser, url, (at) => at.href.startsWith(postLogout));
    // Back at the SP while the slow SP still holds the hub's first request.
    expect(landing.url.searchParams.get('state')).toBe('bye');
    await expect.poll(() => release !== undefined, { timeout: 5000 }).toBe(true);
    expect(received.some((r) => r.spId === 'sp-slow')).toBe(true);

    await expect.poll(() => received.some((r) => r.spId === 'sp-2'), { timeout: 5000 }).toBe(true);
    const token = received.find((r) => r.spId === 'sp-2')?.token ?? '';
    const payload = await verifyLogoutToken(token, 'sp-2');
    expect(payload.sub).toBe(idTokenOf(sps['sp-2']).sub);
    expect(payload.sid).toBe(idTokenOf(sps['sp-2']).sid);
    // The SP that asked the logout is not told; an SP without a URI cannot be.
    expect(received.some((r) => r.spId === 'sp-1')).toBe(false);

    // The slow SP gets a token again (a new jti: it may have acted on the first), the dead one is given up on.
    const outcomes = async () =>
      Object.fromEntries(
        (await eventsOf('logout.backchannel')).map((event) => [
          event.client_id,
          `${event.data.outcome}/${event.data.attempts}/${event.data.reason}`,
        ]),
      );
    await federation.hub.events.flush();
    await expect
      .poll(
        async () => {
          await federation.hub.events.flush();
          return outcomes();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toEqual({
        'sp-2': 'delivered/1/logout',
        'sp-slow': 'delivered/2/logout',
        'sp-down': 'failed/3/logout',
      });
    const slow = received.filter((r) => r.spId === 'sp-slow').map((r) => decodeJti(r.token));
    expect(slow).toHaveLength(2);
    expect(new Set(slow).size).toBe(2);
    // The SSO is over: the next SP starts on the mire.
    const after = await spClient(federation, 'sp-2');
    const request = await authorizeRequest(federation, after);
    const citizen = Object.assign(new Citizen(request), { browser });
    await citizen.go(request.url);
    expect(citizen.currentPage().html).toMatch(/name="idp"/);
  }, 30_000);

  it('is sent when the session expires, by the sweep of an instance', async () => {
    const browser = new Browser();
    const sp2 = await login(browser, 'sp-2');
    const before = received.length;
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Past the 30-minute idle time: the next sweep finds the session ended and tells sp-2.
      vi.setSystemTime(start + 31 * 60_000);
      await expect
        .poll(() => received.slice(before).find((r) => r.spId === 'sp-2'), { timeout: 8000 })
        .toBeDefined();
    } finally {
      vi.useRealTimers();
    }
    const token = received.slice(before).find((r) => r.spId === 'sp-2')?.token ?? '';
    const payload = await verifyLogoutToken(token, 'sp-2', new Date(start + 31 * 60_000));
    expect(payload.sub).toBe(idTokenOf(sp2).sub);
    expect(payload.sid).toBe(idTokenOf(sp2).sid);
    await federation.hub.events.flush();
    const ended = await eventsOf('session.ended');
    expect(ended.at(-1)?.data).toMatchObject({ reason: 'expired', notified: 1 });
  }, 20_000);

  it('is sent when an operator revokes the sessions from the CLI, whose tokens stop working', async () => {
    // The same person on two devices; on the first, two logins at sp-2 (two grants).
    const phone = new Browser();
    const sp2 = await login(phone, 'sp-2');
    const sp2Again = await login(phone, 'sp-2');
    const plain = await login(phone, 'sp-plain');
    const laptop = new Browser();
    const sp2Laptop = await login(laptop, 'sp-2');
    await login(laptop, 'sp-plain');
    expect(idTokenOf(sp2Again).sid).toBe(idTokenOf(sp2).sid);
    expect(idTokenOf(sp2Laptop).sid).not.toBe(idTokenOf(sp2).sid);
    const before = received.length;
    const revoked = await relais(
      federation,
      '--json',
      'sessions',
      'revoke',
      '--sub',
      String(idTokenOf(plain).sub),
      '--sp',
      'sp-plain',
    );
    expect(revoked.code, revoked.err).toBe(0);
    expect(JSON.parse(revoked.out)).toEqual({ revoked: true, notified: 2 });
    const toSp2 = () => received.slice(before).filter((r) => r.spId === 'sp-2');
    await expect.poll(() => toSp2().length, { timeout: 5000 }).toBe(2);
    const sids = await Promise.all(toSp2().map(async (r) => (await verifyLogoutToken(r.token, 'sp-2')).sid));
    expect(sids.sort()).toEqual([idTokenOf(sp2).sid, idTokenOf(sp2Laptop).sid].sort());
    // Every grant went with them: userinfo refuses each access token.
    for (const sp of [sp2, sp2Again, sp2Laptop]) {
      const userinfo = await fetch(`${federation.issuer}/userinfo`, {
        headers: { authorization: `Bearer ${sp.tokens.access_token}` },
      });
      expect(userinfo.status).toBe(401);
    }
    // Asked again: nothing left to end.
    const again = await relais(
      federation,
      'sessions',
      'revoke',
      '--sub',
      String(idTokenOf(plain).sub),
      '--sp',
      'sp-plain',
    );
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/no live hub session/);
    expect((await relais(federation, 'sessions', 'revoke', '--sub', 'x', '--sp', 'sp-unknown')).code).toBe(1);
    expect((await relais(federation, 'sessions', 'revoke', '--sp', 'sp-plain')).code).toBe(2);
  }, 30_000);

  it('encrypts the logout token of an SP that asked its id_tokens encrypted', async () => {
    const browser = new Browser();
    const enc = await login(browser, 'sp-enc');
    const sp1 = await login(browser, 'sp-1');
    const before = received.length;
    const postLogout = String(federation.sps.get('sp-1')?.post_logout_redirect_uris[0]);
    const url = client.buildEndSessionUrl(sp1.config, {
      id_token_hint: sp1.tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
    });
    await confirmLogout(browser, url, (at) => at.href.startsWith(postLogout));
    await expect
      .poll(() => received.slice(before).some((r) => r.spId === 'sp-enc'), { timeout: 5000 })
      .toBe(true);
    const jwe = received.slice(before).find((r) => r.spId === 'sp-enc')?.token ?? '';
    expect(decodeProtectedHeader(jwe)).toMatchObject({
      alg: 'ECDH-ES',
      enc: 'A256GCM',
      cty: 'JWT',
      kid: 'sp-enc-key',
    });
    const inner = new TextDecoder().decode((await compactDecrypt(jwe, encryption.privateKey)).plaintext);
    const payload = await verifyLogoutToken(inner, 'sp-enc');
    expect(payload.sid).toBe(idTokenOf(enc).sid);
  });

  it('advertises back-channel logout in discovery', async () => {
    const discovery = (await (
      await fetch(`${federation.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.backchannel_logout_supported).toBe(true);
    expect(discovery.backchannel_logout_session_supported).toBe(true);
  });
});

const decodeJti = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti?: string }).jti;
