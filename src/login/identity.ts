// The citizen between the IdP callback and the consent: a verified, valid identity. It lives in
// the login record, then in the hub session, both sealed; it reaches an SP only through a grant.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { acrSchema } from '../acr.ts';
import type { IdentityProvider } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import { INTERACTION_TTL } from '../op/provider.ts';
import {
  identityKey,
  mapIdentityProviderClaims,
  type PivotProblem,
  validateAmr,
  validateAuthTime,
  validateComplementaryClaims,
  validatePivot,
} from '../pivot/index.ts';
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
  /**
   * The IdP's id_token, the hint of the logout at the IdP: from the callback to the consent, then
   * in the hub session only when that IdP has an end_session_endpoint (login/hub-session.ts).
   */
  idpIdToken: z.string().optional(),
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

/** Options of the mappings below; the defaults serve the login, tests set the clock. */
export interface IdentityOptions {
  /** Epoch seconds of the callback; default now. */
  now?: number;
  /**
   * Told which claims beside the identity were dropped or corrected, and by which rule (never the
   * value): the login goes on, the log may say so.
   */
  onDropped?: (problems: PivotProblem[]) => void;
}

// How old an IdP's auth_time may be. FranceConnect asks every IdP for prompt=login, within a
// login that lives at most INTERACTION_TTL: an IdP whose auth_time is older did not authenticate
// the citizen now, and its answer is refused (R2003) rather than passed off as a fresh login.
// ProConnect lets the IdP's own session answer (prompt=login only when the SP asked it): its
// auth_time, however old, is what the SP must see (max_age is the SP's to judge).
const FRANCECONNECT_AUTH_MAX_AGE = INTERACTION_TTL;

/** The IdP's amr and auth_time, checked: an invalid one is dropped or replaced, a stale one refused. */
function authenticationContext(
  idpUid: string,
  authentication: IdpAuthentication,
  maxAge: number | undefined,
  options: IdentityOptions,
  dropped: PivotProblem[],
) {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const amr = validateAmr(authentication.amr);
  const authTime = validateAuthTime(authentication.authTime, { now, maxAge });
  if (authTime.stale) {
    throw new RelaisError('R2003', {
      detail: `${idpUid}: auth_time ${authTime.problem?.reason}, prompt=login not honoured`,
    });
  }
  for (const checked of [amr, authTime]) if (checked.problem) dropped.push(checked.problem);
  if (dropped.length) options.onDropped?.(dropped);
  return { ...(amr.value ? { amr: amr.value } : {}), authTime: authTime.value };
}

/**
 * Maps and validates the IdP's claims as untrusted input; the reasons never carry a value. An
 * invalid pivot fails the login (R3001); a malformed claim beside it (email, preferred_username,
 * amr, auth_time) is dropped or corrected and the login goes on, as FranceConnect treats them.
 */
export function toCitizenIdentity(
  idp: IdentityProvider,
  authentication: IdpAuthentication,
  options: IdentityOptions = {},
): CitizenIdentity {
  const claims = mapIdentityProviderClaims(authentication.claims, idp.claims_mapping);
  const validation = validatePivot(claims);
  if (!validation.ok) {
    const detail = validation.problems.map((p) => `${p.claim} ${p.reason}`).join(', ');
    throw new RelaisError('R3001', { detail: `${idp.uid}: ${detail}` });
  }
  const complements = validateComplementaryClaims(claims);
  const dropped = [...complements.dropped];
  return {
    idpUid: idp.uid,
    acr: authentication.acr,
    ...authenticationContext(idp.uid, authentication, FRANCECONNECT_AUTH_MAX_AGE, options, dropped),
    identityKey: identityKey(validation.pivot),
    claims: { ...validation.pivot, ...complements.claims },
    idpIdToken: authentication.idToken,
  };
}

/**
 * ProConnect: the professional identity, validated as untrusted input (an invalid optional claim
 * is dropped), from an IdP that may speak for its email's domain; the SP also learns which IdP
 * (`idp_id`) and the IdP's own acr (`idp_acr`). The key is the IdP's uid and sub: an agent is who
 * their IdP says, there is no pivot to match across IdPs.
 */
export function toAgentIdentity(
  idp: IdentityProvider,
  authentication: IdpAuthentication,
  options: IdentityOptions = {},
): CitizenIdentity {
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
  const dropped = validation.dropped.map((claim) => ({ claim, reason: 'invalid' }));
  return {
    idpUid: idp.uid,
    acr: authentication.acr,
    ...authenticationContext(idp.uid, authentication, undefined, options, dropped),
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
