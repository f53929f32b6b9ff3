// RP-initiated logout through the hub (FranceConnect's chain): SP → hub end_session → the hub
// ends its session and the grants of it → the IdP's end_session with the IdP's own id_token →
// {ISSUER}/idp/logout-callback → the SP's post_logout_redirect_uri with its state.
import { createRemoteJWKSet, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IDP } from '../../src/config/demo-federation.ts';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { Browser, confirmLogout, type Landing } from '../support/browser.ts';
import { Citizen, expectHubErrorPage } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin, redeemCode } from '../support/sp-login.ts';

let federation: Federation;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;

beforeAll(async () => {
  federation = await startFederation({
    idps: [
      { uid: 'idp-a', host: '127.0.0.2' },
      { uid: 'idp-no-logout', host: '127.0.0.3', endSession: false },
      { uid: 'idp-dies', host: '127.0.0.4' },
    ],
    sps: [
      { client_id: 'sp-1', client_secret: secret('sp-1') },
      { client_id: 'sp-2', client_secret: secret('sp-2') },
    ],
  });
});

afterAll(() => federation?.close());

const postLogoutUri = (spId: string) => String(federation.sps.get(spId)?.post_logout_redirect_uris[0]);
const atSp = (url: URL) => url.host === new URL(postLogoutUri('sp-1')).host;
const logoutCallback = () => `${federation.issuer}/idp/logout-callback`;

function idpIssuer(uid: string): string {
  const idp = federation.idps.get(uid);
  if (!idp) throw new Error(`no mock IdP ${uid}`);
  return idp.issuer;
}

/** The SP's authorize, in this browser: the citizen lands on the mire, or on the consent (SSO). */
async function arrive(browser: Browser, spId: string) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config);
  const citizen = new Citizen(request);
  Object.assign(citizen, { browser });
  await citizen.go(request.url);
  return { config, request, citizen };
}

const isMire = (citizen: Citizen) => /name="idp"/.test(citizen.currentPage().html);
const isConsent = (citizen: Citizen) => /name="decision"/.test(citizen.currentPage().html);

async function login(browser: Browser, spId: string, idpUid: string) {
  const arrival = await arrive(browser, spId);
  expect(isMire(arrival.citizen)).toBe(true);
  const { tokens } = await completeLogin(federation, arrival, { idp: idpUid });
  return { config: arrival.config, tokens };
}

async function ssoLogin(browser: Browser, spId: string) {
  const arrival = await arrive(browser, spId);
  expect(isConsent(arrival.citizen)).toBe(true);
  await arrival.citizen.consent('accept');
  return { config: arrival.config, tokens: await redeemCode(arrival) };
}

type Login = Awaited<ReturnType<typeof login>>;

function endSession(sp: Login, params: Record<string, string> = {}): URL {
  return client.buildEndSessionUrl(sp.config, { id_token_hint: sp.tokens.id_token as string, ...params });
}

async function userinfoStatus(sp: Login): Promise<number> {
  const response = await fetch(`${federation.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${sp.tokens.access_token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** An authorize at the IdP itself without prompt=login: straight back with a code only if it kept a session. */
async function idpSkipsLogin(browser: Browser, idpUid: string): Promise<boolean> {
  const authorize = new URL('/authorize', idpIssuer(idpUid));
  authorize.search = new URLSearchParams({
    client_id: DEMO_IDP.clientId,
    redirect_uri: `${federation.issuer}/idp/callback`,
    response_type: 'code',
    scope: 'openid',
    state: client.randomState(),
  }).toString();
  const landing = await browser.navigate(authorize, (url) => url.origin === federation.issuer);
  if (!landing.response) return landing.url.searchParams.has('code');
  expect(await landing.response.text()).toContain('name="identity"');
  return false;
}

const idpLogoutOf = (landing: Landing, idpUid: string) =>
  landing.visited.find((url) => url.origin === idpIssuer(idpUid) && url.pathname === '/session/end');

describe('logout at an SP', () => {
  it("goes through the IdP's end_session with the IdP's id_token, then back to the SP with its state", async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    expect(await idpSkipsLogin(browser, 'idp-a')).toBe(true);

    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 'sp-1-logout-state' };
    const { landing } = await confirmLogout(browser, endSession(sp1, params), atSp);

    const atIdp = idpLogoutOf(landing, 'idp-a');
    expect(atIdp, landing.visited.join('\n')).toBeDefined();
    expect(atIdp?.searchParams.get('post_logout_redirect_uri')).toBe(logoutCallback());
    const issuer = idpIssuer('idp-a');
    const hint = await jwtVerify(
      atIdp?.searchParams.get('id_token_hint') ?? '',
      createRemoteJWKSet(new URL('/jwks', issuer)),
      { issuer, audience: DEMO_IDP.clientId },
    );
    expect(hint.payload.sub).toBe(MOCK_IDENTITIES.find((person) => person.id === 'standard')?.sub);
    expect(landing.visited.some((url) => url.href.startsWith(`${logoutCallback()}?`))).toBe(true);
    expect(landing.url.href.startsWith(postLogoutUri('sp-1'))).toBe(true);
    expect(landing.url.searchParams.get('state')).toBe('sp-1-logout-state');
    // The IdP ended its own session: it asks the citizen to log in again.
    expect(await idpSkipsLogin(browser, 'idp-a')).toBe(false);
  });

  it("ends SSO for every SP and revokes every SP's tokens", async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    const sp2 = await ssoLogin(browser, 'sp-2');
    expect([await userinfoStatus(sp1), await userinfoStatus(sp2)]).toEqual([200, 200]);

    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 'end-sso' };
    const { landing } = await confirmLogout(browser, endSession(sp1, params), atSp);
    expect(landing.url.searchParams.get('state')).toBe('end-sso');

    // Access tokens live 60 s: these are still within their lifetime, so 401 means revoked.
    expect([await userinfoStatus(sp1), await userinfoStatus(sp2)]).toEqual([401, 401]);
    expect(isMire((await arrive(browser, 'sp-2')).citizen)).toBe(true);
    expect(isMire((await arrive(browser, 'sp-1')).citizen)).toBe(true);
  });

  it('skips an IdP without end_session_endpoint: straight back to the SP with its state', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-no-logout');
    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 'no-idp-hop' };
    const { landing } = await confirmLogout(browser, endSession(sp1, params), atSp);
    expect(landing.visited.every((url) => url.origin === federation.issuer || atSp(url))).toBe(true);
    expect(landing.url.href.startsWith(postLogoutUri('sp-1'))).toBe(true);
    expect(landing.url.searchParams.get('state')).toBe('no-idp-hop');
    expect(isMire((await arrive(browser, 'sp-2')).citizen)).toBe(true);
  });

  it('ends at the SP when the IdP is stopped: never sent to the dead end_session', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-dies');
    await federation.idps.get('idp-dies')?.close();
    // Not yet measured down (probes every 10 s): the check made at logout finds it dead.
    expect(federation.hub.availability.isAvailable('idp-dies')).toBe(true);

    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 'idp-died' };
    const dead = idpIssuer('idp-dies');
    const { landing } = await confirmLogout(
      browser,
      endSession(sp1, params),
      (url) => atSp(url) || url.origin === dead,
    );
    expect(landing.visited.some((url) => url.origin === dead)).toBe(false);
    expect(landing.url.href.startsWith(postLogoutUri('sp-1'))).toBe(true);
    expect(landing.url.searchParams.get('state')).toBe('idp-died');
    expect(isMire((await arrive(browser, 'sp-1')).citizen)).toBe(true);
  });

  it('ends on the logged-out page when the IdP is stopped and the SP names no post_logout_redirect_uri', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    federation.hub.availability.recordLoginFailure('idp-a');
    federation.hub.availability.recordLoginFailure('idp-a');
    try {
      // Measured down (the mire greys it): the logout does not visit it either.
      expect(federation.hub.availability.isAvailable('idp-a')).toBe(false);
      const { landing } = await confirmLogout(browser, endSession(sp1), () => false);
      expect(idpLogoutOf(landing, 'idp-a')).toBeUndefined();
      expect(landing.url.href).toBe(`${federation.issuer}/session/end/success`);
      expect(await landing.response?.text()).toContain('Vous êtes bien déconnecté(e)');
    } finally {
      federation.hub.availability.recordLoginSuccess('idp-a');
    }
    // The IdP's own session was left alone: it was never asked.
    expect(await idpSkipsLogin(browser, 'idp-a')).toBe(true);
  });

  it('lands a replayed, forged or empty return from the IdP on the logged-out page', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 'once' };
    const { landing } = await confirmLogout(browser, endSession(sp1, params), atSp);
    const used = landing.visited.find((url) => url.href.startsWith(`${logoutCallback()}?`));
    expect(used).toBeDefined();
    for (const url of [String(used), `${logoutCallback()}?state=forged`, logoutCallback()]) {
      const page = await browser.navigate(url, atSp);
      expect(page.response?.status).toBe(200);
      expect(await page.response?.text()).toContain('Vous êtes bien déconnecté(e)');
    }
  });

  it('says "Vous êtes bien déconnecté(e)" after the IdP hop when the SP names no post_logout_redirect_uri', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    const { landing } = await confirmLogout(browser, endSession(sp1), () => false);
    expect(idpLogoutOf(landing, 'idp-a')).toBeDefined();
    expect(landing.url.href).toBe(`${federation.issuer}/session/end/success`);
    expect(await landing.response?.text()).toContain('Vous êtes bien déconnecté(e)');
    expect(isMire((await arrive(browser, 'sp-1')).citizen)).toBe(true);
  });

  it('offers one choice, which ends the session for every SP (FranceConnect has no "stay signed in")', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    const page = await browser.navigate(endSession(sp1), atSp);
    const html = (await page.response?.text()) ?? '';
    expect([...html.matchAll(/<button\b[^>]*form="op.logoutForm"/g)]).toHaveLength(1);
    expect(html).toMatch(/<button\b[^>]*name="logout"[^>]*value="yes"/);
  });
});

describe('a logout request the hub refuses', () => {
  async function refused(browser: Browser, url: URL) {
    const citizen = new Citizen({ redirectUri: new URL(postLogoutUri('sp-1')).origin });
    Object.assign(citizen, { browser });
    // As a browser asks: oidc-provider answers JSON errors to a client that does not ask for HTML.
    await citizen.go(url, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R1013' });
    // Nothing was ended: SSO still reaches the consent.
    expect(isConsent((await arrive(browser, 'sp-2')).citizen)).toBe(true);
  }

  it('shows a hub page, no redirect, for a post_logout_redirect_uri not registered to the letter', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    for (const uri of [
      `${postLogoutUri('sp-1')}x`,
      postLogoutUri('sp-2'),
      postLogoutUri('sp-1').slice(0, -1),
    ]) {
      await refused(browser, endSession(sp1, { post_logout_redirect_uri: uri, state: 's' }));
    }
  });

  it('shows a hub page, no redirect, for an id_token_hint signed by another key or not signed', async () => {
    const browser = new Browser();
    const sp1 = await login(browser, 'sp-1', 'idp-a');
    const genuine = sp1.tokens.id_token as string;
    const [header = '', payload = ''] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const { privateKey } = await generateKeyPair('ES256');
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const params = { post_logout_redirect_uri: postLogoutUri('sp-1'), state: 's' };
    for (const hint of [otherKey, unsigned]) {
      const url = client.buildEndSessionUrl(sp1.config, { ...params, id_token_hint: hint });
      await refused(browser, url);
    }
  });
});
