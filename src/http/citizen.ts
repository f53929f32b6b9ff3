// The citizen between the IdP callback and the consent: a verified, valid identity, sealed in
// Redis under the interaction for its lifetime only.
import { createHash } from 'node:crypto';

import type { IdentityProvider } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { identityKey, mapIdentityProviderClaims, validatePivot } from '../pivot/index.ts';
import type { IdpAuthentication } from '../rp/callback.ts';

export interface CitizenIdentity {
  idpUid: string;
  acr: string;
  amr: string[] | undefined;
  authTime: number;
  identityKey: string;
  claims: Record<string, string>;
  /** The IdP's id_token, kept with the hub session for the logout at the IdP. */
  idpIdToken: string;
  /** Set when the identity comes from the browser's hub session (SSO). */
  citizenSessionId?: string | undefined;
}

export const citizenKey = (interactionUid: string) => `citizen:${interactionUid}`;

/** Names the person on a consent page without saying anything about them (the key is hashed). */
export function identityFingerprint(citizen: CitizenIdentity): string {
  return createHash('sha256')
    .update(`${citizen.idpUid}\u001f${citizen.identityKey}`)
    .digest('base64url')
    .slice(0, 22);
}

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
    idpIdToken: authentication.idToken,
  };
}
