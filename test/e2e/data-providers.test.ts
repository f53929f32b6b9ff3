// Data providers over real HTTP: an API asks the hub whether an SP's access token is valid
// (RFC 7662 introspection with openid-client as the data provider's client, its JWT answer,
// FranceConnect's checktoken), and SPs revoke their tokens (RFC 7009).
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmLogout } from '../support/browser.ts';
import { Citizen, expectSpError } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;

const DP_SECRET = 'dp-cnaf-secret-0123456789-0123456789-abcdef';
const OTHER_SECRET = 'dp-dgfip-secret-0123456789-0123456789-abcde';
const GREEDY_SECRET = 'dp-greedy-secret-0123456789-0123456789-abcd';

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      {
        client_id: 'sp-a',
        client_secret: 'sp-a-secret-0123456789-0123456789-abcdefgh',
        scope: 'openid identite_pivot email cnaf_quotient_familial',
      },
      { client_id: 'sp-b', client_secret: 'sp-b-secret-0123456789-0123456789-abcdefgh' },
      {
        client_id: 'sp-off',
        client_secret: 'sp-off-secret-0123456789-0123456789-abcdefg',
        scope: 'openid identite_pivot cnaf_quotient_familial offline_access',
      },
    ],
    dataProviders: [
      {
        client_id: 'dp-greedy',
        client_secret: GREEDY_SECRET,
        name: 'Wants everything',
        scopes: ['openid', 'identite_pivot', 'dgfip_rfr'],
      },
      {
        client_id: 'dp-cnaf',
        client_secret: DP_SECRET,
        name: 'Quotient familial',
        scopes: ['cnaf_quotient_familial', 'cnaf_adresse'],
      },
      {
        client_id: 'dp-dgfip',
        client_secret: OTHER_SECRET,
        name: 'Revenu fiscal',
        scopes: ['dgfip_rfr'],
        token_endpoint_auth_method: 'client_secret_basic',
        checktoken_signed_response_alg: 'RS256',
      },
    ],
  });
});

afterAll(() => federation?.close());

/** The data provider's side, as an API team would write it with openid-client. */
function dataProvider(clientId: string, secret: string, basic = false) {
  return client.discovery(
    new URL(federation.issuer),
    clientId,
    {},
    basic ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret),
    { execute: [client.allowInsecureRequests] },
  );
}

async function login(spId: string, scope: string) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, { scope });
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  const { tokens, idToken } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
  return { config, request, citizen, tokens, idToken };
}

const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${federation.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });

describe('introspection (RFC 7662)', () => {
  it('is in discovery, with revocation', async () => {
    const metadata = (await (
      await fetch(`${federation.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(metadata['introspection_endpoint']).toBe(`${federation.issuer}/introspect`);
    expect(metadata['revocation_endpoint']).toBe(`${federation.issuer}/revoke`);
  });

  it("tells a data provider the SP's sub, the SP, and only the token's scopes it serves", async () => {
    const { tokens, idToken } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const answer = await client.tokenIntrospection(
      await dataProvider('dp-cnaf', DP_SECRET),
      tokens.access_token,
    );
    expect(answer).toMatchObject({
      active: true,
      sub: idToken.sub,
      client_id: 'sp-a',
      scope: 'cnaf_quotient_familial',
      acr: 'eidas1',
      iss: federation.issuer,
      token_type: 'Bearer',
    });
    expect(typeof answer.exp).toBe('number');
    expect(typeof answer.iat).toBe('number');
    // Nothing else: not the hub's session id, nor the token's own id.
    expect(Object.keys(answer).sort()).toEqual(
      ['acr', 'active', 'client_id', 'exp', 'iat', 'iss', 'scope', 'sub', 'token_type'].sort(),
    );
  });

  it('answers only { active: false } to a data provider serving none of the token’s scopes', async () => {
    const { tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const raw = await post(
      '/introspect',
      { token: tokens.access_token },
      { authorization: `Basic ${Buffer.from(`dp-dgfip:${OTHER_SECRET}`).toString('base64')}` },
    );
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ active: false });
  });

  it('lets the SP holding the token introspect it, not another SP', async () => {
    const { config, tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const own = await client.tokenIntrospection(config, tokens.access_token);
    expect(own.active).toBe(true);
    expect(own.scope?.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'identite_pivot', 'cnaf_quotient_familial']),
    );
    const other = await client.tokenIntrospection(await spClient(federation, 'sp-b'), tokens.access_token);
    expect(other).toEqual({ active: false });
  });

  it('refuses bad credentials with 401 and WWW-Authenticate', async () => {
    const wrong = await post(
      '/introspect',
      { token: 'anything' },
      { authorization: `Basic ${Buffer.from('dp-dgfip:not-the-secret').toString('base64')}` },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    const missing = await post('/introspect', {
      token: 'anything',
      client_id: 'dp-cnaf',
      client_secret: 'nope',
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBeTruthy();
  });

  it('answers a signed JWT when asked (RFC 9701), verifiable against the hub JWKS', async () => {
    const { tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const raw = await post(
      '/introspect',
      { token: tokens.access_token },
      {
        accept: 'application/token-introspection+jwt',
        authorization: `Basic ${Buffer.from(`dp-dgfip:${OTHER_SECRET}`).toString('base64')}`,
      },
    );
    expect(raw.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
    const jwt = await raw.text();
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'RS256', typ: 'token-introspection+jwt' });
    const jwks = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));
    const { payload } = await jwtVerify(jwt, jwks, { issuer: federation.issuer, audience: 'dp-dgfip' });
    expect(payload['token_introspection']).toEqual({ active: false });
  });
});

describe("FranceConnect's checktoken", () => {
  it('answers the signed JWT a data provider expects, for an active and an unknown token', async () => {
    const { tokens, idToken } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const raw = await post('/api/v2/checktoken', {
      token: tokens.access_token,
      client_id: 'dp-cnaf',
      client_secret: DP_SECRET,
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
    const jwks = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(await raw.text(), jwks, {
      issuer: federation.issuer,
      audience: 'dp-cnaf',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(typeof payload.iat).toBe('number');
    expect(payload['token_introspection']).toMatchObject({
      active: true,
      sub: idToken.sub,
      client_id: 'sp-a',
      scope: 'cnaf_quotient_familial',
    });
    const unknown = await post('/api/v2/checktoken', {
      token: 'not-a-token',
      client_id: 'dp-cnaf',
      client_secret: DP_SECRET,
    });
    expect(unknown.status).toBe(200);
    const { payload: inactive } = await jwtVerify(await unknown.text(), jwks, { audience: 'dp-cnaf' });
    expect(inactive['token_introspection']).toEqual({ active: false });
  });

  it('answers an id_token sent by mistake as an inactive token, in a 200, not an error', async () => {
    const { tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const raw = await post('/api/v2/checktoken', {
      token: tokens.id_token as string,
      client_id: 'dp-cnaf',
      client_secret: DP_SECRET,
    });
    expect(raw.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));
    const { payload } = await jwtVerify(await raw.text(), jwks, { audience: 'dp-cnaf' });
    expect(payload['token_introspection']).toEqual({ active: false });
  });

  it('is for data providers: an SP asking about its own token learns nothing there', async () => {
    const { tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const sp = federation.sps.get('sp-a');
    const raw = await post('/api/v2/checktoken', {
      token: tokens.access_token,
      client_id: 'sp-a',
      client_secret: String(sp?.client_secret),
    });
    expect(raw.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${federation.issuer}/jwks`));
    const { payload } = await jwtVerify(await raw.text(), jwks, { audience: 'sp-a' });
    expect(payload['token_introspection']).toEqual({ active: false });
  });
});

describe('what a data provider never sees', () => {
  it("an SP's refresh token, with or without a hint, at /introspect or checktoken", async () => {
    const { tokens } = await login('sp-off', 'openid identite_pivot cnaf_quotient_familial offline_access');
    expect(tokens.refresh_token).toBeTruthy();
    const dp = await dataProvider('dp-cnaf', DP_SECRET);
    expect((await client.tokenIntrospection(dp, tokens.access_token)).active).toBe(true);
    const refresh = tokens.refresh_token as string;
    expect(await client.tokenIntrospection(dp, refresh)).toEqual({ active: false });
    expect(await client.tokenIntrospection(dp, refresh, { token_type_hint: 'refresh_token' })).toEqual({
      active: false,
    });
  });

  it('a scope its SP no longer has, nor any token of a disabled SP (no error either)', async () => {
    const { tokens } = await login('sp-off', 'openid identite_pivot cnaf_quotient_familial offline_access');
    const dp = await dataProvider('dp-cnaf', DP_SECRET);
    const { hub } = federation;
    const entry = hub.registry.serviceProvider('sp-off');
    try {
      await hub.sql.query(
        `update service_providers set config = jsonb_set(config, '{scope}', to_jsonb($1::text)) where client_id = 'sp-off'`,
        ['openid identite_pivot offline_access'],
      );
      await hub.registry.reload();
      expect(await client.tokenIntrospection(dp, tokens.access_token)).toEqual({ active: false });
      await hub.sql.query(`update service_providers set active = false where client_id = 'sp-off'`);
      await hub.registry.reload();
      const raw = await post('/introspect', {
        token: tokens.access_token,
        client_id: 'dp-cnaf',
        client_secret: DP_SECRET,
      });
      expect(raw.status).toBe(200);
      expect(await raw.json()).toEqual({ active: false });
    } finally {
      await hub.sql.query(
        `update service_providers set active = true, config = jsonb_set(config, '{scope}', to_jsonb($1::text)) where client_id = 'sp-off'`,
        [entry?.scope ?? ''],
      );
      await hub.registry.reload();
    }
  });

  it('an identity scope it declares (openid): only its data scopes count', async () => {
    const { tokens } = await login('sp-a', 'openid identite_pivot');
    const greedy = await dataProvider('dp-greedy', GREEDY_SECRET);
    expect(await client.tokenIntrospection(greedy, tokens.access_token)).toEqual({ active: false });
  });
});

describe('revocation (RFC 7009) and logout', () => {
  it('a token its SP revoked is inactive; another SP revoking it changes nothing', async () => {
    const { config, tokens } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const dp = await dataProvider('dp-cnaf', DP_SECRET);
    await client.tokenRevocation(await spClient(federation, 'sp-b'), tokens.access_token);
    expect((await client.tokenIntrospection(dp, tokens.access_token)).active).toBe(true);
    await client.tokenRevocation(config, tokens.access_token);
    expect(await client.tokenIntrospection(dp, tokens.access_token)).toEqual({ active: false });
  });

  it('a token of a login since logged out is inactive', async () => {
    const { config, tokens, citizen } = await login('sp-a', 'openid identite_pivot cnaf_quotient_familial');
    const sp = federation.sps.get('sp-a');
    const postLogout = sp?.post_logout_redirect_uris[0] ?? '';
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
    });
    await confirmLogout(citizen.browser, endSession, (url) => url.href.startsWith(postLogout));
    const dp = await dataProvider('dp-cnaf', DP_SECRET);
    expect(await client.tokenIntrospection(dp, tokens.access_token)).toEqual({ active: false });
  });
});

describe('data-provider scopes at /authorize', () => {
  it('the consent page names the data providers the SP may then call, and for what', async () => {
    const config = await spClient(federation, 'sp-a');
    const request = await authorizeRequest(federation, config, {
      scope: 'openid identite_pivot cnaf_quotient_familial',
    });
    const citizen = new Citizen(request);
    await citizen.go(request.url);
    await citizen.chooseIdp('idp-a');
    await citizen.loginAs('standard');
    const page = citizen.currentPage().html;
    expect(page).toContain('Quotient familial (cnaf_quotient_familial)');
    expect(page).not.toContain('Revenu fiscal');
    const plain = await authorizeRequest(federation, config, { scope: 'openid identite_pivot' });
    const other = new Citizen(plain);
    await other.go(plain.url);
    await other.chooseIdp('idp-a');
    await other.loginAs('standard');
    expect(other.currentPage().html).not.toContain('data-providers-heading');
  });

  it('an SP not authorised for one gets invalid_scope with its code', async () => {
    const config = await spClient(federation, 'sp-b');
    const request = await authorizeRequest(federation, config, {
      scope: 'openid identite_pivot cnaf_quotient_familial',
    });
    const citizen = new Citizen(request);
    await citizen.go(request.url);
    expectSpError(citizen.spParams(), {
      error: 'invalid_scope',
      code: 'R1005',
      iss: federation.issuer,
      state: request.state,
    });
  });
});

describe('an expired access token', () => {
  let short: Federation;
  beforeAll(async () => {
    short = await startFederation({
      idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
      sps: [
        {
          client_id: 'sp-a',
          client_secret: 'sp-a-secret-0123456789-0123456789-abcdefgh',
          scope: 'openid identite_pivot cnaf_quotient_familial',
        },
      ],
      dataProviders: [
        {
          client_id: 'dp-cnaf',
          client_secret: DP_SECRET,
          name: 'Quotient familial',
          scopes: ['cnaf_quotient_familial'],
        },
      ],
      env: { ACCESS_TOKEN_TTL_SECONDS: '10' },
    });
  });
  afterAll(() => short?.close());

  it('is inactive once its ACCESS_TOKEN_TTL_SECONDS have passed, at the data provider and at userinfo', async () => {
    const config = await spClient(short, 'sp-a');
    const request = await authorizeRequest(short, config, {
      scope: 'openid identite_pivot cnaf_quotient_familial',
    });
    const citizen = new Citizen(request);
    await citizen.go(request.url);
    const { tokens, idToken } = await completeLogin(short, { config, request, citizen }, { idp: 'idp-a' });
    expect(tokens.expires_in).toBeLessThanOrEqual(10);
    const dp = await client.discovery(
      new URL(short.issuer),
      'dp-cnaf',
      {},
      client.ClientSecretPost(DP_SECRET),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    expect((await client.tokenIntrospection(dp, tokens.access_token)).active).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(await client.tokenIntrospection(dp, tokens.access_token)).toEqual({ active: false });
    await expect(client.fetchUserInfo(config, tokens.access_token, idToken.sub)).rejects.toThrow();
  }, 30_000);
});
