// The eIDAS level rules, in one module: what a request needs, what an IdP is asked for and must
// answer, and when an SSO may stand in for a new authentication.
import { describe, expect, it } from 'vitest';
import {
  canDeliver,
  deliveredLevel,
  establishedLevel,
  levelToAsk,
  parseAcrValues,
  requestedLevel,
  ssoSatisfies,
} from '../../src/acr.ts';

const idp = (...acr_values: Array<'eidas1' | 'eidas2' | 'eidas3'>) => ({ acr_values });

describe('the levels a request asks', () => {
  it('splits acr_values into known levels and unknown values', () => {
    expect(parseAcrValues('eidas2 foo eidas1  ')).toEqual({ levels: ['eidas2', 'eidas1'], unknown: ['foo'] });
    expect(parseAcrValues(undefined)).toEqual({ levels: [], unknown: [] });
  });

  it('needs the weakest level asked (any of them satisfies the SP), none when none is known', () => {
    expect(requestedLevel('eidas3 eidas2', undefined)).toBe('eidas2');
    expect(requestedLevel('eidas1 eidas3', undefined)).toBe('eidas1');
    expect(requestedLevel('foo', undefined)).toBeUndefined();
  });
});

describe('the IdP side', () => {
  it('an IdP can serve a level when it declares one at least as strong', () => {
    expect(canDeliver(idp('eidas1', 'eidas3'), 'eidas2')).toBe(true);
    expect(canDeliver(idp('eidas1'), 'eidas2')).toBe(false);
  });

  it('asks the IdP the weakest of its levels that satisfies the SP', () => {
    expect(levelToAsk(idp('eidas1', 'eidas2', 'eidas3'), 'eidas2')).toBe('eidas2');
    expect(levelToAsk(idp('eidas3', 'eidas1'), 'eidas2')).toBe('eidas3');
    expect(levelToAsk(idp('eidas1'), 'eidas2')).toBe('eidas2');
  });

  it('believes an answer only at a level the IdP declares and at least the one required', () => {
    expect(deliveredLevel(idp('eidas1', 'eidas2'), 'eidas2', 'eidas1')).toBe('eidas2');
    expect(deliveredLevel(idp('eidas1', 'eidas2'), 'eidas1', 'eidas2')).toBeUndefined();
    expect(deliveredLevel(idp('eidas1'), 'eidas3', 'eidas1')).toBeUndefined();
    expect(deliveredLevel(idp('eidas1'), 'loa1', 'eidas1')).toBeUndefined();
    expect(deliveredLevel(idp('eidas1'), undefined, 'eidas1')).toBeUndefined();
  });
});

describe('SSO', () => {
  it('stands in for a new authentication for eidas1 only, and only from a level that reaches it', () => {
    expect(ssoSatisfies('eidas1', 'eidas1')).toBe(true);
    expect(ssoSatisfies('eidas3', 'eidas1')).toBe(true);
    expect(ssoSatisfies('eidas3', 'eidas2')).toBe(false);
    expect(ssoSatisfies('eidas2', 'eidas3')).toBe(false);
    expect(ssoSatisfies('unknown', 'eidas1')).toBe(false);
  });
});

describe('ProConnect', () => {
  const essential = (member: Record<string, unknown>, where = 'id_token') =>
    JSON.stringify({ [where]: { acr: member } });

  it('counts an essential acr in claims (value or values, id_token or userinfo) like acr_values', () => {
    expect(requestedLevel(undefined, essential({ essential: true, value: 'eidas2' }))).toBe('eidas2');
    expect(
      requestedLevel(undefined, essential({ essential: true, values: ['eidas3', 'eidas2'] }, 'userinfo')),
    ).toBe('eidas2');
    // Both must hold: the stronger floor (an essential eidas3 is never settled by acr_values=eidas1).
    expect(requestedLevel('eidas2', essential({ essential: true, value: 'eidas1' }))).toBe('eidas2');
    expect(requestedLevel('eidas1', essential({ essential: true, values: ['eidas3'] }))).toBe('eidas3');
  });

  it('ignores a voluntary acr, an unknown level and a claims parameter that is not JSON', () => {
    expect(requestedLevel(undefined, essential({ value: 'eidas2' }))).toBeUndefined();
    expect(requestedLevel(undefined, essential({ essential: true, value: 'loa-high' }))).toBeUndefined();
    expect(requestedLevel(undefined, '{not json')).toBeUndefined();
    expect(requestedLevel(undefined, undefined)).toBeUndefined();
  });

  it('eidas1 needs no second factor', () => {
    expect(establishedLevel('eidas1', 'eidas1', ['pwd'])).toBe('eidas1');
    expect(establishedLevel('eidas1', undefined, undefined)).toBe('eidas1');
    expect(establishedLevel('eidas1', 'eidas2', ['pwd', 'mfa'])).toBe('eidas2');
  });

  it('eidas2 and eidas3 need the level in acr, or mfa in amr; short of both, nothing', () => {
    expect(establishedLevel('eidas2', 'eidas2', ['pwd'])).toBe('eidas2');
    expect(establishedLevel('eidas2', 'eidas3', undefined)).toBe('eidas3');
    expect(establishedLevel('eidas2', 'eidas1', ['pwd', 'mfa'])).toBe('eidas2');
    expect(establishedLevel('eidas3', 'eidas1', ['mfa'])).toBe('eidas3');
    expect(establishedLevel('eidas2', 'eidas1', ['pwd'])).toBeUndefined();
    expect(establishedLevel('eidas2', 'urn:other', undefined)).toBeUndefined();
  });
});
