// Scopes → claims, per profile. FranceConnect v2: `identite_pivot` no longer carries
// preferred_username (FC v2); `profile` still does. ProConnect: each claim is its own scope.

import { splitScope } from '../config/federation.ts';
import type { ProfileName } from '../config/index.ts';
import { PIVOT_CLAIMS } from '../pivot/index.ts';

/** Scope → the claims it releases: one table per profile. */
export type ScopeClaims = Readonly<Record<string, readonly string[]>>;

/** A scope the OP grants: one of the profile's table, or a data provider's (it releases no claim). */
export type KnownScope = (scope: string) => boolean;

export const SCOPE_CLAIMS: ScopeClaims = {
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

/** ProConnect's claims, each asked by the scope of its name; `idp_id` and `idp_acr` are the hub's. */
export const PRO_CLAIMS = [
  'given_name',
  'usual_name',
  'email',
  'uid',
  'siret',
  'siren',
  'phone',
  'organizational_unit',
  'belonging_population',
  'chorusdt',
  'idp_id',
  'idp_acr',
] as const;

export const PRO_SCOPE_CLAIMS: ScopeClaims = {
  openid: ['sub'],
  ...Object.fromEntries(PRO_CLAIMS.map((claim) => [claim, [claim]])),
};

export function scopeClaimsOf(profile: ProfileName): ScopeClaims {
  return profile === 'proconnect' ? PRO_SCOPE_CLAIMS : SCOPE_CLAIMS;
}

/** Scopes FranceConnect v2 removed: asking for them is an error, not a silent drop. */
export const FORBIDDEN_SCOPES: ReadonlySet<string> = new Set(['address', 'phone']);

/**
 * What this request releases to the SP, the consent page lists, and the grant keeps: the claims of
 * the requested scopes and of the `claims` parameter, within what the SP is authorised for.
 */
export function releasedClaims(
  request: { scope?: string | undefined; claims?: string | undefined },
  authorisedScope: string,
  table: ScopeClaims,
): string[] {
  const authorised = claimsOfScopes(splitScope(authorisedScope), table);
  const asked = claimsOfScopes(splitScope(request.scope), table);
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
export function claimsOfScopes(scopes: Iterable<string>, table: ScopeClaims): Set<string> {
  const claims = new Set<string>();
  for (const scope of scopes) for (const claim of table[scope] ?? []) claims.add(claim);
  return claims;
}
