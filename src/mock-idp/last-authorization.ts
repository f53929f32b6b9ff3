// Keeps the query of the last GET /authorize, so that a hub's tests can check what it forwarded.
import type { Middleware } from 'koa';

export type AuthorizationParams = Readonly<Record<string, string>>;

/** Records before oidc-provider handles the request: a request it refuses is recorded too. */
export function authorizationRecorder(
  authorizationPath: string,
  record: (params: AuthorizationParams) => void,
): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      record(Object.freeze(Object.fromEntries(new URLSearchParams(ctx.querystring))));
    }
    await next();
  };
}
