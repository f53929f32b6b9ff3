// FranceConnect+ IdPs encrypt what they send the hub: the id_token and the signed userinfo, as a
// JWE to the hub's `use: enc` key published in its JWKS (ECDH-ES or RSA-OAEP-256, A256GCM). The
// hub decrypts, then checks the inner signature as for any IdP; an IdP configured to encrypt that
// answers in clear is refused, and so is one encrypting what the hub does not expect. Rotating the
// hub's encryption keys (`relais keys rotate`) fails no login.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IDP } from '../../src/config/demo-federation.ts';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { Browser, confirmLogout } from '../support/browser.ts';
import { Citizen, expectSpError } from '../support/citizen.ts';
import { relais as relaisCli } from '../support/cli.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const standard = MOCK_IDENTITIES.find((person) => person.id === 'standard');

beforeAll(async () => {
  federation = await startFederation({
    idps: [
      {
        uid: 'idp-ecdh',
        host: '127.0.0.2',
        userinfoAlg: 'ES256',
        encryptsToHub: { id_token: 'ECDH-ES', userinfo: 'ECDH-ES' },
      },
      {
        uid: 'idp-rsa',
        host: '127.0.0.3',
        idTokenAlg: 'RS256',
        userinfoAlg: 'RS256',
        encryptsToHub: { id_token: 'RSA-OAEP-256', userinfo: 'RSA-OAEP-256' },
      },
      // The hub's entry expects encryption; the IdP answers in clear (a downgrade).
      {
        uid: 'idp-clear',
        host: '127.0.0.4',
        userinfoAlg: 'ES256',
        entry: {
          id_token_encrypted_response_alg: 'ECDH-ES',
          userinfo_encrypted_response_alg: 'ECDH-ES',
        },
      },
      // The IdP encrypts its userinfo; the hub's entry does not say so.
      {
        uid: 'idp-unannounced',
        host: '127.0.0.5',
        userinfoAlg: 'ES256',
        encryptsToHub: { userinfo: 'ECDH-ES' },
        entry: { userinfo_encrypted_response_alg: undefined, userinfo_encrypted_response_enc: undefined },
      },
    ],
    sps: [{ client_id: 'sp-1', client_secret: secret('sp-1') }],
  });
});

afterAll(() => federation?.close());

async function start(browser?: Browser) {
  const config = await spClient(federation, 'sp-1');
  const request = await authorizeRequest(federation, config);
  const citizen = new Citizen(request);
  if (browser) Object.assign(citizen, { browser });
  await citizen.go(request.url);
  return { config, request, citizen };
}

async function loginAt(idp: string, browser?: Browser) {
  const login = await start(browser);
  const { tokens, idToken } = await completeLogin(federation, login, { idp });
  const userinfo = await client.fetchUserInfo(login.config, tokens.access_token, idToken.sub);
  return { config: login.config, tokens, userinfo };
}

const relais = (...argv: string[]) => relaisCli(federation, ...argv);

type PublishedKey = { kid: string; alg: string; use: string; kty: string; d?: string };
const published = async () =>
  ((await (await fetch(`${federation.issuer}/jwks`)).json()) as { keys: PublishedKey[] }).keys;

describe('IdPs that encrypt to the hub', () => {
  it('publishes an ECDH-ES and an RSA-OAEP-256 key of use enc, public parts only', async () => {
    const keys = await published();
    const enc = keys.filter((key) => key.use === 'enc');
    expect(enc.map((key) => key.alg).sort()).toEqual(['ECDH-ES', 'RSA-OAEP-256']);
    expect(keys.every((key) => key.d === undefined)).toBe(true);
    expect(
      keys
        .filter((key) => key.use === 'sig')
        .map((key) => key.alg)
        .sort(),
    ).toEqual(['ES256', 'RS256']);
  });

  for (const idp of ['idp-ecdh', 'idp-rsa']) {
    it(`${idp}: the identity the IdP encrypted reaches the SP`, async () => {
      const { userinfo } = await loginAt(idp);
      expect(userinfo).toMatchObject({
        given_name: standard?.claims.given_name,
        family_name: standard?.claims.family_name,
        birthdate: standard?.claims.birthdate,
      });
    });
  }

  it("hands the IdP the inner signed id_token as the logout's hint", async () => {
    const browser = new Browser();
    const sp = await loginAt('idp-ecdh', browser);
    const postLogout = String(federation.sps.get('sp-1')?.post_logout_redirect_uris[0]);
    const url = client.buildEndSessionUrl(sp.config, {
      id_token_hint: sp.tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
      state: 'bye',
    });
    const { landing } = await confirmLogout(browser, url, (at) => at.href.startsWith(postLogout));
    const issuer = String(federation.idps.get('idp-ecdh')?.issuer);
    const atIdp = landing.visited.find((at) => at.origin === issuer && at.pathname === '/session/end');
    const hint = atIdp?.searchParams.get('id_token_hint') ?? '';
    expect(hint.split('.')).toHaveLength(3);
    await jwtVerify(hint, createRemoteJWKSet(new URL('/jwks', issuer)), {
      issuer,
      audience: DEMO_IDP.clientId,
    });
    expect(landing.url.searchParams.get('state')).toBe('bye');
  });

  it('refuses an IdP configured to encrypt that answers in clear (R2003)', async () => {
    const { citizen, request } = await start();
    await citizen.chooseIdp('idp-clear');
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('R2003');
    await citizen.cancelOnMire();
    expectSpError(citizen.spParams(), {
      error: 'server_error',
      code: 'R2003',
      iss: federation.issuer,
      state: request.state,
    });
  });

  it('refuses an encrypted userinfo the entry does not announce (R2003)', async () => {
    const { citizen } = await start();
    await citizen.chooseIdp('idp-unannounced');
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('R2003');
    expect(citizen.callback).toBeUndefined();
  });
});

describe("rotating the hub's encryption keys", () => {
  it('fails no login while the IdP moves to the new key, and the old key can go', async () => {
    const before = (await published()).find((key) => key.alg === 'ECDH-ES')?.kid;
    const rotated = await relais('--json', 'keys', 'rotate', '--delay', '2', '--alg', 'ECDH-ES');
    expect(rotated.code, rotated.err).toBe(0);
    const next = (JSON.parse(rotated.out) as Array<{ kid: string }>)[0]?.kid;
    expect(next).not.toBe(before);
    const started = Date.now();
    let logins = 0;
    // Published at once; after 2 s the new key comes first in the JWKS. The IdP keeps encrypting
    // to the key it cached meanwhile, which still decrypts.
    while (Date.now() - started < 5000) {
      await loginAt('idp-ecdh');
      logins += 1;
      // Within the per-address rate limit (a login is about ten requests to the hub).
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(logins).toBeGreaterThan(1);
    const keys = await published();
    expect(keys.filter((key) => key.alg === 'ECDH-ES').map((key) => key.kid)).toEqual([next, before]);
    // The IdP fetches the hub's JWKS afresh (a restart, or its cache running out): it encrypts to
    // the new key, so retiring the old one (past its grace, forced here) fails no login.
    await federation.idps.get('idp-ecdh')?.rotateKeys();
    await loginAt('idp-ecdh');
    await federation.hub.sql.query('update signing_keys set retired_at = now() where kid = $1', [before]);
    await expect
      .poll(async () => (await published()).some((key) => key.kid === before), { timeout: 5000 })
      .toBe(false);
    const { userinfo } = await loginAt('idp-ecdh');
    expect(userinfo.given_name).toBe(standard?.claims.given_name);
  }, 30_000);
});
