// Builds the hub's fastify app from its dependencies, without listening: tests use inject() or a
// real port as they need; main.ts listens.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import nunjucks from 'nunjucks';
import type Provider from 'oidc-provider';
import type { HttpTimeouts, ProfileName, RateLimitConfig, Secrets } from './config/index.ts';
import { habilitationsRoutes } from './http/habilitations-routes.ts';
import { healthRoutes, type ReadinessChecks } from './http/health.ts';
import { loadCatalogues, negotiateLocale } from './http/i18n.ts';
import { loginRoutes } from './http/login-routes.ts';
import { continueLogoutAtIdp, logoutRoutes } from './http/logout-routes.ts';
import { buildContext, pageContext } from './http/page-context.ts';
import { createPages } from './http/pages.ts';
import { createRateLimiter, type SharedCounters } from './http/rate-limit.ts';
import { createRequestLimits, type RequestLimits } from './http/request-limits.ts';
import { securityHeaders, setSecurityHeaders } from './http/security.ts';
import { aboutModel, errorCodesModel, errorModel } from './http/view-models.ts';
import { wayBackCookies } from './http/way-back-cookie.ts';
import { type LoginDependencies, silentLogin } from './login/flow.ts';
import { hubSessionSlot } from './login/hub-session.ts';
import { LOGIN_SLOT } from './login/record.ts';
import { createSessionEnds, type SessionEnds } from './login/session-ends.ts';
import { loginWithInteraction } from './login/way-back.ts';
import { createEvents, type Events, type StoredEvent } from './observability/events.ts';
import { createMetrics, type Hop, type Metrics } from './observability/metrics.ts';
import { GRANT_IDENTITY_SLOT } from './op/account.ts';
import { type BackChannelLogouts, createBackChannelLogouts, sessionSid } from './op/back-channel-logout.ts';
import { currentProvider } from './op/current-provider.ts';
import { interactionsOf } from './op/interaction.ts';
import { endSessionChain } from './op/logout.ts';
import { mountProvider, type ProviderRoutes, providerRoutes } from './op/mount.ts';
import { observeProvider } from './op/observe.ts';
import { createProvider, type OidcAdapterFactory } from './op/provider.ts';
import { scopeClaimsOf } from './op/scopes.ts';
import type { SessionLifetime } from './op/session-lifetime.ts';
import { type Availability, createAvailability } from './rp/availability.ts';
import { createIdpClients } from './rp/identity-providers.ts';
import { IDP_LOGOUT_SLOT } from './rp/logout.ts';
import { recentlyReachable, tcpReachable } from './rp/reachable.ts';
import type { Kv } from './store/kv.ts';
import type { AdapterOptions, OidcClientSource } from './store/oidc-adapter.ts';
import type { Registry } from './store/registry-cache.ts';
import { createSlot, type SlotSpec } from './store/slot.ts';

export interface AppDependencies {
  issuer: string;
  /** The federation served: FranceConnect (default) or ProConnect. */
  profile?: ProfileName;
  /** Seconds an access token lives (ACCESS_TOKEN_TTL_SECONDS); default 60. */
  accessTokenTtl?: number | undefined;
  registry: Registry;
  kv: Kv;
  /** The same store for the hub's periodic work, counted apart (observeKv background); default kv. */
  backgroundKv?: Kv;
  /** oidc-provider's adapter over the store, with the hub's own reads and writes riding along. */
  oidcAdapter: (clients: OidcClientSource, hooks: AdapterOptions) => OidcAdapterFactory;
  signingKeys: Array<Record<string, unknown>>;
  secrets: Secrets;
  session: SessionLifetime;
  idpTimeoutMs: number;
  /** From this level on, an SP must receive its identity encrypted (ENCRYPTION_REQUIRED_FROM). */
  encryptionRequiredFrom?: 'eidas2' | 'eidas3' | undefined;
  /** Cap on an IdP's answer, in bytes (IDP_RESPONSE_MAX_BYTES); default 256 KiB. */
  idpResponseMaxBytes?: number | undefined;
  allowInsecureHttp: boolean;
  /** pino options; absent = silent (tests). A stream replaces stdout (the log-hygiene test reads it). */
  logger?: { level: string; stream?: { write(line: string): void } } | undefined;
  /** A deployer's own templates and catalogues (VIEWS_DIR) and static assets (ASSETS_DIR). */
  viewsDir?: string | undefined;
  assetsDir?: string | undefined;
  /** Measured IdP availability; the hub starts its own probing when none is given. */
  availability?: Availability;
  /** Prometheus metrics; the app makes its own when none is given. */
  metrics?: Metrics;
  /** Where business events are stored (the `events` table); absent = logged only. */
  eventSink?: (events: StoredEvent[]) => Promise<void>;
  /** What /readyz checks besides the registry (the SQL and the Kv, given by the hub). */
  readiness?: ReadinessChecks;
  /** Bearer token protecting /metrics (METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /** Cuts slow and idle clients (HTTP_*_TIMEOUT_MS); default 30 s, 10 s, 72 s. */
  httpTimeouts?: HttpTimeouts | undefined;
  /** /metrics without the token (demo mode, METRICS_PUBLIC=true); otherwise 401 without it. */
  metricsPublic?: boolean | undefined;
  /** Demo mode, in one process: the demo SP's error sandbox, linked from /errors. */
  errorSandboxUrl?: string | undefined;
  /** The abuse limits and the store that shares their counts between instances; absent = none. */
  rateLimits?: { settings: RateLimitConfig; shared?: SharedCounters | undefined } | undefined;
}

export interface App {
  app: FastifyInstance;
  provider: Provider;
  availability: Availability;
  /** Publishes and signs with this key set from now on (key rotation), without a restart. */
  useSigningKeys(signingKeys: Array<Record<string, unknown>>): void;
  /** Hub sessions ending by expiry (swept) or revocation; their SPs told by back-channel logout. */
  sessionEnds: SessionEnds;
  backChannel: BackChannelLogouts;
  events: Events;
  metrics: Metrics;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000 };

/** Log redaction: what a request log may never carry. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

export async function buildApp(deps: AppDependencies): Promise<App> {
  const viewsDir = deps.viewsDir ?? here('../views');
  const profile = deps.profile ?? 'franceconnect';
  const secure = deps.issuer.startsWith('https:');
  // oidc-provider's own routes are served straight from the HTTP server, ahead of fastify's routing
  // and hooks (op/mount.ts); set once the provider is built, before the app listens.
  let direct: ProviderRoutes | undefined;
  // The abuse limits, judged first on every request they cover (http/request-limits.ts).
  let limits: RequestLimits | undefined;
  const app = Fastify({
    logger: deps.logger ? { ...deps.logger, redact: REDACT } : false,
    // The hub's own forms are a few hundred bytes; POST /authorize holds at most 6 KiB of query.
    bodyLimit: 32 * 1024,
    // Query strings carry codes, states and tokens: no per-request log line.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler, options) => {
      // Slow clients are cut: the whole request within requestMs, its headers within headersMs
      // (checked every second, not Node's default 30 s), an idle keep-alive after keepAliveMs.
      const timeouts = deps.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS;
      const server = createServer(
        {
          requestTimeout: timeouts.requestMs,
          headersTimeout: timeouts.headersMs,
          keepAliveTimeout: timeouts.keepAliveMs,
          connectionsCheckingInterval: 1000,
        },
        (req, res) => {
          if (!direct?.serves(req)) return handler(req, res);
          setSecurityHeaders(res, req.url ?? '/', secure);
          direct.handle(req, res);
        },
      );
      // An idle socket (no byte either way) is closed too.
      server.setTimeout(
        typeof options.connectionTimeout === 'number' ? options.connectionTimeout : timeouts.requestMs,
      );
      return server;
    },
  });
  const metrics = deps.metrics ?? createMetrics();
  const rateLimits = deps.rateLimits?.settings.enabled ? deps.rateLimits : undefined;
  if (rateLimits) {
    const { settings, shared } = rateLimits;
    let warned = 0;
    const limiter = createRateLimiter({
      windowSeconds: settings.windowSeconds,
      limits: { address: settings.perAddress, client: settings.perClient },
      shared,
      // Once a minute at most: while the store is down each instance limits on its own counts.
      onShareFailure: (error) => {
        if (Date.now() - warned < 60_000) return;
        warned = Date.now();
        app.log.warn({ err: { message: (error as Error).message } }, 'rate limit counts not shared');
      },
    });
    const refusalPages = new Map<string, Promise<string>>();
    limits = createRequestLimits({
      limiter,
      trustProxy: settings.trustProxy,
      exempt: settings.exempt,
      metrics,
      page(acceptLanguage) {
        const lang = negotiateLocale({ acceptLanguage });
        let page = refusalPages.get(lang);
        if (!page) {
          const model = errorModel(
            buildContext(catalogues, lang, '/'),
            { code: 'R5001', errorId: '' },
            undefined,
          );
          page = app.view('error.njk', model) as Promise<string>;
          refusalPages.set(lang, page);
        }
        return page;
      },
    });
    app.addHook('onClose', () => limiter.close());
  }
  // ProConnect's events say so (the FranceConnect profile's stay as they were).
  const events = createEvents({
    log: app.log,
    sink: deps.eventSink,
    ...(profile === 'proconnect' ? { stamp: { profile } } : {}),
  });
  events.subscribe(metrics.onEvent);
  metrics.serveProfile(profile);
  // Fastify's close waits for this: the last events are stored before the pools close.
  app.addHook('onClose', () => events.close());
  app.addHook('onResponse', async (request, reply) => {
    const hop = HUB_HOPS[`${request.method} ${request.routeOptions.url}`];
    if (hop) metrics.observeHop(hop, reply.elapsedTime / 1000);
  });
  await app.register(fastifyCookie);
  // After the cookies are read (a refusal page speaks the citizen's language), before any route.
  limits?.register(app);
  await app.register(fastifyFormbody);
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: viewsDir,
    options: { autoescape: true, throwOnUndefined: false },
  });
  await app.register(fastifyStatic, { root: deps.assetsDir ?? here('../public'), prefix: '/assets/' });
  securityHeaders(app, secure);

  // A key missing from a deployer's catalogues shows the key (logged once) rather than failing the page.
  const catalogues = loadCatalogues(viewsDir, {
    onMissing: (key, locale) => app.log.warn({ key, locale }, 'message missing from the catalogue'),
  });
  const context = (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { uiLocales?: string | undefined; switchUrl?: string } = {},
  ) => pageContext(catalogues, request, reply, { ...options, secure });
  const csrfKey = createHmac('sha256', deps.secrets.cookieKeys[0] ?? '')
    .update('relais csrf')
    .digest();
  // The short-lived store, one typed slot per key prefix; what concerns a citizen is sealed.
  const slot = <T>(spec: SlotSpec<T>) => createSlot(deps.kv, deps.secrets.encryptionKey, spec);
  const logins = slot(LOGIN_SLOT);
  const hubSessions = slot(hubSessionSlot(deps.session));
  const grantIdentities = slot(GRANT_IDENTITY_SLOT);
  const idpLogouts = slot(IDP_LOGOUT_SLOT);
  const adapterHooks: AdapterOptions = {
    // A token's grant identity is read with its session and grant (store/read-ahead.ts).
    readAhead: (grantId) => [grantIdentities.key(grantId)],
    // The login record is opened with the interaction /authorize opens, in the same round trip.
    companions: loginWithInteraction(logins, profile),
    // The SP's parameters as sent (a login_hint may be an email) are sealed like the login record.
    seal: { encryptionKey: deps.secrets.encryptionKey, models: ['Interaction'] },
  };
  const wayBack = wayBackCookies({
    encryptionKey: deps.secrets.encryptionKey,
    issuer: deps.issuer,
    registry: deps.registry,
    secure,
  });
  const pages = createPages({
    wayBack,
    catalogues,
    logins,
    registry: deps.registry,
    csrfKey,
    render: (template, data) => app.view(template, data) as Promise<string>,
    log: app.log,
    context,
  });
  pages.errorHandler(app);

  const callbackUrl = `${deps.issuer}/idp/callback`;
  // The hub's keys: oidc-provider signs with them; IdPs that encrypt do so to their `use: enc` ones.
  let signingKeys = deps.signingKeys;
  const idpClients = createIdpClients({
    registry: deps.registry,
    hubJwks: () => signingKeys,
    callbackUrl,
    timeoutMs: deps.idpTimeoutMs,
    maxResponseBytes: deps.idpResponseMaxBytes,
    allowInsecureHttp: deps.allowInsecureHttp,
  });
  // Before the logout, which skips an IdP measured down (and the login, whose mire greys it).
  const availability =
    deps.availability ??
    createAvailability({ registry: deps.registry, maxResponseBytes: deps.idpResponseMaxBytes });
  // Logout tokens to the SPs of a session that ended, signed by whichever oidc-provider is current.
  const backChannel = createBackChannelLogouts({
    provider: () => currentOne(),
    registry: deps.registry,
    subSecret: deps.secrets.subSecret,
    events,
    log: app.log,
  });
  // The sweep and the revocations are the hub's own work: their store commands are counted apart.
  const backgroundKv = deps.backgroundKv ?? deps.kv;
  const backgroundSlot = <T>(spec: SlotSpec<T>) => createSlot(backgroundKv, deps.secrets.encryptionKey, spec);
  const sessionEnds = createSessionEnds({
    kv: deps.kv,
    background: {
      kv: backgroundKv,
      hubSessions: backgroundSlot(hubSessionSlot(deps.session)),
      grantIdentities: backgroundSlot(GRANT_IDENTITY_SLOT),
    },
    lifetime: deps.session,
    backChannel,
    events,
    log: app.log,
  });
  const logout = {
    issuer: deps.issuer,
    backChannel,
    hubSessions,
    idpLogouts,
    idpClients,
    availability,
    session: deps.session,
    log: app.log,
    context,
    events,
  };
  /**
   * One oidc-provider, configured and observed; rebuilt when the signing keys change, and when the
   * data providers' scopes do (oidc-provider knows its scopes from its configuration).
   */
  const scopesKey = () => deps.registry.dataScopes().join(' ');
  let builtScopes = scopesKey();
  const buildProvider = () => {
    builtScopes = scopesKey();
    const built = createProvider({
      issuer: deps.issuer,
      profile,
      dataScopes: deps.registry.dataScopes(),
      encryptionRequiredFrom: deps.encryptionRequiredFrom,
      accessTokenTtl: deps.accessTokenTtl,
      registry: deps.registry,
      grantIdentities,
      adapter: (clients) => deps.oidcAdapter(limits ? limits.countClients(clients) : clients, adapterHooks),
      signingKeys,
      sessionSid: (citizenSessionId, clientId) =>
        sessionSid(deps.secrets.subSecret, citizenSessionId, clientId),
      cookieKeys: deps.secrets.cookieKeys,
      session: deps.session,
      pages: pages.providerPages,
      // The way back kept by the browser too, for when the store cannot tell it (http/way-back-cookie.ts).
      onInteraction: wayBack.keep,
      // ProConnect's prompt=none answered from the hub session (login/flow.ts), bound at request time.
      silentLogin: profile === 'proconnect' ? (request) => silentLogin(login, request) : undefined,
    });
    built.on('server_error', (_ctx, error) =>
      app.log.error({ err: { name: error.name, message: error.message } }, 'oidc-provider server error'),
    );
    built.use(
      endSessionChain({
        grantIdentities,
        afterSessionEnd: continueLogoutAtIdp(logout),
        onError: (error) => {
          const err = error instanceof Error ? { name: error.name, message: error.message } : String(error);
          app.log.error({ err }, 'logout past oidc-provider failed');
        },
      }),
    );
    observeProvider(built, events, metrics);
    limits?.countAuthenticated(built);
    return built;
  };
  // Every oidc-provider built here shares the stores and the configuration, so a request served
  // by a newer one (after a key rotation) continues what an older one began.
  let current = buildProvider();
  const currentOne = () => {
    if (scopesKey() !== builtScopes) current = buildProvider();
    return current;
  };
  const provider = currentProvider(currentOne);
  // Counted once, whichever way a request reaches oidc-provider (straight, or through fastify).
  const routes = providerRoutes(currentOne, deps.issuer);
  direct = limits ? limits.guard(routes) : routes;
  await mountProvider(app, direct);
  metrics.watchAvailability(() =>
    deps.registry
      .identityProviders()
      .filter((idp) => idp.active)
      .map((idp) => ({ idp: idp.uid, available: availability.isAvailable(idp.uid) })),
  );
  const login: LoginDependencies = {
    issuer: deps.issuer,
    profile,
    scopeClaims: scopeClaimsOf(profile),
    accessTokenTtl: deps.accessTokenTtl,
    interactions: interactionsOf(
      provider,
      (scope) => scope in scopeClaimsOf(profile) || deps.registry.dataScopes().includes(scope),
    ),
    registry: deps.registry,
    logins,
    hubSessions,
    grantIdentities,
    idpClients,
    availability,
    reachable: recentlyReachable(tcpReachable()),
    callbackUrl,
    subSecret: deps.secrets.subSecret,
    session: deps.session,
    sessionEnds,
    events,
    log: (message, error) => app.log.info({ code: error.code, detail: error.detail }, message),
  };
  loginRoutes(app, { flow: login, csrfKey, secureCookies: secure, context });
  logoutRoutes(app, logout);
  habilitationsRoutes(app, { registry: deps.registry, context });
  app.get('/', async (request, reply) => reply.view('about.njk', aboutModel(context(request, reply))));
  app.get('/errors', async (request, reply) =>
    reply.view('errors.njk', {
      ...errorCodesModel(context(request, reply)),
      sandboxUrl: deps.errorSandboxUrl,
    }),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/assets/favicon.svg', 301));
  healthRoutes(app, {
    checks: {
      ...deps.readiness,
      registry: async () => {
        if (deps.registry.version < 1) throw new Error('registry not loaded');
      },
    },
    metrics,
    metricsToken: deps.metricsToken,
    metricsPublic: deps.metricsPublic ?? true,
  });
  return {
    app,
    provider,
    availability,
    events,
    metrics,
    sessionEnds,
    backChannel,
    useSigningKeys(keys) {
      signingKeys = keys;
      current = buildProvider();
    },
  };
}

/** The hub's own routes whose duration is a hop of the login. */
const HUB_HOPS: Record<string, Hop> = {
  'GET /interaction/:uid': 'mire',
  'POST /interaction/:uid/email': 'email',
  'POST /interaction/:uid/idp': 'idp_redirect',
  'GET /idp/callback': 'callback',
  'POST /interaction/:uid/consent': 'consent',
};
