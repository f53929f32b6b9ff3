// Every authorization error an SP receives carries a Relais code. oidc-provider refuses some
// requests itself before the FC v2 rules run (openid scope, PKCE method, response type); this
// names those refusals with our table, on the redirect oidc-provider already built.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { codeOf, type ErrorCode, RelaisError, withCode } from '../errors.ts';

/** oidc-provider's own refusals that match a rule of ours. */
function codeFor(description: string): ErrorCode {
  if (/^openid scope must be requested/.test(description)) return 'R1003';
  return 'R1013';
}

export function codeAuthorizationError(location: string): string {
  const url = new URL(location);
  for (const part of ['search', 'hash'] as const) {
    const params = new URLSearchParams(url[part].slice(1));
    const error = params.get('error');
    const description = params.get('error_description') ?? '';
    if (!error || codeOf(description)) continue;
    const code = codeFor(description);
    const relais = new RelaisError(code, { detail: description || error });
    params.set('error', code === 'R1013' ? error : relais.entry.oauth);
    params.set(
      'error_description',
      code === 'R1013' ? withCode(description || error, 'R1013') : relais.description,
    );
    url[part] = params.toString();
  }
  return url.href;
}

/** Koa middleware: rewrites the Location of an authorization error redirect. */
export async function codeAuthorizationErrors(
  ctx: KoaContextWithOIDC,
  next: () => Promise<void>,
): Promise<void> {
  await next();
  if (ctx.status !== 303 && ctx.status !== 302) return;
  if (ctx.oidc?.route !== 'authorization' && ctx.oidc?.route !== 'resume') return;
  const location = ctx.response.get('location');
  if (location && /[?#&]error=/.test(location)) ctx.redirect(codeAuthorizationError(location));
}
