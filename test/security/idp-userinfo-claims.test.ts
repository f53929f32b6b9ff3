// A signed userinfo the IdP's own key signed, with claims that make it someone else's answer: it
// names another issuer, it is addressed to another client, or its `exp` is past (an old answer
// replayed). The hub refuses each: the login fails at that IdP (the mire again, its banner naming
// it with R2003), no code reaches the SP. The genuine answer logs the citizen in.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectSpError } from '../support/citizen.ts';
import { type Federation, resetMisbehaviours, startFederation } from '../support/federation.ts';
import { expectMireBanner, SIGNING_IDPS, startLogin } from '../support/security.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;
const SP = { client_id: 'sp-userinfo', client_secret: 'sp-userinfo-secret-0123456789-0123456789-ab' };

beforeAll(async () => {
  federation = await startFederation({
    idps: SIGNING_IDPS,
    sps: [SP],
  });
});

afterAll(() => federation?.close());
afterEach(() => resetMisbehaviours(federation));

const now = () => Math.floor(Date.now() / 1000);

/** The claims changed in the signed userinfo, each re-signed with the IdP's own key. */
const FORGED: Array<[string, () => Record<string, unknown>]> = [
  ['names another issuer', () => ({ iss: 'http://evil.example' })],
  ['is addressed to another client', () => ({ aud: 'another-client' })],
  ['is addressed to other clients only', () => ({ aud: ['another-client', 'a-third-one'] })],
  ['has expired (exp an hour ago)', () => ({ exp: now() - 3600, iat: now() - 3900 })],
  // Past any clock skew an IdP may be granted.
  ['has expired (exp five minutes ago)', () => ({ exp: now() - 300 })],
];

describe.each(['idp-es256', 'idp-rs256'])('a signed userinfo from %s', (idpUid) => {
  it('logs the citizen in when it is genuine: this issuer, this client, not expired', async () => {
    const login = await startLogin(federation, SP.client_id);
    const { idToken } = await completeLogin(federation, login, { idp: idpUid });
    expect(idToken.acr).toBe('eidas1');
  });

  it.each(FORGED)('fails the login at the IdP when it %s (R2003)', async (_, claims) => {
    federation.idps.get(idpUid)?.setMisbehaviour({ userinfoClaims: claims() });
    const { citizen, request } = await startLogin(federation, SP.client_id);
    await citizen.chooseIdp(idpUid);
    await citizen.loginAs('standard');
    expectMireBanner(citizen, `Compte ${idpUid}`, 'R2003');
    await citizen.cancelOnMire();
    expectSpError(citizen.spParams(), {
      error: 'server_error',
      code: 'R2003',
      iss: federation.issuer,
      state: request.state,
    });
  });
});
