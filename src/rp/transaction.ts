// The hub's transaction with an IdP: what the callback must find to trust the answer. Sealed,
// short-lived, and taken exactly once (a replayed or foreign state finds nothing).
import type { Acr } from '../config/federation.ts';
import type { Vault } from '../store/vault.ts';

export interface IdpTransaction {
  interactionUid: string;
  idpUid: string;
  nonce: string;
  codeVerifier: string;
  requiredAcr: Acr;
}

export const TRANSACTION_TTL = 15 * 60;
const key = (state: string) => `idp-tx:${state}`;

export const saveTransaction = (vault: Vault, state: string, tx: IdpTransaction) =>
  vault.put(key(state), tx, TRANSACTION_TTL);

export async function takeTransaction(
  vault: Vault,
  state: string | null,
): Promise<IdpTransaction | undefined> {
  if (!state || state.length > 256) return undefined;
  return (await vault.take(key(state))) as IdpTransaction | undefined;
}
