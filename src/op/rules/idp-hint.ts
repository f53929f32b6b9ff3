import { canDeliver, parseAcrValues, requiredAcr } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/** `idp_hint` skips the mire, so it must name an IdP the citizen could have picked there. */
export const idpHint: RequestRule = (params, { identityProviders }) => {
  if (params.idp_hint === undefined) return undefined;
  const idp = identityProviders.find((candidate) => candidate.uid === params.idp_hint);
  const required = requiredAcr(parseAcrValues(params.acr_values).levels);
  if (!idp || !required || !canDeliver(idp, required)) return new RelaisError('R1012');
  return undefined;
};
