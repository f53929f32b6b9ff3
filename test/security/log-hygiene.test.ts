// What the hub writes to its log (everything, at trace level) over logins, an SSO, a logout and
// every failure the tests can provoke holds no personal data and no secret: no value of the
// identité pivot, no email, no sub, no authorization code, no access or id token, no state, no
// nonce, no CSRF token, no client secret or hub key, no cookie value. Each value the test saw on
// the way (in URLs, pages, cookies, token responses, the IdP's own store) is searched for in the
// log. The mock IdPs and the SPs log nothing into it: only the hub writes there.
//
// Not searched: the interaction uid (the value of oidc-provider's interaction and resume cookies),
// a public id that is in every login URL and is logged on purpose as `interactionId`, its cookie
// useless without the signature, which is searched; and the language cookie (`fr`, `en`).
import type { AdapterFactory } from 'oidc-provider';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IDP } from '../../src/config/demo-federation.ts';
import { createMemoryAdapter } from '../../src/mock-idp/adapter.ts';
import { type Misbehaviour, MOCK_AGENTS, MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { confirmLogout } from '../support/browser.ts';
import { Citizen, hiddenValue } from '../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  PRO_IDP_SCOPE,
  spClient,
  startFederation,
} from '../support/federation.ts';
import { PRO_TEST_IDPS, PRO_TEST_SP } from '../support/pro-federation.ts';
import { startLogin } from '../support/security.ts';
import { redeemCode } from '../support/sp-login.ts';
import { WireBrowser } from '../support/wire-browser.ts';

type Category =
  | 'identity'
  | 'email'
  | 'sub'
  | 'code'
  | 'token'
  | 'state'
  | 'nonce'
  | 'pkce'
  | 'csrf'
  | 'secret'
  | 'cookie';

/** Every value the log must not hold, by kind, with where the test met it. */
const watched = new Map<string, { category: Category; seen: string }>();
function watch(category: Category, value: unknown, seen: string) {
  if (typeof value !== 'string' || value.length < 4) return;
  if (!watched.has(value)) watched.set(value, { category, seen });
}

const log: string[] = [];
/** Interaction uids met: logged on purpose (interactionId), the search must find them. */
const interactionUids: string[] = [];
const logger = { level: 'trace', stream: { write: (line: string) => void log.push(line) } };
const browsers: WireBrowser[] = [];

/** A mock IdP store that remembers every code and access token it issues (the hub's to redeem). */
function recordingAdapter(): AdapterFactory {
  const inner = createMemoryAdapter();
  return (model) => {
    const adapter = inner(model);
    return {
      ...adapter,
      upsert(id, payload, expiresIn) {
        if (model === 'AuthorizationCode') watch('code', id, `IdP ${model}`);
        if (model === 'AccessToken' || model === 'RefreshToken') watch('token', id, `IdP ${model}`);
        return adapter.upsert(id, payload, expiresIn);
      },
    };
  };
}

const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const SP_A = { client_id: 'sp-a', client_secret: secret('sp-a') };
const SP_B = { client_id: 'sp-b', client_secret: secret('sp-b') };

let citizens: Federation;
let agents: Federation;
// Hundreds of requests in a few seconds from one address: the abuse limits are not under test here.
const env = { RATE_LIMITS: 'off' };

beforeAll(async () => {
  [citizens, agents] = await Promise.all([
    startFederation({
      logger,
      env,
      idps: [
        { uid: 'idp-main', host: '127.0.0.2', adapter: recordingAdapter() },
        {
          uid: 'idp-signed',
          host: '127.0.0.3',
          idTokenAlg: 'RS256',
          userinfoAlg: 'RS256',
          adapter: recordingAdapter(),
        },
        { uid: 'idp-down', host: '127.0.0.4', entry: { issuer: 'http://127.0.0.9:1' } },
      ],
      sps: [SP_A, SP_B],
    }),
    startFederation({
      logger,
      env,
      profile: 'proconnect',
      idps: PRO_TEST_IDPS.slice(0, 1).map((idp) => ({ ...idp, adapter: recordingAdapter() })),
      sps: [PRO_TEST_SP],
    }),
  ]);
  for (const federation of [citizens, agents]) {
    for (const name of ['SUB_SECRET', 'ENCRYPTION_KEY', 'COOKIE_KEYS'] as const) {
      watch('secret', federation.env[name], `hub ${name}`);
    }
  }
  for (const sp of [SP_A, SP_B, PRO_TEST_SP]) watch('secret', sp.client_secret, `${sp.client_id} secret`);
  watch('secret', DEMO_IDP.clientSecret, 'the hub’s client secret at the IdPs');
});

afterAll(async () => {
  await Promise.all([citizens?.close(), agents?.close()]);
});

function person(id: string) {
  const found = MOCK_IDENTITIES.find((identity) => identity.id === id);
  if (!found) throw new Error(`no mock identity ${id}`);
  watch('sub', found.sub, `IdP sub of ${id}`);
  for (const [claim, value] of Object.entries(found.claims)) {
    watch(claim === 'email' ? 'email' : 'identity', value, `${id}.${claim}`);
  }
  return found;
}

function browser() {
  const created = new WireBrowser();
  browsers.push(created);
  return created;
}

/** A citizen on the mire of a valid request of `spId`, its state and nonce watched. */
async function start(federation: Federation, spId: string, params: Record<string, string | undefined> = {}) {
  const started = await startLogin(federation, spId, params, browser());
  const uid = /^\/interaction\/([\w-]+)$/.exec(started.citizen.page?.url.pathname ?? '')?.[1];
  if (uid) interactionUids.push(uid);
  watch('state', started.request.state, `${spId} state`);
  watch('nonce', started.request.nonce, `${spId} nonce`);
  watch('pkce', started.request.codeVerifier, `${spId} code_verifier`);
  return started;
}

/** The tokens an SP got: every one of them, and what they say about the person. */
function watchTokens(
  tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  spId: string,
) {
  watch('token', tokens.access_token, `${spId} access_token`);
  watch('token', tokens.id_token, `${spId} id_token`);
  watch('token', tokens.refresh_token, `${spId} refresh_token`);
  watch('sub', tokens.claims()?.sub, `${spId} sub`);
}

/** The values that went by in a browser: URL parameters, form tokens, cookies. */
function harvest(from: WireBrowser) {
  const parameters: Array<[string, Category]> = [
    ['code', 'code'],
    ['state', 'state'],
    ['nonce', 'nonce'],
    ['id_token_hint', 'token'],
    ['login_hint', 'email'],
    ['code_challenge', 'pkce'],
  ];
  for (const exchange of from.exchanges) {
    const location = exchange.headers.get('location');
    for (const url of [exchange.url, ...(location ? [new URL(location, exchange.url)] : [])]) {
      for (const [name, category] of parameters) {
        const value = url.searchParams.get(name);
        // The hub's IdP state is `<interaction uid>.<random>`: the whole of it is the secret.
        watch(category, value, `${name} in ${url.origin}${url.pathname}`);
      }
    }
    for (const field of ['csrf', 'xsrf']) watch('csrf', hiddenValue(exchange.text, field), `${field} field`);
    for (const header of exchange.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (/_(interaction|resume)$/.test(name) || name === 'relais_lang') continue;
      watch('cookie', value, `cookie ${name}`);
    }
  }
}

async function logInAndRedeem(idpUid: string, spId: string, identity: string) {
  const login = await start(citizens, spId);
  person(identity);
  await login.citizen.chooseIdp(idpUid);
  await login.citizen.loginAs(identity);
  await login.citizen.consent('accept');
  const tokens = await redeemCode(login);
  watchTokens(tokens, spId);
  const userinfo = await client.fetchUserInfo(login.config, tokens.access_token, tokens.claims()?.sub ?? '');
  expect(userinfo.family_name).toBe(person(identity).claims.family_name);
  return { ...login, tokens };
}

/** A login that fails at the IdP with this fault: back on the mire with `code`, then to the SP. */
async function failAtIdp(idpUid: string, misbehaviour: Misbehaviour, code: string, identity = 'standard') {
  const idp = citizens.idps.get(idpUid);
  idp?.setMisbehaviour(misbehaviour);
  try {
    const { citizen } = await start(citizens, SP_A.client_id);
    person(identity);
    await citizen.chooseIdp(idpUid);
    if (citizen.currentPage().url.origin !== citizens.issuer) await citizen.loginAs(identity);
    expect(citizen.currentPage().html, JSON.stringify(misbehaviour)).toContain(code);
    await citizen.cancelOnMire();
    expect(citizen.spParams().get('error_description')).toContain(code);
  } finally {
    idp?.setMisbehaviour({});
    citizens.hub.availability.recordLoginSuccess(idpUid);
  }
}

describe('over logins, an SSO and a logout (FranceConnect)', () => {
  it('a login, an SSO at a second SP, a logout through the IdP', async () => {
    const first = await logInAndRedeem('idp-main', SP_A.client_id, 'standard');
    const configB = await spClient(citizens, SP_B.client_id);
    const requestB = await authorizeRequest(citizens, configB);
    watch('state', requestB.state, 'SSO state');
    watch('nonce', requestB.nonce, 'SSO nonce');
    const sso = new Citizen(requestB, first.citizen.browser);
    await sso.go(requestB.url);
    expect(sso.currentPage().html).toContain('name="decision"');
    await sso.consent('accept');
    watchTokens(await redeemCode({ config: configB, request: requestB, citizen: sso }), SP_B.client_id);

    const sp = citizens.sps.get(SP_A.client_id);
    const endSession = client.buildEndSessionUrl(first.config, {
      id_token_hint: first.tokens.id_token ?? '',
      post_logout_redirect_uri: sp?.post_logout_redirect_uris[0] ?? '',
      state: 'logout-state-0123456789abcdef',
    });
    watch('state', 'logout-state-0123456789abcdef', 'logout state');
    const { landing } = await confirmLogout(
      first.citizen.browser,
      endSession,
      (url) => url.hostname === '127.0.0.20',
    );
    expect(landing.url.searchParams.get('state')).toBe('logout-state-0123456789abcdef');
  });

  it('logins with other people and a signed userinfo', async () => {
    await logInAndRedeem('idp-signed', SP_A.client_id, 'born-abroad');
    await logInAndRedeem('idp-main', SP_B.client_id, 'accents');
  });
});

describe('over every failure the tests can provoke', () => {
  it('the citizen cancels (R4001) or refuses (R4002)', async () => {
    const cancelled = await start(citizens, SP_A.client_id);
    await cancelled.citizen.cancelOnMire();
    expect(cancelled.citizen.spParams().get('error_description')).toContain('R4001');
    const refused = await start(citizens, SP_A.client_id);
    await refused.citizen.chooseIdp('idp-main');
    await refused.citizen.loginAs('hyphenated');
    person('hyphenated');
    await refused.citizen.consent('refuse');
    expect(refused.citizen.spParams().get('error_description')).toContain('R4002');
  });

  it('the IdP refuses, is down, lies, under-delivers or sends an invalid identity (R2001–R2004, R3001)', async () => {
    const description = 'Camille Martin a refusé (camille.martin@courriel.example)';
    watch('identity', description, 'the IdP’s error_description');
    await failAtIdp(
      'idp-main',
      { error: { error: 'access_denied', error_description: description } },
      'R2001',
    );
    await failAtIdp('idp-down', {}, 'R2002');
    await failAtIdp('idp-main', { tokenStatus: 500 }, 'R2002');
    await failAtIdp('idp-main', { badSignature: true }, 'R2003');
    await failAtIdp('idp-main', { wrongIssuer: true }, 'R2003');
    await failAtIdp('idp-main', { missingIssuer: true }, 'R2003');
    await failAtIdp('idp-main', { subMismatch: true }, 'R2003');
    await failAtIdp('idp-main', { idTokenForgery: 'none' }, 'R2003');
    await failAtIdp('idp-signed', { userinfoForgery: 'hs256-public-key' }, 'R2003');
    await failAtIdp('idp-signed', { userinfoClaims: { iss: 'http://evil.example' } }, 'R2003');
    await failAtIdp('idp-signed', { userinfoClaims: { exp: Math.floor(Date.now() / 1000) - 600 } }, 'R2003');
    await failAtIdp('idp-main', { missingClaim: 'birthdate' }, 'R3001', 'apostrophe');
    for (const [claim, value] of [
      ['birthdate', '1987-02-31'],
      ['family_name', 'Martin-1234567'],
      ['given_name', 'Camille\u0000Zoé'],
      ['birthplace', 'Paris 15e'],
    ] as const) {
      watch('identity', value, `invalid ${claim}`);
      await failAtIdp('idp-main', { claims: { [claim]: value } }, 'R3001');
    }
  });

  it('an acr below the level asked (R2004)', async () => {
    const { citizen } = await start(citizens, SP_A.client_id, { acr_values: 'eidas2' });
    citizens.idps.get('idp-main')?.setMisbehaviour({ acr: 'eidas1' });
    try {
      await citizen.chooseIdp('idp-main');
      await citizen.loginAs('standard');
      expect(citizen.currentPage().html).toContain('R2004');
    } finally {
      citizens.idps.get('idp-main')?.setMisbehaviour({});
    }
  });

  it('callbacks replayed, forged or from another browser, an expired login, a wrong CSRF token (R4003, R4004)', async () => {
    const { citizen, request } = await start(citizens, SP_A.client_id);
    const mire = citizen.currentPage().url;
    await citizen.chooseIdp('idp-main');
    const callback = await citizen.loginAsUntilCallback('standard');
    await new Citizen(request, browser()).go(callback);
    await citizen.go(callback);
    expect(citizen.currentPage().html).toContain('name="decision"');
    await citizen.go(callback);
    expect(citizen.currentPage().html).toContain('R4003');
    await new Citizen(request, browser()).go(
      `${citizens.issuer}/idp/callback?code=forged-code-0123456789&state=forged.state-0123456789`,
    );
    await new Citizen(request, browser()).go(mire);
    await citizen.go(mire);
    const form = citizen.form('name="decision"', { decision: 'accept' });
    await citizen.go(form.action, {
      ...form.init,
      body: String(form.init.body).replace(/csrf=[^&]+/, 'csrf=wrong-csrf-token-0123456789'),
    });
    expect(citizen.currentPage().html).toContain('R4004');

    const expired = await start(citizens, SP_A.client_id);
    const uid = expired.citizen.currentPage().url.pathname.split('/')[2] ?? '';
    await (await citizens.hub.provider.Interaction.find(uid))?.destroy();
    await expired.citizen.chooseIdp('idp-main');
    await expired.citizen.loginAs('standard');
    await expired.citizen.consent('accept');
    expect(expired.citizen.currentPage().html).toContain('R4003');
  });

  it('bad requests from SPs (R1001, R1002, R1007, R1010), a replayed code, a bad client secret, a bad access token', async () => {
    const config = await spClient(citizens, SP_A.client_id);
    for (const params of [
      { nonce: undefined },
      { acr_values: 'eidas9' },
      { redirect_uri: 'http://127.0.0.20:1/elsewhere' },
      { client_id: 'sp-unknown' },
      { login_hint: 'camille.martin@courriel.example', scope: 'openid email phone' },
    ]) {
      const request = await authorizeRequest(citizens, config, params);
      watch('state', request.state, 'refused request state');
      watch('nonce', request.nonce, 'refused request nonce');
      await new Citizen(request, browser()).go(request.url);
    }

    const login = await logInAndRedeem('idp-main', SP_A.client_id, 'several-given-names');
    await expect(redeemCode(login)).rejects.toMatchObject({ error: 'invalid_grant' });
    const wrongSecret = 'sp-a-wrong-secret-0123456789-0123456789';
    watch('secret', wrongSecret, 'a wrong client secret');
    const again = await start(citizens, SP_A.client_id);
    await again.citizen.chooseIdp('idp-main');
    await again.citizen.loginAs('standard');
    await again.citizen.consent('accept');
    const badConfig = await client.discovery(
      new URL(citizens.issuer),
      SP_A.client_id,
      { id_token_signed_response_alg: 'ES256' },
      client.ClientSecretPost(wrongSecret),
      { execute: [client.allowInsecureRequests] },
    );
    await expect(redeemCode({ ...again, config: badConfig })).rejects.toMatchObject({
      error: 'invalid_client',
    });
    const bogus = 'bogus-access-token-0123456789abcdefghij';
    watch('token', bogus, 'a bogus access token');
    await expect(client.fetchUserInfo(config, bogus, 'x')).rejects.toBeTruthy();
    await expect(client.fetchUserInfo(config, login.tokens.access_token, 'x')).rejects.toBeTruthy();
  });
});

describe('over ProConnect logins', () => {
  it('an agent logs in by email; an email no IdP serves is refused (R2007)', async () => {
    const params = { scope: PRO_IDP_SCOPE, prompt: undefined, acr_values: undefined };
    const agent = MOCK_AGENTS.find((candidate) => candidate.id === 'agent');
    const email = `${agent?.claims.email}@interieur.gouv.fr`;
    watch('email', email, 'agent email');
    for (const [claim, value] of Object.entries(agent?.claims ?? {})) {
      if (claim !== 'email') watch('identity', value, `agent.${claim}`);
    }
    const login = await start(agents, PRO_TEST_SP.client_id, params);
    await login.citizen.submit('class="email-form"', { email });
    await login.citizen.loginAs('agent');
    const tokens = await redeemCode(login);
    watchTokens(tokens, PRO_TEST_SP.client_id);
    const userinfo = await client.fetchUserInfo(
      login.config,
      tokens.access_token,
      tokens.claims()?.sub ?? '',
    );
    expect(userinfo.email).toBe(email);

    const unknown = await start(agents, PRO_TEST_SP.client_id, params);
    const stranger = 'dominique.inconnu@nulle-part.example';
    watch('email', stranger, 'an email no IdP serves');
    await unknown.citizen.submit('class="email-form"', { email: stranger });
    const typo = await start(agents, PRO_TEST_SP.client_id, params);
    const misspelt = 'dominique.faute@interieur.gouv.fe';
    watch('email', misspelt, 'a misspelt email');
    await typo.citizen.submit('class="email-form"', { email: misspelt });
  });
});

describe('the hub’s log', () => {
  it('was written, at trace level, by the hub alone', async () => {
    await Promise.all([citizens.hub.events.flush(), agents.hub.events.flush()]);
    expect(log.length).toBeGreaterThan(50);
    const text = log.join('');
    for (const expected of [
      '"msg":"error page"',
      'R2003',
      'R3001',
      'R4004',
      'idp.callback',
      'consent.given',
    ]) {
      expect(text).toContain(expected);
    }
    // The search finds what is there: the interaction uids, logged on purpose.
    expect(interactionUids.length).toBeGreaterThan(20);
    expect(interactionUids.filter((uid) => occurs(text, uid)).length).toBeGreaterThan(10);
  });

  it.each([
    'identity',
    'email',
    'sub',
    'code',
    'token',
    'state',
    'nonce',
    'pkce',
    'csrf',
    'secret',
    'cookie',
  ] satisfies Category[])('holds no %s value the test met', (category) => {
    for (const from of browsers) harvest(from);
    const values = [...watched].filter(([, entry]) => entry.category === category);
    expect(values.length, `no ${category} value was met: the scenarios above failed`).toBeGreaterThan(0);
    const text = log.join('');
    const found = values
      .filter(([value]) => occurs(text, value))
      .map(([value, { seen }]) => `${seen}: ${value.slice(0, 60)} in ${lineWith(value)?.slice(0, 300)}`);
    expect(found).toEqual([]);
  });
});

/** As a whole value (not inside a longer token), raw or URL-encoded. */
function occurs(text: string, value: string): boolean {
  return [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)].some((form) =>
    new RegExp(`(?<![A-Za-z0-9_-])${form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_-])`).test(
      text,
    ),
  );
}

function lineWith(value: string): string | undefined {
  return log.find((line) => occurs(line, value));
}
