// Scopes → claims, as FranceConnect v2 defines them. `identite_pivot` no longer carries
// preferred_username (FC v2); `profile` still does.

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
};

/** Scopes FranceConnect v2 removed: asking for them is an error, not a silent drop. */
export const FORBIDDEN_SCOPES: ReadonlySet<string> = new Set(['address', 'phone']);

export function splitScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/** The claims the given scopes release; unknown scopes release nothing. */
export function claimsOfScopes(scopes: Iterable<string>): Set<string> {
  const claims = new Set<string>();
  for (const scope of scopes) for (const claim of SCOPE_CLAIMS[scope] ?? []) claims.add(claim);
  return claims;
}
