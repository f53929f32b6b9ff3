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

export async function rememberSpReturn(
  kv: Kv,
  uid: string,
  spReturn: SpReturn,
  ttlSeconds: number,
): Promise<void> {
  await kv.set(key(uid), JSON.stringify(spReturn), ttlSeconds);
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
