// The id_token (from /token, on a code or a refresh), the userinfo JWT and the logout token of an
// SP that asked encryption leave the hub signed by oidc-provider, then encrypted here (op/jwe.ts)
// to the SP's key, chosen from its `jwks` or its `jwks_uri` by oidc-provider's client key store
// (fetched, cached, fetched again when stale), as oidc-provider itself would choose it.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ServiceProvider } from '../config/federation.ts';
import type { Registry } from '../store/registry-cache.ts';
import { encryptJwt, type JweAlg, type RecipientKey } from './jwe.ts';

/** An SP's keys fetched from its jwks_uri serve at most this long (DESIGN: at most 5 minutes). */
export const SP_KEYS_MAX_AGE_SECONDS = 300;

/** What oidc-provider's Client keeps of the SP's public keys (models/client.js). */
interface ClientKeys {
  asymmetricKeyStore: {
    /** Epoch seconds until which oidc-provider serves the fetched keys: its Cache-Control, at least 60 s. */
    freshUntil?: number;
    refresh(): Promise<void>;
    selectForEncrypt(options: { alg: string; use: 'enc' }): RecipientKey[];
    getKeyObject(jwk: RecipientKey, getPublic: boolean): RecipientKey;
  };
}

export class NoEncryptionKey extends Error {
  constructor(alg: string) {
    super(`no encryption key of the client suits ${alg}`);
    this.name = 'NoEncryptionKey';
  }
}

/** `signed` encrypted to the client's key for `alg`; rejects when its keys have none. */
export async function encryptForClient(client: unknown, alg: JweAlg, signed: string): Promise<string> {
  const store = (client as ClientKeys).asymmetricKeyStore;
  await store.refresh();
  // oidc-provider keeps them as long as the SP's cache headers say; the hub, 5 minutes at most.
  const latest = Math.floor(Date.now() / 1000) + SP_KEYS_MAX_AGE_SECONDS;
  if (typeof store.freshUntil === 'number' && store.freshUntil > latest) store.freshUntil = latest;
  const [jwk] = store.selectForEncrypt({ alg, use: 'enc' });
  if (!jwk) throw new NoEncryptionKey(alg);
  return encryptJwt(signed, alg, store.getKeyObject(jwk, true));
}

/** Koa middleware (provider.use): encrypts what /token and /userinfo answer an SP that asked it. */
export function encryptResponses(registry: Registry) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const route = ctx.oidc?.route;
    if ((route !== 'token' && route !== 'userinfo') || ctx.status !== 200) return;
    const client = ctx.oidc.client;
    const sp: ServiceProvider | undefined = client ? registry.serviceProvider(client.clientId) : undefined;
    if (!sp) return;
    try {
      if (route === 'token') {
        const body = ctx.body as { id_token?: unknown } | undefined;
        const alg = sp.id_token_encrypted_response_alg;
        if (alg && typeof body?.id_token === 'string')
          body.id_token = await encryptForClient(client, alg, body.id_token);
      } else {
        const alg = sp.userinfo_encrypted_response_alg;
        // A JWT userinfo (the hub always signs it): a string body, application/jwt.
        if (alg && typeof ctx.body === 'string') ctx.body = await encryptForClient(client, alg, ctx.body);
      }
    } catch (error) {
      // Never the identity in clear when encryption was asked: the SP gets an error instead.
      ctx.status = 500;
      ctx.type = 'application/json';
      ctx.body = {
        error: 'server_error',
        error_description:
          error instanceof NoEncryptionKey ? error.message : 'the response could not be encrypted',
      };
    }
  };
}
