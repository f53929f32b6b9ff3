import { splitScope } from '../../config/federation.ts';
import { RelaisError } from '../../errors.ts';
import { FORBIDDEN_SCOPES } from '../scopes.ts';
import type { RequestRule } from './types.ts';

/** FC v2: `address` and `phone` were removed; asking for them fails the login. */
export const forbiddenScopes: RequestRule = (params) => {
  const forbidden = splitScope(params.scope).filter((scope) => FORBIDDEN_SCOPES.has(scope));
  return forbidden.length ? new RelaisError('R1004', { detail: forbidden.join(' ') }) : undefined;
};
