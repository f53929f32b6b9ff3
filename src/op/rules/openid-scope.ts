import { splitScope } from '../../config/federation.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** FC v2: an OpenID Connect request, so `scope` contains `openid`. */
export const openidScope: RequestRule = (params) =>
  splitScope(params.scope).includes('openid') ? undefined : new RelaisError('R1003');
