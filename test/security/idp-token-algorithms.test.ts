// An IdP's id_token or signed userinfo under another algorithm than the one configured for that
// IdP: HS256 keyed with the IdP's public key (the classic key confusion), `alg: none`, or a genuine
// signature by another key of the IdP's own JWKS (RS256 where ES256 is configured, and back). The
// hub pins each IdP's algorithms: the login fails at that IdP (the mire again, its banner naming it
// with R2003) and no code reaches the SP. The same IdPs, behaving, log the citizen in.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Forgery, Misbehaviour } from '../../src/mock-idp/index.ts';
import { expectSpError } from '../support/citizen.ts';
import { type Federation, mockIdp, resetMisbehaviours, startFederation } from '../support/federation.ts';
import { expectMireBanner, SIGNING_IDPS, startLogin } from '../support/security.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;
const SP = { client_id: 'sp-algs', client_secret: 'sp-algs-secret-0123456789-0123456789-abcdef' };

beforeAll(async () => {
  federation = await startFederation({
    idps: SIGNING_IDPS,
    sps: [SP],
  });
});

afterAll(() => federation?.close());
afterEach(() => resetMisbehaviours(federation));

const idp = (uid: string) => mockIdp(federation, uid);

/** Each IdP with the algorithm configured for it, and the forgeries of its JWTs. */
const CASES: Array<[idpUid: string, configured: string, forgeries: Forgery[]]> = [
  ['idp-es256', 'ES256', ['hs256-public-key', 'none', 'RS256']],
  ['idp-rs256', 'RS256', ['hs256-public-key', 'none', 'ES256']],
];

const FORGERY_NAMES: Record<Forgery, string> = {
  'hs256-public-key': 'HS256 keyed with its public key',
  none: 'alg none',
  RS256: 'RS256 by its own key',
  ES256: 'ES256 by its own key',
};

async function failsAtIdp(idpUid: string, misbehaviour: Misbehaviour) {
  idp(idpUid).setMisbehaviour(misbehaviour);
  const { citizen, request } = await startLogin(federation, SP.client_id);
  await citizen.chooseIdp(idpUid);
  await citizen.loginAs('standard');
  expectMireBanner(citizen, `Compte ${idpUid}`, 'R2003');
  // Leaving from there tells the SP what failed, and brings it no code.
  await citizen.cancelOnMire();
  expectSpError(citizen.spParams(), {
    error: 'server_error',
    code: 'R2003',
    iss: federation.issuer,
    state: request.state,
  });
}

describe.each(CASES)('an IdP configured for %s (%s)', (idpUid, configured, forgeries) => {
  it(`logs the citizen in when its id_token and userinfo are ${configured}, as configured`, async () => {
    const login = await startLogin(federation, SP.client_id);
    const { idToken } = await completeLogin(federation, login, { idp: idpUid });
    expect(idToken.acr).toBe('eidas1');
  });

  for (const forgery of forgeries) {
    it(`fails the login at the IdP for an id_token signed ${FORGERY_NAMES[forgery]} (R2003)`, () =>
      failsAtIdp(idpUid, { idTokenForgery: forgery }));

    it(`fails the login at the IdP for a userinfo signed ${FORGERY_NAMES[forgery]} (R2003)`, () =>
      failsAtIdp(idpUid, { userinfoForgery: forgery }));
  }
});
