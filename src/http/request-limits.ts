// Where the rate limits (http/rate-limit.ts) apply, and how a refusal is answered: before any
// interaction, store key or event row exists.
// - The citizen's routes count per client address: /authorize (GET, and POST through fastify), the
//   resume, the interaction pages, the IdP callbacks, the logout. A refusal is the hub's page
//   (R5001, 429, Retry-After).
// - The back channel counts per client_id: /token, /userinfo, introspection and revocation, at the
//   moment oidc-provider looks the client up (authenticated at /token and introspection, the
//   token's holder at /userinfo) — before a code is consumed or a claim read. A refusal is JSON.
// - Every back-channel route (discovery, /jwks, /token, /userinfo, introspection, revocation) also
//   counts per address at the back channel's limit: a flood of made-up tokens names no client.
// Static assets, health and metrics are never limited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import Provider, { errors } from 'oidc-provider';
import { ERRORS, RelaisError, withCode } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OidcClientSource } from '../store/oidc-adapter.ts';
import { type AddressSet, addressSet, clientAddress } from './addresses.ts';
import type { LimitScope, RateLimiter, Verdict } from './rate-limit.ts';

export interface RequestLimitsOptions {
  limiter: RateLimiter;
  /** Proxies whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: readonly string[];
  /** Never limited (RATE_LIMIT_EXEMPT): a monitoring probe, a load generator. */
  exempt: readonly string[];
  metrics: Metrics;
  /** The refusal page, in the language the browser prefers. */
  page(acceptLanguage: string | undefined): Promise<string>;
}

export interface RequestLimits {
  /** oidc-provider's routes, straight from the HTTP server: false when refused (the answer is sent). */
  admitRaw(req: IncomingMessage, res: ServerResponse): boolean;
  /** The fastify routes of the citizen's pages. */
  register(app: FastifyInstance): void;
  /** The client source oidc-provider reads: counts the back channel per client_id. */
  countClients(source: OidcClientSource): OidcClientSource;
}

const BROWSER_PREFIXES = ['/interaction/', '/idp/callback', '/idp/logout-callback'];
const RAW_BROWSER = /^\/(authorize(\/[^/]+)?|session\/end(\/confirm|\/success)?)$/;
const RAW_BACK_CHANNEL = new Set([
  '/.well-known/openid-configuration',
  '/jwks',
  '/token',
  '/userinfo',
  '/introspect',
  '/revoke',
  '/api/v2/checktoken',
]);
/** oidc-provider's route names whose client is counted, once per request. */
const CLIENT_ROUTES = new Set(['token', 'userinfo', 'introspection', 'revocation']);

export function createRequestLimits(options: RequestLimitsOptions): RequestLimits {
  const { limiter, metrics } = options;
  const trusted: AddressSet | undefined = options.trustProxy.length
    ? addressSet(options.trustProxy)
    : undefined;
  const exempt = addressSet(options.exempt);
  const counted = new WeakSet<object>();

  /** Counts the request against the scope's limit: per client_id when given, else per address. */
  const judge = (req: IncomingMessage, scope: LimitScope, route: string, clientId?: string): Verdict => {
    const address = clientAddress(req, trusted);
    if (exempt.has(address)) return { allowed: true };
    const verdict = limiter.take(scope, clientId === undefined ? `ip:${address}` : `id:${clientId}`);
    if (!verdict.allowed) metrics.rateLimited(scope, route);
    return verdict;
  };

  const refuseRaw = (
    req: IncomingMessage,
    res: ServerResponse,
    verdict: Verdict & { allowed: false },
    html: boolean,
  ) => {
    const headers = { 'retry-after': String(verdict.retryAfterSeconds), 'cache-control': 'no-store' };
    if (!html) {
      const body = JSON.stringify({
        error: ERRORS.R5001.oauth,
        error_description: withCode(ERRORS.R5001.description, 'R5001'),
      });
      res.writeHead(429, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(body);
      return;
    }
    options.page(req.headers['accept-language']).then(
      (body) => res.writeHead(429, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(body),
      () => res.writeHead(429, headers).end(),
    );
  };

  return {
    admitRaw(req, res) {
      const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
      const browser = RAW_BROWSER.test(path);
      if (!browser && !RAW_BACK_CHANNEL.has(path)) return true;
      // The citizen's routes at the address limit; the back channel's at its own, per address.
      const verdict = browser
        ? judge(req, 'address', path.startsWith('/session') ? 'logout' : 'authorize')
        : judge(req, 'client', 'back_channel');
      if (verdict.allowed) return true;
      refuseRaw(req, res, verdict, browser);
      return false;
    },
    register(app) {
      app.addHook('onRequest', async (request, reply) => {
        const path = request.url.split('?', 1)[0] ?? '/';
        const browser =
          BROWSER_PREFIXES.some((prefix) => path.startsWith(prefix)) ||
          (path === '/authorize' && request.method === 'POST');
        if (!browser) return;
        const route = path.startsWith('/interaction/') ? 'interaction' : path.slice(1).replace('/', '_');
        const verdict = judge(request.raw, 'address', route);
        if (verdict.allowed) return;
        reply.header('retry-after', String(verdict.retryAfterSeconds)).header('cache-control', 'no-store');
        throw new RelaisError('R5001');
      });
    },
    countClients(source) {
      return {
        find(clientId) {
          const ctx = Provider.ctx;
          if (ctx && CLIENT_ROUTES.has(ctx.oidc?.route ?? '') && !counted.has(ctx)) {
            counted.add(ctx);
            const verdict = judge(ctx.req, 'client', ctx.oidc.route, clientId);
            if (!verdict.allowed) {
              ctx.set('retry-after', String(verdict.retryAfterSeconds));
              throw tooManyRequests();
            }
          }
          return source.find(clientId);
        },
      };
    },
  };
}

/** oidc-provider answers it as it is: 429, `temporarily_unavailable`, the code in the description. */
function tooManyRequests(): Error {
  const error = new errors.CustomOIDCProviderError(
    ERRORS.R5001.oauth,
    withCode(ERRORS.R5001.description, 'R5001'),
  );
  Object.assign(error, { status: 429, statusCode: 429 });
  return error;
}
