import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** FC v2: `state` is mandatory (the SP's CSRF protection). */
export const stateRequired: RequestRule = (params) => (params.state ? undefined : new RelaisError('R1006'));
