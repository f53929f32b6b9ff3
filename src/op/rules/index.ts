// The FranceConnect v2 authorization rules, in the order they are checked. oidc-provider has
// already checked the client, the redirect URI, response_type and PKCE (S256 only) before these.
import type { ProfileName } from '../../config/index.ts';
import type { RelaisError } from '../../errors.ts';
import { acrValues } from './acr-values.ts';
import { authorisedScopes } from './authorised-scopes.ts';
import { boundedParameters } from './bounds.ts';
import { encryptionForLevel } from './encryption.ts';
import { forbiddenScopes } from './forbidden-scopes.ts';
import { idpHint } from './idp-hint.ts';
import { nonceRequired } from './nonce.ts';
import { openidScope } from './openid-scope.ts';
import { proAcrValues, proIdpHint, proSiretHint } from './pro.ts';
import { promptLoginConsent } from './prompt.ts';
import { queryResponseMode } from './response-mode.ts';
import { stateRequired } from './state.ts';
import type { AuthorizationParams, RequestRule, RuleContext } from './types.ts';

export const REQUEST_RULES: readonly RequestRule[] = [
  boundedParameters,
  stateRequired,
  queryResponseMode,
  openidScope,
  forbiddenScopes,
  authorisedScopes,
  nonceRequired,
  promptLoginConsent,
  acrValues,
  encryptionForLevel,
  idpHint,
];

/** ProConnect: the same request, without FranceConnect's scope and prompt rules. */
export const PRO_REQUEST_RULES: readonly RequestRule[] = [
  boundedParameters,
  stateRequired,
  queryResponseMode,
  openidScope,
  authorisedScopes,
  nonceRequired,
  proAcrValues,
  encryptionForLevel,
  proIdpHint,
  proSiretHint,
];

export function requestRulesOf(profile: ProfileName): readonly RequestRule[] {
  return profile === 'proconnect' ? PRO_REQUEST_RULES : REQUEST_RULES;
}

export function checkAuthorizationRequest(
  params: AuthorizationParams,
  context: RuleContext,
  rules: readonly RequestRule[] = REQUEST_RULES,
): RelaisError | undefined {
  for (const rule of rules) {
    const error = rule(params, context);
    if (error) return error;
  }
  return undefined;
}

export type { AuthorizationParams, RuleContext } from './types.ts';
