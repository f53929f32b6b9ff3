// Everything openid-client: discovery (cached), the authorize URL, the callback, the logout URL;
// and the hub's keys (jose) for its back-channel logout tokens.
// Each step is what FranceConnect v2 asks of a service provider.
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { z } from 'zod';
import {
  type LogoutTokenClaims,
  LogoutTokenUnverifiable,
  validateLogoutToken,
} from './backchannel-logout.ts';
import { DemoSpError, fromOpenIdClientError } from './errors.ts';
import type { DemoSpSettings } from './options.ts';

/** What a login keeps server-side between /login and /callback. */
export interface PendingLogin {
  /** undefined only for a sandbox request sent without one (the error then comes back without). */
  readonly state: string | undefined;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** The outcome of a verified login: signatures, issuer, audience, nonce and sub all checked. */
export interface VerifiedLogin {
  /** Kept only as the id_token_hint of the logout. */
  readonly idToken: string;
  /** The claims of the signed userinfo response. */
  readonly userinfo: Readonly<Record<string, unknown>>;
  readonly authentication: Authentication;
  /** What a back-channel logout names this login by: the id_token's `sub` and, when sent, its `sid`. */
  readonly hubSession: HubSession;
}

export interface HubSession {
  readonly sub: string;
  readonly sid: string | undefined;
}

export interface Authentication {
  readonly iss: string;
  readonly acr: string | undefined;
  readonly amr: readonly string[] | undefined;
  readonly authTime: number | undefined;
}

/**
 * The error sandbox's changes to the authorization request: a parameter set to another value, or
 * removed (null). Never used by a normal login.
 */
export type RequestOverrides = Readonly<Record<string, string | null>>;

export interface RelaisClient {
  startLogin(overrides?: RequestOverrides): Promise<{ authorizationUrl: URL; pending: PendingLogin }>;
  /** The access token comes apart from the login: used at once (a data provider), never kept. */
  completeLogin(
    callbackUrl: URL,
    pending: PendingLogin,
  ): Promise<{ login: VerifiedLogin; accessToken: string }>;
  /** undefined when the hub publishes no end_session_endpoint: the logout is then local only. */
  logoutUrl(idToken: string, state: string): Promise<URL | undefined>;
  /**
   * A back-channel logout_token checked against the hub's issuer, its keys and this SP's client_id
   * and alg (OIDC Back-Channel Logout 1.0 §2.6, but the jti replay check). Throws LogoutTokenError
   * for a token to refuse, LogoutTokenUnverifiable or DemoSpError('hub_unavailable') without keys.
   */
  verifyLogoutToken(logoutToken: string): Promise<LogoutTokenClaims>;
}

const HTTP_TIMEOUT_SECONDS = 10;
/** The hub waits 2 s for an answer to its logout token: a JWKS fetch must fit well within. */
const JWKS_TIMEOUT_MS = 1500;

const authenticationClaims = z.object({
  acr: z.string().optional(),
  amr: z.array(z.string()).optional(),
  auth_time: z.number().int().optional(),
  sid: z.string().min(1).optional(),
});

export function createRelaisClient(settings: DemoSpSettings): RelaisClient {
  const configuration = configurationCache(settings);
  const hubKeys = remoteKeysCache();

  return {
    async startLogin(overrides = {}) {
      const config = await configuration.get();
      const codeVerifier = client.randomPKCECodeVerifier();
      const parameters: Record<string, string> = {
        redirect_uri: settings.redirectUri,
        scope: settings.scope,
        state: client.randomState(),
        nonce: client.randomNonce(),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        // FC v2: acr_values and prompt=login consent are mandatory on every authorize request
        // (ProConnect: prompt is optional, and the demo sends none).
        acr_values: settings.acrValues,
        ...(settings.prompt ? { prompt: settings.prompt } : {}),
      };
      // The sandbox only: a parameter changed or left out, on purpose.
      for (const [name, value] of Object.entries(overrides)) {
        if (value === null) delete parameters[name];
        else parameters[name] = value;
      }
      const authorizationUrl = client.buildAuthorizationUrl(config, parameters);
      // What was actually sent: the callback checks the answer against it.
      const sent = authorizationUrl.searchParams;
      const pending: PendingLogin = {
        state: sent.get('state') ?? undefined,
        nonce: sent.get('nonce') ?? '',
        codeVerifier,
      };
      return { authorizationUrl, pending };
    },

    async completeLogin(callbackUrl, pending) {
      // Checked before anything else, so an error redirect is shown only if it answers our request.
      // A request sent without state (the sandbox's R1006) expects an answer without one.
      if ((callbackUrl.searchParams.get('state') ?? undefined) !== pending.state) {
        throw new DemoSpError('state_mismatch');
      }
      const config = await configuration.get();
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idTokenClaims = tokens.claims();
        if (tokens.id_token === undefined || idTokenClaims === undefined) {
          throw new DemoSpError('invalid_response');
        }
        // FC v2: the userinfo answer is a signed JWT; its sub must be the id_token's.
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, idTokenClaims.sub);
        // Signed does not mean well-formed: the claims shown are parsed like any input.
        const authentication = authenticationClaims.safeParse(idTokenClaims);
        if (!authentication.success)
          throw new DemoSpError('invalid_response', { cause: authentication.error });
        const { acr, amr, auth_time: authTime, sid } = authentication.data;
        // The level of assurance must be one we asked for (FC v2: eidas1), not whatever came back.
        if (acr === undefined || !settings.acrValues.split(' ').includes(acr)) {
          throw new DemoSpError('acr_mismatch');
        }
        const login: VerifiedLogin = {
          idToken: tokens.id_token,
          // Own string keys only (openid-client also attaches symbol-keyed helpers).
          userinfo: Object.fromEntries(Object.entries(userinfo)),
          authentication: { iss: idTokenClaims.iss, acr, amr, authTime },
          hubSession: { sub: idTokenClaims.sub, sid },
        };
        return { login, accessToken: tokens.access_token };
      } catch (err) {
        const error = fromOpenIdClientError(err);
        // Seed 003: on a failure, fetch the hub's metadata and keys again instead of failing forever.
        if (error.code !== 'authorization_error') configuration.invalidate();
        throw error;
      }
    },

    async logoutUrl(idToken, state) {
      const config = await configuration.get();
      if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
      return client.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        state,
        post_logout_redirect_uri: settings.postLogoutRedirectUri,
      });
    },

    async verifyLogoutToken(logoutToken) {
      const metadata = (await configuration.get()).serverMetadata();
      // As toward the hub's other endpoints: plain http only when the issuer itself is on loopback.
      const jwksUri = metadata.jwks_uri === undefined ? undefined : new URL(metadata.jwks_uri);
      if (jwksUri === undefined || (jwksUri.protocol !== 'https:' && !settings.allowHttpIssuer)) {
        throw new LogoutTokenUnverifiable();
      }
      return validateLogoutToken(logoutToken, {
        issuer: metadata.issuer,
        audience: settings.clientId,
        algorithm: settings.alg,
        keys: hubKeys(jwksUri.href),
      });
    },
  };
}

/**
 * The hub's JWKS, fetched when first needed and kept (jose fetches it again after 10 minutes, or
 * at once for an unknown kid, at most every 30 s: a key rotation at the hub needs nothing here).
 */
function remoteKeysCache(): (jwksUri: string) => JWTVerifyGetKey {
  let cached: { uri: string; keys: JWTVerifyGetKey } | undefined;
  return (jwksUri) => {
    if (cached?.uri !== jwksUri) {
      cached = {
        uri: jwksUri,
        keys: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: JWKS_TIMEOUT_MS }),
      };
    }
    return cached.keys;
  };
}

/** Discovered at first use and kept; dropped after a failure so that the next login discovers again. */
function configurationCache(settings: DemoSpSettings) {
  let pending: Promise<client.Configuration> | undefined;

  function discover(): Promise<client.Configuration> {
    const metadata: Partial<client.ClientMetadata> = {
      redirect_uris: [settings.redirectUri],
      response_types: ['code'],
      token_endpoint_auth_method: settings.tokenEndpointAuthMethod,
      // FC v2: asymmetric signatures only; a JWT userinfo is expected, never plain JSON.
      id_token_signed_response_alg: settings.alg,
      userinfo_signed_response_alg: settings.alg,
    };
    const auth =
      settings.tokenEndpointAuthMethod === 'client_secret_basic'
        ? client.ClientSecretBasic(settings.clientSecret)
        : client.ClientSecretPost(settings.clientSecret);
    // FC v2: verify the signatures of the id_token and of the userinfo JWT.
    const execute = [client.enableNonRepudiationChecks];
    // Plain http only toward a loopback issuer (checked in parseOptions): tests and the local demo.
    if (settings.allowHttpIssuer) execute.push(client.allowInsecureRequests);
    return client.discovery(settings.issuer, settings.clientId, metadata, auth, {
      execute,
      timeout: HTTP_TIMEOUT_SECONDS,
    });
  }

  return {
    async get(): Promise<client.Configuration> {
      const current = pending ?? discover();
      pending = current;
      try {
        return await current;
      } catch (err) {
        // Only our own attempt: another request may already have started a new discovery.
        if (pending === current) pending = undefined;
        // Whatever went wrong (network, issuer mismatch, bad document), the citizen can only retry.
        throw new DemoSpError('hub_unavailable', { cause: err });
      }
    },
    invalidate(): void {
      pending = undefined;
    },
  };
}
