import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** One ES256 and one RS256 private JWK, each with a fresh `kid` (its thumbprint). */
export async function generateSigningKeys(): Promise<JWK[]> {
  return Promise.all(
    (['ES256', 'RS256'] as const).map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(privateKey);
      return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
    }),
  );
}

/** Cookie signing keys: random per instance, so a restart invalidates every mock session. */
export function generateCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url')];
}
