// Faults a real IdP may show, switched on at run time so the hub's tests can prove it refuses them.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JWK } from 'jose';
import type { Context, Middleware, Next } from 'koa';
import { type Forgery, forgeClaims, forgeSignature } from './forgery.ts';

export type Acr = 'eidas1' | 'eidas2' | 'eidas3';

export interface Misbehaviour {
  /** The id_token's signature is altered in the token response. */
  badSignature?: boolean;
  /** The `iss` parameter of the authorization response names another issuer. */
  wrongIssuer?: boolean;
  /** The authorization response has no `iss` parameter, though discovery advertises RFC 9207. */
  missingIssuer?: boolean;
  /** The id_token of the token response is signed this way instead (alg none, key confusion…). */
  idTokenForgery?: Forgery;
  /** A signed userinfo is signed this way instead. */
  userinfoForgery?: Forgery;
  /**
   * A signed userinfo carries these claims instead (a wrong `iss` or `aud`, an `exp` gone by…),
   * signed again with the IdP's own key; `null` removes one.
   */
  userinfoClaims?: Record<string, unknown>;
  /**
   * The id_token carries these claims instead (an auth_time in the future, a malformed amr…),
   * signed again with the IdP's own key; `null` removes one. Not for an HS256 IdP.
   */
  idTokenClaims?: Record<string, unknown>;
  /** This claim is left out (any claim but `sub`). */
  missingClaim?: string;
  /** This acr is delivered whatever was asked. */
  acr?: Acr;
  /** This amr is delivered whatever was asked (e.g. ['pwd'] where a second factor was due). */
  amr?: string[];
  /**
   * Claims asserted instead of the person's (a spoofed email domain, an invalid siret…); `null`
   * removes one. `sub` is never touched, and a claim no scope lists is still filtered out.
   */
  claims?: Record<string, unknown>;
  /** The authorization ends with this error as soon as the interaction starts. */
  error?: { error: string; error_description?: string };
  /** userinfo's `sub` differs from the id_token's. */
  subMismatch?: boolean;
  /** The token endpoint answers this HTTP status with a JSON error body. */
  tokenStatus?: number;
  /** The token endpoint waits this long before answering. */
  slowMs?: number;
  /**
   * Demo sandbox: the redirect back to the client also clears the hub's browser-binding cookie of
   * that state (`relais_tx_…`, see src/http/browser-binding.ts), as if the answer reached another
   * browser. Works only where the hub and this IdP share a host name (the demo: browsers ignore
   * ports), which is the point: the hub must then refuse the callback (R4003).
   */
  dropHubBinding?: boolean;
  /**
   * Demo sandbox: instead of its login page, the IdP shows a page whose button posts a consent to
   * the hub's login with a CSRF token the hub never issued (a cross-site forgery, same site in the
   * demo): the hub must refuse it (R4004).
   */
  forgedHubForm?: boolean;
  /**
   * This endpoint answers `bytes` of JSON whitespace instead of its answer, made as it is sent (the
   * mock holds none of it); `declared` announces the length. `onSent` hears how much was made once
   * the answer ends or the reader hangs up: no reader can have received more.
   */
  oversized?: {
    route: 'userinfo' | 'jwks';
    bytes: number;
    declared?: boolean;
    onSent?: (bytes: number) => void;
  };
}

export const WRONG_ISSUER = 'http://evil.example';

export type MisbehaviourSource = () => Readonly<Misbehaviour>;

interface FaultOptions {
  tokenPath: string;
  userinfoPath: string;
  /** The provider's private signing keys, for the forgeries. */
  signingKeys: readonly JWK[];
  redirectUris: readonly string[];
  discovery: boolean;
  misbehaviour: MisbehaviourSource;
}

/** Wraps the provider: answers or rewrites what the switched-on faults touch. */
export function faultMiddleware(options: FaultOptions): Middleware {
  return async (ctx, next) => {
    if (!options.discovery && ctx.path === '/.well-known/openid-configuration') {
      ctx.status = 404;
      ctx.body = 'Not Found';
      return;
    }
    const misbehaviour = options.misbehaviour();
    if (ctx.path === options.tokenPath && ctx.method === 'POST') {
      await tokenFaults(ctx, next, misbehaviour, options.signingKeys);
      return;
    }
    await next();
    if (ctx.path === options.userinfoPath) await userinfoFaults(ctx, misbehaviour, options.signingKeys);
    if (misbehaviour.dropHubBinding) dropHubBinding(ctx, options.redirectUris);
    if (misbehaviour.wrongIssuer) rewriteIssuer(ctx, options.redirectUris, WRONG_ISSUER);
    else if (misbehaviour.missingIssuer) rewriteIssuer(ctx, options.redirectUris, null);
    if (misbehaviour.oversized && routeOf(ctx) === misbehaviour.oversized.route) {
      oversize(ctx, misbehaviour.oversized);
    }
  };
}

/** oidc-provider's name for the route that answered (userinfo, jwks…). */
function routeOf(ctx: Context): unknown {
  return (ctx as Context & { oidc?: { route?: unknown } }).oidc?.route;
}

function oversize(ctx: Context, fault: NonNullable<Misbehaviour['oversized']>): void {
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  const res = ctx.res;
  let made = 0;
  // Written by hand, not as a koa stream body: a reader hanging up is the point, not an error to log.
  ctx.respond = false;
  res.writeHead(200, {
    'content-type': fault.route === 'jwks' ? 'application/jwk-set+json' : 'application/json',
    ...(fault.declared ? { 'content-length': String(fault.bytes) } : {}),
  });
  const pump = (): void => {
    while (!res.destroyed && made < fault.bytes) {
      const size = Math.min(chunk.length, fault.bytes - made);
      made += size;
      if (!res.write(chunk.subarray(0, size))) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.once('close', () => fault.onSent?.(made));
  res.on('error', () => {});
  pump();
}

async function tokenFaults(
  ctx: Context,
  next: Next,
  misbehaviour: Misbehaviour,
  signingKeys: readonly JWK[],
): Promise<void> {
  if (misbehaviour.slowMs) await sleep(misbehaviour.slowMs);
  if (misbehaviour.tokenStatus) {
    ctx.status = misbehaviour.tokenStatus;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      error: tokenErrorCode(misbehaviour.tokenStatus),
      error_description: 'mock IdP misbehaviour: token endpoint failure',
    };
    return;
  }
  await next();
  const body = ctx.body;
  if (misbehaviour.badSignature && isTokenResponse(body)) {
    ctx.body = { ...body, id_token: tamperSignature(body.id_token) };
  }
  if (misbehaviour.idTokenClaims && isTokenResponse(body)) {
    ctx.body = {
      ...body,
      id_token: await forgeClaims(body.id_token, misbehaviour.idTokenClaims, signingKeys),
    };
  }
  if (misbehaviour.idTokenForgery && isTokenResponse(body)) {
    ctx.body = {
      ...body,
      id_token: await forgeSignature(body.id_token, misbehaviour.idTokenForgery, signingKeys),
    };
  }
}

/** Only a signed userinfo (a JWT body) is touched; plain JSON passes as it is. */
async function userinfoFaults(ctx: Context, misbehaviour: Misbehaviour, signingKeys: readonly JWK[]) {
  if (typeof ctx.body !== 'string' || !ctx.response.is('application/jwt')) return;
  let jwt = ctx.body;
  if (misbehaviour.userinfoClaims) jwt = await forgeClaims(jwt, misbehaviour.userinfoClaims, signingKeys);
  if (misbehaviour.userinfoForgery)
    jwt = await forgeSignature(jwt, misbehaviour.userinfoForgery, signingKeys);
  ctx.body = jwt;
}

function tokenErrorCode(status: number): string {
  if (status >= 500) return 'server_error';
  if (status === 401) return 'invalid_client';
  return 'invalid_grant';
}

function isTokenResponse(body: unknown): body is { id_token: string } {
  return typeof body === 'object' && body !== null && typeof Reflect.get(body, 'id_token') === 'string';
}

/** Changes one character well inside the signature, where every base64url bit counts. */
export function tamperSignature(jwt: string): string {
  const at = jwt.lastIndexOf('.') + 3;
  const replacement = jwt[at] === 'A' ? 'B' : 'A';
  return `${jwt.slice(0, at)}${replacement}${jwt.slice(at + 1)}`;
}

/** The authorization response's `iss` set to `issuer`, or removed (null). */
function rewriteIssuer(ctx: Context, redirectUris: readonly string[], issuer: string | null): void {
  const location = ctx.response.get('Location');
  if (!location || !redirectUris.some((uri) => location.startsWith(uri))) return;
  const url = new URL(location);
  if (!url.searchParams.has('iss')) return;
  if (issuer === null) url.searchParams.delete('iss');
  else url.searchParams.set('iss', issuer);
  ctx.redirect(url.href);
}

/**
 * Clears, with the redirect to the client, the cookie by which the hub binds this state to the
 * browser that left for the IdP: named after the state's SHA-256, path-scoped to the callback on
 * http, a `__Host-` cookie on https (src/http/browser-binding.ts).
 */
function dropHubBinding(ctx: Context, redirectUris: readonly string[]): void {
  const location = ctx.response.get('Location');
  if (!location || !redirectUris.some((uri) => location.startsWith(uri))) return;
  const url = new URL(location);
  const state = url.searchParams.get('state');
  if (!state) return;
  const name = `relais_tx_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
  const cookie =
    url.protocol === 'https:'
      ? `__Host-${name}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`
      : `${name}=; Path=/idp/callback; Max-Age=0; HttpOnly; SameSite=Lax`;
  ctx.append('Set-Cookie', cookie);
}

/** A stable sub that is not the identity's, for the `subMismatch` fault. */
export function mismatchedSub(sub: string): string {
  return `${createHash('sha256').update(`mismatch:${sub}`).digest('hex')}v1`;
}
