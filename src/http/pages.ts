// Hub pages that end a flow: errors (ours and oidc-provider's), logout confirmation, logged out.
// Every error page shows its code and a random id that is also logged, for support.
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { asRelaisError, type ErrorCode, RelaisError } from '../errors.ts';
import type { ProviderPages } from '../op/provider.ts';

export type Render = (template: string, data: Record<string, unknown>) => Promise<string>;

export function errorPageModel(error: RelaisError, errorId: string) {
  const heading = error.entry.status >= 500 ? 'Un problème est survenu' : 'Connexion impossible';
  return { title: heading, heading, message: error.entry.message.fr, code: error.code, errorId };
}

export const newErrorId = () => randomBytes(6).toString('hex');

/** What the logs may know of an error: its code and detail, never a token or a claim. */
export function logError(log: FastifyBaseLogger, error: RelaisError, errorId: string): void {
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined;
  const level = error.entry.status >= 500 && error.code === 'R5000' ? 'error' : 'info';
  log[level]({ errorId, code: error.code, detail: error.detail, cause }, 'error page');
}

const OAUTH_TO_CODE: Record<string, ErrorCode> = {
  invalid_client: 'R1001',
  invalid_redirect_uri: 'R1002',
  server_error: 'R5000',
};

export function providerPages(render: Render, log: FastifyBaseLogger): ProviderPages {
  return {
    async error(ctx, out, cause) {
      const error = new RelaisError(OAUTH_TO_CODE[out.error] ?? 'R1013', {
        detail: out.error_description,
        cause,
      });
      const errorId = newErrorId();
      logError(log, error, errorId);
      ctx.type = 'html';
      ctx.body = await render('error.njk', errorPageModel(error, errorId));
    },
    async logout(ctx, form) {
      ctx.type = 'html';
      ctx.body = await render('logout.njk', { title: 'Déconnexion', form });
    },
    async loggedOut(ctx) {
      ctx.type = 'html';
      ctx.body = await render('logged-out.njk', { title: 'Déconnecté(e)' });
    },
  };
}

export function errorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (caught, request, reply) => {
    const error =
      caught instanceof RelaisError
        ? caught
        : (caught as { validation?: unknown; statusCode?: number }).statusCode === 400 ||
            (caught instanceof Error && caught.name === 'ZodError')
          ? new RelaisError('R4003', { cause: caught })
          : asRelaisError(caught);
    const errorId = newErrorId();
    logError(request.log, error, errorId);
    return reply
      .status(error.entry.status)
      .type('text/html; charset=utf-8')
      .view('error.njk', errorPageModel(error, errorId));
  });
  app.setNotFoundHandler(async (_request, reply) => {
    const errorId = newErrorId();
    return reply
      .status(404)
      .type('text/html; charset=utf-8')
      .view('error.njk', errorPageModel(new RelaisError('R4005'), errorId));
  });
}
