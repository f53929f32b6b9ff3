// Builds the demo SP's fastify app from its settings, without listening (tests and main.ts listen).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyView from '@fastify/view';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { DemoSpError, describeForLog, relaisCodeOf } from './errors.ts';
import type { DemoSpSettings } from './options.ts';
import type { RelaisClient } from './relais-client.ts';
import { registerRoutes } from './routes.ts';
import { type SandboxHooks, scenarioOf } from './sandbox.ts';
import { receivedRows, scenarioCheck } from './view-model.ts';

const VIEWS_DIR = fileURLToPath(new URL('../../views/demo-sp/', import.meta.url));

// No script at all, styles from our own origin only.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export async function buildDemoSpApp(
  settings: DemoSpSettings,
  relais: RelaisClient,
  /** The error sandbox's hooks (demo mode): /sandbox exists only with them. */
  sandbox?: SandboxHooks,
): Promise<FastifyInstance> {
  const app = Fastify({
    // The callback's query string carries the authorization code: log paths only.
    logger: settings.logger && {
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, path: pathOf(request.url) }),
      },
    },
  });
  await app.register(fastifyCookie);
  // A browser's logout form posts an empty urlencoded body.
  await app.register(fastifyFormbody);
  await app.register(fastifyView, {
    engine: { nunjucks },
    root: VIEWS_DIR,
    options: { autoescape: true },
    // Every page's footer links to the error sandbox when it is on.
    defaultContext: { sandbox: sandbox !== undefined },
  });
  const stylesheet = await readFile(`${VIEWS_DIR}demo-sp.css`, 'utf8');

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // Pages show identity data: never cached.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.get('/demo-sp.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );
  registerRoutes(app, { settings, relais, sandbox });

  const page: ErrorPageSettings = { issuer: settings.issuer.href, sandbox };
  app.setNotFoundHandler(async (request, reply) =>
    renderError(new DemoSpError('not_found'), request, reply, page),
  );
  app.setErrorHandler(async (err: unknown, request, reply) =>
    renderError(asDemoSpError(err), request, reply, page),
  );
  return app;
}

function asDemoSpError(err: unknown): DemoSpError {
  if (err instanceof DemoSpError) return err;
  const status = err instanceof Error && 'statusCode' in err ? Number(err.statusCode) : 500;
  return new DemoSpError(status >= 400 && status < 500 ? 'bad_request' : 'internal_error', { cause: err });
}

interface ErrorPageSettings {
  /** The hub's issuer, as the `iss` of a redirected error is checked against it. */
  readonly issuer: string;
  /** The error sandbox, when on (demo mode): the page links back to it. */
  readonly sandbox: SandboxHooks | undefined;
}

/** Every error page shows its code and a random reference that is also logged (never a stack). */
async function renderError(
  error: DemoSpError,
  request: FastifyRequest,
  reply: FastifyReply,
  page: ErrorPageSettings,
) {
  const reference = randomBytes(4).toString('hex');
  const entry = {
    code: error.code,
    reference,
    oauthError: error.oauthError,
    cause: describeForLog(error.cause),
  };
  if (error.status >= 500) request.log.error(entry, 'demo-sp: error page');
  else request.log.warn(entry, 'demo-sp: error page');
  return reply.code(error.status).view('error.njk', {
    title: error.title,
    message: error.userMessage,
    code: error.code,
    oauthError: error.oauthError,
    oauthErrorDescription: error.oauthErrorDescription,
    reference,
    wayOn: error.wayOn,
    relaisCode: relaisCodeOf(error.oauthErrorDescription),
    received: error.received && receivedRows(error.received, page.issuer),
    scenario:
      page.sandbox &&
      error.received?.scenario &&
      scenarioCheck(error, scenarioOf(error.received.scenario, page.sandbox.profile)),
    sandbox: page.sandbox !== undefined,
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
