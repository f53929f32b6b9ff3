// The demo SP against a real OpenID Provider (oidc-provider), driven over HTTP like a browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoSp, type DemoSp, type DemoSpOptions } from '../../../src/demo-sp/index.ts';
import { Browser, confirmLogout } from '../../support/browser.ts';
import { FICTITIOUS_PERSON, freePort, startTestOp, type TestOp } from './test-op.ts';

const OP_HOST = '127.0.0.4';
const SP_HOST = '127.0.0.5';
const CLIENT = { clientId: 'demo-sp', clientSecret: 'demo-sp-secret-at-least-32-characters-long!' };

let op: TestOp;
let sp: DemoSp;
/** Same client, but expecting RS256 signatures while the OP signs ES256. */
let rs256Sp: DemoSp;
/** Same client, but asking for a level of assurance the OP does not deliver. */
let eidas2Sp: DemoSp;
const started: DemoSp[] = [];

async function startSp(options: Partial<DemoSpOptions> & { issuer: string }): Promise<DemoSp> {
  const url = options.url ?? (await freeSpUrl());
  const demoSp = await createDemoSp({ ...CLIENT, ...options, url });
  await demoSp.listen();
  started.push(demoSp);
  return demoSp;
}

async function freeSpUrl(): Promise<string> {
  return `http://${SP_HOST}:${await freePort(SP_HOST)}`;
}

beforeAll(async () => {
  const [mainUrl, rs256Url, eidas2Url] = [await freeSpUrl(), await freeSpUrl(), await freeSpUrl()];
  const spUrls = [mainUrl, rs256Url, eidas2Url];
  op = await startTestOp(OP_HOST, {
    ...CLIENT,
    redirectUris: spUrls.map((url) => `${url}/callback`),
    postLogoutRedirectUris: spUrls.map((url) => `${url}/`),
  });
  sp = await startSp({ issuer: op.issuer, url: mainUrl });
  rs256Sp = await startSp({ issuer: op.issuer, url: rs256Url, alg: 'RS256' });
  eidas2Sp = await startSp({ issuer: op.issuer, url: eidas2Url, acrValues: 'eidas2' });
});

afterAll(async () => {
  await Promise.all(started.map((demoSp) => demoSp.close()));
  await op?.close();
});

/** The SP's /login followed to the end: nothing to stop at, the SP serves its own callback. */
async function logIn(browser: Browser, demoSp: DemoSp = sp) {
  const { url, response, visited } = await browser.navigate(`${demoSp.url}/login`, () => false);
  if (!response) throw new Error(`no page at ${url.href}`);
  return { url, response, visited, html: await response.text() };
}

describe('demo SP', () => {
  it('sends the authorize parameters FranceConnect v2 requires', async () => {
    const response = await new Browser().request(`${sp.url}/login`);
    expect(response.status).toBe(302);
    const authorize = new URL(response.headers.get('location') ?? '');
    expect(authorize.origin).toBe(op.issuer);
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: 'demo-sp',
      redirect_uri: `${sp.url}/callback`,
      scope: 'openid identite_pivot email',
      acr_values: 'eidas1',
      prompt: 'login consent',
      code_challenge_method: 'S256',
    });
    expect(params.state?.length).toBeGreaterThanOrEqual(32);
    expect(params.nonce?.length).toBeGreaterThanOrEqual(32);
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('demosp_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
  });

  it('logs the citizen in through the OP and shows the verified claims and authentication', async () => {
    const { response, url, visited, html } = await logIn(new Browser());
    expect(response.status).toBe(200);
    expect(url.href).toBe(`${sp.url}/`);
    expect(visited.some((u) => u.href.startsWith(`${sp.url}/callback?`))).toBe(true);
    expect(html).toContain(FICTITIOUS_PERSON.given_name);
    expect(html).toContain(FICTITIOUS_PERSON.birthcountry);
    expect(html).toContain(op.issuer);
    expect(html).toContain('eidas1');
    expect(html).toContain('Se déconnecter');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a replayed callback: the login in progress is used once', async () => {
    const browser = new Browser();
    const { visited } = await logIn(browser);
    const callback = visited.find((u) => u.href.startsWith(`${sp.url}/callback?`)) ?? '';
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('login_not_found');
  });

  it('shows an error the OP redirected (access_denied) with its code and a way to try again', async () => {
    op.failNextLogin('access_denied', 'L’usager a annulé la connexion');
    const { response, url, html } = await logIn(new Browser());
    expect(url.href.startsWith(`${sp.url}/callback?`)).toBe(true);
    expect(response.status).toBe(400);
    expect(html).toContain('access_denied');
    expect(html).toContain('L’usager a annulé la connexion');
    expect(html).toContain('Vous avez annulé la connexion');
    expect(html).toMatch(/<a class="button" href="\/login">Réessayer<\/a>/);
    expect(html).not.toMatch(/AuthorizationResponseError|at .*\.js:\d+/);
  });

  it('refuses a callback whose state is not the one of the login in progress', async () => {
    const browser = new Browser();
    const login = await browser.request(`${sp.url}/login`);
    expect(login.status).toBe(302);
    const forged = new URL(`${sp.url}/callback`);
    forged.search = new URLSearchParams({
      code: 'forged-code',
      state: 'not-the-state',
      iss: op.issuer,
    }).toString();
    const response = await browser.request(forged.href);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('state_mismatch');
    expect(html).not.toContain('Se déconnecter');
  });

  it('refuses a callback when no login is in progress', async () => {
    const response = await new Browser().request(`${sp.url}/callback?code=x&state=y`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('login_not_found');
  });

  it('refuses an id_token signed with another algorithm than the one registered', async () => {
    const { response, html } = await logIn(new Browser(), rs256Sp);
    expect(response.status).toBe(502);
    expect(html).toContain('invalid_response');
    expect(html).not.toContain(FICTITIOUS_PERSON.given_name);
  });

  it('refuses a login whose acr is not one the SP asked for', async () => {
    const { response, html } = await logIn(new Browser(), eidas2Sp);
    expect(response.status).toBe(502);
    expect(html).toContain('acr_mismatch');
    expect(html).not.toContain(FICTITIOUS_PERSON.given_name);
  });

  it.each(['id_token', 'userinfo'] as const)(
    'refuses a login whose %s signature does not verify',
    async (target) => {
      op.tamperNext(target);
      const { response, html } = await logIn(new Browser());
      expect(response.status).toBe(502);
      expect(html).toContain('invalid_response');
      expect(html).not.toContain(FICTITIOUS_PERSON.given_name);
    },
  );

  it('logs out at the OP with id_token_hint, state and post_logout_redirect_uri, then forgets the citizen', async () => {
    const browser = new Browser();
    await logIn(browser);
    const logout = await browser.request(`${sp.url}/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(logout.status).toBe(303);
    const endSession = new URL(logout.headers.get('location') ?? '');
    expect(endSession.origin).toBe(op.issuer);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${sp.url}/`);
    expect(endSession.searchParams.get('state')?.length).toBeGreaterThanOrEqual(32);

    const homeMeanwhile = await (await browser.request(`${sp.url}/`)).text();
    expect(homeMeanwhile).toContain('Se connecter avec Relais');
    expect(homeMeanwhile).not.toContain(FICTITIOUS_PERSON.given_name);

    // The OP asks for confirmation, then sends the citizen back with the state.
    const { landing: back } = await confirmLogout(browser, endSession, () => false);
    expect(back.url.href).toBe(`${sp.url}/?state=${endSession.searchParams.get('state')}`);
    const home = (await back.response?.text()) ?? '';
    expect(home).toContain('Vous êtes déconnecté(e)');
    expect(home).toContain('Se connecter avec Relais');
  });

  it('logs out locally when the session is unknown, without calling the OP', async () => {
    const response = await new Browser().request(`${sp.url}/logout`, { method: 'POST' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });

  it('says the hub is unavailable, with a way to try again, when discovery fails', async () => {
    const unreachable = await startSp({ issuer: `http://${OP_HOST}:${await freePort(OP_HOST)}` });
    const response = await new Browser().request(`${unreachable.url}/login`);
    expect(response.status).toBe(502);
    const html = await response.text();
    expect(html).toContain('hub_unavailable');
    expect(html).toContain('Réessayer');
  });
});
