// The demo SP against a real OpenID Provider (oidc-provider), driven over HTTP like a browser.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoSp, type DemoSp, type DemoSpOptions } from '../../../src/demo-sp/index.ts';
import { Browser, confirmLogout } from '../../support/browser.ts';
import { closeServer, FICTITIOUS_PERSON, freePort, startTestOp, type TestOp } from './test-op.ts';

const OP_HOST = '127.0.0.4';
const SP_HOST = '127.0.0.5';
const CLIENT = { clientId: 'demo-sp', clientSecret: 'demo-sp-secret-at-least-32-characters-long!' };

let op: TestOp;
let sp: DemoSp;
/** Same client, but expecting RS256 signatures while the OP signs ES256. */
let rs256Sp: DemoSp;
/** Same client, but asking for a level of assurance the OP does not deliver. */
let eidas2Sp: DemoSp;
/** Same client, calling a data provider (a stand-in, below) right after each login. */
let dpSp: DemoSp;
let dataProvider: FakeDataProvider;
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
  const [mainUrl, rs256Url, eidas2Url, dpUrl] = [
    await freeSpUrl(),
    await freeSpUrl(),
    await freeSpUrl(),
    await freeSpUrl(),
  ];
  const spUrls = [mainUrl, rs256Url, eidas2Url, dpUrl];
  op = await startTestOp(OP_HOST, {
    ...CLIENT,
    redirectUris: spUrls.map((url) => `${url}/callback`),
    postLogoutRedirectUris: spUrls.map((url) => `${url}/`),
  });
  sp = await startSp({ issuer: op.issuer, url: mainUrl });
  rs256Sp = await startSp({ issuer: op.issuer, url: rs256Url, alg: 'RS256' });
  eidas2Sp = await startSp({ issuer: op.issuer, url: eidas2Url, acrValues: 'eidas2' });
  dataProvider = await startFakeDataProvider(SP_HOST);
  dpSp = await startSp({ issuer: op.issuer, url: dpUrl, dataProviderUrl: dataProvider.url });
});

afterAll(async () => {
  await Promise.all(started.map((demoSp) => demoSp.close()));
  await op?.close();
  await dataProvider?.close();
});

interface FakeDataProvider {
  readonly url: string;
  /** The Authorization headers received, in order. */
  readonly authorizations: string[];
  /** The next answers: a status and JSON body, or 'hang-up' (the connection is cut). */
  answer: { status: number; body: unknown; headers?: Record<string, string> } | 'hang-up';
  close(): Promise<void>;
}

/** A data provider's API standing in for src/demo-dp: it records the bearer and answers as told. */
async function startFakeDataProvider(host: string): Promise<FakeDataProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const fake: FakeDataProvider = {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    authorizations: [],
    answer: { status: 200, body: {} },
    close: () => closeServer(server),
  };
  server.on('request', (request, response) => {
    fake.authorizations.push(`${request.url} ${request.headers.authorization}`);
    const { answer } = fake;
    if (answer === 'hang-up') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(JSON.stringify(answer.body));
  });
  return fake;
}

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

describe('demo SP with a data provider', () => {
  it('calls it with the access token right after the login and shows its answer, never the token', async () => {
    dataProvider.answer = {
      status: 200,
      body: { quotient_familial: 742, annee: 2026, mois: 11, allocataire: FICTITIOUS_PERSON.sub },
    };
    const before = dataProvider.authorizations.length;
    const { response, html } = await logIn(new Browser(), dpSp);
    expect(response.status).toBe(200);
    const calls = dataProvider.authorizations.slice(before);
    expect(calls).toHaveLength(1);
    const [path, scheme, accessToken] = calls[0]?.split(' ') ?? [];
    expect(path).toBe('/v1/quotient-familial');
    expect(scheme).toBe('Bearer');
    expect(accessToken?.length).toBeGreaterThanOrEqual(20);
    expect(html).toContain('Données d’un fournisseur de données');
    expect(html).toContain(`${dataProvider.url}/v1/quotient-familial`);
    expect(html).toMatch(/Quotient familial <code>quotient_familial<\/code><\/dt>\s*<dd>742<\/dd>/);
    expect(html).toContain(FICTITIOUS_PERSON.given_name);
    expect(html).not.toContain(accessToken);
    // Once, at the login: showing the page again does not call the data provider again.
    expect(dataProvider.authorizations.length).toBe(before + 1);
  });

  it('shows the status and error of a refused call, and the login still stands', async () => {
    dataProvider.answer = {
      status: 403,
      body: { error: 'insufficient_scope', error_description: 'Scope manquant.' },
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    };
    const { response, html } = await logIn(new Browser(), dpSp);
    expect(response.status).toBe(200);
    expect(html).toContain('L’appel au fournisseur de données a échoué');
    expect(html).toContain('HTTP 403 : insufficient_scope — Scope manquant.');
    expect(html).toContain(FICTITIOUS_PERSON.given_name);
  });

  it('says so when the data provider does not answer', async () => {
    dataProvider.answer = 'hang-up';
    const { response, html } = await logIn(new Browser(), dpSp);
    expect(response.status).toBe(200);
    expect(html).toContain('aucune réponse : injoignable');
    expect(html).toContain(FICTITIOUS_PERSON.given_name);
  });

  it('calls none and shows no such panel without a dataProviderUrl', async () => {
    const before = dataProvider.authorizations.length;
    const { html } = await logIn(new Browser());
    expect(html).toContain(FICTITIOUS_PERSON.given_name);
    expect(html).not.toContain('fournisseur de données');
    expect(dataProvider.authorizations.length).toBe(before);
  });
});
