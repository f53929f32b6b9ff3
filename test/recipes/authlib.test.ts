// The Authlib recipe (examples/authlib-flask/app.py, docs/recipes/authlib.md), end to end over real
// HTTP: the example's Flask app, run by Debian 12's python3 with python3-authlib 1.2 and
// python3-flask 2.2, as the SP of a real hub with a mock IdP. The citizen goes through login, the
// error page, the logout chain; a broken id_token or userinfo signature (the tampering front), or
// an authorization response naming another issuer (RFC 9207), is a refused login.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, freePort, startFederation } from '../support/federation.ts';
import {
  citizenAtApp,
  expectNoIdentity,
  expectPivotShown,
  loginThroughApp,
  logoutThroughApp,
  type RunningProcess,
  startProcess,
} from './process-support.ts';

const PYTHON = '/usr/bin/python3';
const AUTHLIB = '/usr/lib/python3/dist-packages/authlib';
const EXAMPLE = join(import.meta.dirname, '../../examples/authlib-flask');
const SP_HOST = '127.0.0.31';
const CLIENT_ID = 'sp-authlib';
// Fictitious, for this test's hub only.
const CLIENT_SECRET = 'sp-authlib-secret-0123456789-0123456789-abcdef';

describe.skipIf(!existsSync(PYTHON) || !existsSync(AUTHLIB))('Authlib (Flask) recipe', () => {
  let federation: Federation;
  let flask: RunningProcess;
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort(SP_HOST);
    appUrl = `http://${SP_HOST}:${port}`;
    federation = await startFederation({
      idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
      sps: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${appUrl}/callback`],
          post_logout_redirect_uris: [`${appUrl}/logged-out`],
          scope: 'openid identite_pivot email',
          acr_values: ['eidas1'],
        },
      ],
      tampering: true,
    });
    flask = await startProcess(PYTHON, [join(EXAMPLE, 'app.py')], {
      env: {
        PATH: process.env.PATH,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        RELAIS_ISSUER: federation.issuer,
        RELAIS_CLIENT_ID: CLIENT_ID,
        RELAIS_CLIENT_SECRET: CLIENT_SECRET,
        APP_URL: appUrl,
        FLASK_SECRET_KEY: 'fictitious-flask-secret-for-the-recipe-test-0123456789',
      },
      ready: `${appUrl}/`,
    });
  });

  afterAll(async () => {
    await flask?.stop();
    await federation?.close();
  });

  const flaskSays = () => `\n--- flask ---\n${flask.output().slice(-3000)}`;

  it('sends the FranceConnect v2 request: scope, eidas1, prompt, a 43-character nonce and state, PKCE S256', async () => {
    const response = await citizenAtApp().browser.request(`${appUrl}/login`);
    expect(response.status, flaskSays()).toBe(302);
    const authorize = new URL(String(response.headers.get('location')));
    expect(authorize.origin + authorize.pathname).toBe(`${federation.issuer}/authorize`);
    const params = authorize.searchParams;
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(`${appUrl}/callback`);
    expect(params.get('scope')).toBe('openid identite_pivot email');
    expect(params.get('acr_values')).toBe('eidas1');
    expect(params.get('prompt')).toBe('login consent');
    expect(params.get('nonce')).toHaveLength(43);
    expect(params.get('state')).toHaveLength(43);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toBeTruthy();
  });

  it('logs the citizen in and shows the identité pivot; the logout chain ends back at the app', async () => {
    const citizen = await loginThroughApp(federation, `${appUrl}/login`);
    const page = citizen.currentPage();
    expect(page.url.href, page.html + flaskSays()).toBe(`${appUrl}/`);
    expectPivotShown(page.html);
    expect(page.html).toContain('camille.martin@courriel.example');
    expect(page.html).toContain('<span data-claim="acr">eidas1</span>');

    const { landing, html } = await logoutThroughApp(citizen, new URL('/logout', appUrl));
    const endSession = landing.visited.find((url) => url.href.startsWith(`${federation.issuer}/session/end`));
    expect(endSession?.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession?.searchParams.get('post_logout_redirect_uri')).toBe(`${appUrl}/logged-out`);
    expect(endSession?.searchParams.get('state')).toHaveLength(43);
    expect(landing.url.origin + landing.url.pathname).toBe(`${appUrl}/logged-out`);
    expect(landing.url.searchParams.get('state')).toBe(endSession?.searchParams.get('state'));
    expect(html).toContain('Vous êtes déconnecté(e)');
    // Nothing of the identity is left at the app.
    const home = await citizen.go(`${appUrl}/`);
    expectNoIdentity(home.currentPage().html);
  });

  it('shows an error page with a way back when the citizen leaves the mire (access_denied, R4001)', async () => {
    const citizen = await citizenAtApp().go(`${appUrl}/login`);
    expect(citizen.currentPage().url.origin).toBe(federation.issuer);
    await citizen.cancelOnMire();
    const page = citizen.currentPage();
    expect(page.url.origin + page.url.pathname, flaskSays()).toBe(`${appUrl}/callback`);
    expect(page.url.searchParams.get('error')).toBe('access_denied');
    expect(page.html).toContain('Connexion impossible');
    expect(page.html).toContain('<code>R4001</code>');
    expect(page.html).toContain('<a href="/login">Réessayer</a>');
    expectNoIdentity(page.html);
  });

  it('refuses the login when the id_token signature is broken', async () => {
    federation.tamper?.tamperNext('id_token');
    const citizen = await loginThroughApp(federation, `${appUrl}/login`);
    const page = citizen.currentPage();
    expect(federation.tamper?.altered.at(-1)).toBe('id_token');
    expect(page.url.origin + page.url.pathname, page.html + flaskSays()).toBe(`${appUrl}/callback`);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Connexion refusée');
    expect(page.html).toContain('<a href="/login">Réessayer</a>');
    expectNoIdentity(page.html);
    expectNoIdentity((await citizen.go(`${appUrl}/`)).currentPage().html);
  });

  it('refuses the login when the userinfo signature is broken', async () => {
    federation.tamper?.tamperNext('userinfo');
    const citizen = await loginThroughApp(federation, `${appUrl}/login`);
    const page = citizen.currentPage();
    expect(federation.tamper?.altered.at(-1)).toBe('userinfo');
    expect(page.url.origin + page.url.pathname, page.html + flaskSays()).toBe(`${appUrl}/callback`);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Connexion refusée');
    expectNoIdentity(page.html);
    expectNoIdentity((await citizen.go(`${appUrl}/`)).currentPage().html);
    expect(flask.output()).toContain('login refused: userinfo JWT: BadSignatureError');
  });

  it('checks iss (RFC 9207) before the code is used: another issuer, or none, is refused', async () => {
    const browser = citizenAtApp().browser;
    const start = await browser.request(`${appUrl}/login`);
    const state = new URL(String(start.headers.get('location'))).searchParams.get('state') ?? '';
    for (const iss of ['https://mix-up.example', undefined]) {
      const params = new URLSearchParams({ code: 'forged-code-0123456789', state, ...(iss ? { iss } : {}) });
      const response = await browser.request(`${appUrl}/callback?${params}`);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Connexion refusée');
    }
    expect(flask.output()).toContain('login refused: the authorization response is not from the hub (iss)');
  });
});
