// CSRF tokens for the hub's forms: bound to the interaction, stateless, checked in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function csrfToken(key: Buffer, uid: string): string {
  return createHmac('sha256', key).update(`csrf\u001f${uid}`).digest('base64url');
}

export function csrfValid(key: Buffer, uid: string, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const expected = Buffer.from(csrfToken(key, uid));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
