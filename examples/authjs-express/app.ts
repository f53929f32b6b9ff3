// Recipe: an Express service provider (SP) of a Relais hub with Auth.js (@auth/express).
// The Auth.js configuration itself (FranceConnect parameters, signature checks, userinfo) is in
// ./relais-auth.ts; this file is the Express side:
//
//   GET  /login                 → a page whose button POSTs to Auth.js's /auth/signin/relais (with
//                                 Auth.js's CSRF token): Auth.js then sends the authorization request
//   GET  /auth/callback/relais  → an `error` from the hub is handled HERE, before Auth.js (which
//                                 would keep only "OAuthCallbackError" and lose the [Rxxxx] code);
//                                 anything else is Auth.js's callback
//   GET  /login-error           → where Auth.js sends a refused login (pages.error)
//   GET  /                      → the identité pivot
//   GET  /logout                → ends the Auth.js session, then RP-initiated logout at the hub
//   GET  /logged-out            → the hub's way back, state checked
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Auth, type AuthConfig } from '@auth/core';
import { decode, getToken } from '@auth/core/jwt';
import { ExpressAuth, getSession } from '@auth/express';
import express, { type Request, type Response } from 'express';
import { describe, discover, endSessionUrl, type RelaisToken, relaisAuthConfig } from './relais-auth.ts';

export interface RecipeConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where this SP is reached, without a trailing slash (BASE_URL). */
  baseUrl: string;
  /** Auth.js's secret (AUTH_SECRET). Default: random at each start (sessions do not survive it). */
  authSecret?: string;
  log?: (message: string) => void;
}

export async function createApp(config: RecipeConfig): Promise<express.Express> {
  const log = config.log ?? ((message: string) => console.error(message));
  const secret = config.authSecret ?? randomBytes(32).toString('base64url');
  const metadata = await discover(config.issuer);
  const authConfig: AuthConfig = {
    ...relaisAuthConfig({ ...config, secret, log }, metadata),
    basePath: '/auth',
  };
  // Auth.js's cookie names: __Secure- prefixed on https.
  const secure = config.baseUrl.startsWith('https:');
  const cookiePrefix = secure ? '__Secure-' : '';
  const sessionCookie = `${cookiePrefix}authjs.session-token`;
  const stateCookie = `${cookiePrefix}authjs.state`;

  const app = express();
  app.disable('x-powered-by');

  // The hub's error at the callback: error, error_description ending in [Rxxxx], state, iss.
  // Checked as a success would be: iss is the hub (RFC 9207), state is the one Auth.js sealed in
  // this browser's state cookie. Then a page with the code and the way back.
  app.get('/auth/callback/relais', async (req, res, next) => {
    if (req.query.error === undefined) return next();
    const { error, error_description: description, state, iss } = req.query;
    const sealed = await decode({ token: cookie(req, stateCookie), secret, salt: stateCookie }).catch(
      () => null,
    );
    if (
      iss !== metadata.issuer ||
      typeof state !== 'string' ||
      !sealed ||
      !sameString(String(sealed.value), state)
    ) {
      log('login refused: an error response whose iss or state is not this login’s');
      return void res.status(400).type('html').send(invalidResponsePage());
    }
    const code = /\[(R\d{4})\]$/.exec(String(description ?? ''))?.[1];
    res
      .status(400)
      .type('html')
      .send(hubErrorPage(String(error), code));
  });

  // Everything else under /auth is Auth.js's: signin, callback, session, csrf…
  app.use('/auth', ExpressAuth(authConfig));

  app.get('/login', async (req, res) => {
    // Auth.js redirects here with ?error=… for a sign-in error (pages.signIn).
    if (req.query.error !== undefined) return void res.status(400).type('html').send(invalidResponsePage());
    // Auth.js's CSRF token (double-submit cookie), asked of Auth.js itself as getSession() does.
    const csrf = await Auth(
      new Request(`${config.baseUrl}/auth/csrf`, { headers: { cookie: req.headers.cookie ?? '' } }),
      authConfig,
    );
    for (const setCookie of csrf.headers.getSetCookie()) res.append('set-cookie', setCookie);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    res
      .type('html')
      .send(
        layout(
          'Connexion',
          `<form method="post" action="/auth/signin/relais"><input type="hidden" name="csrfToken" value="${escapeHtml(csrfToken)}">` +
            '<input type="hidden" name="callbackUrl" value="/"><button type="submit">S’identifier avec Relais</button></form>',
        ),
      );
  });

  // Auth.js sends every refused login here (pages.error): a failed signature, a bad iss…
  app.get('/login-error', (_req, res) => void res.status(400).type('html').send(invalidResponsePage()));

  app.get('/', async (req, res) => {
    const session = (await getSession(req, authConfig)) as (RelaisToken & object) | null;
    if (session?.pivot) return void res.type('html').send(identityPage(session.pivot, String(session.acr)));
    res.type('html').send(layout('Service exemple', '<p><a href="/login">S’identifier avec Relais</a></p>'));
  });

  app.get('/logout', async (req, res) => {
    const token = (await getToken({
      req: { headers: req.headers as Record<string, string> },
      secret,
      secureCookie: secure,
      salt: sessionCookie,
    })) as RelaisToken | null;
    // End the Auth.js session (its cookie may be in chunks: .0, .1…).
    for (const name of Object.keys(cookies(req))) {
      // With the attributes it was set with: a browser ignores the deletion of a __Secure-
      // cookie sent without Secure, and the local session would outlive the logout on https.
      if (name === sessionCookie || name.startsWith(`${sessionCookie}.`))
        res.clearCookie(name, { path: '/', secure, httpOnly: true, sameSite: 'lax' });
    }
    if (!token?.idToken) return res.redirect('/');
    const state = randomBytes(32).toString('base64url');
    res.cookie('logout_state', state, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge: 600_000,
    });
    const url = endSessionUrl(metadata, {
      idToken: token.idToken,
      postLogoutRedirectUri: `${config.baseUrl}/logged-out`,
      state,
    });
    res.redirect(url.href);
  });

  app.get('/logged-out', (req, res) => {
    const kept = cookie(req, 'logout_state');
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    res.clearCookie('logout_state', { path: '/', secure, httpOnly: true, sameSite: 'lax' });
    if (!kept || !sameString(kept, state)) return res.redirect('/');
    res.type('html').send(layout('Vous êtes déconnecté(e)', '<p><a href="/">Retour à l’accueil</a></p>'));
  });

  // Never a stack trace: an unexpected error is a page with a way back.
  app.use((error: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    log(`unexpected error: ${describe(error)}`);
    res.status(500).type('html').send(invalidResponsePage());
  });

  return app;
}

function cookies(req: Request): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const pair of (req.headers.cookie ?? '').split(/;\s*/)) {
    const at = pair.indexOf('=');
    if (at > 0) jar[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1));
  }
  return jar;
}

function cookie(req: Request, name: string): string {
  return cookies(req)[name] ?? '';
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function identityPage(pivot: Record<string, unknown>, acr: string): string {
  const rows = Object.entries(pivot)
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('');
  return layout(
    `Bonjour ${pivot.given_name ?? ''} ${pivot.family_name ?? ''}`,
    `<p>Niveau eIDAS atteint : ${escapeHtml(acr)}</p><dl>${rows}</dl><p><a href="/logout">Se déconnecter</a></p>`,
  );
}

// What each OAuth error means for the citizen; the [Rxxxx] code is shown for support.
const MESSAGES: Record<string, string> = {
  access_denied: 'Vous avez annulé la connexion, ou l’accès a été refusé.',
  login_required: 'Votre connexion a expiré. Recommencez.',
  temporarily_unavailable:
    'Le service de connexion est momentanément indisponible. Réessayez dans quelques minutes.',
  server_error: 'Le service de connexion a rencontré une erreur.',
  invalid_request: 'La demande de connexion de ce service a été refusée. Vous n’y êtes pour rien.',
  invalid_scope: 'Ce service a demandé des informations qu’il n’est pas autorisé à recevoir.',
};

function hubErrorPage(error: string, relaisCode: string | undefined): string {
  return layout(
    'La connexion n’a pas abouti',
    `<p>${escapeHtml(MESSAGES[error] ?? 'La connexion n’a pas pu aboutir.')}</p>` +
      (relaisCode ? `<p>Code pour le support : <code>${escapeHtml(relaisCode)}</code></p>` : '') +
      wayBack(),
  );
}

function invalidResponsePage(): string {
  return layout(
    'La connexion n’a pas abouti',
    '<p>La réponse du service de connexion n’a pas pu être vérifiée. Par sécurité, la connexion a été interrompue.</p>' +
      wayBack(),
  );
}

function wayBack(): string {
  return '<p><a href="/login">Réessayer</a> · <a href="/">Retour à l’accueil</a></p>';
}
