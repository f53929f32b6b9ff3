// openid-client Configurations for each IdP: from its issuer's discovery, or from the static
// endpoints of its entry (an FC v1 style IdP). Built once, reused by every login, rebuilt when
// the registry changes; a failed discovery is not cached, so the next login tries again.
import { createRemoteJWKSet, customFetch as joseCustomFetch } from 'jose';
import * as client from 'openid-client';
import { type IdentityProvider, isLoopbackUrl } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import type { Registry } from '../store/registry-cache.ts';
import { backChannelFetch, isAnswerTooLarge } from './back-channel.ts';

export interface IdpClient {
  idp: IdentityProvider;
  config: client.Configuration;
  /** The key that verifies this IdP's signatures: its JWKS, or the client secret for HS256. */
  keyFor(alg: 'ES256' | 'RS256' | 'HS256'): RemoteJwks | Uint8Array;
}

export type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

export interface IdpClientsOptions {
  registry: Registry;
  callbackUrl: string;
  timeoutMs: number;
  /** Lets http reach IdPs outside loopback: an explicit, logged operator choice. */
  allowInsecureHttp: boolean;
  /** Cap on an IdP's answer (discovery, JWKS, token, userinfo), in bytes (IDP_RESPONSE_MAX_BYTES). */
  maxResponseBytes?: number | undefined;
}

export interface IdpClients {
  get(uid: string): Promise<IdpClient>;
}

/** How long an IdP's discovered metadata serves before it is fetched again (in the background). */
export const METADATA_REFRESH_MS = 10 * 60_000;
/** After a failed refresh, the last good copy serves this long before the next try. */
export const METADATA_RETRY_MS = 60_000;

interface Cached {
  /** The registry entry it was built from: another entry (the operator changed it) builds anew. */
  idp: IdentityProvider;
  entry: string;
  client: Promise<IdpClient>;
  builtAt: number;
  refreshing: boolean;
}

/**
 * An IdP's client is built once (discovery, JWKS) and serves every login. Its metadata is fetched
 * again every METADATA_REFRESH_MS, in the background, the last good copy serving meanwhile and
 * for as long as the IdP fails to answer (an IdP down for a moment does not lose its endpoints);
 * its JWKS is reloaded on an unknown kid (rp/callback.ts). A change of the IdP's registry entry
 * builds it anew at once; a failed first build is forgotten, so the next login tries again.
 */
export function createIdpClients(options: IdpClientsOptions & { now?: () => number }): IdpClients {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const build = (uid: string, idp: IdentityProvider, entry: string): Promise<IdpClient> => {
    const client = buildIdpClient(idp, options);
    cache.set(uid, { idp, entry, client, builtAt: now(), refreshing: false });
    client.catch(() => {
      if (cache.get(uid)?.client === client) cache.delete(uid);
    });
    return client;
  };
  const refresh = (uid: string, idp: IdentityProvider, cached: Cached) => {
    buildIdpClient(idp, options).then(
      (fresh) => {
        if (cache.get(uid) === cached)
          cache.set(uid, { ...cached, client: Promise.resolve(fresh), builtAt: now(), refreshing: false });
      },
      () => {
        // Kept as it was; tried again after METADATA_RETRY_MS.
        cached.builtAt = now() - METADATA_REFRESH_MS + METADATA_RETRY_MS;
        cached.refreshing = false;
      },
    );
  };
  return {
    get(uid) {
      const idp = options.registry.identityProvider(uid);
      if (!idp) return Promise.reject(new RelaisError('R2005', { detail: uid }));
      const cached = cache.get(uid);
      // The registry hands the same object until it changes: compared by content only then.
      const entry = cached?.idp === idp ? cached.entry : JSON.stringify(idp);
      if (!cached || cached.entry !== entry) return build(uid, idp, entry);
      cached.idp = idp;
      if (!cached.refreshing && now() - cached.builtAt >= METADATA_REFRESH_MS) {
        cached.refreshing = true;
        // Only once the current one is good: a first build still running is not refreshed.
        void cached.client.then(
          () => refresh(uid, idp, cached),
          () => {
            cached.refreshing = false;
          },
        );
      }
      return cached.client;
    },
  };
}

async function buildIdpClient(idp: IdentityProvider, options: IdpClientsOptions): Promise<IdpClient> {
  const insecure = new URL(idp.issuer).protocol === 'http:';
  if (insecure && !isLoopbackUrl(new URL(idp.issuer)) && !options.allowInsecureHttp) {
    throw new RelaisError('R2002', { detail: `${idp.uid}: http issuer outside loopback` });
  }
  const metadata: Partial<client.ClientMetadata> = {
    redirect_uris: [options.callbackUrl],
    id_token_signed_response_alg: idp.id_token_signed_response_alg,
    ...(idp.userinfo_signed_response_alg
      ? { userinfo_signed_response_alg: idp.userinfo_signed_response_alg }
      : {}),
  };
  const auth =
    idp.token_endpoint_auth_method === 'client_secret_post'
      ? client.ClientSecretPost(idp.client_secret)
      : client.ClientSecretBasic(idp.client_secret);
  const timeout = Math.ceil(options.timeoutMs / 1000);
  // Every answer of this IdP, discovery and JWKS included, is read up to the cap.
  const fetchCapped = backChannelFetch(options.maxResponseBytes);
  let config: client.Configuration;
  if (idp.authorization_endpoint && idp.token_endpoint && idp.userinfo_endpoint) {
    config = new client.Configuration(
      {
        issuer: idp.issuer,
        authorization_endpoint: idp.authorization_endpoint,
        token_endpoint: idp.token_endpoint,
        userinfo_endpoint: idp.userinfo_endpoint,
        ...(idp.jwks_uri ? { jwks_uri: idp.jwks_uri } : {}),
        ...(idp.end_session_endpoint ? { end_session_endpoint: idp.end_session_endpoint } : {}),
      },
      idp.client_id,
      metadata,
      auth,
    );
    if (insecure) client.allowInsecureRequests(config);
    config.timeout = timeout;
    config[client.customFetch] = fetchCapped;
  } else {
    try {
      config = await client.discovery(new URL(idp.issuer), idp.client_id, metadata, auth, {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout,
        [client.customFetch]: fetchCapped,
      });
    } catch (cause) {
      // An oversized answer is a misbehaving IdP (R2003, as translateIdpError says), not an outage.
      if (isAnswerTooLarge(cause))
        throw new RelaisError('R2003', { detail: `${idp.uid}: discovery too large`, cause });
      throw new RelaisError('R2002', { detail: `${idp.uid}: discovery failed`, cause });
    }
  }
  const jwksUri = config.serverMetadata().jwks_uri;
  // Cached; the callback reloads it once when a kid is unknown (key rotation at the IdP).
  const jwks = jwksUri
    ? createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: options.timeoutMs,
        [joseCustomFetch]: fetchCapped,
      })
    : undefined;
  const secret = new TextEncoder().encode(idp.client_secret);
  return {
    idp,
    config,
    keyFor(alg) {
      if (alg === 'HS256') return secret;
      if (!jwks) throw new RelaisError('R2003', { detail: `${idp.uid}: no jwks_uri to verify ${alg}` });
      return jwks;
    },
  };
}
