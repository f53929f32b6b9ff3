// The FranceConnect v2 authorization rules, one by one, on plain parameters.
import { describe, expect, it } from 'vitest';
import type { Acr } from '../../../src/acr.ts';
import {
  checkAuthorizationRequest,
  PRO_REQUEST_RULES,
  type RuleContext,
} from '../../../src/op/rules/index.ts';
import { PRO_SCOPE_CLAIMS, SCOPE_CLAIMS } from '../../../src/op/scopes.ts';
import { identityProvider, serviceProvider } from '../../support/fixtures.ts';

const sp = serviceProvider({ scope: 'openid identite_pivot email', acr_values: ['eidas1', 'eidas2'] });
const idp = (uid: string, acr_values: Acr[]) => identityProvider(uid, { acr_values });
const context: RuleContext = {
  sp,
  identityProviders: [idp('low', ['eidas1']), idp('high', ['eidas1', 'eidas2'])],
  scopeClaims: SCOPE_CLAIMS,
};

const valid = {
  scope: 'openid identite_pivot',
  state: 'state-value',
  nonce: 'n'.repeat(22),
  prompt: 'login consent',
  acr_values: 'eidas1',
};
const codeOf = (params: Record<string, string | undefined>, ctx = context) =>
  checkAuthorizationRequest(params, ctx)?.code;

describe('FC v2 authorization rules', () => {
  it('accept a complete request', () => {
    expect(codeOf(valid)).toBeUndefined();
  });

  it.each([
    ['state missing', { state: undefined }, 'R1006'],
    ['openid missing', { scope: 'identite_pivot' }, 'R1003'],
    ['address asked', { scope: 'openid address' }, 'R1004'],
    ['phone asked', { scope: 'openid phone' }, 'R1004'],
    ['a scope the SP was not granted', { scope: 'openid birth' }, 'R1005'],
    ['nonce missing', { nonce: undefined }, 'R1007'],
    ['nonce of 21 characters', { nonce: 'n'.repeat(21) }, 'R1007'],
    ['prompt missing', { prompt: undefined }, 'R1008'],
    ['prompt=login alone', { prompt: 'login' }, 'R1008'],
    ['prompt=consent alone', { prompt: 'consent' }, 'R1008'],
    ['acr_values missing', { acr_values: undefined }, 'R1009'],
    ['acr_values empty', { acr_values: '' }, 'R1009'],
    ['an unknown level', { acr_values: 'eidas9' }, 'R1010'],
    ['a level the SP may not ask', { acr_values: 'eidas3' }, 'R1010'],
    ['idp_hint unknown', { idp_hint: 'nobody' }, 'R1012'],
    ['idp_hint unable to reach the level', { idp_hint: 'low', acr_values: 'eidas2' }, 'R1012'],
  ])('refuse %s', (_, override, code) => {
    expect(codeOf({ ...valid, ...override })).toBe(code);
  });

  it('ignore unknown scopes and accept prompt values in any order', () => {
    expect(
      codeOf({ ...valid, scope: 'openid email something_else', prompt: 'consent login' }),
    ).toBeUndefined();
  });

  it('accept a level some allowed IdP can deliver, refuse one none can', () => {
    expect(codeOf({ ...valid, acr_values: 'eidas2' })).toBeUndefined();
    expect(
      codeOf({ ...valid, acr_values: 'eidas2' }, { ...context, identityProviders: [idp('low', ['eidas1'])] }),
    ).toBe('R1011');
  });

  it('accept an idp_hint naming an allowed IdP that reaches the level', () => {
    expect(codeOf({ ...valid, idp_hint: 'high', acr_values: 'eidas2' })).toBeUndefined();
  });

  it('describe the failure for the SP with its code, never with personal data', () => {
    const failure = checkAuthorizationRequest({ ...valid, scope: 'openid phone' }, context);
    expect(failure?.entry.oauth).toBe('invalid_scope');
    expect(failure?.description).toMatch(/phone.*\[R1004\]$/);
  });
});

describe('ProConnect authorization rules', () => {
  const proSp = serviceProvider({
    scope: 'openid given_name usual_name email siret phone',
    acr_values: ['eidas1', 'eidas2'],
  });
  const pro: RuleContext = { ...context, sp: proSp, scopeClaims: PRO_SCOPE_CLAIMS };
  const proValid = { scope: 'openid email siret', state: 'state-value', nonce: 'n'.repeat(22) };
  const proCode = (params: Record<string, string | undefined>, ctx = pro) =>
    checkAuthorizationRequest(params, ctx, PRO_REQUEST_RULES)?.code;

  it('need neither prompt nor acr_values, and accept phone (a ProConnect claim)', () => {
    expect(proCode(proValid)).toBeUndefined();
    expect(proCode({ ...proValid, scope: 'openid phone' })).toBeUndefined();
  });

  it('admit on a public_agents_only SP only an idp_hint of the public sector', () => {
    const publicOnly: RuleContext = {
      ...pro,
      sp: { ...proSp, public_agents_only: true },
      identityProviders: [
        identityProvider('ministry', { public_sector: true }),
        identityProvider('fallback', { fallback: true }),
      ],
    };
    expect(proCode({ ...proValid, idp_hint: 'ministry' }, publicOnly)).toBeUndefined();
    expect(proCode({ ...proValid, idp_hint: 'fallback' }, publicOnly)).toBe('R1012');
  });

  it('accept a siret_hint that is a SIRET, refuse anything else', () => {
    expect(proCode({ ...proValid, siret_hint: '55210055400013' })).toBeUndefined();
    expect(proCode({ ...proValid, siret_hint: '55210055400014' })).toBe('R1013');
    expect(proCode({ ...proValid, siret_hint: '<script>' })).toBe('R1013');
  });

  it('count an essential acr in claims like acr_values', () => {
    const claims = (value: string) => JSON.stringify({ id_token: { acr: { essential: true, value } } });
    expect(proCode({ ...proValid, claims: claims('eidas2') })).toBeUndefined();
    expect(proCode({ ...proValid, claims: claims('eidas3') })).toBe('R1010');
    expect(
      proCode(
        { ...proValid, claims: claims('eidas2') },
        { ...pro, identityProviders: [idp('low', ['eidas1'])] },
      ),
    ).toBe('R1011');
  });

  it('still refuse a scope the SP is not authorised for', () => {
    expect(proCode({ ...proValid, scope: 'openid siren' })).toBe('R1005');
  });
});
