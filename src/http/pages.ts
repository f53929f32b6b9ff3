// Hub pages that end a flow: errors (ours and oidc-provider's), logout confirmation, logged out.
// Every error page shows its code and a random id that is also logged, for support, and a way
// back to the SP whenever the SP is known.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { asRelaisError, codeOf, type ErrorCode, RelaisError } from '../errors.ts';
import type { LoginRecord } from '../login/record.ts';
import type { ProviderPages } from '../op/provider.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot } from '../store/slot.ts';
import { csrfToken } from './csrf.ts';
import { type Catalogues, isLocale, negotiateLocale } from './i18n.ts';
import { buildContext, LANG_COOKIE, type PageContext } from './page-context.ts';
import { errorModel, loggedOutModel, logoutModel } from './view-models.ts';
import { WAY_BACK_COOKIE, type WayBackCookies } from './way-back-cookie.ts';

export type Render = (template: string, data: Record<string, unknown>) => Promise<string>;

/** The store unreachable (R5003) or full (R5002). */
const STORE_DOWN: ReadonlySet<string> = new Set(['R5002', 'R5003']);

export interface PagesOptions {
  /** The way back the browser keeps, for when the store cannot tell it. */
  wayBack: WayBackCookies;
  catalogues: Catalogues;
  logins: Slot<LoginRecord>;
  registry: Registry;
  csrfKey: Buffer;
  render: Render;
  log: FastifyBaseLogger;
  context(request: FastifyRequest, reply: FastifyReply): PageContext;
}

export const newErrorId = () => randomBytes(6).toString('hex');

/** What the logs may know of an error: its code and detail, never a token or a claim. */
export function logError(log: FastifyBaseLogger, error: RelaisError, errorId: string): void {
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined;
  // A refused flood is counted (relais_rate_limited_total), not logged line by line.
  if (error.code === 'R5001') return;
  const level = error.code === 'R5000' ? 'error' : 'info';
  log[level]({ errorId, code: error.code, detail: error.detail, cause }, 'error page');
}

const OAUTH_TO_CODE: Record<string, ErrorCode> = {
  invalid_client: 'R1001',
  invalid_redirect_uri: 'R1002',
  server_error: 'R5000',
};

/** A malformed request (bad form, unknown media type, too large) is the sender's error, not ours. */
function classify(caught: unknown, request: FastifyRequest): RelaisError {
  const status = (caught as { statusCode?: unknown }).statusCode;
  const clientError =
    (typeof status === 'number' && status >= 400 && status < 500) || (caught as Error)?.name === 'ZodError';
  if (!clientError) return asRelaisError(caught);
  return new RelaisError(request.url.startsWith('/authorize') ? 'R1013' : 'R4004', { cause: caught });
}

export function createPages(options: PagesOptions) {
  const { catalogues, logins, registry, csrfKey, render, log } = options;

  /**
   * The "Revenir à <SP>" form, when this error belongs to an interaction whose SP is known. With the
   * store unreachable, the login record cannot say: the browser's sealed copy of the way back gives
   * a plain link to the SP instead (`temporarily_unavailable`), which needs nothing from the hub.
   */
  async function backToSp(uid: string | undefined, wayBackCookie: string | undefined, code: ErrorCode) {
    if (!uid) return undefined;
    let login: LoginRecord | undefined;
    try {
      login = await logins.get(uid);
    } catch (caught) {
      if (!(caught instanceof RelaisError && STORE_DOWN.has(caught.code))) throw caught;
    }
    // Unreadable, or gone (a Redis restarted empty): the browser's copy still knows the SP.
    if (!login) return options.wayBack.link(wayBackCookie, uid, code);
    const sp = registry.serviceProvider(login.wayBack.clientId);
    return sp
      ? { action: `/interaction/${uid}/leave`, csrf: csrfToken(csrfKey, uid), spName: sp.client_name }
      : undefined;
  }

  async function errorPage(
    error: RelaisError,
    errorId: string,
    context: PageContext,
    wayBackCookie: string | undefined,
  ) {
    return errorModel(
      context,
      { code: error.code, errorId },
      await backToSp(error.interactionUid, wayBackCookie, error.code),
    );
  }

  const providerPages: ProviderPages = {
    async error(ctx, out, cause) {
      // A refresh of the resume step (/authorize/<uid>) lands here: it still knows its interaction.
      const resumed = /^\/authorize\/([\w-]{1,64})$/.exec(ctx.path)?.[1];
      // The store unreachable or full (R5003, R5002: store/oidc-adapter.ts) is said as it is.
      const carried = codeOf(out.error_description);
      const storeDown = carried !== undefined && STORE_DOWN.has(carried) ? carried : undefined;
      const code = storeDown ?? (resumed ? 'R4003' : (OAUTH_TO_CODE[out.error] ?? 'R1013'));
      const error = new RelaisError(code, {
        detail: out.error_description,
        cause,
        ...(resumed ? { interactionUid: resumed } : {}),
      });
      if (storeDown) ctx.status = error.entry.status;
      const errorId = newErrorId();
      logError(log, error, errorId);
      ctx.type = 'html';
      ctx.body = await render(
        'error.njk',
        await errorPage(error, errorId, koaContext(ctx), ctx.cookies.get(WAY_BACK_COOKIE) ?? undefined),
      );
    },
    async logout(ctx, form) {
      ctx.type = 'html';
      ctx.body = await render('logout.njk', logoutModel(koaContext(ctx), form));
    },
    async loggedOut(ctx) {
      ctx.type = 'html';
      ctx.body = await render('logged-out.njk', loggedOutModel(koaContext(ctx)));
    },
  };

  /** oidc-provider's pages are rendered from its koa context, in the same language as ours. */
  function koaContext(ctx: KoaContextWithOIDC): PageContext {
    const params = (ctx.oidc?.params ?? {}) as Record<string, unknown>;
    const asked = typeof ctx.query.lang === 'string' && isLocale(ctx.query.lang) ? ctx.query.lang : undefined;
    const lang = negotiateLocale({
      explicit: asked ?? ctx.cookies.get(LANG_COOKIE) ?? undefined,
      uiLocales: typeof params.ui_locales === 'string' ? params.ui_locales : undefined,
      acceptLanguage: ctx.get('accept-language') || undefined,
    });
    return buildContext(catalogues, lang, ctx.method === 'GET' ? ctx.url : '/');
  }

  function errorHandler(app: FastifyInstance): void {
    app.setErrorHandler(async (caught, request, reply) => {
      const error = caught instanceof RelaisError ? caught : classify(caught, request);
      const errorId = newErrorId();
      logError(request.log, error, errorId);
      const model = await errorPage(
        error,
        errorId,
        options.context(request, reply),
        request.cookies?.[WAY_BACK_COOKIE],
      );
      return reply.status(error.entry.status).type('text/html; charset=utf-8').view('error.njk', model);
    });
    app.setNotFoundHandler(async (request, reply) => {
      const model = await errorPage(
        new RelaisError('R4005'),
        newErrorId(),
        options.context(request, reply),
        undefined,
      );
      return reply.status(404).type('text/html; charset=utf-8').view('error.njk', model);
    });
  }

  return { providerPages, errorHandler };
}
