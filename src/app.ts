// Builds the hub's fastify app from its dependencies, without listening: tests use inject() or a
// real port as they need; main.ts listens.
import { createHmac } from 'node:crypto';
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
import type { Secrets } from './config/index.ts';
import { ERRORS } from './errors.ts';
import { loadCatalogues } from './http/i18n.ts';
import { interactionRoutes } from './http/interaction-routes.ts';
import { continueLogoutAtIdp, logoutRoutes } from './http/logout-routes.ts';
import { pageContext } from './http/page-context.ts';
import { createPages } from './http/pages.ts';
import { securityHeaders } from './http/security.ts';
import { endSessionChain } from './op/logout.ts';
import { mountProvider } from './op/mount.ts';
import { createProvider, type OidcAdapterFactory } from './op/provider.ts';
import type { SessionLifetime } from './op/session-lifetime.ts';
import { type Availability, createAvailability } from './rp/availability.ts';
import { createIdpClients } from './rp/identity-providers.ts';
import type { Kv } from './store/kv.ts';
import type { Registry } from './store/registry-cache.ts';
import { createVault } from './store/vault.ts';

export interface AppDependencies {
  issuer: string;
  registry: Registry;
  kv: Kv;
  oidcAdapter: (clients: {
    find(clientId: string): Promise<Record<string, unknown> | undefined>;
  }) => OidcAdapterFactory;
  signingKeys: Array<Record<string, unknown>>;
  secrets: Secrets;
  session: SessionLifetime;
  idpTimeoutMs: number;
  allowInsecureHttp: boolean;
  /** pino options; absent = silent (tests). */
  logger?: { level: string } | undefined;
  /** A deployer's own templates and catalogues (VIEWS_DIR) and static assets (ASSETS_DIR). */
  viewsDir?: string | undefined;
  assetsDir?: string | undefined;
  /** Measured IdP availability; the hub starts its own probing when none is given. */
  availability?: Availability;
}

export interface App {
  app: FastifyInstance;
  provider: Provider;
  availability: Availability;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Log redaction: what a request log may never carry. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

export async function buildApp(deps: AppDependencies): Promise<App> {
  const viewsDir = deps.viewsDir ?? here('../views');
  const secure = deps.issuer.startsWith('https:');
  const app = Fastify({
    logger: deps.logger ? { ...deps.logger, redact: REDACT } : false,
    // Query strings carry codes, states and tokens: no per-request log line.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(fastifyCookie);
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
  const context = (request: FastifyRequest, reply: FastifyReply, uiLocales?: string) =>
    pageContext(catalogues, request, reply, { uiLocales, secure });
  const csrfKey = createHmac('sha256', deps.secrets.cookieKeys[0] ?? '')
    .update('relais csrf')
    .digest();
  const pages = createPages({
    catalogues,
    kv: deps.kv,
    registry: deps.registry,
    csrfKey,
    render: (template, data) => app.view(template, data) as Promise<string>,
    log: app.log,
    context,
  });
  pages.errorHandler(app);

  const vault = createVault(deps.kv, deps.secrets.encryptionKey);
  const provider = createProvider({
    issuer: deps.issuer,
    registry: deps.registry,
    vault,
    adapter: deps.oidcAdapter,
    signingKeys: deps.signingKeys,
    cookieKeys: deps.secrets.cookieKeys,
    session: deps.session,
    pages: pages.providerPages,
  });
  provider.on('server_error', (_ctx, error) =>
    app.log.error({ err: { name: error.name, message: error.message } }, 'oidc-provider server error'),
  );
  const callbackUrl = `${deps.issuer}/idp/callback`;
  const idpClients = createIdpClients({
    registry: deps.registry,
    callbackUrl,
    timeoutMs: deps.idpTimeoutMs,
    allowInsecureHttp: deps.allowInsecureHttp,
  });
  const logout = { issuer: deps.issuer, vault, idpClients, session: deps.session, log: app.log, context };
  provider.use(
    endSessionChain({
      vault,
      afterSessionEnd: continueLogoutAtIdp(logout),
      onError: (error) => {
        const err = error instanceof Error ? { name: error.name, message: error.message } : String(error);
        app.log.error({ err }, 'logout past oidc-provider failed');
      },
    }),
  );
  await mountProvider(app, provider, deps.issuer);
  const availability = deps.availability ?? createAvailability({ registry: deps.registry });
  interactionRoutes(app, {
    issuer: deps.issuer,
    provider,
    registry: deps.registry,
    kv: deps.kv,
    vault,
    idpClients,
    availability,
    callbackUrl,
    subSecret: deps.secrets.subSecret,
    session: deps.session,
    csrfKey,
    secureCookies: secure,
    context,
  });
  logoutRoutes(app, logout);
  app.get('/', async (request, reply) =>
    reply.view('about.njk', { ...context(request, reply), titleKey: 'about.title' }),
  );
  app.get('/errors', async (request, reply) =>
    reply.view('errors.njk', {
      ...context(request, reply),
      titleKey: 'errorCodes.title',
      errors: Object.entries(ERRORS).map(([code, entry]) => ({ code, ...entry })),
    }),
  );
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/assets/favicon.svg', 301));
  app.get('/healthz', async () => ({ status: 'ok' }));
  return { app, provider, availability };
}
