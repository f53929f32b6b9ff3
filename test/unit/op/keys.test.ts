import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  generateHubKey,
  HUB_KEY_ALGS,
  keySet,
  retirable,
  type StoredSigningKey,
} from '../../../src/op/keys.ts';

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
const key = (kid: string, alg: 'ES256' | 'RS256', activates: number): StoredSigningKey => ({
  kid,
  alg,
  privateJwk: { kty: alg === 'ES256' ? 'EC' : 'RSA' },
  createdAt: at(activates),
  activatesAt: at(activates),
});

describe('hub keys', () => {
  const old = key('es-old', 'ES256', 0);
  const rsa = key('rs', 'RS256', 0);
  const next = key('es-next', 'ES256', 15);

  it('publishes a rotated key at once but keeps signing with the old one until it activates', () => {
    const before = keySet([old, rsa, next], at(10));
    expect(before.active).toEqual({ ES256: 'es-old', RS256: 'rs' });
    expect(before.jwks.map((jwk) => jwk.kid)).toEqual(expect.arrayContaining(['es-old', 'rs', 'es-next']));
    // oidc-provider signs with the first key of an algorithm: the signers come first.
    expect(before.jwks.findIndex((jwk) => jwk.kid === 'es-old')).toBeLessThan(
      before.jwks.findIndex((jwk) => jwk.kid === 'es-next'),
    );
    const after = keySet([old, rsa, next], at(16));
    expect(after.active.ES256).toBe('es-next');
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('lets a key retire only once a newer one has signed for the grace period', () => {
    expect(retirable(old, [old, rsa, next], 300, at(10))).toBe(false);
    expect(retirable(old, [old, rsa, next], 300, at(17))).toBe(false);
    expect(retirable(old, [old, rsa, next], 300, at(21))).toBe(true);
    expect(retirable(next, [old, rsa, next], 300, at(60))).toBe(false);
    expect(retirable(rsa, [old, rsa, next], 300, at(60))).toBe(false);
  });

  it('publishes encryption keys as use enc, the active one of each algorithm first', () => {
    const enc = (kid: string, activates: number): StoredSigningKey => ({
      ...key(kid, 'ES256', activates),
      alg: 'ECDH-ES',
    });
    const set = keySet([old, enc('ecdh-old', 0), enc('ecdh-next', 15)], at(10));
    expect(set.active).toEqual({ ES256: 'es-old', 'ECDH-ES': 'ecdh-old' });
    expect(set.jwks.find((jwk) => jwk.kid === 'ecdh-old')).toMatchObject({ alg: 'ECDH-ES', use: 'enc' });
    expect(set.jwks.find((jwk) => jwk.kid === 'es-old')).toMatchObject({ use: 'sig' });
    const kids = set.jwks.map((jwk) => jwk.kid);
    expect(kids.indexOf('ecdh-old')).toBeLessThan(kids.indexOf('ecdh-next'));
    expect(keySet([enc('ecdh-old', 0), enc('ecdh-next', 15)], at(16)).active['ECDH-ES']).toBe('ecdh-next');
  });

  it('generates each algorithm as the JWKS publishes it, kid the thumbprint', async () => {
    for (const alg of HUB_KEY_ALGS) {
      const generated = await generateHubKey(alg);
      expect(generated.privateJwk).toMatchObject({
        alg,
        use: alg === 'ES256' || alg === 'RS256' ? 'sig' : 'enc',
        kty: alg === 'ES256' || alg === 'ECDH-ES' ? 'EC' : 'RSA',
      });
      if (generated.privateJwk.kty === 'EC') expect(generated.privateJwk).toMatchObject({ crv: 'P-256' });
      expect(generated.kid).toBe(await calculateJwkThumbprint(generated.privateJwk));
    }
  });
});
