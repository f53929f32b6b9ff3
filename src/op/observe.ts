// oidc-provider's steps of a login, as business events and hop durations (the hub's own routes
// report theirs themselves): a middleware around its routes and listeners on its events.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { codeOf } from '../errors.ts';
import { type Events, hashId } from '../observability/events.ts';
import type { Hop, Metrics } from '../observability/metrics.ts';

/** oidc-provider's routes whose duration is a hop of the login (the hub's own: app.ts). */
const PROVIDER_HOPS: Record<string, Hop> = {
  authorization: 'authorize',
  resume: 'resume',
  token: 'token',
  userinfo: 'userinfo',
};

/** oidc-provider's steps of a login, as business events and hop durations. */
export function observeProvider(provider: Provider, events: Events, metrics: Metrics): void {
  const clientId = (ctx: Partial<KoaContextWithOIDC>) => ctx.oidc?.client?.clientId;
  const session = (accountId: string | undefined) => (accountId ? hashId(accountId) : undefined);
  // The Relais code when the description carries one, else oidc-provider's OAuth error.
  const errorCode = (error: { error?: string; error_description?: string }) =>
    codeOf(error.error_description) ?? error.error ?? 'server_error';
  provider.use(async (koa, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Not every request reaches oidc-provider's routes (404s): oidc may be absent.
      const ctx = koa as unknown as Partial<KoaContextWithOIDC> & typeof koa;
      const route = ctx.oidc?.route ?? '';
      const hop = PROVIDER_HOPS[route];
      if (hop) metrics.observeHop(hop, (performance.now() - started) / 1000);
      if (route === 'authorization') {
        const uid = /\/interaction\/([^/?#]+)/.exec(ctx.response.get('location'))?.[1];
        const acr = ctx.oidc?.params?.['acr_values'];
        events.emit({
          name: 'authorize.received',
          clientId: clientId(ctx),
          acr: typeof acr === 'string' ? acr : undefined,
          interactionId: uid,
        });
      }
      if (route === 'userinfo') {
        events.emit({
          name: 'sp.userinfo',
          clientId: clientId(ctx),
          sessionId: session(ctx.oidc?.accessToken?.accountId),
          errorCode: ctx.status >= 400 ? `http_${ctx.status}` : undefined,
        });
      }
    }
  });
  // A request refused at /authorize; the hub reports the failures it sends through resume itself
  // (interaction-routes' failToSp), with the IdP oidc-provider does not know.
  provider.on('authorization.error', (ctx, error) => {
    if (ctx.oidc?.route === 'resume') return;
    events.emit({ name: 'login.failed', clientId: clientId(ctx), errorCode: errorCode(error) });
  });
  provider.on('authorization.success', (ctx) =>
    events.emit({
      name: 'sp.redirected',
      clientId: clientId(ctx),
      interactionId: ctx.oidc?.entities?.Interaction?.uid,
      sessionId: session(ctx.oidc?.session?.accountId),
    }),
  );
  provider.on('grant.success', (ctx) =>
    events.emit({
      name: 'sp.token',
      clientId: clientId(ctx),
      sessionId: session(ctx.oidc?.entities?.AuthorizationCode?.accountId),
    }),
  );
  provider.on('grant.error', (ctx, error) =>
    events.emit({ name: 'sp.token', clientId: clientId(ctx), errorCode: errorCode(error) }),
  );
  provider.on('end_session.success', (ctx) =>
    events.emit({
      name: 'logout.started',
      clientId: clientId(ctx),
      sessionId: session(ctx.oidc?.session?.accountId),
    }),
  );
}
