// oidc-provider beside fastify: its routes are handed the raw request untouched (no body parser),
// straight from the HTTP server (providerRoutes: no fastify routing, hooks nor reply on the four
// oidc-provider requests of every login), and through fastify too, for inject() and as the route
// table's record. POST /authorize goes through fastify: turned into a GET so that the browser keeps
// sending the hub's SameSite=Lax cookies on http (a cross-site POST carries none: the known
// "session mismatch" trap).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import { RelaisError } from '../errors.ts';
import { CHECKTOKEN_REQUESTS } from './provider.ts';
import { MAX_AUTHORIZE_QUERY } from './rules/bounds.ts';

/** FranceConnect's data-provider check: introspection answered as a signed JWT, for data providers. */
const CHECKTOKEN_PATH = '/api/v2/checktoken';

const PROVIDER_ROUTES = [
  '/.well-known/openid-configuration',
  '/jwks',
  '/authorize',
  '/authorize/:uid',
  '/token',
  '/userinfo',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
  '/introspect',
  '/revoke',
  CHECKTOKEN_PATH,
];

export interface ProviderRoutes {
  /** Whether this request is oidc-provider's as it stands (POST /authorize is not: fastify parses it). */
  serves(req: IncomingMessage): boolean;
  /** Hands the raw request to the current oidc-provider, its URLs pinned to the issuer. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const EXACT = new Set(PROVIDER_ROUTES.filter((url) => !url.includes(':') && url !== '/authorize'));
const RESUME = /^\/authorize\/[^/]+$/;

export function providerRoutes(current: () => Provider, issuer: string): ProviderRoutes {
  // The provider may be replaced (key rotation): each request goes to the current one.
  const handlers = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const callback: ReturnType<Provider['callback']> = (req, res) => {
    const provider = current();
    let handler = handlers.get(provider);
    if (!handler) {
      provider.proxy = true;
      handler = provider.callback();
      handlers.set(provider, handler);
    }
    return handler(req, res);
  };
  // oidc-provider builds its URLs from the request (Host, protocol): pin them to the issuer, so a
  // forged Host cannot change an endpoint and a TLS-terminating proxy in front yields https URLs
  // and Secure cookies.
  const { host, protocol } = new URL(issuer);
  return {
    serves({ method = 'GET', url = '/' }) {
      const path = url.split('?', 1)[0] ?? '';
      const read = method === 'GET' || method === 'HEAD';
      if (path === '/authorize') return read;
      return (read || method === 'POST' || method === 'OPTIONS') && (EXACT.has(path) || RESUME.test(path));
    },
    handle(req, res) {
      if (req.method === 'POST' && req.url?.split('?', 1)[0] === CHECKTOKEN_PATH) {
        // The same endpoint as /introspect, its answer always the signed JWT (an inactive token is
        // `token_introspection: { active: false }` in a 200), for data providers only.
        CHECKTOKEN_REQUESTS.add(req);
        req.url = '/introspect';
        req.headers.accept = 'application/token-introspection+jwt';
      }
      req.headers.host = host;
      req.headers['x-forwarded-proto'] = protocol.slice(0, -1);
      delete req.headers['x-forwarded-host'];
      callback(req, res);
    },
  };
}

export async function mountProvider(app: FastifyInstance, routes: ProviderRoutes): Promise<void> {
  app.post('/authorize', async (request, reply) => {
    // FC v2 authorize forms are urlencoded; anything else is not an authorization request.
    if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
      throw new RelaisError('R1013', { detail: 'POST /authorize must be application/x-www-form-urlencoded' });
    }
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries((request.body ?? {}) as Record<string, string | string[]>)) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
    }
    const query = params.toString();
    // The GET it becomes must stay within what servers and browsers accept in a URL.
    if (query.length > MAX_AUTHORIZE_QUERY)
      throw new RelaisError('R1013', { detail: 'authorization request too large' });
    return reply.redirect(`/authorize?${query}`, 303);
  });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const url of PROVIDER_ROUTES) {
      const methods = url === '/authorize' ? ['GET'] : ['GET', 'POST', 'OPTIONS'];
      scope.route({
        method: methods as ['GET'],
        url,
        handler: (request, reply) => {
          reply.hijack();
          routes.handle(request.raw, reply.raw);
        },
      });
    }
  });
}
