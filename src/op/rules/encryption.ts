import { acrRank, requestedLevel } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/**
 * FranceConnect+: from the federation's level on (ENCRYPTION_REQUIRED_FROM), the identity reaches
 * the SP only encrypted to it; an SP asking that level without an encryption key is refused.
 */
export const encryptionForLevel: RequestRule = (params, { sp, encryptionRequiredFrom }) => {
  if (!encryptionRequiredFrom) return undefined;
  const level = requestedLevel(params.acr_values, params.claims);
  if (!level || acrRank(level) < acrRank(encryptionRequiredFrom)) return undefined;
  return sp.id_token_encrypted_response_alg && sp.userinfo_encrypted_response_alg
    ? undefined
    : new RelaisError('R1016', { detail: `${level} needs id_token and userinfo encryption` });
};
