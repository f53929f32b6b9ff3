// Faults a real IdP may show, switched on at run time so the hub's tests can prove it refuses them.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Middleware, Next } from 'koa';

export type Acr = 'eidas1' | 'eidas2' | 'eidas3';

export interface Misbehaviour {
  /** The id_token's signature is altered in the token response. */
  badSignature?: boolean;
  /** The `iss` parameter of the authorization response names another issuer. */
  wrongIssuer?: boolean;
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
}

export const WRONG_ISSUER = 'http://evil.example';

export type MisbehaviourSource = () => Readonly<Misbehaviour>;

interface FaultOptions {
  tokenPath: string;
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
      await tokenFaults(ctx, next, misbehaviour);
      return;
    }
    await next();
    if (misbehaviour.wrongIssuer) rewriteIssuer(ctx, options.redirectUris);
  };
}

async function tokenFaults(ctx: Context, next: Next, misbehaviour: Misbehaviour): Promise<void> {
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

function rewriteIssuer(ctx: Context, redirectUris: readonly string[]): void {
  const location = ctx.response.get('Location');
  if (!location || !redirectUris.some((uri) => location.startsWith(uri))) return;
  const url = new URL(location);
  if (!url.searchParams.has('iss')) return;
  url.searchParams.set('iss', WRONG_ISSUER);
  ctx.redirect(url.href);
}

/** A stable sub that is not the identity's, for the `subMismatch` fault. */
export function mismatchedSub(sub: string): string {
  return `${createHash('sha256').update(`mismatch:${sub}`).digest('hex')}v1`;
}
