// Scopes → claims, as FranceConnect v2 defines them. `identite_pivot` no longer carries
// preferred_username (FC v2); `profile` still does.

import { splitScope } from '../config/federation.ts';
import { PIVOT_CLAIMS } from '../pivot/index.ts';

export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  openid: ['sub'],
  given_name: ['given_name'],
  family_name: ['family_name'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  birthplace: ['birthplace'],
  birthcountry: ['birthcountry'],
  email: ['email'],
  preferred_username: ['preferred_username'],
  profile: ['given_name', 'family_name', 'birthdate', 'gender', 'preferred_username'],
  birth: ['birthplace', 'birthcountry'],
  identite_pivot: PIVOT_CLAIMS,
  // Refresh tokens, for an SP explicitly authorised (off by default): releases no claim.
  offline_access: [],
};

/** Scopes FranceConnect v2 removed: asking for them is an error, not a silent drop. */
export const FORBIDDEN_SCOPES: ReadonlySet<string> = new Set(['address', 'phone']);

/**
 * What this request releases to the SP, the consent page lists, and the grant keeps: the claims of
 * the requested scopes and of the `claims` parameter, within what the SP is authorised for.
 */
export function releasedClaims(
  request: { scope?: string | undefined; claims?: string | undefined },
  authorisedScope: string,
): string[] {
  const authorised = claimsOfScopes(splitScope(authorisedScope));
  const asked = claimsOfScopes(splitScope(request.scope));
  for (const claim of claimsParameterNames(request.claims)) asked.add(claim);
  return [...asked].filter((claim) => claim !== 'sub' && authorised.has(claim));
}

/** Claim names of an OIDC `claims` parameter (userinfo and id_token members). */
export function claimsParameterNames(claims: string | undefined): string[] {
  if (!claims) return [];
  try {
    const parsed = JSON.parse(claims) as Record<string, Record<string, unknown> | null>;
    return [...new Set([...Object.keys(parsed.userinfo ?? {}), ...Object.keys(parsed.id_token ?? {})])];
  } catch {
    return [];
  }
}

/** The claims the given scopes release; unknown scopes release nothing. */
export function claimsOfScopes(scopes: Iterable<string>): Set<string> {
  const claims = new Set<string>();
  for (const scope of scopes) for (const claim of SCOPE_CLAIMS[scope] ?? []) claims.add(claim);
  return claims;
}
