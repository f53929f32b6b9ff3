// Builds the demo data provider's fastify app, without listening (index.ts and tests listen).
// One resource, guarded as RFC 6750 asks: a bearer token the hub says is active, holding our scope.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DemoDpSettings } from './options.ts';
import { fictitiousQuotient } from './quotient.ts';
import { TokenCheckError, type TokenChecker } from './token-check.ts';

/** The scope an SP's token must hold for this API (the data provider's `scopes` in the federation). */
export const QUOTIENT_SCOPE = 'cnaf_quotient_familial';
const REALM = 'quotient-familial';

/** RFC 6750 §2.1: the scheme (any case), then a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

type BearerError = 'invalid_token' | 'insufficient_scope';

const DESCRIPTIONS: Record<BearerError, string> = {
  invalid_token: 'Le jeton d’accès est invalide, expiré ou révoqué.',
  insufficient_scope: `Le jeton d’accès ne donne pas accès au quotient familial (scope ${QUOTIENT_SCOPE}).`,
};

export function buildDemoDpApp(settings: DemoDpSettings, tokens: TokenChecker): FastifyInstance {
  const app = Fastify({
    // Paths only: the Authorization header (the SP's access token) never reaches the log.
    logger: settings.logger && {
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, path: pathOf(request.url) }),
      },
    },
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // A person's data: never cached on the way.
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  app.get('/v1/quotient-familial', async (request, reply) => {
    const { authorization } = request.headers;
    // RFC 6750 §3.1: a request without any credentials gets the challenge, with no error code.
    if (authorization === undefined) return challenge(reply, 401);
    const accessToken = BEARER.exec(authorization)?.[1];
    if (accessToken === undefined) return challenge(reply, 401, 'invalid_token');
    const token = await tokens.check(accessToken);
    if (!token.active) return challenge(reply, 401, 'invalid_token');
    if (!token.scopes.includes(QUOTIENT_SCOPE)) return challenge(reply, 403, 'insufficient_scope');
    return fictitiousQuotient(token.sub);
  });

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not_found' }));
  app.setErrorHandler(async (err: unknown, request, reply) => {
    if (err instanceof TokenCheckError) {
      request.log.warn({ cause: describeCause(err.cause) }, 'demo-dp: introspection at the hub failed');
      return reply.code(503).header('retry-after', '5').send({ error: 'temporarily_unavailable' });
    }
    // fastify's own refusals (a malformed request) keep their 4xx status.
    const status = err instanceof Error && 'statusCode' in err ? Number(err.statusCode) : 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: 'invalid_request' });
    request.log.error({ cause: describeCause(err) }, 'demo-dp: unexpected error');
    return reply.code(500).send({ error: 'server_error' });
  });
  return app;
}

function challenge(reply: FastifyReply, status: 401 | 403, error?: BearerError) {
  const params = [`realm="${REALM}"`];
  if (error) params.push(`error="${error}"`);
  if (error === 'insufficient_scope') params.push(`scope="${QUOTIENT_SCOPE}"`);
  reply.code(status).header('www-authenticate', `Bearer ${params.join(', ')}`);
  return error ? reply.send({ error, error_description: DESCRIPTIONS[error] }) : reply.send();
}

/** Names, codes and messages only: what openid-client attaches to an error (bodies) is not printed. */
function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const code = 'code' in err && typeof err.code === 'string' ? ` [${err.code}]` : '';
  const cause = err.cause instanceof Error ? ` ← ${err.cause.name}: ${err.cause.message}` : '';
  return `${err.name}${code}: ${err.message}${cause}`;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
