// What goes wrong during a login, once the SP's request is valid: the citizen cancels or refuses,
// the IdP fails, lies or is down, a callback or a form is replayed. Each ends at the SP with the
// right error and code, or on a hub page; none hangs, none hands out a second code.
import { createServer, type Socket } from 'node:net';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { Citizen, expectHubErrorPage, expectSpError } from '../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  freePort,
  mockIdp,
  spClient,
  startFederation,
} from '../support/federation.ts';
import { completeLogin, redeemCode } from '../support/sp-login.ts';

/** A server that accepts connections and never answers: an IdP that hangs. */
async function startSilentServer(host: string): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort(host);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let federation: Federation;
let silent: Awaited<ReturnType<typeof startSilentServer>>;

const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const CAMILLE = MOCK_IDENTITIES.find((identity) => identity.id === 'standard');

beforeAll(async () => {
  silent = await startSilentServer('127.0.0.7');
  federation = await startFederation({
    idps: [
      { uid: 'idp-main', host: '127.0.0.2' },
      { uid: 'idp-static', host: '127.0.0.3', discovery: false },
      { uid: 'idp-rotate', host: '127.0.0.4', idTokenAlg: 'ES256', userinfoAlg: 'RS256' },
      // Nothing listens there, and the hub never discovered it: discovery itself fails.
      { uid: 'idp-down', host: '127.0.0.5', entry: { issuer: 'http://127.0.0.9:1' } },
      // Accepts the connection, never answers: only the hub's timeout ends the wait.
      { uid: 'idp-hang', host: '127.0.0.6', entry: { issuer: silent.url } },
      // Closed by the test between the IdP's login page and its callback.
      { uid: 'idp-dies', host: '127.0.0.8' },
      // Closed by the test once the hub knows it: its login page is gone when a citizen picks it.
      { uid: 'idp-gone', host: '127.0.0.10' },
    ],
    sps: [
      { client_id: 'sp-main', client_secret: secret('sp-main') },
      { client_id: 'sp-email', client_secret: secret('sp-email'), scope: 'openid email' },
      // Its only IdP is down.
      { client_id: 'sp-down-only', client_secret: secret('sp-down-only'), identity_providers: ['idp-down'] },
    ],
  });
});

afterAll(async () => {
  await federation?.close();
  await silent?.close();
});

afterEach(() => {
  for (const [uid, idp] of federation.idps) {
    idp.setMisbehaviour({});
    // An outage test greys its IdP for the next minute (measured availability): forget it.
    federation.hub.availability.recordLoginSuccess(uid);
  }
});

const idp = (uid: string) => mockIdp(federation, uid);

/** The citizen on the mire of a valid FC v2 request. */
async function start(spId = 'sp-main', params: Record<string, string | undefined> = {}) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, params);
  const citizen = await new Citizen(request).go(request.url);
  expect(citizen.currentPage().html).toContain('Choisissez un compte');
  return { config, request, citizen };
}

/** The citizen on the consent page after logging in at `idpUid`. */
async function toConsent(
  idpUid = 'idp-main',
  spId = 'sp-main',
  params: Record<string, string | undefined> = {},
) {
  const started = await start(spId, params);
  await started.citizen.chooseIdp(idpUid);
  await started.citizen.loginAs('standard');
  expect(started.citizen.currentPage().html).toContain('Transmission de vos données');
  return started;
}

/** A whole login at `idpUid` from a fresh request, up to the SP's tokens. */
async function loginAndRedeem(
  idpUid: string,
  spId = 'sp-main',
  params: Record<string, string | undefined> = {},
) {
  const started = await start(spId, params);
  const { tokens, idToken } = await completeLogin(federation, started, { idp: idpUid });
  return { ...started, tokens, idToken };
}

function expectError(citizen: Citizen, request: { state: string }, error: string, code: string) {
  const params = citizen.spParams();
  expectSpError(params, { error, code, iss: federation.issuer, state: request.state });
  return params.get('error_description') ?? '';
}

/**
 * After an IdP failure the citizen is back on the mire, with a banner naming the IdP and the code
 * (FranceConnect's behaviour); leaving from there tells the SP what failed.
 */
async function expectMireThenError(
  citizen: Citizen,
  request: { state: string },
  idpUid: string,
  error: string,
  code: string,
) {
  const page = citizen.currentPage();
  expect(page.url.pathname).toMatch(/^\/interaction\/[\w-]+$/);
  expect(page.status).toBe(200);
  expect(page.html).toContain('role="alert"');
  expect(page.html).toContain(`Compte ${idpUid}`);
  expect(page.html).toContain(code);
  await citizen.cancelOnMire();
  return expectError(citizen, request, error, code);
}

describe('the citizen gives up', () => {
  it('cancelling on the mire sends access_denied (R4001)', async () => {
    const { citizen, request } = await start();
    await citizen.cancelOnMire();
    expectError(citizen, request, 'access_denied', 'R4001');
  });

  it('leaving a mire whose every IdP is down sends temporarily_unavailable (R2002), not a cancellation', async () => {
    // Measured down (its probes fail too: nothing listens there).
    federation.hub.availability.recordLoginFailure('idp-down');
    federation.hub.availability.recordLoginFailure('idp-down');
    const { citizen, request } = await start('sp-down-only');
    expect(citizen.currentPage().html).not.toContain('name="idp" value="idp-down"');
    await citizen.cancelOnMire();
    expectError(citizen, request, 'temporarily_unavailable', 'R2002');
  });

  it('refusing the consent sends access_denied (R4002)', async () => {
    const { citizen, request } = await toConsent();
    await citizen.consent('refuse');
    expectError(citizen, request, 'access_denied', 'R4002');
  });
});

describe('the IdP fails', () => {
  it('an error from the IdP sends access_denied (R2001), without the IdP description', async () => {
    idp('idp-main').setMisbehaviour({
      error: { error: 'access_denied', error_description: 'Camille Martin a refusé' },
    });
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-main');
    const description = await expectMireThenError(citizen, request, 'idp-main', 'access_denied', 'R2001');
    expect(description).not.toContain('Camille');
  });

  it('an IdP nothing answers for sends temporarily_unavailable (R2002) at once', async () => {
    const { citizen, request } = await start();
    const began = Date.now();
    await citizen.chooseIdp('idp-down');
    await expectMireThenError(citizen, request, 'idp-down', 'temporarily_unavailable', 'R2002');
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('an IdP that never answers sends temporarily_unavailable (R2002) after the timeout, not a hang', async () => {
    const { citizen, request } = await start();
    const began = Date.now();
    await citizen.chooseIdp('idp-hang');
    await expectMireThenError(citizen, request, 'idp-hang', 'temporarily_unavailable', 'R2002');
    expect(Date.now() - began).toBeLessThan(8_000);
  });

  it('an IdP gone between its login page and the token call sends temporarily_unavailable (R2002)', async () => {
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-dies');
    const callback = await citizen.loginAsUntilCallback('standard');
    await idp('idp-dies').close();
    await citizen.go(callback);
    await expectMireThenError(citizen, request, 'idp-dies', 'temporarily_unavailable', 'R2002');
  });

  it('an IdP gone since the last probe is not where the citizen is sent: the mire says so (R2002)', async () => {
    const first = await start();
    await first.citizen.chooseIdp('idp-gone');
    expect(first.citizen.currentPage().url.origin).toBe(idp('idp-gone').issuer);
    await idp('idp-gone').close();
    // Past the moment a successful check is remembered (rp/reachable.ts).
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-gone');
    await expectMireThenError(citizen, request, 'idp-gone', 'temporarily_unavailable', 'R2002');
  });

  it('an IdP disabled while the citizen is at it brings them back to the mire (R2005), the IdP no longer offered', async () => {
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-static');
    const callback = await citizen.loginAsUntilCallback('standard');
    const { hub } = federation;
    const setActive = (active: boolean) =>
      hub.sql.query('update identity_providers set active = $1 where uid = $2', [active, 'idp-static']);
    await setActive(false);
    await hub.registry.reload();
    try {
      await citizen.go(callback);
      expect(citizen.currentPage().html).not.toContain('value="idp-static"');
      await expectMireThenError(citizen, request, 'idp-static', 'invalid_request', 'R2005');
    } finally {
      await setActive(true);
      await hub.registry.reload();
    }
  });

  it('a token endpoint answering 500 sends temporarily_unavailable (R2002)', async () => {
    idp('idp-main').setMisbehaviour({ tokenStatus: 500 });
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-main');
    await citizen.loginAs('standard');
    await expectMireThenError(citizen, request, 'idp-main', 'temporarily_unavailable', 'R2002');
  });

  it('a token endpoint slower than the IdP timeout sends temporarily_unavailable (R2002)', async () => {
    idp('idp-main').setMisbehaviour({ slowMs: 3000 });
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-main');
    const began = Date.now();
    await citizen.loginAs('standard');
    await expectMireThenError(citizen, request, 'idp-main', 'temporarily_unavailable', 'R2002');
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  // IDP_RESPONSE_MAX_BYTES (256 KiB by default): the hub stops reading there and hangs up.
  for (const declared of [false, true]) {
    it(`a userinfo of 64 MiB ${declared ? 'announced by Content-Length' : 'streamed'} sends server_error (R2003), unread`, async () => {
      const made: number[] = [];
      const bytes = 64 * 1024 * 1024;
      idp('idp-main').setMisbehaviour({
        oversized: { route: 'userinfo', bytes, declared, onSent: (sent) => made.push(sent) },
      });
      const { citizen, request } = await start();
      await citizen.chooseIdp('idp-main');
      const callback = await citizen.loginAsUntilCallback('standard');
      global.gc?.();
      const before = process.memoryUsage();
      await citizen.go(callback);
      const after = process.memoryUsage();
      await expectMireThenError(citizen, request, 'idp-main', 'server_error', 'R2003');
      await expect.poll(() => made.length).toBe(1);
      // The IdP could make no more than what the hub's socket took before it hung up.
      expect(made[0]).toBeLessThan(8 * 1024 * 1024);
      const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
      expect(grown).toBeLessThan(16 * 1024 * 1024);
    });
  }
});

describe('after an IdP failure', () => {
  it('lets the citizen pick again from the mire and finish the login', async () => {
    idp('idp-main').setMisbehaviour({ badSignature: true });
    const { citizen, config, request } = await start();
    await citizen.chooseIdp('idp-main');
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('role="alert"');
    idp('idp-main').setMisbehaviour({});
    const { tokens } = await completeLogin(federation, { citizen, config, request }, { idp: 'idp-main' });
    expect(tokens.claims()?.acr).toBe('eidas1');
  });

  it('an idp_hint naming an IdP measured down shows the mire with the banner, without calling the IdP', async () => {
    federation.hub.availability.recordLoginFailure('idp-static');
    federation.hub.availability.recordLoginFailure('idp-static');
    expect(federation.hub.availability.isAvailable('idp-static')).toBe(false);
    const { citizen, request } = await start('sp-main', { idp_hint: 'idp-static' });
    await expectMireThenError(citizen, request, 'idp-static', 'temporarily_unavailable', 'R2002');
  });
});

describe('the IdP answers something the hub must not believe', () => {
  for (const [fault, misbehaviour] of [
    ['a bad id_token signature', { badSignature: true }],
    ['another issuer in the callback', { wrongIssuer: true }],
    ['a userinfo sub that differs from the id_token', { subMismatch: true }],
  ] as const) {
    it(`${fault} sends server_error (R2003)`, async () => {
      idp('idp-main').setMisbehaviour(misbehaviour);
      const { citizen, request } = await start();
      await citizen.chooseIdp('idp-main');
      await citizen.loginAs('standard');
      await expectMireThenError(citizen, request, 'idp-main', 'server_error', 'R2003');
    });
  }

  it('an acr below the level the SP asked sends access_denied (R2004)', async () => {
    idp('idp-main').setMisbehaviour({ acr: 'eidas1' });
    const { citizen, request } = await start('sp-main', { acr_values: 'eidas2' });
    await citizen.chooseIdp('idp-main');
    await citizen.loginAs('standard');
    await expectMireThenError(citizen, request, 'idp-main', 'access_denied', 'R2004');
  });

  it('an identité pivot without birthdate sends access_denied (R3001) and no identity value', async () => {
    idp('idp-main').setMisbehaviour({ missingClaim: 'birthdate' });
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-main');
    await citizen.loginAs('standard');
    const description = await expectMireThenError(citizen, request, 'idp-main', 'access_denied', 'R3001');
    expect(description).toContain('birthdate');
    for (const value of Object.values(CAMILLE?.claims ?? {})) {
      if (value) expect(description).not.toContain(value);
    }
    expect(description).not.toContain(CAMILLE?.sub);
  });
});

describe('the browser binding of the IdP callback (a random value per departure, in the login record)', () => {
  const callbackPath = () => new URL('/idp/callback', federation.issuer);
  const bindingOf = (citizen: Citizen) => {
    const cookies = citizen.browser.jar.list(callbackPath()).filter((c) => c.name.startsWith('relais_tx_'));
    expect(cookies).toHaveLength(1);
    return cookies[0] as { name: string; value: string };
  };
  const plant = (citizen: Citizen, name: string, value: string | undefined) =>
    citizen.browser.jar.store(
      callbackPath(),
      new Response(null, {
        headers: [['set-cookie', `${name}=${value ?? ''}; Path=/idp/callback${value ? '' : '; Max-Age=0'}`]],
      }),
    );

  it('is 256 random bits, not a constant', async () => {
    const { citizen } = await start();
    await citizen.chooseIdp('idp-main');
    const { value } = bindingOf(citizen);
    expect(value).toMatch(/^[\w-]{43}$/);
    expect(value).not.toBe('1');
  });

  for (const [presented, what] of [
    [() => undefined, 'no binding cookie'],
    [() => '1', 'the old constant'],
    [(other: string) => `${other.slice(0, -1)}A`, 'a wrong value'],
    [(other: string) => other, 'the value of another login'],
  ] as const) {
    it(`refuses a callback with ${what} (R4003), leaving the login to the right browser`, async () => {
      const victim = await start();
      await victim.citizen.chooseIdp('idp-main');
      const { name, value } = bindingOf(victim.citizen);
      const callback = await victim.citizen.loginAsUntilCallback('standard');
      const other = await start();
      await other.citizen.chooseIdp('idp-main');
      const otherValue = bindingOf(other.citizen).value;
      expect(otherValue).not.toBe(value);

      plant(victim.citizen, name, presented(otherValue));
      await victim.citizen.go(callback);
      expect(victim.citizen.page?.html ?? '').not.toContain('Transmission de vos données');
      expectHubErrorPage(victim.citizen, { origin: federation.issuer, status: 400, code: 'R4003' });

      // The transaction was not used up: the browser holding the right value finishes the login.
      plant(victim.citizen, name, value);
      await victim.citizen.go(callback);
      expect(victim.citizen.currentPage().html).toContain('Transmission de vos données');
      expect(victim.citizen.browser.jar.names(callbackPath().hostname)).not.toContain(name);
    });
  }
});

describe('replayed or forged callbacks', () => {
  it('refuses a second use of the same IdP callback with a hub page (R4003)', async () => {
    const { citizen } = await start();
    await citizen.chooseIdp('idp-main');
    const callback = await citizen.loginAsUntilCallback('standard');
    await citizen.go(callback);
    expect(citizen.currentPage().html).toContain('Transmission de vos données');
    await citizen.go(callback);
    expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R4003' });
  });

  it('refuses a forged state with a hub page (R4003)', async () => {
    const { citizen } = await start();
    await citizen.go(`${federation.issuer}/idp/callback?code=x&state=forged`);
    expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R4003' });
  });

  for (const [who, ownLogin] of [
    ['a fresh browser', false],
    ['a browser with a login of its own going on', true],
  ] as const) {
    it(`never shows the victim’s consent page to ${who} replaying the callback first (R4003)`, async () => {
      const victim = await start();
      const victimMire = victim.citizen.currentPage().url;
      await victim.citizen.chooseIdp('idp-main');
      const callback = await victim.citizen.loginAsUntilCallback('standard');
      const attacker = ownLogin ? (await start()).citizen : new Citizen(victim.request);
      await attacker.go(callback);
      expect(attacker.page?.html ?? '').not.toContain('Transmission de vos données');
      expectHubErrorPage(attacker, { origin: federation.issuer, status: 400, code: 'R4003' });
      await attacker.go(victimMire);
      expect(attacker.page?.html ?? '').not.toContain('Transmission de vos données');
      expectHubErrorPage(attacker, { origin: federation.issuer, status: 400, code: 'R4003' });
    });
  }

  it('lets the victim finish after another browser replayed the callback', async () => {
    const victim = await start();
    await victim.citizen.chooseIdp('idp-main');
    const callback = await victim.citizen.loginAsUntilCallback('standard');
    await new Citizen(victim.request).go(callback);
    await victim.citizen.go(callback);
    expect(victim.citizen.currentPage().html).toContain('Transmission de vos données');
  });
});

describe('IdP keys and configuration', () => {
  it('follows a key rotation at the IdP: the next login verifies with the new keys', async () => {
    const kids = async () => {
      const jwks = (await (await fetch(idp('idp-rotate').endpoints.jwks_uri)).json()) as {
        keys: Array<{ kid: string }>;
      };
      return jwks.keys.map((key) => key.kid);
    };
    const first = await loginAndRedeem('idp-rotate');
    const before = await kids();
    await idp('idp-rotate').rotateKeys();
    expect((await kids()).filter((kid) => before.includes(kid))).toEqual([]);
    // At once: the hub must not wait for its JWKS cache to expire.
    const second = await loginAndRedeem('idp-rotate');
    expect(second.idToken.sub).toBe(first.idToken.sub);
  });

  it('logs in through an IdP configured with static endpoints and no discovery', async () => {
    const response = await fetch(`${idp('idp-static').issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(404);
    const { idToken } = await loginAndRedeem('idp-static');
    expect(idToken.acr).toBe('eidas1');
  });
});

describe('tokens at the SP', () => {
  it('revokes the access token of a code redeemed twice', async () => {
    const { config, citizen, request, tokens } = await loginAndRedeem('idp-main');
    const userinfo = new URL(config.serverMetadata().userinfo_endpoint as string);
    const bearer = { headers: { authorization: `Bearer ${tokens.access_token}` } };
    expect((await fetch(userinfo, bearer)).status).toBe(200);
    // With the right verifier: the replay must fail as a replay, not on PKCE.
    await expect(redeemCode({ config, citizen, request })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await fetch(userinfo, bearer)).status).toBe(401);
  });

  it('limits userinfo and id_token to the SP’s scopes whatever the claims parameter asks', async () => {
    const claims = JSON.stringify({
      userinfo: { birthdate: null, family_name: null },
      id_token: { given_name: { essential: true } },
    });
    const { config, tokens, idToken } = await loginAndRedeem('idp-main', 'sp-email', {
      scope: 'openid email',
      claims,
    });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
    const { iss: _iss, aud: _aud, iat: _iat, exp: _exp, ...released } = userinfo as Record<string, unknown>;
    expect(released).toEqual({ sub: idToken.sub, email: CAMILLE?.claims.email });
    for (const claim of ['given_name', 'family_name', 'birthdate']) expect(idToken).not.toHaveProperty(claim);
  });
});

describe('forms sent twice', () => {
  it('answers a second submit of the consent form with a hub page (R4003), not a second code', async () => {
    const { citizen, request } = await toConsent();
    const form = citizen.form('name="decision"', { decision: 'accept' });
    await citizen.go(form.action, form.init);
    expect(citizen.spParams().get('state')).toBe(request.state);
    expect(citizen.spParams().has('code')).toBe(true);
    await citizen.go(form.action, form.init);
    expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R4003' });
  });

  it('keeps every departure of a double click on the mire usable: the IdP answers either', async () => {
    const { citizen, request } = await start();
    const form = citizen.form('name="idp"', { idp: 'idp-main' });
    const atIdp = (url: URL) => url.origin === idp('idp-main').issuer;
    const departures = await Promise.all(
      Array.from({ length: 2 }, () => citizen.browser.navigate(form.action, atIdp, form.init)),
    );
    for (const departure of departures) expect(departure.response, departure.url.href).toBeUndefined();
    const states = departures.map((departure) => departure.url.searchParams.get('state'));
    expect(new Set(states).size).toBe(2);
    // The first departure still comes back, though the second was written after it.
    const [first] = departures;
    if (!first) throw new Error('no departure');
    await citizen.go(first.url);
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('Transmission de vos données');
    await citizen.consent('accept');
    expect(citizen.spParams().get('state')).toBe(request.state);
    expect(citizen.spParams().get('code')).toBeTruthy();
  });

  it('issues at most one code when the consent form is sent several times at once', async () => {
    const { citizen } = await toConsent();
    const form = citizen.form('name="decision"', { decision: 'accept' });
    const atSp = (url: URL) => url.hostname === '127.0.0.20';
    // A double (or triple…) click: the same form, sent before the first answer arrives.
    const landings = await Promise.all(
      Array.from({ length: 4 }, () => citizen.browser.navigate(form.action, atSp, form.init)),
    );
    const codes = landings.filter((landing) => !landing.response && landing.url.searchParams.has('code'));
    expect(codes).toHaveLength(1);
    for (const landing of landings) expect(landing.response?.status ?? 303).toBeLessThan(500);
  });
});

describe('session loss', () => {
  it('the way back to the SP is known from /authorize on, before any hub page is shown', async () => {
    const config = await spClient(federation, 'sp-main');
    const request = await authorizeRequest(federation, config);
    // /authorize answered, its redirect to the mire not followed (the tab closed at once).
    const opener = new Citizen(request);
    const landing = await opener.browser.navigate(request.url, (url) =>
      url.pathname.startsWith('/interaction/'),
    );
    expect(landing.response).toBeUndefined();
    // Another browser reaches that interaction: the error page's way back still reaches the SP.
    const other = new Citizen(request);
    await other.go(landing.url);
    expectHubErrorPage(other, { origin: federation.issuer, status: 400, code: 'R4003' });
    await other.submit('/leave', {});
    expectError(other, request, 'login_required', 'R4003');
  });

  it('a browser that lost its cookies mid-login gets the "session expirée" page, and its way back tells the SP login_required', async () => {
    const { citizen, request } = await toConsent();
    const consentUrl = citizen.currentPage().url;
    // The same citizen, cookies gone (deleted, expired): another jar on the same machine.
    const cookieless = new Citizen(request);
    await cookieless.go(consentUrl);
    expectHubErrorPage(cookieless, { origin: federation.issuer, status: 400, code: 'R4003' });
    expect(cookieless.currentPage().html).not.toContain(CAMILLE?.claims.family_name ?? 'Martin');
    await cookieless.submit('/leave', {});
    expectError(cookieless, request, 'login_required', 'R4003');
    // The original browser's login was not ended by the other one.
    await citizen.consent('accept');
    expect(citizen.spParams().get('code')).toBeTruthy();
  });
});
