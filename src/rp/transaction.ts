// The hub's transaction with an IdP: what the callback must match to trust the answer. It lives
// in the login record (login/record.ts), sealed, and is used at most once.
import { z } from 'zod';
import { acrSchema } from '../acr.ts';

export const idpTransactionSchema = z.object({
  state: z.string(),
  idpUid: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  /** The level the SP needs: the IdP's answer must reach it. */
  requiredAcr: acrSchema,
});
export type IdpTransaction = z.infer<typeof idpTransactionSchema>;

/** How long the browser has to come back from the IdP (its binding cookie lives as long). */
export const TRANSACTION_TTL = 15 * 60;
