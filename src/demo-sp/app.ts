// Builds the demo SP's fastify app from its settings, without listening (tests and main.ts listen).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyView from '@fastify/view';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { DemoSpError, describeForLog } from './errors.ts';
import type { DemoSpSettings } from './options.ts';
import type { RelaisClient } from './relais-client.ts';
import { registerRoutes } from './routes.ts';

const VIEWS_DIR = fileURLToPath(new URL('../../views/demo-sp/', import.meta.url));

// No script at all, styles from our own origin only.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export async function buildDemoSpApp(
  settings: DemoSpSettings,
  relais: RelaisClient,
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
  await app.register(fastifyView, { engine: { nunjucks }, root: VIEWS_DIR, options: { autoescape: true } });
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
  registerRoutes(app, { settings, relais });

  app.setNotFoundHandler(async (request, reply) => renderError(new DemoSpError('not_found'), request, reply));
  app.setErrorHandler(async (err: unknown, request, reply) =>
    renderError(asDemoSpError(err), request, reply),
  );
  return app;
}

function asDemoSpError(err: unknown): DemoSpError {
  if (err instanceof DemoSpError) return err;
  const status = err instanceof Error && 'statusCode' in err ? Number(err.statusCode) : 500;
  return new DemoSpError(status >= 400 && status < 500 ? 'bad_request' : 'internal_error', { cause: err });
}

/** Every error page shows its code and a random reference that is also logged (never a stack). */
async function renderError(error: DemoSpError, request: FastifyRequest, reply: FastifyReply) {
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
    offerRetry: error.code !== 'not_found',
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
