// The end of a brokered login as an SP sees it: the citizen logs in at an IdP and accepts the
// consent, then the SP redeems its code with openid-client, checking state, nonce and PKCE.
import * as client from 'openid-client';
import { expect } from 'vitest';
import type { Citizen } from './citizen.ts';
import type { AuthorizeRequest, Federation } from './federation.ts';

/** A login an SP has started: its openid-client configuration, its request, the citizen. */
export interface SpLogin {
  config: client.Configuration;
  request: Pick<AuthorizeRequest, 'state' | 'nonce' | 'codeVerifier'>;
  citizen: Citizen;
}

export interface RedeemOptions {
  /** false: the request went without code_challenge, so no verifier is sent. */
  pkce?: boolean;
}

/** The SP redeems the code the citizen brought back; rejects as openid-client does. */
export function redeemCode({ config, request, citizen }: SpLogin, options: RedeemOptions = {}) {
  return client.authorizationCodeGrant(config, citizen.callback as URL, {
    ...(options.pkce === false ? {} : { pkceCodeVerifier: request.codeVerifier }),
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
}

/**
 * From the mire (or from the IdP's page, when idp_hint skipped the mire) to the SP's tokens: logs
 * in at `idp` as `identity`, accepts the consent, checks the callback's state and iss, redeems.
 */
export async function completeLogin(
  federation: Federation,
  login: SpLogin,
  options: RedeemOptions & { idp: string; identity?: string },
) {
  const { citizen, request } = login;
  if (citizen.currentPage().url.origin === federation.issuer) {
    await citizen.chooseIdp(options.idp);
    expect(citizen.currentPage().url.origin).toBe(federation.idps.get(options.idp)?.issuer);
  }
  await citizen.loginAs(options.identity ?? 'standard');
  expect(citizen.currentPage().html).toContain('Transmission de vos données');
  await citizen.consent('accept');
  const params = citizen.spParams();
  expect(params.get('iss')).toBe(federation.issuer);
  expect(params.get('state')).toBe(request.state);
  const tokens = await redeemCode(login, options);
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no id_token');
  return { tokens, idToken };
}
