// With an https issuer (the hub behind a TLS-terminating proxy: it listens in http, every URL it
// emits is pinned to the issuer), every cookie the hub sets is Secure, HttpOnly and SameSite=Lax,
// whatever X-Forwarded-Proto says; the IdP callback's browser binding is a `__Host-` cookie with a
// random value; every response carries HSTS (a year, subdomains). With an http issuer there is no
// HSTS (it would pin a host that has no TLS) and no Secure cookie (the browser would drop it).
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { redeemCode } from '../support/sp-login.ts';
import { type Exchange, fetchThrough, tlsFrontBrowser, WireBrowser } from '../support/wire-browser.ts';

const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const SP_A = { client_id: 'sp-a', client_secret: secret('sp-a') };
const SP_B = { client_id: 'sp-b', client_secret: secret('sp-b') };
const HSTS = /^max-age=(\d+); includeSubDomains$/;

let tls: Federation;
let plain: Federation;

beforeAll(async () => {
  [tls, plain] = await Promise.all([
    startFederation({ https: true, idps: [{ uid: 'idp-tls', host: '127.0.0.2' }], sps: [SP_A, SP_B] }),
    startFederation({ idps: [{ uid: 'idp-plain', host: '127.0.0.3' }], sps: [SP_A] }),
  ]);
});

afterAll(async () => {
  await Promise.all([tls?.close(), plain?.close()]);
});

interface SetCookie {
  header: string;
  name: string;
  value: string;
  attributes: Map<string, string>;
  cleared: boolean;
}

function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...rest] = header.split(';').map((part) => part.trim());
  const equals = pair.indexOf('=');
  const attributes = new Map(
    rest.map((attribute) => {
      const [name = '', ...value] = attribute.split('=');
      return [name.toLowerCase(), value.join('=')] as const;
    }),
  );
  const expires = attributes.get('expires');
  const cleared =
    attributes.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
  return { header, name: pair.slice(0, equals), value: pair.slice(equals + 1), attributes, cleared };
}

const hubExchanges = (browser: WireBrowser, federation: Federation) =>
  browser.exchanges.filter((exchange) => exchange.url.origin === federation.issuer);

const setCookies = (exchanges: Exchange[]) =>
  exchanges.flatMap((exchange) =>
    exchange.headers.getSetCookie().map((header) => ({ exchange, cookie: parseSetCookie(header) })),
  );

/**
 * An SP for the https issuer: its back channel reaches the hub through the TLS front too.
 * `proto` is what that front (or a forger) says in X-Forwarded-Proto.
 */
function tlsBrowser(proto: string) {
  const front = tlsFrontBrowser(tls.issuer);
  if (proto === 'https') return front;
  const hub = new URL(tls.issuer);
  return new WireBrowser({
    wire: (url) =>
      url.origin === hub.origin ? new URL(`http://${url.host}${url.pathname}${url.search}`) : undefined,
    headers: (url): Record<string, string> =>
      url.origin === hub.origin ? { 'x-forwarded-proto': proto } : {},
  });
}

async function tlsSp(clientId: string, browser: WireBrowser) {
  return client.discovery(
    new URL(tls.issuer),
    clientId,
    { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
    client.ClientSecretPost(secret(clientId)),
    { [client.customFetch]: fetchThrough(browser) },
  );
}

/**
 * Everything that sets a hub cookie: the mire in English (the language cookie), the IdP departure
 * (its binding), the callback, the consent, the session; an SSO at a second SP; a replayed callback
 * (an error page); the logout.
 */
async function everyCookieOfALogin(browser: WireBrowser) {
  const configA = await tlsSp(SP_A.client_id, browser);
  const request = await authorizeRequest(tls, configA);
  const citizen = new Citizen(request, browser);
  await citizen.go(request.url);
  expect(citizen.currentPage().html).toContain('Choisissez un compte');
  await citizen.go(`${citizen.currentPage().url.href}?lang=en`);
  await citizen.chooseIdp('idp-tls');
  const callback = await citizen.loginAsUntilCallback('standard');
  await citizen.go(callback);
  expect(citizen.currentPage().html).toContain('name="decision"');
  await citizen.consent('accept');
  const tokens = await redeemCode({ config: configA, request, citizen });
  expect(tokens.claims()?.iss).toBe(tls.issuer);
  await citizen.go(callback);
  expect(citizen.currentPage().status).toBe(400);

  const configB = await tlsSp(SP_B.client_id, browser);
  const requestB = await authorizeRequest(tls, configB);
  const atB = new Citizen(requestB, browser);
  await atB.go(requestB.url);
  await atB.consent('accept');
  expect(atB.spParams().get('code')).toBeTruthy();

  const sp = tls.sps.get(SP_A.client_id);
  const endSession = client.buildEndSessionUrl(configA, {
    id_token_hint: tokens.id_token ?? '',
    post_logout_redirect_uri: sp?.post_logout_redirect_uris[0] ?? '',
  });
  const { landing } = await confirmLogout(browser, endSession, (url) => url.hostname === '127.0.0.20');
  expect(landing.response).toBeUndefined();
  return hubExchanges(browser, tls);
}

describe.each(['https', 'http'])('an https issuer, X-Forwarded-Proto: %s', (proto) => {
  let exchanges: Exchange[];
  beforeAll(async () => {
    exchanges = await everyCookieOfALogin(tlsBrowser(proto));
  });

  it('sets every cookie Secure, HttpOnly and SameSite=Lax', () => {
    const set = setCookies(exchanges).filter(({ cookie }) => !cookie.cleared);
    const names = new Set(set.map(({ cookie }) => cookie.name));
    for (const expected of ['relais_interaction', 'relais_resume', 'relais_session', 'relais_lang']) {
      expect(names, expected).toContain(expected);
    }
    for (const { exchange, cookie } of set) {
      const where = `${exchange.method} ${exchange.url.pathname}: ${cookie.header}`;
      expect(cookie.attributes.has('secure'), where).toBe(true);
      expect(cookie.attributes.has('httponly'), where).toBe(true);
      expect(cookie.attributes.get('samesite')?.toLowerCase(), where).toBe('lax');
      expect(cookie.attributes.has('domain'), where).toBe(false);
    }
  });

  it('clears its cookies with the attributes they were set with (Secure)', () => {
    const cleared = setCookies(exchanges).filter(({ cookie }) => cookie.cleared);
    expect(cleared.length).toBeGreaterThan(0);
    for (const { exchange, cookie } of cleared) {
      expect(cookie.attributes.has('secure'), `${exchange.url.pathname}: ${cookie.header}`).toBe(true);
    }
  });

  it('binds the IdP callback to the browser with a random __Host- cookie', () => {
    const departures = exchanges.filter(
      (exchange) => exchange.method === 'POST' && exchange.url.pathname.endsWith('/idp'),
    );
    expect(departures).toHaveLength(1);
    const [binding] = setCookies(departures).map(({ cookie }) => cookie);
    expect(binding?.name).toMatch(/^__Host-/);
    expect(binding?.attributes.get('path')).toBe('/');
    expect(binding?.attributes.has('secure')).toBe(true);
    expect(binding?.attributes.has('domain')).toBe(false);
    // A random value (≥ 128 bits), not a constant a sibling host could plant.
    expect(binding?.value).not.toBe('1');
    expect(binding?.value.length ?? 0).toBeGreaterThanOrEqual(22);
  });

  it('sends HSTS on every response, pages, redirects and oidc-provider’s own alike', () => {
    const paths = new Set(exchanges.map((exchange) => exchange.url.pathname.replace(/\/[\w-]{20,}/g, '/…')));
    for (const path of ['/authorize', '/authorize/…', '/interaction/…', '/idp/callback', '/session/end']) {
      expect(paths, path).toContain(path);
    }
    for (const exchange of exchanges) {
      const hsts = exchange.headers.get('strict-transport-security') ?? '';
      expect(hsts, `${exchange.method} ${exchange.url.pathname}`).toMatch(HSTS);
      expect(Number(HSTS.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    }
  });
});

it('an https issuer also sends HSTS on discovery, keys, assets, health and unknown pages', async () => {
  const browser = tlsFrontBrowser(tls.issuer);
  for (const path of [
    '/.well-known/openid-configuration',
    '/jwks',
    '/assets/relais.css',
    '/healthz',
    '/',
    '/nowhere',
  ]) {
    const response = await browser.request(`${tls.issuer}${path}`);
    expect(response.headers.get('strict-transport-security'), path).toMatch(HSTS);
  }
});

describe('an http issuer', () => {
  it('sends no HSTS and sets no Secure cookie, through a whole login', async () => {
    const browser = new WireBrowser();
    const config = await spClient(plain, SP_A.client_id);
    const request = await authorizeRequest(plain, config);
    const citizen = new Citizen(request, browser);
    await citizen.go(request.url);
    await citizen.go(`${citizen.currentPage().url.href}?lang=en`);
    await citizen.chooseIdp('idp-plain');
    await citizen.loginAs('standard');
    await citizen.consent('accept');
    expect(citizen.spParams().get('code')).toBeTruthy();
    for (const path of ['/.well-known/openid-configuration', '/jwks', '/nowhere']) {
      await browser.request(`${plain.issuer}${path}`);
    }
    const exchanges = hubExchanges(browser, plain);
    expect(setCookies(exchanges).length).toBeGreaterThan(4);
    for (const exchange of exchanges) {
      expect(exchange.headers.get('strict-transport-security'), exchange.url.pathname).toBeNull();
    }
    for (const { cookie } of setCookies(exchanges)) {
      expect(cookie.attributes.has('secure'), cookie.header).toBe(false);
      expect(cookie.name).not.toMatch(/^__Host-|^__Secure-/);
    }
  });
});
