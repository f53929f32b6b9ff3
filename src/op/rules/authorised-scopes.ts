import { splitScope } from '../../config/federation.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** DataPass: a known scope the SP was not granted is refused; unknown scopes are ignored. */
export const authorisedScopes: RequestRule = (params, { sp, scopeClaims, dataScopes }) => {
  const granted = new Set(splitScope(sp.scope));
  const refused = splitScope(params.scope).filter(
    (scope) => (scope in scopeClaims || dataScopes?.has(scope)) && !granted.has(scope),
  );
  return refused.length ? new RelaisError('R1005', { detail: refused.join(' ') }) : undefined;
};
