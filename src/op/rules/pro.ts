// ProConnect's differences from the FranceConnect v2 rules: `prompt` and `acr_values` are optional,
// and an essential `acr` in `claims` asks for a level as `acr_values` does.
import { canDeliver, parseAcrValues, requestedLevel } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

const PRO_PROMPTS = new Set(['login', 'consent', 'none']);

/** `prompt` optional: login, consent, none; none alone (OIDC Core §3.1.2.1). */
export const proPrompt: RequestRule = (params) => {
  const prompts = (params.prompt ?? '').split(' ').filter(Boolean);
  if (prompts.some((prompt) => !PRO_PROMPTS.has(prompt)))
    return new RelaisError('R1014', { detail: 'prompt' });
  if (prompts.includes('none') && prompts.length > 1)
    return new RelaisError('R1014', { detail: 'prompt none' });
  return undefined;
};

/** `acr_values` (or an essential acr in `claims`) optional, eidas1 by default; else as FC v2. */
export const proAcrValues: RequestRule = (params, { sp, identityProviders }) => {
  const { unknown } = parseAcrValues(params.acr_values);
  const required = requestedLevel(params.acr_values, params.claims);
  const asked = [...parseAcrValues(params.acr_values).levels, ...(required ? [required] : [])];
  const unusable = [...unknown, ...asked.filter((level) => !sp.acr_values.includes(level))];
  if (unusable.length) return new RelaisError('R1010', { detail: [...new Set(unusable)].join(' ') });
  if (!identityProviders.some((idp) => canDeliver(idp, required ?? 'eidas1')))
    return new RelaisError('R1011');
  return undefined;
};

/** `idp_hint` names an IdP the agent could have been routed to, able to reach the level. */
export const proIdpHint: RequestRule = (params, { identityProviders }) => {
  if (params.idp_hint === undefined) return undefined;
  const idp = identityProviders.find((candidate) => candidate.uid === params.idp_hint);
  const required = requestedLevel(params.acr_values, params.claims) ?? 'eidas1';
  if (!idp || !canDeliver(idp, required)) return new RelaisError('R1012');
  return undefined;
};
