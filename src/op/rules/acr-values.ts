import { canDeliver, essentialAcr, parseAcrValues, requestedLevel } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/**
 * FC v2: `acr_values` is mandatory, within the levels the SP may ask for, and deliverable by at
 * least one IdP the SP may use. An essential `acr` in `claims` is honoured as strictly (OIDC Core
 * 5.5.1.1): its levels too must be the SP's, and the login needs the stronger of the two floors.
 */
export const acrValues: RequestRule = (params, { sp, identityProviders }) => {
  const { levels, unknown } = parseAcrValues(params.acr_values);
  if (!levels.length && !unknown.length) return new RelaisError('R1009');
  const essential = essentialAcr(params.claims);
  const unusable = [...unknown, ...essential.unknown, ...levels, ...essential.levels].filter(
    (level) => !sp.acr_values.includes(level as never),
  );
  if (unusable.length) return new RelaisError('R1010', { detail: [...new Set(unusable)].join(' ') });
  const required = requestedLevel(params.acr_values, params.claims);
  if (!required || !identityProviders.some((idp) => canDeliver(idp, required)))
    return new RelaisError('R1011');
  return undefined;
};
