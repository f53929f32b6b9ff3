// The way back to the SP after the interaction is gone (refresh or back on a one-shot step):
// the trusted redirect URI and state, recorded while the interaction was open, carry the error.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RelaisError } from '../errors.ts';
import { INTERACTION_TTL } from '../op/provider.ts';
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

/**
 * oidc-provider middleware: once /authorize has opened an interaction for a trusted client and
 * redirect URI, the way back is recorded, once per login rather than at every page of it.
 */
export function rememberSpReturnAtAuthorize(kv: Kv) {
  return async (koa: unknown, next: () => Promise<void>): Promise<void> => {
    await next();
    const ctx = koa as Partial<KoaContextWithOIDC> & { response: { get(name: string): string } };
    const oidc = ctx.oidc;
    if (oidc?.route !== 'authorization' || !oidc.client) return;
    const uid = /\/interaction\/([^/?#]+)/.exec(ctx.response.get('location'))?.[1];
    if (!uid) return;
    const params = oidc.params as Record<string, unknown>;
    await rememberSpReturn(
      kv,
      uid,
      {
        clientId: oidc.client.clientId,
        redirectUri: String(params['redirect_uri']),
        state: typeof params['state'] === 'string' ? params['state'] : undefined,
      },
      INTERACTION_TTL,
    );
  };
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
