import { canDeliver, parseAcrValues, requiredAcr } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/**
 * FC v2: `acr_values` is mandatory, within the levels the SP may ask for, and deliverable by at
 * least one IdP the SP may use.
 */
export const acrValues: RequestRule = (params, { sp, identityProviders }) => {
  const { levels, unknown } = parseAcrValues(params.acr_values);
  if (!levels.length && !unknown.length) return new RelaisError('R1009');
  const unusable = [...unknown, ...levels.filter((level) => !sp.acr_values.includes(level))];
  if (unusable.length) return new RelaisError('R1010', { detail: unusable.join(' ') });
  const required = requiredAcr(levels);
  if (!required || !identityProviders.some((idp) => canDeliver(idp, required)))
    return new RelaisError('R1011');
  return undefined;
};
