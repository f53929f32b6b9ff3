import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import nunjucks from 'nunjucks';

const VIEWS_DIR = fileURLToPath(new URL('../../views/mock-idp/', import.meta.url));

const environment = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR), {
  autoescape: true,
  throwOnUndefined: false,
});

/** Renders a page of views/mock-idp with a per-response CSP nonce for its inline style and script. */
export function renderPage(
  ctx: Context,
  template: string,
  model: Record<string, unknown>,
  status = 200,
  /** A template given as source (it may extend layout.njk) instead of a file's name. */
  source?: string,
): void {
  const nonce = randomBytes(16).toString('base64');
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  // No form-action: browsers apply it to the redirects that follow a submission, which go to the client.
  ctx.set(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`,
  );
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body =
    source === undefined
      ? environment.render(template, { ...model, nonce })
      : environment.renderString(source, { ...model, nonce });
}
