import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** FC v2 answers by query only: every hub answer (success or error) has one shape for the SP. */
export const queryResponseMode: RequestRule = (params) =>
  params.response_mode === undefined || params.response_mode === 'query'
    ? undefined
    : new RelaisError('R1013', { detail: 'response_mode must be query' });
