// The eIDAS level rules, in one module: what a request needs, what an IdP is asked for and must
// answer, and when an SSO may stand in for a new authentication.
import { describe, expect, it } from 'vitest';
import {
  canDeliver,
  deliveredLevel,
  levelToAsk,
  parseAcrValues,
  requiredLevel,
  ssoSatisfies,
} from '../../src/acr.ts';

const idp = (...acr_values: Array<'eidas1' | 'eidas2' | 'eidas3'>) => ({ acr_values });

describe('the levels a request asks', () => {
  it('splits acr_values into known levels and unknown values', () => {
    expect(parseAcrValues('eidas2 foo eidas1  ')).toEqual({ levels: ['eidas2', 'eidas1'], unknown: ['foo'] });
    expect(parseAcrValues(undefined)).toEqual({ levels: [], unknown: [] });
  });

  it('needs the weakest level asked (any of them satisfies the SP), eidas1 when none is known', () => {
    expect(requiredLevel('eidas3 eidas2')).toBe('eidas2');
    expect(requiredLevel('eidas1 eidas3')).toBe('eidas1');
    expect(requiredLevel('foo')).toBe('eidas1');
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
