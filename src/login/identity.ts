// The citizen between the IdP callback and the consent: a verified, valid identity. It lives in
// the login record, then in the hub session, both sealed; it reaches an SP only through a grant.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { acrSchema } from '../acr.ts';
import type { IdentityProvider } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { identityKey, mapIdentityProviderClaims, validatePivot } from '../pivot/index.ts';
import { mayAssertEmail, proIdentityKey, validateProIdentity } from '../pro/identity.ts';
import type { IdpAuthentication } from '../rp/callback.ts';

export const citizenIdentitySchema = z.object({
  idpUid: z.string(),
  acr: acrSchema,
  amr: z.array(z.string()).optional(),
  authTime: z.number().int(),
  identityKey: z.string(),
  /** The identité pivot and the claims beside it, as the IdP sent them once valid. */
  claims: z.record(z.string(), z.string()),
  /** The IdP's id_token, kept with the hub session for the logout at the IdP. */
  idpIdToken: z.string(),
  /** Set when the identity comes from the browser's hub session (SSO). */
  citizenSessionId: z.string().optional(),
});
export type CitizenIdentity = z.infer<typeof citizenIdentitySchema>;

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
    ...(authentication.amr ? { amr: authentication.amr } : {}),
    authTime: authentication.authTime,
    identityKey: identityKey(validation.pivot),
    claims: released,
    idpIdToken: authentication.idToken,
  };
}

/**
 * ProConnect: the professional identity, validated as untrusted input (an invalid optional claim
 * is dropped), from an IdP that may speak for its email's domain; the SP also learns which IdP
 * (`idp_id`) and the IdP's own acr (`idp_acr`). The key is the IdP's uid and sub: an agent is who
 * their IdP says, there is no pivot to match across IdPs.
 */
export function toAgentIdentity(idp: IdentityProvider, authentication: IdpAuthentication): CitizenIdentity {
  const claims = mapIdentityProviderClaims(authentication.claims, idp.claims_mapping);
  const validation = validateProIdentity(claims);
  if (!validation.ok) {
    const detail = validation.problems.map((p) => `${p.claim} ${p.reason}`).join(', ');
    throw new RelaisError('R3001', { detail: `${idp.uid}: ${detail}` });
  }
  const { sub, ...released } = validation.claims;
  const email = released['email'] ?? '';
  // One ministry's IdP cannot speak for another's agents (the fallback speaks for anyone).
  if (!mayAssertEmail(idp, email)) throw new RelaisError('R3002', { detail: idp.uid });
  return {
    idpUid: idp.uid,
    acr: authentication.acr,
    ...(authentication.amr ? { amr: authentication.amr } : {}),
    authTime: authentication.authTime,
    identityKey: proIdentityKey(idp.uid, sub ?? ''),
    claims: {
      ...released,
      idp_id: idp.uid,
      // The IdP's own acr, as it sent it, when it is a plausible value (untrusted input).
      ...(authentication.idpAcr && /^[\x21-\x7e]{1,256}$/.test(authentication.idpAcr)
        ? { idp_acr: authentication.idpAcr }
        : {}),
    },
    idpIdToken: authentication.idToken,
  };
}
