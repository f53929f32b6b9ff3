// Headers every hub response carries, set on the raw response so that oidc-provider's own
// responses (handed the raw request) carry them too.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

const CSP = [
  "default-src 'none'",
  // 'self' only: no inline script of ours; oidc-provider adds the hash of its own auto-submit
  // forms (the session change at resume) to this directive.
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const CACHEABLE = new Set(['/jwks', '/.well-known/openid-configuration', '/errors']);

/** Sets the headers on a raw response (the fastify hook, and oidc-provider's direct routes). */
export function setSecurityHeaders(res: ServerResponse, url: string, secure: boolean): void {
  if (secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // Flow pages are one-shot: never cached, never replayed from history. Keys, discovery and
  // assets are meant to be cached by SPs and browsers.
  const path = url.split('?')[0] ?? '';
  if (!CACHEABLE.has(path) && !path.startsWith('/assets/')) res.setHeader('Cache-Control', 'no-store');
}

export function securityHeaders(app: FastifyInstance, secure: boolean): void {
  app.addHook('onRequest', async (request, reply) => setSecurityHeaders(reply.raw, request.url, secure));
}
