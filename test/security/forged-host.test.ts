// A forged Host, X-Forwarded-Host, X-Forwarded-Proto or Forwarded header (host-header injection,
// web cache poisoning, password-reset-style link poisoning) must not move a single URL the hub
// emits: discovery, /authorize, the mire and consent pages, the redirects to the IdP and to the SP,
// the tokens' `iss`, the logout chain, error pages. Every URL stays on the issuer (or goes where the
// registry says: the IdP, the SP's registered URIs), whatever the headers claim; the hub even trusts
// the loopback proxy the headers come through (TRUST_PROXY) here.
import { createServer } from 'node:http';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, freePort, startFederation } from '../support/federation.ts';
import { redeemCode } from '../support/sp-login.ts';
import { type Exchange, fetchThrough, WireBrowser } from '../support/wire-browser.ts';

let federation: Federation;
const SP = { client_id: 'sp-host', client_secret: 'sp-host-secret-0123456789-0123456789-abcdef' };
const EVIL = 'evil.example';

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-host', host: '127.0.0.2' }],
    sps: [SP],
    env: { TRUST_PROXY: '127.0.0.0/8' },
  });
});

afterAll(() => federation?.close());

const FORGERIES: Array<[string, Record<string, string>]> = [
  ['a forged Host', { host: EVIL }],
  [
    'forged X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Port and Forwarded',
    {
      'x-forwarded-host': EVIL,
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '8443',
      forwarded: `for=203.0.113.7;host=${EVIL};proto=https`,
    },
  ],
  [
    'every one of them at once',
    {
      host: `${EVIL}:8443`,
      'x-forwarded-host': EVIL,
      'x-forwarded-proto': 'https',
      forwarded: `host=${EVIL}`,
    },
  ],
];

/** A browser whose requests to `host` (default the hub's) carry the forged headers. */
function forging(headers: Record<string, string>, host = new URL(federation.issuer).host) {
  return new WireBrowser({ headers: (url) => (url.host === host ? headers : {}) });
}

/** What a server receives from the forging browser: the headers as forged (fetch would fix Host). */
async function receivedHeaders(headers: Record<string, string>) {
  const host = '127.0.0.9';
  const port = await freePort(host);
  let received: Record<string, unknown> = {};
  const server = createServer((req, res) => {
    received = req.headers;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  try {
    await forging(headers, `${host}:${port}`).request(`http://${host}:${port}/`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return received;
}

/** Origins a hub URL may point at: itself, the IdP, the SP's registered URIs. */
function allowedOrigins(): string[] {
  const sp = federation.sps.get(SP.client_id);
  return [
    federation.issuer,
    ...[...federation.idps.values()].map((idp) => idp.issuer),
    ...[...(sp?.redirect_uris ?? []), ...(sp?.post_logout_redirect_uris ?? [])].map(
      (uri) => new URL(uri).origin,
    ),
  ];
}

/** Every URL the hub emitted in these exchanges (Location, page, JSON) stays where it may. */
function expectPinned(exchanges: Exchange[]) {
  const hub = exchanges.filter((exchange) => exchange.url.origin === federation.issuer);
  expect(hub.length).toBeGreaterThan(0);
  const allowed = allowedOrigins();
  for (const exchange of hub) {
    const where = `${exchange.method} ${exchange.url.pathname}`;
    expect(exchange.text, where).not.toContain(EVIL);
    expect(exchange.text, where).not.toContain('8443');
    const location = exchange.headers.get('location');
    if (location) {
      expect(location, where).not.toContain(EVIL);
      if (!location.startsWith('/') || location.startsWith('//')) {
        expect(allowed, `${where} → ${location}`).toContain(new URL(location).origin);
      }
      // The redirects that carry the hub's own URL as a parameter carry the issuer's.
      for (const [name, value] of new URL(location, federation.issuer).searchParams) {
        if (/^https?:/.test(value))
          expect(allowed, `${where} → ${name}=${value}`).toContain(new URL(value).origin);
      }
    }
    for (const [, url] of exchange.text.matchAll(/(?:href|action|src)="(https?:[^"]+)"/g)) {
      expect(allowed, `${where}: ${url}`).toContain(new URL(url ?? '').origin);
    }
  }
}

describe.each(FORGERIES)('with %s', (_, headers) => {
  it('the headers reach the server as forged', async () => {
    expect(await receivedHeaders(headers)).toMatchObject(headers);
  });

  it('discovery names the issuer and only its URLs', async () => {
    const browser = forging(headers);
    const response = await browser.request(`${federation.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(federation.issuer);
    const urls = Object.entries(discovery).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && /^https?:/.test(entry[1]),
    );
    expect(urls.length).toBeGreaterThan(5);
    for (const [field, url] of urls) {
      expect(url === federation.issuer || url.startsWith(`${federation.issuer}/`), `${field}: ${url}`).toBe(
        true,
      );
    }
    expectPinned(browser.exchanges);
  });

  it('a whole login and logout: every redirect, page, token and iss stays on the issuer', async () => {
    const browser = forging(headers);
    // The SP's back channel goes through the same headers: discovery, token, userinfo.
    const config = await client.discovery(
      new URL(federation.issuer),
      SP.client_id,
      { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
      client.ClientSecretPost(SP.client_secret),
      { execute: [client.allowInsecureRequests], [client.customFetch]: fetchThrough(browser) },
    );
    const request = await authorizeRequest(federation, config);
    const citizen = new Citizen(request, browser);
    await citizen.go(request.url);
    expect(citizen.currentPage().html).toContain('Choisissez un compte');
    await citizen.go(`${citizen.currentPage().url.href}?lang=en`);
    await citizen.chooseIdp('idp-host');
    expect(citizen.currentPage().url.origin).toBe(federation.idps.get('idp-host')?.issuer);
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('name="decision"');
    await citizen.consent('accept');
    expect(citizen.spParams().get('iss')).toBe(federation.issuer);
    const tokens = await redeemCode({ config, request, citizen });
    const idToken = tokens.claims();
    expect(idToken?.iss).toBe(federation.issuer);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken?.sub ?? '');
    expect(userinfo.iss).toBe(federation.issuer);

    const sp = federation.sps.get(SP.client_id);
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: sp?.post_logout_redirect_uris[0] ?? '',
      state: 'logout-state',
    });
    const atSp = (url: URL) => url.href.startsWith(sp?.post_logout_redirect_uris[0] ?? '');
    const { landing } = await confirmLogout(browser, endSession, atSp);
    expect(landing.response).toBeUndefined();
    expect(landing.url.searchParams.get('state')).toBe('logout-state');
    expectPinned(browser.exchanges);
  });

  it('POST /authorize, error pages and the hub’s own redirects stay on the issuer', async () => {
    const browser = forging(headers);
    const config = await client.discovery(
      new URL(federation.issuer),
      SP.client_id,
      undefined,
      client.ClientSecretPost(SP.client_secret),
      { execute: [client.allowInsecureRequests] },
    );
    const request = await authorizeRequest(federation, config);
    const posted = new Citizen(request, browser);
    await posted.go(`${federation.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: request.url.searchParams.toString(),
    });
    expect(posted.currentPage().html).toContain('Choisissez un compte');
    // Unknown client, unknown page, an expired login, the way-back form of an error page.
    for (const path of [
      '/authorize?client_id=unknown&redirect_uri=https://sp.invalid/cb&response_type=code&scope=openid',
      '/nowhere',
      `//${EVIL}/`,
      '/favicon.ico',
      '/interaction/unknown-uid',
      '/idp/callback?code=x&state=forged',
      '/idp/logout-callback?state=forged',
      '/session/end',
      '/',
      '/errors',
    ]) {
      const response = await browser.request(`${federation.issuer}${path}`);
      expect(response.status, path).toBeLessThan(500);
    }
    expectPinned(browser.exchanges);
  });
});
