// The `sub` an SP sees: HMAC-SHA256(sub secret, sector ␟ identity key), lowercase hex.
import { createHmac } from 'node:crypto';

const MIN_SECRET_BYTES = 32;

/** Same person and sector → same `sub` whatever the IdP; another sector → an unrelated `sub`. */
export function deriveSub(subSecret: string | Buffer, sector: string, key: string): string {
  // A short or empty secret would make every citizen's `sub` guessable: refuse it loudly.
  if (Buffer.byteLength(subSecret) < MIN_SECRET_BYTES) {
    throw new Error(`deriveSub: the sub secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // The separator inside a sector would make (sector, key) pairs ambiguous.
  if (sector.length === 0 || sector.includes('\u001f')) {
    throw new Error('deriveSub: the sector must be non-empty and free of U+001F');
  }
  return createHmac('sha256', subSecret).update(`${sector}\u001f${key}`, 'utf8').digest('hex');
}
