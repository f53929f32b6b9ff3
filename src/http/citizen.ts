// The citizen between the IdP callback and the consent: a verified, valid identity, sealed in
// Redis under the interaction for its lifetime only.

import type { IdentityProvider } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { identityKey, mapIdentityProviderClaims, PIVOT_CLAIMS, validatePivot } from '../pivot/index.ts';
import type { IdpAuthentication } from '../rp/callback.ts';

export interface CitizenIdentity {
  idpUid: string;
  acr: string;
  amr: string[] | undefined;
  authTime: number;
  identityKey: string;
  claims: Record<string, string>;
  idToken: string;
}

export const citizenKey = (interactionUid: string) => `citizen:${interactionUid}`;

const EXTRA_CLAIMS = ['email', 'preferred_username'] as const;

/** Maps and validates the IdP's claims as untrusted input; the reasons never carry a value. */
export function toCitizenIdentity(idp: IdentityProvider, authentication: IdpAuthentication): CitizenIdentity {
  const claims = mapIdentityProviderClaims(authentication.claims, idp.claims_mapping);
  const validation = validatePivot(claims);
  if (!validation.ok) {
    const detail = validation.problems.map((p) => `${p.claim} ${p.reason}`).join(', ');
    throw new RelaisError('R3001', { detail: `${idp.uid}: ${detail}` });
  }
  const released: Record<string, string> = { ...validation.pivot };
  for (const claim of EXTRA_CLAIMS) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim()) released[claim] = value.trim();
  }
  return {
    idpUid: idp.uid,
    acr: authentication.acr,
    amr: authentication.amr,
    authTime: authentication.authTime,
    identityKey: identityKey(validation.pivot),
    claims: released,
    idToken: authentication.idToken,
  };
}

/** "Marie DUPONT, née le 12/04/1985" for the consent page. */
export function describePerson(claims: Record<string, string>): string {
  const [year, month, day] = (claims.birthdate ?? '').split('-');
  const born = claims.gender === 'female' ? 'née le' : 'né le';
  const name = `${claims.given_name ?? ''} ${(claims.family_name ?? '').toUpperCase()}`.trim();
  return year && month && day ? `${name}, ${born} ${day}/${month}/${year}` : name;
}

export { PIVOT_CLAIMS };
