// Where the rate limits (http/rate-limit.ts) apply, and how a refusal is answered: before any
// interaction, store key or event row exists.
// - The citizen's routes count per client address (IPv6: per /64): /authorize (however reached;
//   POST /authorize counts as the GET it turns into), the resume, the interaction pages, the IdP
//   callbacks, the logout. A refusal is the hub's page (R5001, 429, Retry-After).
// - The back channel counts per client_id: /token, /userinfo, introspection and revocation. Judged
//   when oidc-provider looks the client up (before a code is consumed or a claim read), counted
//   once the client proved itself (its credentials, or its token at /userinfo): a client_id is
//   public, and failed attempts must not use up an SP's allowance. A refusal is JSON.
// - Every back-channel route (discovery, /jwks, /token, /userinfo, introspection, revocation) also
//   counts per address at the back channel's limit: a flood of made-up tokens names no client.
// Static assets, health and metrics are never limited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import Provider, { errors } from 'oidc-provider';
import { ERRORS, RelaisError, withCode } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ProviderRoutes } from '../op/mount.ts';
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
  /** oidc-provider's routes, however reached: counted first, refused with 429 over the limit. */
  guard(routes: ProviderRoutes): ProviderRoutes;
  /** The fastify routes of the citizen's pages. */
  register(app: FastifyInstance): void;
  /** The client source oidc-provider reads: refuses a client_id over its limit, before any work. */
  countClients(source: OidcClientSource): OidcClientSource;
  /** Counts each back-channel request of an authenticated client, once answered. */
  countAuthenticated(provider: Provider): void;
}

/** The citizen's fastify routes, by exact path, and their label in /metrics (with /interaction/…). */
const FASTIFY_BROWSER = new Map([
  ['/idp/callback', 'idp_callback'],
  ['/idp/logout-callback', 'idp_logout_callback'],
]);
/** oidc-provider's routes a browser visits (`/authorize/` with its slash is /authorize to it). */
const RAW_BROWSER = /^\/(authorize(\/[^/]*)?|session\/end(\/confirm|\/success)?)$/;
/** oidc-provider's route names whose client is counted, once per request. */
const CLIENT_ROUTES = new Set(['token', 'userinfo', 'introspection', 'revocation']);

export function createRequestLimits(options: RequestLimitsOptions): RequestLimits {
  const { limiter, metrics } = options;
  const trusted: AddressSet | undefined = options.trustProxy.length
    ? addressSet(options.trustProxy)
    : undefined;
  const exempt = addressSet(options.exempt);
  const peeked = new WeakSet<object>();

  /** The subject counted for a request: its client_id when given, else its address (IPv6: its /64). */
  const subjectOf = (req: IncomingMessage, clientId?: string): string | undefined => {
    const address = clientAddress(req, trusted);
    if (exempt.has(address)) return undefined;
    return clientId === undefined ? `ip:${addressSubject(address)}` : `id:${clientId}`;
  };

  /** Counts the request and judges it; refusals are counted in /metrics under a fixed route label. */
  const take = (req: IncomingMessage, scope: LimitScope, route: string): Verdict => {
    const subject = subjectOf(req);
    if (subject === undefined) return { allowed: true };
    const verdict = limiter.take(scope, subject);
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
    guard(routes) {
      return {
        serves: (req) => routes.serves(req),
        handle(req, res) {
          // Every way into oidc-provider passes here once: straight from the HTTP server, or
          // through fastify (POST /authorize's redirect, /authorize/ with a slash, inject()).
          const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
          const browser = RAW_BROWSER.test(path);
          const verdict = browser
            ? take(req, 'address', path.startsWith('/session') ? 'logout' : 'authorize')
            : take(req, 'client', 'back_channel');
          if (verdict.allowed) return routes.handle(req, res);
          refuseRaw(req, res, verdict, browser);
        },
      };
    },
    register(app) {
      // POST /authorize is not counted here: it only redirects to the GET, counted in guard().
      app.addHook('onRequest', async (request, reply) => {
        const path = request.url.split('?', 1)[0] ?? '/';
        const route = path.startsWith('/interaction/') ? 'interaction' : FASTIFY_BROWSER.get(path);
        if (route === undefined) return;
        const verdict = take(request.raw, 'address', route);
        if (verdict.allowed) return;
        reply.header('retry-after', String(verdict.retryAfterSeconds)).header('cache-control', 'no-store');
        throw new RelaisError('R5001');
      });
    },
    countClients(source) {
      return {
        find(clientId) {
          // Judged here, before any work, but counted only once the client proved itself
          // (countAuthenticated): a client_id is public, and failed attempts must not use up an
          // SP's allowance (they count per address, in guard()).
          const ctx = Provider.ctx;
          if (ctx && CLIENT_ROUTES.has(ctx.oidc?.route ?? '') && !peeked.has(ctx)) {
            peeked.add(ctx);
            const subject = subjectOf(ctx.req, clientId);
            const verdict =
              subject === undefined ? { allowed: true as const } : limiter.peek('client', subject);
            if (!verdict.allowed) {
              metrics.rateLimited('client', ctx.oidc.route);
              ctx.set('retry-after', String(verdict.retryAfterSeconds));
              throw tooManyRequests();
            }
          }
          return source.find(clientId);
        },
      };
    },
    countAuthenticated(provider) {
      provider.use(async (ctx, next) => {
        await next();
        const route = ctx.oidc?.route ?? '';
        const clientId = ctx.oidc?.client?.clientId;
        // Answered, and not refused for the client's credentials or token.
        if (!clientId || !CLIENT_ROUTES.has(route) || ctx.status === 401 || ctx.status === 429) return;
        const subject = subjectOf(ctx.req, clientId);
        if (subject !== undefined) limiter.count('client', subject);
      });
    },
  };
}

/**
 * An IPv4 address counts alone; an IPv6 address by its /64, what one customer line holds (a
 * client could otherwise draw a fresh address for every request).
 */
export function addressSubject(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
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
