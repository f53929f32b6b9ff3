// oidc-provider inside fastify: its routes are handed the raw request untouched (no body parser),
// except POST /authorize, turned into a GET so that the browser keeps sending the hub's SameSite=Lax
// cookies on http (a cross-site POST carries none: the known "session mismatch" trap).
import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import { RelaisError } from '../errors.ts';

const MAX_AUTHORIZE_QUERY = 6 * 1024;

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
];

export async function mountProvider(
  app: FastifyInstance,
  current: () => Provider,
  issuer: string,
): Promise<void> {
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
          const headers = request.raw.headers;
          headers.host = host;
          headers['x-forwarded-proto'] = protocol.slice(0, -1);
          delete headers['x-forwarded-host'];
          callback(request.raw, reply.raw);
        },
      });
    }
  });
}
