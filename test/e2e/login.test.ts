// A citizen logs in to an SP through the hub and a mock IdP, over real HTTP.
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin, redeemCode } from '../support/sp-login.ts';

let federation: Federation;

function identity(id: string) {
  const found = MOCK_IDENTITIES.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no mock identity ${id}`);
  return found;
}

beforeAll(async () => {
  federation = await startFederation({
    idps: [
      { uid: 'idp-es', host: '127.0.0.2', idTokenAlg: 'ES256', userinfoAlg: null },
      { uid: 'idp-rs', host: '127.0.0.3', idTokenAlg: 'RS256', userinfoAlg: 'RS256' },
      { uid: 'idp-hs', host: '127.0.0.4', idTokenAlg: 'HS256', userinfoAlg: 'HS256' },
    ],
    sps: [
      { client_id: 'sp-es', client_secret: 'sp-es-secret-0123456789-0123456789-abcdef' },
      {
        client_id: 'sp-rs',
        client_secret: 'sp-rs-secret-0123456789-0123456789-abcdef',
        id_token_signed_response_alg: 'RS256',
        userinfo_signed_response_alg: 'RS256',
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
  });
});

afterAll(() => federation?.close());

async function login(spId: string, idpUid: string, identity = 'standard') {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config);
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  expect(citizen.currentPage().html).toContain(`Service ${spId}`);
  const { tokens, idToken } = await completeLogin(
    federation,
    { config, request, citizen },
    { idp: idpUid, identity },
  );
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return { config, tokens, idToken, userinfo, citizen, request };
}

describe('a brokered login', () => {
  for (const [sp, alg] of [
    ['sp-es', 'ES256'],
    ['sp-rs', 'RS256'],
  ] as const) {
    it(`gives an ${alg} SP an ${alg} id_token and a signed userinfo with the identité pivot`, async () => {
      const { tokens, idToken, userinfo, config } = await login(sp, 'idp-es');
      expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe(alg);
      expect(idToken).toMatchObject({ acr: 'eidas1', iss: federation.issuer, aud: sp });
      expect(typeof idToken.sid).toBe('string');
      expect(typeof idToken.auth_time).toBe('number');
      expect(idToken.amr).toEqual(expect.arrayContaining(['pwd']));
      const { preferred_username: _, ...expected } = identity('standard').claims;
      expect(userinfo).toEqual({
        sub: idToken.sub,
        ...expected,
        aud: sp,
        iss: federation.issuer,
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect(userinfo).not.toHaveProperty('preferred_username');
      const raw = await client.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(config.serverMetadata().userinfo_endpoint as string),
        'GET',
      );
      expect(raw.headers.get('content-type')).toMatch(/^application\/jwt/);
      expect(decodeProtectedHeader(await raw.text()).alg).toBe(alg);
    });
  }

  for (const idp of ['idp-rs', 'idp-hs']) {
    it(`accepts the identity of an IdP signing with ${idp === 'idp-rs' ? 'RS256 and a JWT userinfo' : 'HS256 (FC v1 style)'}`, async () => {
      const { userinfo } = await login('sp-es', idp, 'born-abroad');
      expect(userinfo.birthplace).toBe('');
      expect(userinfo.birthcountry).not.toBe('99100');
    });
  }

  it('gives the same person the same sub at one SP whatever the IdP, and another sub at another SP', async () => {
    const viaEs = await login('sp-es', 'idp-es');
    const viaRs = await login('sp-es', 'idp-rs');
    const otherSp = await login('sp-rs', 'idp-es');
    expect(viaEs.idToken.sub).toBe(viaRs.idToken.sub);
    expect(otherSp.idToken.sub).not.toBe(viaEs.idToken.sub);
    expect(viaEs.idToken.sub).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a second redemption of the same code, even with the right verifier', async () => {
    const { config, citizen, request } = await login('sp-es', 'idp-es');
    await expect(redeemCode({ config, citizen, request })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('logout', () => {
  it('ends the hub session and returns to the registered post_logout_redirect_uri with the state', async () => {
    const { tokens, citizen, config } = await login('sp-es', 'idp-es');
    const postLogout = String(federation.sps.get('sp-es')?.post_logout_redirect_uris[0]);
    const endSession = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
      state: 'logout-state',
    });
    const logout = await confirmLogout(citizen.browser, endSession, (url) => url.href.startsWith(postLogout));
    expect(logout.confirmation).toContain('Déconnexion');
    expect(logout.xsrf).toBeTruthy();
    expect(logout.landing.url.href.startsWith(postLogout)).toBe(true);
    expect(logout.landing.url.searchParams.get('state')).toBe('logout-state');
  });
});
