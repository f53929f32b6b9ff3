import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

export const MIN_NONCE_LENGTH = 22;

/** FC v2: `nonce` is mandatory and long enough to resist guessing (≥ 128 bits in base64url). */
export const nonceRequired: RequestRule = (params) =>
  params.nonce && params.nonce.length >= MIN_NONCE_LENGTH ? undefined : new RelaisError('R1007');
