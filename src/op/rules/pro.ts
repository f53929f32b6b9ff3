// ProConnect's differences from the FranceConnect v2 rules: `prompt` and `acr_values` are optional
// (oidc-provider itself refuses a prompt value it does not know, or none with another: R1013), an
// essential `acr` in `claims` asks for a level as `acr_values` does, `siret_hint` is a SIRET, and a
// public_agents_only SP may hint only an IdP of the public sector.
import { canDeliver, parseAcrValues, requestedLevel } from '../../acr.ts';
import { RelaisError } from '../../errors.ts';
import { validSiret } from '../../pro/identity.ts';
import type { RequestRule } from './types.ts';

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
export const proIdpHint: RequestRule = (params, { sp, identityProviders }) => {
  if (params.idp_hint === undefined) return undefined;
  const idp = identityProviders.find((candidate) => candidate.uid === params.idp_hint);
  const required = requestedLevel(params.acr_values, params.claims) ?? 'eidas1';
  if (!idp || !canDeliver(idp, required)) return new RelaisError('R1012');
  if (sp.public_agents_only && !idp.public_sector)
    return new RelaisError('R1012', { detail: 'not public sector' });
  return undefined;
};

/** `siret_hint`, passed on to the IdP, is a SIRET (14 digits and its key), never anything else. */
export const proSiretHint: RequestRule = (params) =>
  params.siret_hint === undefined || validSiret(params.siret_hint)
    ? undefined
    : new RelaisError('R1013', { detail: 'siret_hint is not a SIRET' });
