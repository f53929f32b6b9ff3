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

export function createIdpClients(options: IdpClientsOptions): IdpClients {
  const cache = new Map<string, { version: number; client: Promise<IdpClient> }>();
  return {
    get(uid) {
      const idp = options.registry.identityProvider(uid);
      if (!idp) return Promise.reject(new RelaisError('R2005', { detail: uid }));
      const cached = cache.get(uid);
      if (cached && cached.version === options.registry.version) return cached.client;
      const built = buildIdpClient(idp, options);
      cache.set(uid, { version: options.registry.version, client: built });
      // A failed build is forgotten (the next login retries), unless a newer one replaced it already.
      built.catch(() => {
        if (cache.get(uid)?.client === built) cache.delete(uid);
      });
      return built;
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
