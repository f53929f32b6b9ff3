// Which IdP an agent's email sends them to: the IdPs listing its domain, the most specific first
// (`interieur.gouv.fr` beats `gouv.fr`), else the fallback IdP, else none.
import { domainMatches } from './identity.ts';

export interface RoutableIdp {
  uid: string;
  email_domains?: readonly string[] | undefined;
  fallback?: boolean | undefined;
}

export type Route<T extends RoutableIdp> =
  | { kind: 'domain'; idps: T[]; matched: string }
  | { kind: 'fallback'; idp: T }
  | { kind: 'none' };

/** The longest domain an IdP lists that `domain` is, or is under; undefined when none. */
function longestMatch(domain: string, idp: RoutableIdp): string | undefined {
  let best: string | undefined;
  for (const listed of idp.email_domains ?? []) {
    if (domainMatches(domain, listed) && (best === undefined || listed.length > best.length)) {
      best = listed.toLowerCase();
    }
  }
  return best;
}

/**
 * Routes an email domain among usable IdPs (active, allowed for the SP), given in display order,
 * which the result keeps. Every match is a suffix of the same domain, so longer is more specific.
 */
export function routeEmail<T extends RoutableIdp>(domain: string, idps: readonly T[]): Route<T> {
  let matched = '';
  let best: T[] = [];
  for (const idp of idps) {
    const listed = longestMatch(domain, idp);
    if (listed === undefined || listed.length < matched.length) continue;
    if (listed.length > matched.length) {
      matched = listed;
      best = [];
    }
    best.push(idp);
  }
  if (best.length > 0) return { kind: 'domain', idps: best, matched };
  const fallback = idps.find((idp) => idp.fallback === true);
  return fallback === undefined ? { kind: 'none' } : { kind: 'fallback', idp: fallback };
}
