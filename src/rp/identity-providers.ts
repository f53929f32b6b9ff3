// openid-client Configurations for each IdP: from its issuer's discovery, or from the static
// endpoints of its entry (an FC v1 style IdP). Built once, reused by every login, rebuilt when
// the registry changes; a failed discovery is not cached, so the next login tries again.
import {
  compactDecrypt,
  createRemoteJWKSet,
  decodeProtectedHeader,
  importJWK,
  customFetch as joseCustomFetch,
} from 'jose';
import * as client from 'openid-client';
import { ENCRYPTION_ALGS, type IdentityProvider, isLoopbackUrl } from '../config/federation.ts';
import { RelaisError } from '../errors.ts';
import type { Registry } from '../store/registry-cache.ts';
import { backChannelFetch, isAnswerTooLarge } from './back-channel.ts';

export interface IdpClient {
  idp: IdentityProvider;
  config: client.Configuration;
  /** The key that verifies this IdP's signatures: its JWKS, or the client secret for HS256. */
  keyFor(alg: 'ES256' | 'RS256' | 'HS256'): RemoteJwks | Uint8Array;
  /** The nested JWS inside a userinfo the IdP encrypted to the hub (its configured alg and enc). */
  decryptUserinfo(jwe: string): Promise<string>;
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
  /**
   * The hub's current private JWKS: its `use: enc` keys decrypt what IdPs encrypt to it. A new list
   * (key rotation) rebuilds the clients of the IdPs that encrypt, from their known metadata.
   */
  hubJwks?: HubJwks | undefined;
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
  /** The hub's JWKS it decrypts with (IdPs that encrypt): another list is built from known metadata. */
  hubJwks: ReadonlyArray<Record<string, unknown>>;
  client: Promise<IdpClient>;
  builtAt: number;
  refreshing: boolean;
}

/**
 * An IdP's client is built once (discovery, JWKS) and serves every login. Its metadata is fetched
 * again every METADATA_REFRESH_MS, in the background, the last good copy serving meanwhile and
 * for as long as the IdP fails to answer (an IdP down for a moment does not lose its endpoints);
 * its JWKS is reloaded on an unknown kid (rp/callback.ts). A change of the IdP's registry entry
 * builds it anew at once; a failed first build is forgotten, so the next login tries again. A
 * rotation of the hub's keys rebuilds the clients of the IdPs that encrypt, without a discovery.
 */
export function createIdpClients(options: IdpClientsOptions & { now?: () => number }): IdpClients {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const hubJwksNow = options.hubJwks ?? (() => NO_KEYS);
  /** Caches `client` for `uid`; a client that fails is forgotten, so the next login tries again. */
  const keep = (uid: string, cached: Cached) => {
    cache.set(uid, cached);
    cached.client.catch(() => {
      if (cache.get(uid) === cached) cache.delete(uid);
    });
    return cached.client;
  };
  const build = (uid: string, idp: IdentityProvider, entry: string): Promise<IdpClient> => {
    const hubJwks = hubJwksNow();
    const client = buildIdpClient(idp, options, hubJwks);
    return keep(uid, { idp, entry, hubJwks, client, builtAt: now(), refreshing: false });
  };
  /** The same IdP, its metadata as known, with the hub's new keys; a build still failing starts over. */
  const rekey = (uid: string, cached: Cached, hubJwks: ReadonlyArray<Record<string, unknown>>) => {
    const client = cached.client.then(
      (built) => buildIdpClient(built.idp, options, hubJwks, built.config.serverMetadata()),
      () => buildIdpClient(cached.idp, options, hubJwks),
    );
    return keep(uid, { ...cached, hubJwks, client, refreshing: false });
  };
  const refresh = (uid: string, idp: IdentityProvider, cached: Cached) => {
    const hubJwks = cached.hubJwks;
    buildIdpClient(idp, options, hubJwks).then(
      (fresh) => {
        // Dropped when the entry or the hub's keys changed meanwhile: the newer client stands.
        if (cache.get(uid) === cached && cached.hubJwks === hubJwks)
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
      if (encrypts(idp)) {
        const hubJwks = hubJwksNow();
        if (hubJwks !== cached.hubJwks) return rekey(uid, cached, hubJwks);
      }
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

const NO_KEYS: ReadonlyArray<Record<string, unknown>> = [];

type Fetch = ReturnType<typeof backChannelFetch>;

/**
 * The token endpoint's answer with its id_token opened (the signed JWT inside the JWE): refused
 * (R2003) when the IdP, configured to encrypt, sent it in clear. Any other answer passes as is.
 */
function openingIdTokens(
  fetchIdp: Fetch,
  tokenEndpoint: string | undefined,
  idpUid: string,
  open: (jwe: string) => Promise<string>,
): Fetch {
  const endpoint = tokenEndpoint && new URL(tokenEndpoint).href;
  return async (url, options) => {
    const response = await fetchIdp(url, options);
    if (new URL(String(url)).href !== endpoint || response.status !== 200) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    const answer = (body: string) =>
      new Response(body, { status: response.status, statusText: response.statusText, headers });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return answer(text);
    }
    const idToken = (body as { id_token?: unknown } | null)?.id_token;
    if (typeof idToken !== 'string') return answer(text);
    if (idToken.split('.').length !== 5)
      throw new RelaisError('R2003', { detail: `${idpUid}: id_token not encrypted` });
    return answer(JSON.stringify({ ...(body as object), id_token: await open(idToken) }));
  };
}

/** The hub's private keys of use `enc`, imported once per key set (rotation hands a new list). */
export type HubJwks = () => ReadonlyArray<Record<string, unknown>>;

interface DecryptionKey {
  kid: string;
  alg: (typeof ENCRYPTION_ALGS)[number];
  key: client.CryptoKey;
}

const imported = new WeakMap<object, Promise<DecryptionKey[]>>();

function decryptionKeysOf(jwks: ReadonlyArray<Record<string, unknown>>): Promise<DecryptionKey[]> {
  let keys = imported.get(jwks);
  if (!keys) {
    keys = Promise.all(
      jwks
        .filter((jwk) => jwk['use'] === 'enc' && ENCRYPTION_ALGS.includes(jwk['alg'] as never))
        .map(async (jwk) => {
          const alg = jwk['alg'] as DecryptionKey['alg'];
          return { kid: String(jwk['kid']), alg, key: (await importJWK(jwk, alg)) as client.CryptoKey };
        }),
    );
    imported.set(jwks, keys);
  }
  return keys;
}

/** Whether this IdP answers encrypted: its client then depends on the hub's keys too. */
const encrypts = (idp: IdentityProvider) =>
  Boolean(idp.id_token_encrypted_response_alg || idp.userinfo_encrypted_response_alg);

/** The IdP's endpoints: from its entry (static), or from its discovery document. */
async function discoverIdp(
  idp: IdentityProvider,
  options: IdpClientsOptions,
): Promise<client.ServerMetadata> {
  const insecure = new URL(idp.issuer).protocol === 'http:';
  if (insecure && !isLoopbackUrl(new URL(idp.issuer)) && !options.allowInsecureHttp) {
    throw new RelaisError('R2002', { detail: `${idp.uid}: http issuer outside loopback` });
  }
  if (idp.authorization_endpoint && idp.token_endpoint && idp.userinfo_endpoint) {
    return {
      issuer: idp.issuer,
      authorization_endpoint: idp.authorization_endpoint,
      token_endpoint: idp.token_endpoint,
      userinfo_endpoint: idp.userinfo_endpoint,
      ...(idp.jwks_uri ? { jwks_uri: idp.jwks_uri } : {}),
      ...(idp.end_session_endpoint ? { end_session_endpoint: idp.end_session_endpoint } : {}),
    };
  }
  try {
    const config = await client.discovery(new URL(idp.issuer), idp.client_id, undefined, undefined, {
      execute: insecure ? [client.allowInsecureRequests] : [],
      timeout: Math.ceil(options.timeoutMs / 1000),
      [client.customFetch]: backChannelFetch(options.maxResponseBytes),
    });
    return config.serverMetadata();
  } catch (cause) {
    // An oversized answer is a misbehaving IdP (R2003, as translateIdpError says), not an outage.
    if (isAnswerTooLarge(cause))
      throw new RelaisError('R2003', { detail: `${idp.uid}: discovery too large`, cause });
    throw new RelaisError('R2002', { detail: `${idp.uid}: discovery failed`, cause });
  }
}

async function buildIdpClient(
  idp: IdentityProvider,
  options: IdpClientsOptions,
  hubJwks: ReadonlyArray<Record<string, unknown>>,
  known?: client.ServerMetadata,
): Promise<IdpClient> {
  const server = known ?? (await discoverIdp(idp, options));
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
  const decryptionKeys = encrypts(idp) ? await decryptionKeysOf(hubJwks) : [];
  /**
   * A JWE the IdP encrypted to the hub, opened with the hub's key it names or, without a kid (RFC
   * 7516 allows it), each of the hub's keys of the configured algorithm in turn: while a rotation
   * publishes two, either may be the one the IdP took. Only the configured alg and enc pass.
   */
  const decrypt = async (jwe: string, what: 'id_token' | 'userinfo'): Promise<string> => {
    const alg = idp[`${what}_encrypted_response_alg`];
    const enc = idp[`${what}_encrypted_response_enc`] ?? 'A256GCM';
    const { kid } = decodeProtectedHeader(jwe);
    const candidates = decryptionKeys.filter(
      (key) => key.alg === alg && (kid === undefined || key.kid === kid),
    );
    if (!alg || !candidates.length)
      throw new RelaisError('R2003', { detail: `${idp.uid}: ${what} encrypted to no key of the hub` });
    let failure: unknown;
    for (const { key } of candidates) {
      try {
        const { plaintext } = await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: [alg],
          contentEncryptionAlgorithms: [enc],
        });
        return new TextDecoder().decode(plaintext);
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  };
  // Every answer of this IdP, discovery and JWKS included, is read up to the cap; an IdP that
  // encrypts its id_token has it opened here, so that openid-client checks the signed one inside.
  const fetchCapped = backChannelFetch(options.maxResponseBytes);
  const fetchIdp = idp.id_token_encrypted_response_alg
    ? openingIdTokens(fetchCapped, server.token_endpoint, idp.uid, (jwe) => decrypt(jwe, 'id_token'))
    : fetchCapped;
  const config = new client.Configuration(server, idp.client_id, metadata, auth);
  if (new URL(idp.issuer).protocol === 'http:') client.allowInsecureRequests(config);
  config.timeout = Math.ceil(options.timeoutMs / 1000);
  config[client.customFetch] = fetchIdp;
  const jwksUri = server.jwks_uri;
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
    decryptUserinfo: (jwe) => decrypt(jwe, 'userinfo'),
  };
}
