// The claims beside the pivot, end to end: an IdP sending a malformed email or usage name, a
// malformed amr, or an auth_time out of range does not fail the login (the pivot is valid), and
// the SP never receives what the hub refused: the claim is dropped, or auth_time corrected.
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { expectMireBanner } from '../support/security.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;
const FC_IDP_SCOPE =
  'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username';

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2', entry: { scope: FC_IDP_SCOPE } }],
    sps: [{ client_id: 'sp-1', client_secret: 'sp-1-secret-0123456789-0123456789-abcdef' }],
  });
});

afterEach(() => federation.idps.get('idp-a')?.setMisbehaviour({}));
afterAll(() => federation?.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A whole login at sp-1 asking every claim beside the pivot, and auth_time (max_age). */
async function login() {
  const config = await spClient(federation, 'sp-1');
  const request = await authorizeRequest(federation, config, {
    scope: 'openid identite_pivot email profile',
    max_age: '3600',
  });
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  const { tokens, idToken } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return { idToken, userinfo };
}

describe('claims beside the pivot', () => {
  it('reach the SP when valid', async () => {
    federation.idps.get('idp-a')?.setMisbehaviour({ claims: { preferred_username: 'Dupont' } });
    const before = nowSeconds();
    const { idToken, userinfo } = await login();
    expect(userinfo.email).toBe('camille.martin@courriel.example');
    expect(userinfo.preferred_username).toBe('Dupont');
    expect(idToken.amr).toEqual(['pwd']);
    expect(idToken.auth_time).toBeGreaterThanOrEqual(before - 5);
  });

  it('are dropped or corrected when malformed, and the login still succeeds', async () => {
    const before = nowSeconds();
    federation.idps.get('idp-a')?.setMisbehaviour({
      claims: { email: 'camille martin@courriel', preferred_username: 'Dupont<script>' },
      amr: ['pwd', 'pwd', 'x'.repeat(40), 'otp'],
      idTokenClaims: { auth_time: before + 86_400 },
    });
    const { idToken, userinfo } = await login();
    // The pivot arrives as sent; the malformed email and usage name do not arrive at all.
    expect(userinfo.given_name).toBe('Camille');
    expect(userinfo.family_name).toBe('Martin');
    expect(userinfo).not.toHaveProperty('email');
    expect(userinfo).not.toHaveProperty('preferred_username');
    // The amr without its repeat and its malformed value; auth_time the hub's callback time.
    expect(idToken.amr).toEqual(['pwd', 'otp']);
    expect(idToken.auth_time).toBeGreaterThanOrEqual(before);
    expect(idToken.auth_time).toBeLessThanOrEqual(nowSeconds());
    // The operator learns which claims were dropped and why, never their values.
    await federation.hub.events.flush();
    const [event] = await federation.hub.sql.query<{ data: { dropped?: string } }>(
      "select data from events where name = 'identity.verified' order by id desc limit 1",
    );
    expect(event?.data.dropped).toMatch(/email/);
    expect(event?.data.dropped).toMatch(/preferred_username/);
    expect(event?.data.dropped).not.toContain('courriel');
    expect(event?.data.dropped).not.toContain('Dupont');
  });

  it('refuses an auth_time older than the login: the IdP did not honour prompt=login (R2003, the mire again)', async () => {
    const before = nowSeconds();
    federation.idps.get('idp-a')?.setMisbehaviour({ idTokenClaims: { auth_time: before - 2 * 86_400 } });
    const config = await spClient(federation, 'sp-1');
    const request = await authorizeRequest(federation, config, { scope: 'openid identite_pivot' });
    const citizen = new Citizen(request);
    await citizen.go(request.url);
    await citizen.chooseIdp('idp-a');
    await citizen.loginAs('standard');
    // Never passed off as a fresh login: the citizen is back on the mire, told this IdP failed.
    expectMireBanner(citizen, 'Compte idp-a', 'R2003');
  });
});
