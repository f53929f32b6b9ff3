import { RelaisError } from '../../errors.ts';
import type { RequestRule } from './types.ts';

/**
 * Every parameter an SP sends is kept with the login (the interaction, up to 30 minutes): each has
 * a bound, generous for any honest client (express-openid-connect's JSON state, a ProConnect email
 * as login_hint, a claims request for every claim) and small enough that a flood of them cannot
 * grow the store. Checked first, before any other rule reads them.
 */
export const PARAMETER_BOUNDS: Readonly<Record<string, number>> = {
  // express-openid-connect carries the page to return to in its state (base64url JSON).
  state: 2048,
  nonce: 512,
  login_hint: 320,
  claims: 2048,
  ui_locales: 64,
  acr_values: 256,
  scope: 1024,
  idp_hint: 256,
  siret_hint: 64,
  prompt: 64,
};
/** What an authorization request's query may hold, GET or POST (op/mount.ts, op/provider.ts). */
export const MAX_AUTHORIZE_QUERY = 6 * 1024;

/** Any other parameter oidc-provider recognises (redirect_uri, code_challenge…). */
const OTHER_PARAMETER_BOUND = 2048;

export const boundedParameters: RequestRule = (params) => {
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value.length > (PARAMETER_BOUNDS[name] ?? OTHER_PARAMETER_BOUND)) {
      return new RelaisError('R1015', {
        detail: `${name} longer than ${PARAMETER_BOUNDS[name] ?? OTHER_PARAMETER_BOUND}`,
      });
    }
  }
  return undefined;
};
