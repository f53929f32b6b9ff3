// The hub's transaction with an IdP: what the callback must match to trust the answer. It lives
// in the login record (login/record.ts), sealed, and is used at most once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { acrSchema } from '../acr.ts';

export const idpTransactionSchema = z.object({
  state: z.string(),
  idpUid: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  /** The level the SP needs: the IdP's answer must reach it. */
  requiredAcr: acrSchema,
  /**
   * The secret the departing browser keeps in a cookie: the callback must bring it back. A record
   * written before there was one (an upgrade mid-login) reads as '', which nothing matches: that
   * login ends on the session-expired page with its way back, not on a 500.
   */
  browserBinding: z.string().min(22).catch(''),
});
export type IdpTransaction = z.infer<typeof idpTransactionSchema>;

/** How long the browser has to come back from the IdP (its binding cookie lives as long). */
export const TRANSACTION_TTL = 15 * 60;

/** 256 random bits, base64url: the binding cookie's value. */
export const newBrowserBinding = (): string => randomBytes(32).toString('base64url');

/** The callback's browser brought this transaction's binding back; compared in constant time. */
export function boundToBrowser(transaction: IdpTransaction, presented: string | undefined): boolean {
  if (!presented || !transaction.browserBinding) return false;
  // Hashed first, so that the comparison takes the same time whatever the lengths.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(transaction.browserBinding), digest(presented));
}
