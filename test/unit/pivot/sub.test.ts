import { describe, expect, it } from 'vitest';
import { deriveSub, identityKey, type Pivot } from '../../../src/pivot/index.ts';

const secret = 'sub-test-secret-0123456789abcdef-xyz';
const throughIdpA: Pivot = {
  given_name: 'Jean-Pierre',
  family_name: 'N’Diaye',
  birthdate: '1972-11-03',
  gender: 'male',
  birthplace: '69123',
  birthcountry: '99100',
};
const throughIdpB: Pivot = { ...throughIdpA, given_name: 'JEAN PIERRE', family_name: "N'DIAYE" };

describe('deriveSub', () => {
  it('is 64 lowercase hex characters', () => {
    expect(deriveSub(secret, 'sp-demo', identityKey(throughIdpA))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives one person the same sub at a sector whatever IdP spelled the names', () => {
    expect(deriveSub(secret, 'sp-demo', identityKey(throughIdpB))).toBe(
      deriveSub(secret, 'sp-demo', identityKey(throughIdpA)),
    );
  });

  it('gives unrelated subs at two sectors', () => {
    const key = identityKey(throughIdpA);
    expect(deriveSub(secret, 'sector-a', key)).not.toBe(deriveSub(secret, 'sector-b', key));
  });

  it('is deterministic, and the same for a string or Buffer secret', () => {
    const key = identityKey(throughIdpA);
    expect(deriveSub(secret, 'sp-demo', key)).toBe(deriveSub(secret, 'sp-demo', key));
    expect(deriveSub(Buffer.from(secret), 'sp-demo', key)).toBe(deriveSub(secret, 'sp-demo', key));
  });

  it('changes with the secret', () => {
    const key = identityKey(throughIdpA);
    expect(deriveSub(`${secret}!`, 'sp-demo', key)).not.toBe(deriveSub(secret, 'sp-demo', key));
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => deriveSub('short', 'sp-demo', identityKey(throughIdpA))).toThrow(/32 bytes/);
    expect(() => deriveSub('', 'sp-demo', identityKey(throughIdpA))).toThrow(/32 bytes/);
  });

  it('refuses an empty sector or one holding the separator', () => {
    expect(() => deriveSub(secret, '', 'v1')).toThrow(/sector/);
    expect(() => deriveSub(secret, 'a\u001fv1', 'v1')).toThrow(/sector/);
  });
});
