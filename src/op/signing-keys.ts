import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

// Which keys the hub publishes and which it signs with. A rotated key is published at once but
// signs only once activated, so that SPs caching the JWKS already have it; a retired key is gone.
export interface StoredSigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateJwk: Record<string, unknown>;
  createdAt: Date;
  activatesAt: Date;
}

export interface KeySet {
  /** oidc-provider signs with the first key of each algorithm: the signers come first. */
  jwks: Array<Record<string, unknown>>;
  /** Changes whenever what is published or what signs changes. */
  fingerprint: string;
  signers: Record<string, string>;
}

export function keySet(keys: readonly StoredSigningKey[], now = new Date()): KeySet {
  const newestFirst = [...keys].sort(
    (a, b) =>
      b.activatesAt.getTime() - a.activatesAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime(),
  );
  const signers: Record<string, string> = {};
  for (const key of newestFirst) if (key.activatesAt <= now && !signers[key.alg]) signers[key.alg] = key.kid;
  const signing = new Set(Object.values(signers));
  const ordered = [
    ...newestFirst.filter((key) => signing.has(key.kid)),
    ...newestFirst.filter((key) => !signing.has(key.kid)),
  ];
  return {
    jwks: ordered.map((key) => ({ ...key.privateJwk, kid: key.kid, alg: key.alg, use: 'sig' })),
    fingerprint: ordered.map((key) => `${key.kid}${signing.has(key.kid) ? '*' : ''}`).join(','),
    signers,
  };
}

/** A key may be retired once it no longer signs and every token it signed has expired. */
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

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;

/** A new private signing key, its kid the JWK thumbprint. */
export async function generateSigningKey(alg: (typeof SIGNING_ALGS)[number]) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { kid: await calculateJwkThumbprint(jwk), alg, privateJwk: { ...jwk, alg, use: 'sig' } };
}
