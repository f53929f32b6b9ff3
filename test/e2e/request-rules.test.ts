// FranceConnect v2 authorization rules, seen from an SP: each bad request ends at the SP's
// redirect_uri with the right OAuth error, its [Rxxxx] code, state and iss, or, when client or
// redirect URI cannot be trusted, on a hub error page that never redirects.

import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogues } from '../../src/http/i18n.ts';
import { Citizen, expectHubErrorPage, expectSpError } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin, type RedeemOptions, redeemCode, type SpLogin } from '../support/sp-login.ts';

let federation: Federation;
let pkjwtKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const sp = (client_id: string, fields: Record<string, unknown> = {}) => ({
  client_id,
  client_secret: secret(client_id),
  ...fields,
});

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  pkjwtKey = privateKey;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'sp-pkjwt-1', alg: 'ES256', use: 'sig' };
  federation = await startFederation({
    idps: [
      { uid: 'idp-a', host: '127.0.0.2' },
      { uid: 'idp-low', host: '127.0.0.3', acrValues: ['eidas1'] },
      { uid: 'idp-off', host: '127.0.0.4', entry: { active: false } },
      { uid: 'idp-hidden', host: '127.0.0.5', entry: { display: false } },
      { uid: 'idp-other', host: '127.0.0.6' },
    ],
    sps: [
      sp('sp-all'),
      sp('sp-eidas1', { acr_values: ['eidas1'] }),
      sp('sp-eidas3', { acr_values: ['eidas3'], identity_providers: ['idp-low'] }),
      sp('sp-email', { scope: 'openid email' }),
      sp('sp-only-a', { identity_providers: ['idp-a'] }),
      sp('sp-mire', { identity_providers: ['idp-a', 'idp-low', 'idp-off', 'idp-hidden'] }),
      {
        client_id: 'sp-pkjwt',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
      },
    ],
  });
});

afterAll(() => federation?.close());

/** Sends the citizen with an authorization request; returns where it ended. */
async function attempt(spId: string, params: Record<string, string | undefined> = {}) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, params);
  const citizen = await new Citizen(request).go(request.url);
  return { config, request, citizen };
}

async function expectRefused(
  spId: string,
  params: Record<string, string | undefined>,
  expected: { error: string; code: string },
) {
  const { citizen, request } = await attempt(spId, params);
  expectSpError(citizen.spParams(), { ...expected, iss: federation.issuer, state: request.state });
}

function expectMire(citizen: Citizen) {
  const page = citizen.currentPage();
  expect(page.status).toBe(200);
  expect(page.url.origin).toBe(federation.issuer);
  expect(page.html).toContain('Choisissez un compte');
}

/** The uids offered on the mire, in order. */
const frenchMessages = loadCatalogues(fileURLToPath(new URL('../../views', import.meta.url))).translator(
  'fr',
);
/** A French message as the page shows it (HTML-escaped like nunjucks' autoescape). */
const fr = (key: string) => frenchMessages(key).replaceAll('&', '&amp;').replaceAll("'", '&#39;');

function mireIdps(citizen: Citizen): string[] {
  return [...citizen.currentPage().html.matchAll(/name="idp" value="([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** Accepts the login from the mire or the IdP page onwards and redeems the code. */
async function finishLogin(
  citizen: Citizen,
  config: client.Configuration,
  request: SpLogin['request'],
  options: RedeemOptions = {},
) {
  const login = { citizen, config, request };
  const { tokens } = await completeLogin(federation, login, { idp: 'idp-a', ...options });
  expect(tokens.claims()?.sub).toMatch(/^[0-9a-f]{64}$/);
  return tokens;
}

describe('acr_values', () => {
  it('is required (R1009)', () =>
    expectRefused('sp-all', { acr_values: undefined }, { error: 'invalid_request', code: 'R1009' }));

  it('refuses a level the SP may not ask for (R1010)', () =>
    expectRefused('sp-eidas1', { acr_values: 'eidas2' }, { error: 'invalid_request', code: 'R1010' }));

  it('refuses an unknown level (R1010)', () =>
    expectRefused('sp-all', { acr_values: 'eidas9' }, { error: 'invalid_request', code: 'R1010' }));

  it('refuses a level no IdP allowed for the SP can deliver (R1011)', () =>
    expectRefused('sp-eidas3', { acr_values: 'eidas3' }, { error: 'invalid_request', code: 'R1011' }));
});

describe('an essential acr in claims', () => {
  const essential = (values: string[]) => JSON.stringify({ id_token: { acr: { essential: true, values } } });

  it('refuses levels the SP may not ask for, or unknown ones (R1010)', async () => {
    await expectRefused(
      'sp-eidas1',
      { acr_values: 'eidas1', claims: essential(['eidas3']) },
      { error: 'invalid_request', code: 'R1010' },
    );
    await expectRefused(
      'sp-all',
      { acr_values: 'eidas1', claims: essential(['loa-high']) },
      { error: 'invalid_request', code: 'R1010' },
    );
  });

  it('is honoured beside acr_values: the stronger level counts, on the mire and in the id_token', async () => {
    const { citizen, config, request } = await attempt('sp-mire', {
      acr_values: 'eidas1',
      claims: essential(['eidas2']),
    });
    expectMire(citizen);
    // idp-low reaches eidas1 only: not offered for a login that needs eidas2.
    expect(mireIdps(citizen)).toEqual(['idp-a']);
    const tokens = await finishLogin(citizen, config, request);
    expect(tokens.claims()?.acr).toBe('eidas2');
  });
});

describe('bounded parameters', () => {
  // claims must stay JSON, or oidc-provider refuses it before the hub's rules.
  const over = (name: string, length: number) =>
    name === 'claims'
      ? JSON.stringify({ userinfo: { given_name: { essential: true, purpose: 'x'.repeat(length) } } })
      : 'x'.repeat(length + 1);
  for (const [name, bound] of [
    ['state', 2048],
    ['nonce', 512],
    ['login_hint', 320],
    ['claims', 2048],
    ['ui_locales', 64],
    ['acr_values', 256],
  ] as const) {
    it(`refuses ${name} longer than ${bound} characters (R1015), and accepts one at the bound`, async () => {
      await expectRefused(
        'sp-all',
        { [name]: over(name, bound) },
        { error: 'invalid_request', code: 'R1015' },
      );
      if (name === 'state' || name === 'nonce' || name === 'login_hint') {
        expectMire((await attempt('sp-all', { [name]: 'n'.repeat(bound) })).citizen);
      }
    });
  }

  it('refuses a query longer than 6 KiB, whatever it holds (R1015)', () =>
    expectRefused('sp-all', { padding: 'p'.repeat(6 * 1024) }, { error: 'invalid_request', code: 'R1015' }));
});

describe('prompt', () => {
  for (const prompt of [undefined, 'login', 'consent']) {
    it(`refuses prompt=${prompt ?? '(missing)'}: login and consent are both required (R1008)`, () =>
      expectRefused('sp-all', { prompt }, { error: 'invalid_request', code: 'R1008' }));
  }

  it('accepts prompt=login consent', async () => {
    expectMire((await attempt('sp-all', { prompt: 'login consent' })).citizen);
  });
});

describe('state and nonce', () => {
  it('requires state: the error reaches the SP without state but with iss (R1006)', async () => {
    const { citizen } = await attempt('sp-all', { state: undefined });
    expectSpError(citizen.spParams(), {
      error: 'invalid_request',
      code: 'R1006',
      iss: federation.issuer,
      state: null,
    });
  });

  it('requires nonce (R1007)', () =>
    expectRefused('sp-all', { nonce: undefined }, { error: 'invalid_request', code: 'R1007' }));

  it('refuses a nonce of 21 characters (R1007)', () =>
    expectRefused('sp-all', { nonce: 'n'.repeat(21) }, { error: 'invalid_request', code: 'R1007' }));

  it('accepts a nonce of 22 characters', async () => {
    expectMire((await attempt('sp-all', { nonce: 'n'.repeat(22) })).citizen);
  });
});

describe('scope', () => {
  it('must contain openid (R1003)', () =>
    expectRefused('sp-all', { scope: 'identite_pivot email' }, { error: 'invalid_scope', code: 'R1003' }));

  for (const removed of ['address', 'phone']) {
    it(`refuses the ${removed} scope removed by FC v2 (R1004)`, () =>
      expectRefused(
        'sp-all',
        { scope: `openid email ${removed}` },
        { error: 'invalid_scope', code: 'R1004' },
      ));
  }

  it('refuses a known scope the SP is not authorised for (R1005)', () =>
    expectRefused(
      'sp-email',
      { scope: 'openid email birthdate' },
      { error: 'invalid_scope', code: 'R1005' },
    ));

  it('ignores an unknown scope', async () => {
    expectMire((await attempt('sp-email', { scope: 'openid email foo' })).citizen);
  });
});

describe('PKCE', () => {
  it('refuses code_challenge_method=plain', async () => {
    const { citizen, request } = await attempt('sp-all', {
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    });
    const params = citizen.spParams();
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('state')).toBe(request.state);
    expect(params.get('iss')).toBe(federation.issuer);
    expect(params.has('code')).toBe(false);
  });

  it('tags the refusal of code_challenge_method=plain with a code (R1013)', async () =>
    expectRefused(
      'sp-all',
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      { error: 'invalid_request', code: 'R1013' },
    ));

  it('is optional: a login without PKCE redeems its code without a verifier', async () => {
    const { config, request, citizen } = await attempt('sp-all', {
      code_challenge: undefined,
      code_challenge_method: undefined,
    });
    await finishLogin(citizen, config, request, { pkce: false });
  });
});

describe('client and redirect_uri that cannot be trusted: a hub page, never a redirect', () => {
  it('shows R1001 for an unknown client_id', async () => {
    const config = await spClient(federation, 'sp-all');
    const request = await authorizeRequest(federation, config);
    request.url.searchParams.set('client_id', 'sp-nobody');
    const citizen = await new Citizen(request).go(request.url);
    expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R1001' });
  });

  for (const [what, change] of [
    ['a path appended', (uri: URL) => new URL(`${uri.href}/x`)],
    ['another port', (uri: URL) => Object.assign(new URL(uri), { port: String(Number(uri.port) + 1) })],
  ] as const) {
    it(`shows R1002 for a redirect_uri with ${what}`, async () => {
      const config = await spClient(federation, 'sp-all');
      const registered = new URL(federation.sps.get('sp-all')?.redirect_uris[0] ?? '');
      const request = await authorizeRequest(federation, config, { redirect_uri: change(registered).href });
      // The citizen stops at the registered URI or at the forged one: neither may be reached.
      const citizen = await new Citizen({ redirectUri: `http://${registered.hostname}` }).go(request.url);
      expectHubErrorPage(citizen, { origin: federation.issuer, status: 400, code: 'R1002' });
    });
  }

  it('shows a page when redirect_uri is omitted, even with one registered URI', async () => {
    const { citizen } = await attempt('sp-all', { redirect_uri: undefined });
    expect(citizen.callback).toBeUndefined();
    const page = citizen.currentPage();
    expect(page.url.origin).toBe(federation.issuer);
    expect(page.status).toBe(400);
    expect(page.html).toMatch(/<code>R1\d{3}<\/code>/);
  });
});

describe('response_type', () => {
  /** Query and fragment together: a refused implicit or hybrid request answers in the fragment. */
  const answer = (url: URL) => new URLSearchParams(`${url.search.slice(1)}&${url.hash.slice(1)}`);

  for (const responseType of ['token', 'code id_token', 'id_token']) {
    it(`refuses response_type=${responseType} and never issues a token`, async () => {
      const { citizen, request } = await attempt('sp-all', { response_type: responseType });
      citizen.spParams();
      const params = answer(citizen.callback as URL);
      for (const issued of ['access_token', 'id_token', 'code']) expect(params.has(issued)).toBe(false);
      expect(params.get('error')).toBe('unsupported_response_type');
      expect(params.get('state')).toBe(request.state);
      expect(params.get('iss')).toBe(federation.issuer);
    });
  }

  it('tags the refusal of response_type=token with a code', async () => {
    const { citizen } = await attempt('sp-all', { response_type: 'token' });
    expect(answer(citizen.callback as URL).get('error_description')).toMatch(/\[R1\d{3}\]$/);
  });
});

describe('POST /authorize', () => {
  it('accepts the request as a form and the whole login works', async () => {
    const config = await spClient(federation, 'sp-all');
    const request = await authorizeRequest(federation, config);
    const endpoint = new URL(request.url.pathname, request.url.origin);
    const citizen = await new Citizen(request).go(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: request.url.searchParams.toString(),
    });
    expectMire(citizen);
    await finishLogin(citizen, config, request);
  });
});

describe('idp_hint', () => {
  it('skips the mire for an allowed IdP: the first page is the IdP login page', async () => {
    const { citizen, config, request } = await attempt('sp-all', { idp_hint: 'idp-a' });
    expect(citizen.currentPage().url.origin).toBe(federation.idps.get('idp-a')?.issuer);
    expect(citizen.currentPage().html).toContain('name="identity"');
    await finishLogin(citizen, config, request);
  });

  it('refuses an unknown IdP (R1012)', () =>
    expectRefused('sp-all', { idp_hint: 'idp-nowhere' }, { error: 'invalid_request', code: 'R1012' }));

  it('refuses an IdP the SP may not use (R1012)', () =>
    expectRefused('sp-only-a', { idp_hint: 'idp-other' }, { error: 'invalid_request', code: 'R1012' }));

  it('refuses an inactive IdP (R1012)', () =>
    expectRefused('sp-all', { idp_hint: 'idp-off' }, { error: 'invalid_request', code: 'R1012' }));

  it('refuses an IdP that cannot deliver the level asked (R1012)', () =>
    expectRefused(
      'sp-all',
      { idp_hint: 'idp-low', acr_values: 'eidas2' },
      { error: 'invalid_request', code: 'R1012' },
    ));
});

describe('the mire', () => {
  it('offers only the active IdPs allowed for the SP that deliver the level; greys the others with the reason', async () => {
    const { citizen } = await attempt('sp-mire', { acr_values: 'eidas2' });
    expectMire(citizen);
    expect(mireIdps(citizen)).toEqual(['idp-a']);
    const html = citizen.currentPage().html;
    expect(html).toMatch(/>\s*Compte idp-a\s*</);
    // Greyed, not hidden: inactive, too weak for eidas2, excluded by the SP; each says why.
    for (const [greyed, reason] of [
      ['idp-low', 'insufficient_level'],
      ['idp-off', 'inactive'],
      ['idp-other', 'excluded'],
    ] as const) {
      const entry = new RegExp(`Compte ${greyed}[\\s\\S]*?class="idp-reason"[^>]*>([^<]+)<`).exec(html);
      expect(entry?.[1]?.trim(), greyed).toBe(fr(`mire.reason.${reason}`));
    }
    // Hidden only when display is false.
    expect(html).not.toContain('Compte idp-hidden');
  });

  it('lists an eidas1-only IdP when eidas1 is asked, and IdPs allowed for another SP', async () => {
    const mire = await attempt('sp-mire', { acr_values: 'eidas1' });
    expect(mireIdps(mire.citizen).sort()).toEqual(['idp-a', 'idp-low']);
    const all = await attempt('sp-all', { acr_values: 'eidas1' });
    expect(mireIdps(all.citizen).sort()).toEqual(['idp-a', 'idp-low', 'idp-other']);
  });
});

describe('discovery', () => {
  it('advertises only code flow, S256, ES256/RS256 signatures and the iss response parameter', async () => {
    const response = await fetch(`${federation.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(federation.issuer);
    for (const list of ['id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported']) {
      expect([...(metadata[list] as string[])].sort(), list).toEqual(['ES256', 'RS256']);
    }
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.acr_values_supported).toEqual(['eidas1', 'eidas2', 'eidas3']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_post', 'client_secret_basic', 'private_key_jwt']),
    );
    const signingLists = Object.entries(metadata).filter(([name]) =>
      /signing_alg_values_supported$/.test(name),
    );
    expect(signingLists.length).toBeGreaterThanOrEqual(2);
    for (const [name, algs] of signingLists) {
      expect(algs, name).not.toContain('none');
      expect(algs, name).not.toContain('HS256');
    }
  });

  it('publishes one EC P-256 and one RSA public key of each use, without private parts', async () => {
    const metadata = (await (
      await fetch(`${federation.issuer}/.well-known/openid-configuration`)
    ).json()) as {
      jwks_uri: string;
    };
    const { keys } = (await (await fetch(metadata.jwks_uri)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    for (const use of ['sig', 'enc']) {
      const ofUse = keys.filter((key) => key.use === use);
      expect(ofUse.filter((key) => key.kty === 'EC' && key.crv === 'P-256')).toHaveLength(1);
      expect(ofUse.filter((key) => key.kty === 'RSA')).toHaveLength(1);
    }
    expect(keys).toHaveLength(4);
    for (const key of keys) {
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(part);
    }
  });
});

describe('private_key_jwt', () => {
  it('lets an SP authenticated by a signed assertion complete a login', async () => {
    const config = await spClient(federation, 'sp-pkjwt', client.PrivateKeyJwt(pkjwtKey));
    const request = await authorizeRequest(federation, config);
    const citizen = await new Citizen(request).go(request.url);
    const tokens = await finishLogin(citizen, config, request);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(userinfo.email).toBe('camille.martin@courriel.example');
  });

  it('refuses a token request signed by another key', async () => {
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const config = await spClient(federation, 'sp-pkjwt', client.PrivateKeyJwt(stranger));
    const request = await authorizeRequest(federation, config);
    const citizen = await new Citizen(request).go(request.url);
    await citizen.chooseIdp('idp-a');
    await citizen.loginAs('standard');
    await citizen.consent('accept');
    await expect(redeemCode({ config, citizen, request })).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe('POST /authorize bodies that are not a form', () => {
  for (const [type, body] of [
    ['application/json', '{"client_id":"sp-all"}'],
    ['text/plain', 'client_id=sp-all'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="client_id"\r\n\r\nsp-all\r\n--x--\r\n',
    ],
  ] as const) {
    it(`answers ${type} with a hub page (R1013), never a 500`, async () => {
      const response = await fetch(`${federation.issuer}/authorize`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
        redirect: 'manual',
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<code>R1013</code>');
    });
  }

  it('refuses a form too large to become a GET with a hub page (R1013)', async () => {
    const response = await fetch(`${federation.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'sp-all', state: 's'.repeat(20_000) }).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<code>R1013</code>');
  });
});
