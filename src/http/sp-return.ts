// The way back to the SP after the interaction is gone (refresh or back on a one-shot step):
// the trusted redirect URI and state, recorded while the interaction was open, carry the error.
import type { RelaisError } from '../errors.ts';
import type { Kv } from '../store/kv.ts';

export interface SpReturn {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
}

const key = (uid: string) => `sp-return:${uid}`;

/**
 * Written with each new interaction (oidc-adapter's companions), in the same round trip: once
 * /authorize has opened an interaction, its client and redirect URI are trusted, and the way
 * back to them is known for the whole login, even after the interaction is gone.
 */
export function spReturnWithInteraction(
  model: string,
  uid: string,
  payload: Record<string, unknown>,
): Array<{ key: string; value: string }> {
  if (model !== 'Interaction' || payload['result'] !== undefined) return [];
  const params = (payload['params'] ?? {}) as Record<string, unknown>;
  const { client_id: clientId, redirect_uri: redirectUri, state } = params;
  if (typeof clientId !== 'string' || typeof redirectUri !== 'string') return [];
  const spReturn: SpReturn = { clientId, redirectUri, state: typeof state === 'string' ? state : undefined };
  return [{ key: key(uid), value: JSON.stringify(spReturn) }];
}

export async function recallSpReturn(kv: Kv, uid: string): Promise<SpReturn | undefined> {
  const raw = await kv.get(key(uid));
  return raw ? (JSON.parse(raw) as SpReturn) : undefined;
}

/** The authorization error response (RFC 6749 §4.1.2.1 with RFC 9207's iss), by query. */
export function errorRedirect(spReturn: SpReturn, error: RelaisError, issuer: string): string {
  const url = new URL(spReturn.redirectUri);
  url.searchParams.set('error', error.entry.oauth);
  url.searchParams.set('error_description', error.description);
  if (spReturn.state) url.searchParams.set('state', spReturn.state);
  url.searchParams.set('iss', issuer);
  return url.href;
}
