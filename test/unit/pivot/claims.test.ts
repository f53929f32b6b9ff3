import { describe, expect, it } from 'vitest';
import { mapIdentityProviderClaims } from '../../../src/pivot/index.ts';

describe('mapIdentityProviderClaims', () => {
  const claims = { sub: 'idp-sub-1', prenoms: 'Marie Anne', nom: 'DUPONT', birthdate: '1985-04-12' };

  it('returns an equal copy when there is no mapping', () => {
    const result = mapIdentityProviderClaims(claims);
    expect(result).toEqual(claims);
    expect(result).not.toBe(claims);
  });

  it('sets each target claim from the IdP source claim and passes the others through', () => {
    const result = mapIdentityProviderClaims(claims, { given_name: 'prenoms', family_name: 'nom' });
    expect(result).toMatchObject({
      given_name: 'Marie Anne',
      family_name: 'DUPONT',
      birthdate: '1985-04-12',
    });
    expect(result['sub']).toBe('idp-sub-1');
  });

  it('reads sources from the original claims, so two claims can be swapped', () => {
    const swapped = mapIdentityProviderClaims(
      { given_name: 'DUPONT', family_name: 'Marie' },
      { given_name: 'family_name', family_name: 'given_name' },
    );
    expect(swapped).toEqual({ given_name: 'Marie', family_name: 'DUPONT' });
  });

  it('leaves a mapped claim undefined when the IdP did not send its source', () => {
    const result = mapIdentityProviderClaims({ given_name: 'Marie' }, { given_name: 'prenoms' });
    expect(result['given_name']).toBeUndefined();
  });

  it('does not modify the input', () => {
    const input = { prenoms: 'Marie' };
    mapIdentityProviderClaims(input, { given_name: 'prenoms' });
    expect(input).toEqual({ prenoms: 'Marie' });
  });

  it('treats "__proto__" and inherited names as plain, absent keys', () => {
    // JSON.parse, as a federation file would, makes "__proto__" an own key of the mapping.
    const mapping = JSON.parse('{"__proto__": "prenoms", "given_name": "toString"}') as Record<
      string,
      string
    >;
    const result = mapIdentityProviderClaims({ prenoms: 'Marie' }, mapping);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(result['given_name']).toBeUndefined();
  });
});
