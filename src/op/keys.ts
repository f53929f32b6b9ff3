import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { HUB_KEY_ALGS, type HubKeyAlg, SIGNING_ALGS } from '../config/federation.ts';

// The hub's own keys: signing keys (its id_tokens, userinfo, logout tokens toward SPs) and
// encryption keys (what IdPs encrypt to it). A rotated key is published at once but becomes the
// active one of its algorithm only once activated, so that SPs and IdPs caching the JWKS already
// have it; a retired key is gone. An encryption key still decrypts until it is retired.
export { HUB_KEY_ALGS, type HubKeyAlg, SIGNING_ALGS };

/** `sig` for the signing algorithms, `enc` for the key management ones. */
export const useOf = (alg: HubKeyAlg): 'sig' | 'enc' =>
  (SIGNING_ALGS as readonly string[]).includes(alg) ? 'sig' : 'enc';

export interface StoredSigningKey {
  kid: string;
  alg: HubKeyAlg;
  privateJwk: Record<string, unknown>;
  createdAt: Date;
  activatesAt: Date;
}

export interface KeySet {
  /**
   * oidc-provider signs with the first key of each algorithm, and IdPs encrypt to the first of
   * theirs: the active keys come first.
   */
  jwks: Array<Record<string, unknown>>;
  /** Changes whenever what is published or what is active changes. */
  fingerprint: string;
  /** The active key of each algorithm: the one that signs, or the one IdPs are asked to encrypt to. */
  active: Partial<Record<HubKeyAlg, string>>;
}

export function keySet(keys: readonly StoredSigningKey[], now = new Date()): KeySet {
  const newestFirst = [...keys].sort(
    (a, b) =>
      b.activatesAt.getTime() - a.activatesAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime(),
  );
  const active: Partial<Record<HubKeyAlg, string>> = {};
  for (const key of newestFirst) if (key.activatesAt <= now && !active[key.alg]) active[key.alg] = key.kid;
  const inUse = new Set(Object.values(active));
  const ordered = [
    ...newestFirst.filter((key) => inUse.has(key.kid)),
    ...newestFirst.filter((key) => !inUse.has(key.kid)),
  ];
  return {
    jwks: ordered.map((key) => ({ ...key.privateJwk, kid: key.kid, alg: key.alg, use: useOf(key.alg) })),
    fingerprint: ordered.map((key) => `${key.kid}${inUse.has(key.kid) ? '*' : ''}`).join(','),
    active,
  };
}

/**
 * A key may be retired once it is no longer active and a newer one of its algorithm has been
 * active for the grace period: every token it signed has expired, and every IdP refreshing the
 * hub's JWKS within that time encrypts to the newer key.
 */
export function retirable(
  key: StoredSigningKey,
  keys: readonly StoredSigningKey[],
  graceSeconds: number,
  now = new Date(),
): boolean {
  const successor = keys
    .filter(
      (other) => other.alg === key.alg && other.activatesAt > key.activatesAt && other.activatesAt <= now,
    )
    .sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime())[0];
  return successor !== undefined && now.getTime() - successor.activatesAt.getTime() >= graceSeconds * 1000;
}

/** A new private key, its kid the JWK thumbprint: P-256 for ES256 and ECDH-ES, RSA 2048 otherwise. */
export async function generateHubKey(alg: HubKeyAlg) {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'ECDH-ES' ? { crv: 'P-256' } : {}),
    ...(alg.startsWith('RS') ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  return { kid: await calculateJwkThumbprint(jwk), alg, privateJwk: { ...jwk, alg, use: useOf(alg) } };
}
