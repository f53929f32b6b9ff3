// What the hub keeps about a citizen, sealed with AES-256-GCM before it reaches Redis. The key
// name is the additional data, so a value moved under another key no longer opens.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Kv } from './kv.ts';

export interface Vault {
  put(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  get(key: string): Promise<unknown>;
  /** One-time read: the value is gone afterwards. */
  take(key: string): Promise<unknown>;
  del(key: string): Promise<void>;
}

export function seal(encryptionKey: Buffer, key: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(key));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function unseal(encryptionKey: Buffer, key: string, sealed: string): unknown {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(key));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
}

export function createVault(kv: Kv, encryptionKey: Buffer): Vault {
  if (encryptionKey.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const open = (key: string, sealed: string | null) =>
    sealed === null ? undefined : unseal(encryptionKey, key, sealed);
  return {
    put: (key, value, ttlSeconds) => kv.set(key, seal(encryptionKey, key, value), ttlSeconds),
    get: async (key) => open(key, await kv.get(key)),
    take: async (key) => open(key, await kv.take(key)),
    del: (key) => kv.del([key]),
  };
}
