// AES-256-GCM sealing of what the hub keeps about a citizen (store slots) and of the registry's
// secrets at rest. The key name is the additional data, so a value moved under another key no
// longer opens.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

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
