// The mod_auth_openidc recipe (examples/mod_auth_openidc, docs/recipes/mod_auth_openidc.md),
// end to end over real HTTP: a private Apache 2.4 with Debian 12's mod_auth_openidc 2.4.12, run
// from the example's own configuration, as the SP of a real hub with a mock IdP. The citizen goes
// through login, the error page, the logout chain; a broken id_token or userinfo signature (the
// tampering front) is a refused login.
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, freePort, startFederation } from '../support/federation.ts';
import {
  citizenAtApp,
  expectNoIdentity,
  expectPivotShown,
  followMetaRefresh,
  loginThroughApp,
  logoutThroughApp,
  type RunningProcess,
  STANDARD_PIVOT,
  startProcess,
} from './process-support.ts';

const APACHE = '/usr/sbin/apache2';
const MODULE = '/usr/lib/apache2/modules/mod_auth_openidc.so';
const EXAMPLE = join(import.meta.dirname, '../../examples/mod_auth_openidc');
const SP_HOST = '127.0.0.30';
const CLIENT_ID = 'sp-apache';
// Fictitious, for this test's hub only.
const CLIENT_SECRET = 'sp-apache-secret-0123456789-0123456789-abcdef';

describe.skipIf(!existsSync(APACHE) || !existsSync(MODULE))('mod_auth_openidc recipe', () => {
  let federation: Federation;
  let apache: RunningProcess;
  let root: string;
  let spUrl: string;

  beforeAll(async () => {
    const port = await freePort(SP_HOST);
    spUrl = `http://${SP_HOST}:${port}`;
    federation = await startFederation({
      idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
      sps: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${spUrl}/oidc/callback`],
          post_logout_redirect_uris: [`${spUrl}/logged-out.html`],
          scope: 'openid identite_pivot email',
          acr_values: ['eidas1'],
        },
      ],
      tampering: true,
    });
    // Apache's own ServerRoot: a copy of the example, readable by the workers' user.
    root = mkdtempSync(join(tmpdir(), 'relais-apache-'));
    cpSync(EXAMPLE, root, { recursive: true });
    chmodSync(root, 0o755);
    apache = await startProcess(APACHE, ['-d', root, '-f', join(root, 'httpd.conf'), '-DFOREGROUND'], {
      env: {
        PATH: process.env.PATH,
        RECIPE_ROOT: root,
        APACHE_RUN_USER: 'www-data',
        APACHE_RUN_GROUP: 'www-data',
        RELAIS_ISSUER: federation.issuer,
        RELAIS_ISSUER_URLENCODED: encodeURIComponent(federation.issuer),
        RELAIS_CLIENT_ID: CLIENT_ID,
        RELAIS_CLIENT_SECRET: CLIENT_SECRET,
        RELAIS_SP_URL: spUrl,
        RELAIS_SP_LISTEN: `${SP_HOST}:${port}`,
        OIDC_CRYPTO_PASSPHRASE: 'fictitious-passphrase-for-the-recipe-test-0123456789',
      },
      ready: `${spUrl}/`,
      logFile: join(root, 'error.log'),
    });
  });

  afterAll(async () => {
    await apache?.stop();
    await federation?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const apacheSays = () => `\n--- apache ---\n${apache.output().slice(-3000)}`;

  it('sends the FranceConnect v2 request: scope, eidas1, prompt, long state and nonce, PKCE S256', async () => {
    const browser = citizenAtApp().browser;
    const response = await browser.request(`${spUrl}/espace`);
    expect(response.status, apacheSays()).toBe(302);
    const authorize = new URL(String(response.headers.get('location')));
    expect(authorize.origin + authorize.pathname).toBe(`${federation.issuer}/authorize`);
    const params = authorize.searchParams;
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(`${spUrl}/oidc/callback`);
    expect(params.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'identite_pivot']));
    expect(params.get('acr_values')).toBe('eidas1');
    expect(params.get('prompt')).toBe('login consent');
    expect(params.get('state')?.length).toBeGreaterThanOrEqual(22);
    expect(params.get('nonce')?.length).toBeGreaterThanOrEqual(22);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toBeTruthy();
  });

  it('logs the citizen in and shows the identité pivot; the logout chain ends back at the app', async () => {
    const citizen = await loginThroughApp(federation, `${spUrl}/espace`);
    const page = citizen.currentPage();
    expect(page.url.href, page.html + apacheSays()).toBe(`${spUrl}/espace`);
    expect(page.status).toBe(200);
    expectPivotShown(page.html);
    expect(page.html).toContain('camille.martin@courriel.example');
    expect(page.html).toContain('<span data-claim="acr">eidas1</span>');

    const logoutHref = /<a href="([^"]*logout=[^"]*)">Se déconnecter<\/a>/.exec(page.html)?.[1] ?? '';
    const logoutUrl = new URL(logoutHref.replaceAll('&amp;', '&'), page.url);
    const { landing, html } = await logoutThroughApp(citizen, logoutUrl);
    // Through the hub's end_session (id_token_hint, post_logout_redirect_uri) and the IdP's logout.
    const endSession = landing.visited.find((url) => url.href.startsWith(`${federation.issuer}/session/end`));
    expect(endSession?.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession?.searchParams.get('post_logout_redirect_uri')).toBe(`${spUrl}/logged-out.html`);
    expect(landing.url.href).toBe(`${spUrl}/logged-out.html`);
    expect(html).toContain('Vous êtes déconnecté(e)');
    // Both sessions are over: the protected page sends the citizen to the hub again.
    const again = await citizen.browser.request(`${spUrl}/espace`);
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toMatch(new RegExp(`^${federation.issuer}/authorize\\?`));
  });

  it('shows an error page with a way back when the citizen leaves the mire (access_denied, R4001)', async () => {
    const citizen = await citizenAtApp().go(`${spUrl}/espace`);
    expect(citizen.currentPage().url.origin).toBe(federation.issuer);
    await citizen.cancelOnMire();
    const page = citizen.currentPage();
    expect(page.url.origin + page.url.pathname, apacheSays()).toBe(`${spUrl}/oidc/callback`);
    expect(page.url.searchParams.get('error')).toBe('access_denied');
    expect(page.url.searchParams.get('iss')).toBe(federation.issuer);
    expect(page.html).toContain("La connexion n'a pas abouti");
    expect(page.html).toContain('<p class="error">OpenID Connect Provider error: access_denied</p>');
    expect(page.html).toContain('<p class="description">the user cancelled the login [R4001]</p>');
    expect(page.html).toContain('<a href="/espace">Réessayer</a>');
    expectNoIdentity(page.html);
  });

  it('refuses the login when the id_token signature is broken', async () => {
    federation.tamper?.tamperNext('id_token');
    const citizen = await loginThroughApp(federation, `${spUrl}/espace`);
    const page = citizen.currentPage();
    expect(federation.tamper?.altered.at(-1)).toBe('id_token');
    expect(page.url.origin + page.url.pathname, apacheSays()).toBe(`${spUrl}/oidc/callback`);
    expect(page.html).toContain("La connexion n'a pas abouti");
    expectNoIdentity(page.html);
    // No session was made: the protected page asks the hub again.
    const again = await citizen.browser.request(`${spUrl}/espace`);
    expect(again.status).toBe(302);
  });

  it('refuses the login when the userinfo signature is broken', async () => {
    federation.tamper?.tamperNext('userinfo');
    const citizen = await loginThroughApp(federation, `${spUrl}/espace`);
    // OIDCUnAutzAction 302 answers with an HTML refresh to its URL, which a browser follows.
    await followMetaRefresh(citizen);
    const page = citizen.currentPage();
    expect(federation.tamper?.altered.at(-1)).toBe('userinfo');
    expect(page.url.href, page.html + apacheSays()).toBe(`${spUrl}/refus`);
    expect(page.status).toBe(403);
    expect(page.html).toContain('Connexion refusée');
    expectNoIdentity(page.html);
    expect(page.html).not.toContain(STANDARD_PIVOT.birthdate);
    // Its way on ends both sessions and comes back to the app.
    const retry = /<a href="([^"]*)">Réessayer<\/a>/.exec(page.html)?.[1] ?? '';
    const { landing } = await logoutThroughApp(citizen, new URL(retry.replaceAll('&amp;', '&'), page.url));
    expect(landing.url.href).toBe(`${spUrl}/logged-out.html`);
  });

  it('checks iss (RFC 9207): an answer naming another issuer, or none, is refused, error or code', async () => {
    const browser = citizenAtApp().browser;
    const start = await browser.request(`${spUrl}/espace`);
    const state = new URL(String(start.headers.get('location'))).searchParams.get('state') ?? '';
    const callback = (params: Record<string, string>) =>
      browser.request(`${spUrl}/oidc/callback?${new URLSearchParams({ state, ...params })}`);
    const forgedError = await callback({ error: 'access_denied', iss: 'https://mix-up.example' });
    expect(forgedError.status).toBe(403);
    await forgedError.body?.cancel();
    const forgedCode = await callback({ code: 'forged-code-0123456789', iss: 'https://mix-up.example' });
    expect(forgedCode.status).toBe(403);
    await forgedCode.body?.cancel();
    // Without `iss` at all (stripped by a mix-up attacker): refused too, as RFC 9207 §2.4 asks.
    for (const params of [{ code: 'forged-code-0123456789' }, { error: 'access_denied' }] as Array<
      Record<string, string>
    >) {
      const stripped = await callback(params);
      expect(stripped.status).toBe(403);
      await stripped.body?.cancel();
    }
  });
});
