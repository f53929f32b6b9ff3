// RFC 9207 at the IdP callback: an IdP that advertises `authorization_response_iss_parameter_supported`
// must name itself in `iss` on its way back, or a mix-up attack could pass another IdP's code off
// as its own. A missing `iss` from such an IdP, or a wrong one from any IdP, fails the login at that
// IdP (the mire again, its banner naming it with R2003); no code reaches the SP. With its `iss`
// the login goes through; an IdP configured without discovery advertises nothing, so its callback
// may come without `iss`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Misbehaviour } from '../../src/mock-idp/index.ts';
import { expectSpError } from '../support/citizen.ts';
import { type Federation, mockIdp, resetMisbehaviours, startFederation } from '../support/federation.ts';
import { expectMireBanner, startLogin } from '../support/security.ts';
import { redeemCode } from '../support/sp-login.ts';

let federation: Federation;
const SP = { client_id: 'sp-iss', client_secret: 'sp-iss-secret-0123456789-0123456789-abcdef' };

beforeAll(async () => {
  federation = await startFederation({
    idps: [
      { uid: 'idp-discovered', host: '127.0.0.2' },
      { uid: 'idp-static', host: '127.0.0.3', discovery: false },
    ],
    sps: [SP],
  });
});

afterAll(() => federation?.close());
afterEach(() => resetMisbehaviours(federation));

const idp = (uid: string) => mockIdp(federation, uid);

/** The citizen logs in at the IdP; returns the callback the IdP sent, and the hub's answer to it. */
async function loginAt(idpUid: string, misbehaviour: Misbehaviour) {
  idp(idpUid).setMisbehaviour(misbehaviour);
  const login = await startLogin(federation, SP.client_id);
  await login.citizen.chooseIdp(idpUid);
  const callback = await login.citizen.loginAsUntilCallback('standard');
  await login.citizen.go(callback);
  return { ...login, callback };
}

async function expectRefused(idpUid: string, misbehaviour: Misbehaviour) {
  const { citizen, request, callback } = await loginAt(idpUid, misbehaviour);
  expect(callback.searchParams.get('code')).toBeTruthy();
  expectMireBanner(citizen, `Compte ${idpUid}`, 'R2003');
  await citizen.cancelOnMire();
  expectSpError(citizen.spParams(), {
    error: 'server_error',
    code: 'R2003',
    iss: federation.issuer,
    state: request.state,
  });
  return callback;
}

describe('an IdP that advertises RFC 9207 (discovery)', () => {
  it('advertises it, and its callback naming itself in iss logs the citizen in', async () => {
    const discovery = (await (
      await fetch(`${idp('idp-discovered').issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    const login = await startLogin(federation, SP.client_id);
    await login.citizen.chooseIdp('idp-discovered');
    const callback = await login.citizen.loginAsUntilCallback('standard');
    expect(callback.searchParams.get('iss')).toBe(idp('idp-discovered').issuer);
    await login.citizen.go(callback);
    await login.citizen.consent('accept');
    expect((await redeemCode(login)).claims()?.acr).toBe('eidas1');
  });

  it('refuses its callback without iss (R2003)', async () => {
    const callback = await expectRefused('idp-discovered', { missingIssuer: true });
    expect(callback.searchParams.has('iss')).toBe(false);
  });

  it('refuses its callback naming another issuer (R2003)', async () => {
    const callback = await expectRefused('idp-discovered', { wrongIssuer: true });
    expect(callback.searchParams.get('iss')).toBe('http://evil.example');
  });
});

describe('an IdP configured with static endpoints (nothing advertised)', () => {
  it('logs the citizen in from a callback without iss', async () => {
    const { citizen, callback } = await loginAt('idp-static', { missingIssuer: true });
    expect(callback.searchParams.has('iss')).toBe(false);
    expect(citizen.currentPage().html).toContain('Transmission de vos données');
  });

  it('still refuses a callback naming another issuer (R2003)', () =>
    expectRefused('idp-static', { wrongIssuer: true }));
});
