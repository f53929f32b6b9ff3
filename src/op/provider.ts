// The OpenID Provider toward service providers: oidc-provider configured for FranceConnect v2.
// Everything a broker must not expose is switched off here, by name.
import Provider, {
  type Configuration,
  errors,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { ACR_LEVELS } from '../acr.ts';
import { ENCRYPTION_ALGS, ENCRYPTION_ENCS, isLoopbackUrl, splitScope } from '../config/federation.ts';
import type { ProfileName } from '../config/index.ts';
import { RelaisError } from '../errors.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot } from '../store/slot.ts';
import { findAccount, type GrantIdentity, pairwiseSubject } from './account.ts';
import { codeAuthorizationErrors } from './authorization-error-codes.ts';
import { toClientMetadata, toDataProviderMetadata } from './clients.ts';
import { encryptResponses } from './encrypt-responses.ts';
import { grantFor } from './interaction.ts';
import { MAX_AUTHORIZE_QUERY } from './rules/bounds.ts';
import { checkAuthorizationRequest, requestRulesOf } from './rules/index.ts';
import { type ScopeClaims, scopeClaimsOf } from './scopes.ts';
import { remainingSessionTtl, type SessionLifetime } from './session-lifetime.ts';

export type OidcAdapterFactory = NonNullable<Configuration['adapter']>;

export interface ProviderPages {
  /** An error the hub cannot send back to an SP (unknown client, unregistered redirect URI…). */
  error(
    ctx: KoaContextWithOIDC,
    out: { error: string; error_description?: string },
    error: Error,
  ): Promise<void>;
  logout(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  loggedOut(ctx: KoaContextWithOIDC): Promise<void>;
}

export interface ProviderOptions {
  issuer: string;
  /** FranceConnect's request rules and scopes, or ProConnect's. */
  profile: ProfileName;
  /** The data providers' scopes, as the registry had them when this provider was built. */
  dataScopes?: readonly string[];
  /** From this level on, an SP must receive its identity encrypted (ENCRYPTION_REQUIRED_FROM). */
  encryptionRequiredFrom?: 'eidas2' | 'eidas3' | undefined;
  /** Seconds an access token lives (ACCESS_TOKEN_TTL_SECONDS); default ACCESS_TOKEN_TTL. */
  accessTokenTtl?: number;
  registry: Registry;
  grantIdentities: Slot<GrantIdentity>;
  adapter: (clients: {
    find(clientId: string): Promise<Record<string, unknown> | undefined>;
  }) => OidcAdapterFactory;
  /** Private JWKs, ES256 and RS256 at least; each SP's metadata picks the algorithm. */
  signingKeys: Array<Record<string, unknown>>;
  cookieKeys: string[];
  session: SessionLifetime;
  pages: ProviderPages;
  /**
   * ProConnect's prompt=none: what this SP receives from the browser's live hub session, when it
   * may be reused without a page (undefined: login_required, as without a session).
   */
  silentLogin?: SilentLogin | undefined;
  /** The `sid` of a citizen session (the account id) at a client: op/back-channel-logout.ts sessionSid. */
  sessionSid?: ((citizenSessionId: string, clientId: string) => string) | undefined;
  /** Told of each login that starts (its interaction, before the browser is sent to it). */
  onInteraction?:
    | ((ctx: KoaContextWithOIDC, interaction: { uid: string; params: Record<string, unknown> }) => void)
    | undefined;
}

/** What oidc-provider's Session does to name a client's sid (models/session.js). */
interface SessionInternals {
  accountId?: string;
  sidFor(clientId: string, value?: string): string | undefined;
  ensureClientContainer(clientId: string): void;
}

export type SilentLogin = (request: {
  accountId: string;
  clientId: string;
  params: Readonly<Record<string, unknown>>;
}) => Promise<
  | {
      sub: string;
      claims: Record<string, string>;
      grantTtl: number;
      /** Called once oidc-provider sends the code (the login's completion, for events). */
      accepted: () => void;
    }
  | undefined
>;

/** Lifetimes a national hub can afford (FranceConnect: tokens 60 s, session 30 min). */
export const CODE_TTL = 60;
/** The default; ACCESS_TOKEN_TTL_SECONDS sets it (10–3600). */
export const ACCESS_TOKEN_TTL = 60;
/** For an SP authorised offline_access only: its refresh token, and so its grant, last a day. */
export const OFFLINE_GRANT_TTL = 24 * 3600;

/**
 * How long a grant (and the identity sealed for it) lives for this client: it outlives the code and
 * the access token taken from it, and not by much; a day for offline_access.
 */
export function grantTtlFor(grantTypes: readonly string[], accessTokenTtl = ACCESS_TOKEN_TTL): number {
  return grantTypes.includes('refresh_token') ? OFFLINE_GRANT_TTL : CODE_TTL + accessTokenTtl;
}
export const INTERACTION_TTL = 30 * 60;

export function createProvider(options: ProviderOptions): Provider {
  const { registry, grantIdentities } = options;
  const scopeClaims = scopeClaimsOf(options.profile);
  const dataScopes = new Set((options.dataScopes ?? []).filter((scope) => !(scope in scopeClaims)));
  const knownScope = (scope: string) => scope in scopeClaims || dataScopes.has(scope);
  const rules = requestRulesOf(options.profile);
  const accessTokenTtl = options.accessTokenTtl ?? ACCESS_TOKEN_TTL;
  const configuration: Configuration = {
    adapter: options.adapter({
      // SPs, and data providers (clients of /introspect only): one client_id space.
      find: async (clientId) =>
        toClientMetadata(registry.serviceProvider(clientId)) ??
        toDataProviderMetadata(registry.dataProvider(clientId)),
    }),
    clients: [],
    findAccount: findAccount(registry, grantIdentities, scopeClaims),
    jwks: { keys: options.signingKeys as never },
    scopes: [...Object.keys(scopeClaims), ...dataScopes],
    claims: {
      ...Object.fromEntries(Object.entries(scopeClaims).map(([scope, claims]) => [scope, [...claims]])),
      // `amr` rides with openid so that the id_token carries the IdP's amr next to acr; ProConnect
      // gives the SP the level established even when it asked none (acr_values is optional there).
      openid: options.profile === 'proconnect' ? ['sub', 'amr', 'acr'] : ['sub', 'amr'],
    },
    acrValues: [...ACR_LEVELS],
    responseTypes: ['code'],
    // Subs are per sector (FranceConnect's per-SP sub): pairwise, computed at consent.
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: pairwiseSubject(grantIdentities),
    // The sector is the registry's, not a fetched document (see toClientMetadata).
    sectorIdentifierUriValidate: () => false,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      idTokenEncryptionAlgValues: [...ENCRYPTION_ALGS],
      idTokenEncryptionEncValues: [...ENCRYPTION_ENCS],
      userinfoEncryptionAlgValues: [...ENCRYPTION_ALGS],
      userinfoEncryptionEncValues: [...ENCRYPTION_ENCS],
      // Not offered to data providers yet, but never advertised weaker than the SPs'.
      introspectionEncryptionAlgValues: [...ENCRYPTION_ALGS],
      introspectionEncryptionEncValues: [...ENCRYPTION_ENCS],
    },
    // The level reached rides on the access token, for the data providers' introspection.
    extraTokenClaims: (ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const { AuthorizationCode, RefreshToken } = ctx.oidc.entities;
      const acr = AuthorizationCode?.acr ?? RefreshToken?.acr;
      return acr ? { acr } : undefined;
    },
    pkce: { required: () => false },
    allowOmittingSingleRegisteredRedirectUri: false,
    conformIdTokenClaims: true,
    cookies: {
      names: { session: 'relais_session', interaction: 'relais_interaction', resume: 'relais_resume' },
      keys: options.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/jwks',
      end_session: '/session/end',
      introspection: '/introspect',
      revocation: '/revoke',
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: true },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: options.pages.logout,
        postLogoutSuccessSource: options.pages.loggedOut,
      },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      dPoP: { enabled: false },
      // Data providers (and the SP holding the token) ask whether it is valid: RFC 7662, as JSON
      // or as a signed JWT (RFC 9701, FranceConnect's checktoken); SPs revoke theirs (RFC 7009).
      introspection: { enabled: true, allowedPolicy: introspectionPolicy(registry, scopeClaims) },
      jwtIntrospection: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      registration: { enabled: false },
      deviceFlow: { enabled: false },
      // Back-channel logout: the SPs' backchannel_logout_uri and discovery's support flags; the
      // logout tokens themselves are the hub's (see below).
      backchannelLogout: { enabled: true },
      requestObjects: { enabled: false },
      // Discovery lists the encryption the hub does for the SPs that ask it (op/encrypt-responses.ts).
      encryption: { enabled: true },
    },
    // oidc-provider runs extraParams validators after the client and the redirect URI are trusted:
    // the one step whose errors reach the SP's redirect_uri with state and iss. The FC v2 rules hang there.
    extraParams: {
      // ProConnect: passed on to the IdP (login/flow.ts); kept in the interaction's params.
      siret_hint: () => {},
      idp_hint: (ctx) => {
        const clientId = ctx.oidc.client?.clientId;
        const sp = clientId ? registry.serviceProvider(clientId) : undefined;
        if (!sp) throw new errors.InvalidClient('client is unknown or inactive');
        // The scope as the SP sent it: oidc-provider has already dropped the scopes it does not know,
        // and FC v2 wants address and phone refused, not ignored (POST /authorize reaches here as a GET).
        const raw = ctx.query as Record<string, unknown>;
        const params = {
          ...(ctx.oidc.params as Record<string, string | undefined>),
          scope: typeof raw.scope === 'string' ? raw.scope : undefined,
        };
        // The whole query too, as for POST /authorize (op/mount.ts): parameters oidc-provider does not
        // know are dropped, but a URL this long is no honest client's.
        if (ctx.querystring.length > MAX_AUTHORIZE_QUERY) {
          const tooLong = new RelaisError('R1015', { detail: `query longer than ${MAX_AUTHORIZE_QUERY}` });
          throw new errors.CustomOIDCProviderError(tooLong.entry.oauth, tooLong.description);
        }
        const failure = checkAuthorizationRequest(
          params,
          {
            sp,
            identityProviders: registry.identityProvidersFor(sp),
            scopeClaims,
            dataScopes,
            encryptionRequiredFrom: options.encryptionRequiredFrom,
          },
          rules,
        );
        if (failure) throw new errors.CustomOIDCProviderError(failure.entry.oauth, failure.description);
      },
    },
    interactions: {
      url: (ctx, interaction) => {
        options.onInteraction?.(ctx, interaction);
        return `/interaction/${interaction.uid}`;
      },
      policy: relaisPolicy(),
    },
    ttl: {
      AuthorizationCode: CODE_TTL,
      AccessToken: accessTokenTtl,
      IdToken: 60,
      Grant: (ctx) => grantTtlFor(ctx?.oidc?.client?.grantTypes ?? [], accessTokenTtl),
      RefreshToken: OFFLINE_GRANT_TTL,
      Interaction: INTERACTION_TTL,
      // Sliding while used, capped by the absolute lifetime counted from the session's start.
      Session: (_ctx, session) =>
        remainingSessionTtl(options.session, session.iat ?? Math.floor(Date.now() / 1000)),
    },
    renderError: options.pages.error,
    // oidc-provider fetches an SP's jwks_uri (its encryption keys, its private_key_jwt keys) and
    // refuses special-use addresses (SSRF). An SP registered by the operator on a loopback URL (the
    // demo, the tests, an SP beside the hub) is fetched as registered; anything else stays guarded.
    fetch: (url, init) => {
      if (!isLoopbackUrl(new URL(String(url)))) return globalThis.fetch(url, init);
      const { dispatcher: _ssrfGuard, ...options } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, options);
    },
  };

  // The grant a prompt=none request got from the hub session: the login check needs no page then;
  // the login counts as done only once oidc-provider accepts the request (max_age, id_token_hint…).
  const silentGrants = new WeakSet<object>();
  const acceptedSilently = new WeakMap<object, () => void>();
  async function silentGrant(ctx: KoaContextWithOIDC, silentLogin: SilentLogin) {
    const accountId = ctx.oidc.session?.accountId;
    const clientId = ctx.oidc.client?.clientId;
    if (!accountId || !clientId) return undefined;
    const params = ctx.oidc.params as Record<string, unknown>;
    const released = await silentLogin({ accountId, clientId, params });
    if (!released) return undefined;
    acceptedSilently.set(ctx, released.accepted);
    const grant = grantFor(ctx.oidc.provider, knownScope, {
      accountId,
      clientId,
      params,
      ttl: released.grantTtl,
    });
    const exp = Math.floor(Date.now() / 1000) + released.grantTtl;
    await Promise.all([
      grant.save(),
      grantIdentities.put(grant.jti, { sub: released.sub, claims: released.claims, exp }),
    ]);
    silentGrants.add(ctx);
    return grant;
  }
  const { silentLogin } = options;
  if (silentLogin) {
    configuration.interactions = {
      ...configuration.interactions,
      policy: relaisPolicy((ctx) => silentGrants.has(ctx)),
    };
    configuration.loadExistingGrant = async (ctx) => {
      if (isSilentRequest(ctx)) return silentGrant(ctx, silentLogin);
      // oidc-provider's own: the grant the interaction just named, or this client's in the session.
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    };
  }
  const provider = new Provider(options.issuer, configuration);
  provider.on('authorization.success', (ctx) => acceptedSilently.get(ctx)?.());
  provider.use(codeAuthorizationErrors);
  // FranceConnect+: what an SP asked encrypted leaves encrypted (op/jwe.ts).
  provider.use(encryptResponses(registry));
  // JSON errors (token, userinfo…) point at the documentation of the hub's errors.
  provider.use(async (ctx, next) => {
    await next();
    await inactiveAtChecktoken(ctx as unknown as KoaContextWithOIDC);
    const body = ctx.body as { error?: unknown; error_uri?: unknown } | undefined;
    if (ctx.status >= 400 && ctx.response.is('json') && typeof body?.error === 'string' && !body.error_uri) {
      body.error_uri = `${options.issuer}/errors#${body.error}`;
    }
    // A data provider (or an SP) that failed to authenticate at introspection or revocation learns
    // how to (RFC 6749 §5.2), whatever method it used; /token keeps oidc-provider's answer.
    const route = (ctx as Partial<KoaContextWithOIDC>).oidc?.route;
    const dataRoute = route === 'introspection' || route === 'revocation';
    if (ctx.status === 401 && dataRoute && !ctx.response.get('WWW-Authenticate')) {
      ctx.set('WWW-Authenticate', `Basic realm="${new URL(options.issuer).host}"`);
    }
  });
  // FC v2: every id_token carries `sid`, not only those of back-channel logout clients.
  (provider.Client.prototype as unknown as { includeSid(): boolean }).includeSid = () => true;
  // The hub sends the logout tokens itself, from the hub session, never while the citizen waits
  // (op/back-channel-logout.ts); oidc-provider's own sending, awaited at logout, stays unused.
  (provider.Client.prototype as unknown as { backchannelLogout(): Promise<void> }).backchannelLogout =
    async () => undefined;
  // The `sid` of a session at a client is derived (sessionSid), not random: the logout token of a
  // session that expired, or that an operator revoked, names the same sid without its being kept.
  const { sessionSid } = options;
  if (sessionSid) {
    const session = provider.Session.prototype as unknown as SessionInternals;
    const ensureClientContainer = session.ensureClientContainer;
    session.ensureClientContainer = function (this: SessionInternals, clientId: string) {
      // Always the derived one: a session from before the derived sids holds random ones.
      if (this.accountId) this.sidFor(clientId, sessionSid(this.accountId, clientId));
      ensureClientContainer.call(this, clientId);
    };
  }
  return provider;
}

/**
 * FranceConnect's checktoken never answers an error status for a token it cannot use: one shaped
 * like a JWT (an id_token sent by mistake), which oidc-provider refuses before looking it up, is
 * an inactive token too, in the signed answer.
 */
async function inactiveAtChecktoken(ctx: KoaContextWithOIDC): Promise<void> {
  const body = ctx.body as { error?: unknown } | undefined;
  if (!CHECKTOKEN_REQUESTS.has(ctx.req) || ctx.status !== 400 || body?.error !== 'unsupported_token_type')
    return;
  if (!ctx.oidc?.client?.introspectionSignedResponseAlg) return;
  const answer = new ctx.oidc.provider.IdToken({}, { ctx });
  // As oidc-provider's own JWT introspection answer does (`extra` becomes the JWT's claims).
  Object.assign(answer, { extra: { token_introspection: { active: false } } });
  ctx.status = 200;
  ctx.body = await answer.issue({ use: 'introspection' });
  ctx.type = 'application/token-introspection+jwt; charset=utf-8';
}

/** Requests that came in as FranceConnect's checktoken (op/mount.ts): for data providers only. */
export const CHECKTOKEN_REQUESTS = new WeakSet<object>();

/**
 * Who may learn about a token: the SP it was issued to, or a data provider serving one of its
 * scopes — which then sees only those (the token's scopes ∩ its own, strictly), and only of an
 * access token. Either way only the scopes the SP may still have (a habilitation ended, an entry
 * changed, the SP disabled: its tokens say so at once). Anyone else, and an SP at checktoken, gets
 * `{ "active": false }`, as for an unknown token.
 */
function introspectionPolicy(registry: Registry, scopeClaims: ScopeClaims) {
  return async (
    ctx: KoaContextWithOIDC,
    client: { clientId: string },
    token: { kind: string; clientId?: string; scope?: string; sid?: string | undefined },
  ) => {
    // What the answer is made of, for this answer only (the token is not saved again): never the
    // hub's session id for the SP, and the scopes the caller may see only.
    token.sid = undefined;
    const holder = registry.serviceProvider(token.clientId ?? '');
    if (!holder) return false;
    const allowed = new Set(splitScope(holder.scope));
    const held = splitScope(token.scope).filter((scope) => allowed.has(scope));
    // An SP's client_id is an SP's, even if a data provider were registered under it too.
    if (registry.serviceProvider(client.clientId)) {
      token.scope = held.join(' ');
      return token.clientId === client.clientId && !CHECKTOKEN_REQUESTS.has(ctx.req);
    }
    const dp = registry.dataProvider(client.clientId);
    if (!dp || token.kind !== 'AccessToken') return false;
    // An identity scope (openid, identite_pivot…) is never a data provider's to see.
    const served = new Set(dp.scopes.filter((scope) => !(scope in scopeClaims)));
    const visible = held.filter((scope) => served.has(scope));
    if (!visible.length) return false;
    token.scope = visible.join(' ');
    return true;
  };
}

/** A ProConnect prompt=none authorization request (not its resume, which carries a result). */
function isSilentRequest(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'authorization' && !ctx.oidc.result && ctx.oidc.prompts.has('none');
}

/**
 * The default policy, plus: every authorization request goes through the hub's mire, except a
 * prompt=none one the hub session answered (`silent`).
 */
function relaisPolicy(silent: (ctx: KoaContextWithOIDC) => boolean = () => false) {
  const { base, Check } = interactionPolicy;
  const policy = base();
  const login = policy.get('login');
  // oidc-provider's essential-acr checks want the session's acr to equal a requested value; the
  // hub establishes at least the level asked (acr.ts) and may reach a higher one (an IdP that
  // only declares eidas2, a second factor, an SSO at a higher level): with them, such a login
  // would be sent back to the hub again and again.
  login?.checks.remove('essential_acrs');
  login?.checks.remove('essential_acr');
  login?.checks.add(
    // prompt=none that the hub cannot answer alone: the agent must authenticate (OIDC Core §3.1.2.6).
    new Check('relais_mire', 'every login goes through the mire', 'login_required', (ctx) =>
      ctx.oidc.result?.login || silent(ctx) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
  );
  return policy;
}
