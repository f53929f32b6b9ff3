import { describe, expect, it } from 'vitest';
import { keySet, retirable, type StoredSigningKey } from '../../../src/op/signing-keys.ts';

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const key = (kid: string, alg: 'ES256' | 'RS256', activates: number): StoredSigningKey => ({
  kid,
  alg,
  privateJwk: { kty: alg === 'ES256' ? 'EC' : 'RSA' },
  createdAt: at(activates),
  activatesAt: at(activates),
});

describe('signing keys', () => {
  const old = key('es-old', 'ES256', 0);
  const rsa = key('rs', 'RS256', 0);
  const next = key('es-next', 'ES256', 15);

  it('publishes a rotated key at once but keeps signing with the old one until it activates', () => {
    const before = keySet([old, rsa, next], at(10));
    expect(before.signers).toEqual({ ES256: 'es-old', RS256: 'rs' });
    expect(before.jwks.map((jwk) => jwk.kid)).toEqual(expect.arrayContaining(['es-old', 'rs', 'es-next']));
    // oidc-provider signs with the first key of an algorithm: the signers come first.
    expect(before.jwks.findIndex((jwk) => jwk.kid === 'es-old')).toBeLessThan(
      before.jwks.findIndex((jwk) => jwk.kid === 'es-next'),
    );
    const after = keySet([old, rsa, next], at(16));
    expect(after.signers.ES256).toBe('es-next');
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('lets a key retire only once a newer one has signed for the grace period', () => {
    expect(retirable(old, [old, rsa, next], 300, at(10))).toBe(false);
    expect(retirable(old, [old, rsa, next], 300, at(17))).toBe(false);
    expect(retirable(old, [old, rsa, next], 300, at(21))).toBe(true);
    expect(retirable(next, [old, rsa, next], 300, at(60))).toBe(false);
    expect(retirable(rsa, [old, rsa, next], 300, at(60))).toBe(false);
  });
});
