// The SP integration recipes (examples/*) checked end to end over real HTTP: a hub with a mock IdP
// behind the tampering front, the recipe's own example app registered as an SP on a loopback
// address of its own, and a citizen going through the example's pages. Every recipe must pass the
// same suite: the identité pivot arrives; a broken id_token or userinfo signature is refused; an
// error from the hub (and a forged iss) is a page with a way back; the logout chain ends back at
// the example.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { Browser, confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { type Federation, freePort, startFederation } from '../support/federation.ts';

export interface RecipeSpec {
  name: string;
  /** The example's entry point, run as is: `node examples/<name>/server.ts`. */
  server: string;
  /** Loopback address of the example, apart from the hub's (127.0.0.1) and the IdP's (127.0.0.2). */
  host: string;
  /** Paths of the example's redirect_uri and post_logout_redirect_uri, as it registers them. */
  callbackPath: string;
  postLogoutPath: string;
  /** From the example's home page to the hub's first page (default: GET /login). */
  startLogin?(citizen: Citizen, baseUrl: string): Promise<unknown>;
}

/** A citizen who follows every redirect, the example's callback included. */
export function newCitizen(): Citizen {
  return new Citizen({ redirectUri: 'never:' });
}

const standard = MOCK_IDENTITIES.find((person) => person.id === 'standard');
if (!standard) throw new Error('no standard mock identity');
export const STANDARD = standard.claims;

export function expectIdentityShown(html: string): void {
  expect(html).toContain(`Bonjour ${STANDARD.given_name} ${STANDARD.family_name}`);
  for (const value of [STANDARD.birthdate, STANDARD.birthplace, STANDARD.birthcountry, STANDARD.email]) {
    expect(html).toContain(value);
  }
}

export function expectNoIdentity(html: string): void {
  expect(html).not.toContain(STANDARD.given_name);
  expect(html).not.toContain(STANDARD.family_name);
}

/** A page for the citizen with the way back: retry (the login route) and home. */
export function expectErrorPage(html: string, code?: string): void {
  expect(html).toContain('La connexion n’a pas abouti');
  if (code) expect(html).toContain(`<code>${code}</code>`);
  expect(html).toMatch(/<a href="[^"]*login[^"]*">Réessayer<\/a>/);
  expect(html).toContain('<a href="/">Retour à l’accueil</a>');
  expectNoIdentity(html);
}

export function recipeSuite(spec: RecipeSpec): void {
  describe(`recipe ${spec.name}`, () => {
    let federation: Federation;
    let example: ChildProcess | undefined;
    let baseUrl: string;
    /** What the example wrote on stderr: its reasons for refusing logins. */
    const logged: string[] = [];

    beforeAll(async () => {
      const port = await freePort(spec.host);
      baseUrl = `http://${spec.host}:${port}`;
      const clientId = `recipe-${spec.name}`;
      const clientSecret = `${clientId}-secret-0123456789-0123456789-abcdef`;
      federation = await startFederation({
        idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
        sps: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [`${baseUrl}${spec.callbackPath}`],
            post_logout_redirect_uris: [`${baseUrl}${spec.postLogoutPath}`],
          },
        ],
        tampering: true,
      });
      example = await startExample(spec.server, logged, {
        ISSUER: federation.issuer,
        CLIENT_ID: clientId,
        CLIENT_SECRET: clientSecret,
        BASE_URL: baseUrl,
        PORT: String(port),
        HOST: spec.host,
      });
    });

    afterAll(async () => {
      await stopExample(example);
      await federation?.close();
    });

    /** The example's login route → the mire. */
    async function toMire(citizen: Citizen): Promise<void> {
      if (spec.startLogin) await spec.startLogin(citizen, baseUrl);
      else await citizen.go(`${baseUrl}/login`);
      const mire = citizen.currentPage();
      expect(mire.url.origin).toBe(federation.issuer);
      expect(mire.html).toContain('name="idp"');
    }

    /** Mire → mock IdP → consent: stops on the consent page. */
    async function toConsent(citizen: Citizen): Promise<void> {
      await toMire(citizen);
      await citizen.chooseIdp('idp-a');
      await citizen.loginAs('standard');
      expect(citizen.currentPage().html).toContain('name="decision"');
    }

    async function login(citizen: Citizen) {
      await toConsent(citizen);
      await citizen.consent('accept');
      return citizen.currentPage();
    }

    it('sends the FranceConnect v2 authorization request', async () => {
      const browser = new Browser();
      const citizen = new Citizen({ redirectUri: 'never:' }, browser);
      const seen: URL[] = [];
      const navigate = browser.navigate.bind(browser);
      browser.navigate = async (url, stopAt, init) => {
        const landing = await navigate(url, stopAt, init);
        seen.push(...landing.visited);
        return landing;
      };
      await toMire(citizen);
      const authorize = seen.find(
        (url) => url.origin === federation.issuer && url.pathname === '/authorize' && url.search,
      );
      expect(authorize, seen.join('\n')).toBeDefined();
      const params = (authorize as URL).searchParams;
      expect(params.get('response_type')).toBe('code');
      expect(params.get('redirect_uri')).toBe(`${baseUrl}${spec.callbackPath}`);
      expect(params.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'identite_pivot']));
      expect(params.get('acr_values')).toBe('eidas1');
      expect(params.get('prompt')?.split(' ').sort()).toEqual(['consent', 'login']);
      expect(params.get('state')?.length).toBeGreaterThanOrEqual(22);
      expect(params.get('nonce')?.length).toBeGreaterThanOrEqual(22);
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('code_challenge')?.length).toBe(43);
    });

    it('shows the identité pivot after mire → IdP → consent, then the logout chain ends back at the example', async () => {
      const citizen = newCitizen();
      const home = await login(citizen);
      expect(home.url.origin).toBe(baseUrl);
      expect(home.status).toBe(200);
      expectIdentityShown(home.html);

      const { landing } = await confirmLogout(citizen.browser, `${baseUrl}/logout`, () => false);
      // Through the hub's end_session, with the id_token_hint, the registered URI and a state.
      const endSession = landing.visited.find(
        (url) => url.origin === federation.issuer && url.pathname === '/session/end' && url.search,
      );
      expect(endSession, landing.visited.join('\n')).toBeDefined();
      const params = (endSession as URL).searchParams;
      expect(params.get('id_token_hint')?.split('.')).toHaveLength(3);
      expect(params.get('post_logout_redirect_uri')).toBe(`${baseUrl}${spec.postLogoutPath}`);
      expect(params.get('state')?.length).toBeGreaterThanOrEqual(22);
      // …and the IdP's logout, then back at the example's post_logout_redirect_uri, its state checked.
      const idp = federation.idps.get('idp-a')?.issuer;
      expect(landing.visited.some((url) => url.origin === idp && url.pathname === '/session/end')).toBe(true);
      expect(landing.url.href.startsWith(`${baseUrl}${spec.postLogoutPath}`)).toBe(true);
      expect(landing.response?.status).toBe(200);
      const loggedOut = (await landing.response?.text()) ?? '';
      expect(loggedOut).toContain('Vous êtes déconnecté(e)');
      expectNoIdentity(loggedOut);

      // The example's session is over, and so is the hub's: a new login starts at the mire again.
      await citizen.go(`${baseUrl}/`);
      expectNoIdentity(citizen.currentPage().html);
      await toMire(citizen);
    });

    it('refuses an id_token whose signature was broken on the way', async () => {
      const citizen = newCitizen();
      await toConsent(citizen);
      federation.tamper?.tamperNext('id_token');
      await citizen.consent('accept');
      expect(federation.tamper?.altered.at(-1)).toBe('id_token');
      const page = citizen.currentPage();
      expect(page.url.origin).toBe(baseUrl);
      expect(page.status).toBeGreaterThanOrEqual(400);
      expectErrorPage(page.html);
      // No session was opened.
      await citizen.go(`${baseUrl}/`);
      expectNoIdentity(citizen.currentPage().html);
    });

    it('refuses a userinfo JWT whose signature was broken on the way', async () => {
      const citizen = newCitizen();
      await toConsent(citizen);
      const before = federation.tamper?.altered.length ?? 0;
      federation.tamper?.tamperNext('userinfo');
      await citizen.consent('accept');
      // The example did call userinfo (the identity is there, not in the id_token).
      expect(federation.tamper?.altered.slice(before)).toEqual(['userinfo']);
      const page = citizen.currentPage();
      expect(page.url.origin).toBe(baseUrl);
      expect(page.status).toBeGreaterThanOrEqual(400);
      expectErrorPage(page.html);
      await citizen.go(`${baseUrl}/`);
      expectNoIdentity(citizen.currentPage().html);
    });

    it('shows an error from the hub (the citizen leaves the mire: access_denied R4001) with a way back', async () => {
      const citizen = newCitizen();
      await toMire(citizen);
      await citizen.cancelOnMire();
      const page = citizen.currentPage();
      expect(page.url.origin).toBe(baseUrl);
      expect(page.status).toBeGreaterThanOrEqual(400);
      expectErrorPage(page.html, 'R4001');
      // The way back works: "Réessayer" leads to the mire again.
      const retry = /<a href="([^"]*login[^"]*)">Réessayer<\/a>/.exec(page.html)?.[1] ?? '';
      await citizen.go(new URL(retry.replaceAll('&amp;', '&'), page.url));
      if (citizen.currentPage().url.origin === baseUrl && spec.startLogin) {
        await spec.startLogin(citizen, baseUrl);
      }
      expect(citizen.currentPage().url.origin).toBe(federation.issuer);
      expect(citizen.currentPage().html).toContain('name="idp"');
    });

    it('does not take an error response whose state is not this login’s', async () => {
      const browser = new Browser();
      const citizen = new Citizen({ redirectUri: `${baseUrl}${spec.callbackPath}` }, browser);
      await toMire(citizen);
      await citizen.cancelOnMire();
      const forged = new URL(citizen.callback as URL);
      expect(forged.searchParams.get('error')).toBe('access_denied');
      forged.searchParams.set('state', `${forged.searchParams.get('state')}x`);
      const landing = await browser.navigate(forged, () => false);
      const html = (await landing.response?.text()) ?? '';
      expect(landing.url.origin).toBe(baseUrl);
      expect(landing.response?.status).toBeGreaterThanOrEqual(400);
      expectErrorPage(html);
      expect(html).not.toContain('R4001');
    });

    it('refuses a callback whose iss is not the hub (RFC 9207 mix-up)', async () => {
      const browser = new Browser();
      const callbackUri = `${baseUrl}${spec.callbackPath}`;
      const citizen = new Citizen({ redirectUri: callbackUri }, browser);
      await toConsent(citizen);
      await citizen.consent('accept');
      const callback = citizen.spParams();
      expect(callback.get('iss')).toBe(federation.issuer);
      const forged = new URL(citizen.callback as URL);
      forged.searchParams.set('iss', 'http://127.0.0.66:4444');
      const landing = await browser.navigate(forged, () => false);
      const html = (await landing.response?.text()) ?? '';
      expect(landing.url.origin).toBe(baseUrl);
      expect(landing.response?.status).toBeGreaterThanOrEqual(400);
      expectErrorPage(html);
      await citizen.go(`${baseUrl}/`);
      expectNoIdentity(citizen.currentPage().html);
    });

    it('logged why it refused, and never a token', () => {
      expect(logged.length).toBeGreaterThanOrEqual(4);
      for (const line of logged) expect(line).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    });
  });
}

/**
 * Runs the example as a developer would, `node examples/<name>/server.ts` (Node's own type
 * stripping, the Node running the tests), and resolves once it listens. Its stderr lines go to
 * `logged`.
 */
function startExample(server: string, logged: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(server)], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const lines = stderr.split('\n');
    stderr = lines.pop() ?? '';
    logged.push(...lines.filter((line) => line.trim()));
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${server} did not start: ${logged.join('\n')}`));
    }, 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('listening on')) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${server} exited (${code}): ${logged.join('\n')} ${stderr}`));
    });
  });
}

async function stopExample(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
