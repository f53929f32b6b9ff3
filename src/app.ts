// Builds the hub's fastify app from its dependencies, without listening: tests use inject() or a
// real port as they need; main.ts listens.
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import nunjucks from 'nunjucks';
import type Provider from 'oidc-provider';
import type { Secrets } from './config/index.ts';
import { ERRORS } from './errors.ts';
import { interactionRoutes } from './http/interaction-routes.ts';
import { errorHandler, providerPages } from './http/pages.ts';
import { securityHeaders } from './http/security.ts';
import { mountProvider } from './op/mount.ts';
import { createProvider, type OidcAdapterFactory } from './op/provider.ts';
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
  sessionTtlSeconds: number;
  idpTimeoutMs: number;
  allowInsecureHttp: boolean;
  /** pino options; absent = silent (tests). */
  logger?: { level: string } | undefined;
  viewsDir?: string;
  assetsDir?: string;
}

export interface App {
  app: FastifyInstance;
  provider: Provider;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Log redaction: what a request log may never carry. */
const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

export async function buildApp(deps: AppDependencies): Promise<App> {
  const app = Fastify({
    logger: deps.logger ? { ...deps.logger, redact: REDACT } : false,
    // Query strings carry codes, states and tokens: no per-request log line.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: deps.viewsDir ?? here('../views'),
    options: { autoescape: true, throwOnUndefined: false },
  });
  await app.register(fastifyStatic, { root: deps.assetsDir ?? here('../public'), prefix: '/assets/' });
  securityHeaders(app);
  errorHandler(app);

  const vault = createVault(deps.kv, deps.secrets.encryptionKey);
  const render = (template: string, data: Record<string, unknown>) =>
    app.view(template, data) as Promise<string>;
  const provider = createProvider({
    issuer: deps.issuer,
    registry: deps.registry,
    vault,
    adapter: deps.oidcAdapter,
    signingKeys: deps.signingKeys,
    cookieKeys: deps.secrets.cookieKeys,
    sessionTtlSeconds: deps.sessionTtlSeconds,
    pages: providerPages(render, app.log),
  });
  provider.on('server_error', (_ctx, error) =>
    app.log.error({ err: { name: error.name, message: error.message } }, 'oidc-provider server error'),
  );
  await mountProvider(app, provider, deps.issuer);

  const callbackUrl = `${deps.issuer}/idp/callback`;
  const idpClients = createIdpClients({
    registry: deps.registry,
    callbackUrl,
    timeoutMs: deps.idpTimeoutMs,
    allowInsecureHttp: deps.allowInsecureHttp,
  });
  interactionRoutes(app, {
    provider,
    registry: deps.registry,
    vault,
    idpClients,
    callbackUrl,
    subSecret: deps.secrets.subSecret,
    csrfKey: createHmac('sha256', deps.secrets.cookieKeys[0] ?? '')
      .update('relais csrf')
      .digest(),
    secureCookies: deps.issuer.startsWith('https:'),
  });
  app.get('/errors', async (_request, reply) =>
    reply.view('errors.njk', {
      title: 'Codes d’erreur',
      errors: Object.entries(ERRORS).map(([code, entry]) => ({ code, ...entry })),
    }),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  return { app, provider };
}
