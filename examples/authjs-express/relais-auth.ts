// Recipe, the framework-free half: the Auth.js configuration of a Relais hub as an OpenID
// provider. The same object serves @auth/express (./app.ts) and Next.js (`NextAuth(config)`).
//
// Auth.js (@auth/core) out of the box is not enough for FranceConnect v2:
//   - it sends PKCE only, and `openid profile email`: the hub refuses (R1006 no state, R1007 no
//     nonce, R1005 a scope outside DataPass). Below: checks pkce + state + nonce (43 characters
//     each), the pivot scope, acr_values, prompt=login consent;
//   - it never verifies the SIGNATURE of the id_token (only alg, iss, aud, exp, nonce) nor of the
//     userinfo JWT, and with type "oidc" it never calls userinfo at all (unless idToken: false):
//     the identité pivot would never arrive. The `jwt` callback below does both, with jose against
//     the hub's JWKS, at sign-in: a token that fails is a refused login (Auth.js then sends the
//     browser to `pages.error`), never a session;
//   - it has no RP-initiated logout: see `endSessionUrl` and the /logout route of ./app.ts.
// The callback's iss (RFC 9207) is checked by Auth.js itself (oauth4webapi, since the hub's
// discovery says authorization_response_iss_parameter_supported).
import type { AuthConfig } from '@auth/core';
import type { OIDCConfig } from '@auth/core/providers';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

export interface RelaisSettings {
  /** The hub's issuer, e.g. https://relais.example (ISSUER). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Auth.js's own secret: encrypts its session and check cookies (AUTH_SECRET). */
  secret: string;
  /** Where a refused login is reported (never a token, never a secret). Default: console.error. */
  log?: (message: string) => void;
}

const SCOPE = 'openid identite_pivot email';
const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email'];
const LEVELS = ['eidas1', 'eidas2', 'eidas3'];
/** As registered for the SP at the hub (id_token_signed_response_alg, userinfo_signed_response_alg). */
const ALGORITHMS = ['ES256'];

/** The hub's endpoints, from its discovery document (fetched once). */
export interface RelaisMetadata {
  issuer: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
}

export async function discover(issuer: string): Promise<RelaisMetadata> {
  const response = await fetch(new URL('/.well-known/openid-configuration', issuer));
  if (!response.ok) throw new Error(`discovery failed: HTTP ${response.status}`);
  return (await response.json()) as RelaisMetadata;
}

/** What the session holds: the pivot for the pages, the id_token for the logout (never sent to the browser). */
export interface RelaisToken {
  pivot?: Record<string, unknown>;
  acr?: string;
  idToken?: string;
}

/** A login refused by this SP's own checks. */
export class LoginRefused extends Error {
  override name = 'LoginRefused';
}

export function relaisAuthConfig(settings: RelaisSettings, metadata: RelaisMetadata): AuthConfig {
  const log = settings.log ?? ((message: string) => console.error(message));
  // jose caches the keys and fetches them again when a token carries an unknown kid.
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const verifyOptions = { issuer: metadata.issuer, audience: settings.clientId, algorithms: ALGORITHMS };

  const relais: OIDCConfig<JWTPayload> = {
    id: 'relais',
    name: 'Relais',
    type: 'oidc',
    issuer: settings.issuer,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    client: {
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
    },
    // state and nonce are required by the hub; PKCE (S256) is recommended.
    checks: ['pkce', 'state', 'nonce'],
    authorization: { params: { scope: SCOPE, acr_values: 'eidas1', prompt: 'login consent' } },
    // The id_token carries no identity (the pivot comes from userinfo, in the jwt callback).
    profile: (claims) => ({ id: String(claims.sub) }),
  };

  /**
   * At sign-in: the id_token's signature (Auth.js checked the claims of this very string), then
   * the signed userinfo JWT (signature, iss, aud) and its sub against the id_token's.
   */
  async function verifiedIdentity(idToken: unknown, accessToken: unknown): Promise<RelaisToken> {
    try {
      const { payload: claims } = await jwtVerify(String(idToken), jwks, verifyOptions);
      if (typeof claims.acr !== 'string' || !LEVELS.includes(claims.acr)) throw new LoginRefused('acr');
      const response = await fetch(metadata.userinfo_endpoint, {
        headers: { authorization: `Bearer ${String(accessToken)}` },
      });
      if (!response.ok) throw new LoginRefused(`userinfo HTTP ${response.status}`);
      if (!response.headers.get('content-type')?.startsWith('application/jwt')) {
        throw new LoginRefused('userinfo is not a signed JWT');
      }
      const { payload: userinfo } = await jwtVerify(await response.text(), jwks, verifyOptions);
      if (userinfo.sub !== claims.sub) throw new LoginRefused('userinfo sub differs from the id_token sub');
      const pivot = Object.fromEntries(PIVOT.filter((name) => name in userinfo).map((n) => [n, userinfo[n]]));
      return { pivot, acr: claims.acr, idToken: String(idToken) };
    } catch (error) {
      throw error instanceof LoginRefused ? error : new LoginRefused(describe(error));
    }
  }

  return {
    providers: [relais],
    secret: settings.secret,
    // The callback URL is built from the request's host: behind a proxy, set AUTH_URL instead.
    trustHost: true,
    session: { strategy: 'jwt', maxAge: 60 * 60 },
    pages: { signIn: '/login', error: '/login-error' },
    callbacks: {
      async jwt({ token, account }) {
        // `account` is there only at sign-in, with the tokens of the code exchange.
        if (account) return { ...token, ...(await verifiedIdentity(account.id_token, account.access_token)) };
        return token;
      },
      // What /auth/session and getSession() give: the pivot, not the id_token.
      session({ session, token }) {
        const { pivot, acr } = token as RelaisToken;
        return { ...session, pivot, acr };
      },
    },
    logger: {
      error: (error) => log(`login refused: ${describe(error)}`),
      warn: (code) => log(`auth.js warning: ${code}`),
      debug: () => {},
    },
  };
}

/** RP-initiated logout at the hub, which Auth.js does not do. */
export function endSessionUrl(
  metadata: RelaisMetadata,
  params: { idToken: string; postLogoutRedirectUri: string; state: string },
): URL {
  const url = new URL(metadata.end_session_endpoint);
  url.search = new URLSearchParams({
    id_token_hint: params.idToken,
    post_logout_redirect_uri: params.postLogoutRedirectUri,
    state: params.state,
  }).toString();
  return url;
}

/** An error's kind and message, and its cause's: never a token. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  const own = `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message.split('\n')[0]}`;
  // Auth.js wraps the original error as cause.err (CallbackRouteError…).
  const cause =
    error.cause instanceof Error ? error.cause : (error.cause as { err?: unknown } | undefined)?.err;
  return cause instanceof Error ? `${own} (${describe(cause)})` : own;
}
