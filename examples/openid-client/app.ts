// Recipe: a service provider (SP) of a Relais hub with openid-client v6 and nothing else but
// node:http. The whole FranceConnect v2 contract an SP owes the hub is here, step by step:
//
//   GET /login       → the authorization request (scope with the pivot, acr_values, prompt, state,
//                      nonce, PKCE S256)
//   GET /callback    → state and iss (RFC 9207) checked, the code redeemed, the id_token's signature,
//                      iss, aud, exp and nonce checked, then the signed userinfo JWT fetched and its
//                      signature, iss, aud and sub checked; any error from the hub becomes a page
//                      for the citizen with a way back
//   GET /            → the identité pivot of the citizen
//   GET /logout      → RP-initiated logout at the hub (id_token_hint, post_logout_redirect_uri, state)
//   GET /logged-out  → where the hub sends the citizen back, state checked
//
// The signatures: openid-client verifies neither the id_token nor the userinfo JWT by default (a
// token over TLS is trusted); `enableNonRepudiationChecks` turns both checks on, against the hub's
// JWKS (fetched again once when a token carries an unknown `kid`). FranceConnect v2 asks for both.
//
// Sessions live in memory (a Map behind an HttpOnly cookie): enough for one process, replace it
// with your store. Pages are in French, as the citizens of a French hub read them.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';

export interface RecipeConfig {
  /** The hub's issuer, e.g. https://relais.example (ISSUER). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where this SP is reached, without a trailing slash, e.g. https://sp.example (BASE_URL). */
  baseUrl: string;
  /** Where a refused login is reported (never a token, never a secret). Default: console.error. */
  log?: (message: string) => void;
}

// FranceConnect v2 parameters. The scope holds `openid` and the pivot (identite_pivot gives
// given_name, family_name, birthdate, gender, birthplace, birthcountry), within what the SP's
// DataPass allows: a scope outside it is refused by the hub (R1005).
const SCOPE = 'openid identite_pivot email';
const ACR_VALUES = 'eidas1';
const LEVELS = ['eidas1', 'eidas2', 'eidas3'];
const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email'];

interface Session {
  /** Between /login and /callback. randomState() and randomNonce() give 43 characters (≥ 22). */
  login?: { state: string; nonce: string; codeVerifier: string };
  user?: { claims: Record<string, unknown>; acr: string; idToken: string };
  logoutState?: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function createApp(config: RecipeConfig): Promise<Handler> {
  const log = config.log ?? ((message: string) => console.error(message));
  const issuer = new URL(config.issuer);
  const redirectUri = `${config.baseUrl}/callback`;
  const postLogoutRedirectUri = `${config.baseUrl}/logged-out`;
  const secure = config.baseUrl.startsWith('https:');

  // Discovery, once. The client metadata says which algorithms the hub registered for this SP
  // (ES256 by default); enableNonRepudiationChecks verifies the id_token and userinfo signatures.
  const oidc = await client.discovery(
    issuer,
    config.clientId,
    { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
    client.ClientSecretPost(config.clientSecret),
    {
      execute: [
        client.enableNonRepudiationChecks,
        // Plain http only for a hub on a development machine: never in production.
        ...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []),
      ],
    },
  );

  // Sessions in memory, an hour each: enough for one process, replace with your store.
  const sessions = new Map<string, { session: Session; expiresAt: number }>();
  const COOKIE = 'recipe_sid';
  const SESSION_SECONDS = 3600;

  function sessionOf(req: IncomingMessage): { id: string | undefined; session: Session } {
    const id = /(?:^|;\s*)recipe_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const entry = id ? sessions.get(id) : undefined;
    return { id, session: entry && entry.expiresAt > Date.now() ? entry.session : {} };
  }

  /** A new session id each time the session changes hands (login, logout): no fixation. */
  function saveSession(res: ServerResponse, session: Session, previous: string | undefined): void {
    if (previous) sessions.delete(previous);
    const now = Date.now();
    for (const [key, entry] of sessions) if (entry.expiresAt <= now) sessions.delete(key);
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, { session, expiresAt: now + SESSION_SECONDS * 1000 });
    res.setHeader(
      'set-cookie',
      `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}; Max-Age=${SESSION_SECONDS}`,
    );
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { id, session } = sessionOf(req);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const authorizationUrl = client.buildAuthorizationUrl(oidc, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      state,
      nonce,
      acr_values: ACR_VALUES,
      prompt: 'login consent',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    saveSession(res, { ...session, login: { state, nonce, codeVerifier } }, id);
    redirect(res, authorizationUrl.href);
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { id, session } = sessionOf(req);
    const pending = session.login;
    // No login in progress in this browser: expired, used twice (back, refresh) or another browser.
    if (!pending) return page(res, 400, noLoginPage());
    // The login is used once, whatever happens next.
    if (id) sessions.delete(id);
    // The URL the hub sent the browser to, rebuilt from BASE_URL (never from the Host header).
    const currentUrl = new URL(req.url ?? '/', config.baseUrl);
    try {
      // Checks iss (RFC 9207; the hub says authorization_response_iss_parameter_supported) and
      // state, then turns an `error` into AuthorizationResponseError; redeems the code with the
      // PKCE verifier; verifies the id_token: signature, iss, aud, exp, nonce.
      const tokens = await client.authorizationCodeGrant(oidc, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken || !tokens.id_token) throw new Error('no id_token');
      // The level reached: at least the one asked (it may be higher).
      if (typeof idToken.acr !== 'string' || !LEVELS.includes(idToken.acr)) throw new Error('unexpected acr');
      // The identity comes from userinfo, always a signed JWT at Relais: signature, iss, aud
      // checked, and its sub must be the id_token's.
      const userinfo = await client.fetchUserInfo(oidc, tokens.access_token, idToken.sub);
      const claims = Object.fromEntries(
        PIVOT.filter((name) => name in userinfo).map((n) => [n, userinfo[n]]),
      );
      // Keep the id_token itself: it is the id_token_hint of the logout.
      saveSession(res, { user: { claims, acr: idToken.acr, idToken: tokens.id_token } }, undefined);
      redirect(res, '/');
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError) {
        // The hub's error (state and iss already checked): error, error_description ending in [Rxxxx].
        return page(res, 400, hubErrorPage(error.error, error.error_description));
      }
      // A check failed (state, iss, a signature, nonce, sub…) or the hub could not be reached.
      log(`login refused: ${describe(error)}`);
      return page(res, 502, invalidResponsePage());
    }
  }

  function home(req: IncomingMessage, res: ServerResponse): void {
    const { user } = sessionOf(req).session;
    page(res, 200, user ? identityPage(user.claims, user.acr) : welcomePage());
  }

  function logout(req: IncomingMessage, res: ServerResponse): void {
    const { id, session } = sessionOf(req);
    if (!session.user) {
      redirect(res, '/');
      return;
    }
    // End the local session first, then the hub's (and the IdP's, the hub sees to it).
    const logoutState = client.randomState();
    saveSession(res, { logoutState }, id);
    const endSessionUrl = client.buildEndSessionUrl(oidc, {
      id_token_hint: session.user.idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
      state: logoutState,
    });
    redirect(res, endSessionUrl.href);
  }

  function loggedOut(req: IncomingMessage, res: ServerResponse): void {
    const { id, session } = sessionOf(req);
    const state = new URL(req.url ?? '/', config.baseUrl).searchParams.get('state');
    if (!session.logoutState || state !== session.logoutState) {
      redirect(res, '/');
      return;
    }
    saveSession(res, {}, id);
    page(res, 200, loggedOutPage());
  }

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    '/': home,
    '/login': login,
    '/callback': callback,
    '/logout': logout,
    '/logged-out': loggedOut,
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', config.baseUrl).pathname;
    const route = req.method === 'GET' ? routes[path] : undefined;
    if (!route)
      return page(res, 404, layout('Page introuvable', '<p><a href="/">Retour à l’accueil</a></p>'));
    // Never a crash: an unexpected error is a page with a way back.
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        log(`unexpected error: ${describe(error)}`);
        if (!res.headersSent) page(res, 500, invalidResponsePage());
      });
  };
}

/** What a refused login is logged with: the error's kind, never a token. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
}

function page(res: ServerResponse, status: number, html: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(html);
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

function welcomePage(): string {
  return layout('Service exemple', '<p><a href="/login">S’identifier avec Relais</a></p>');
}

function identityPage(claims: Record<string, unknown>, acr: string): string {
  const rows = Object.entries(claims)
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('');
  return layout(
    `Bonjour ${claims.given_name ?? ''} ${claims.family_name ?? ''}`,
    `<p>Niveau eIDAS atteint : ${escapeHtml(acr)}</p><dl>${rows}</dl><p><a href="/logout">Se déconnecter</a></p>`,
  );
}

// What each OAuth error means for the citizen. The [Rxxxx] code is shown for support; the
// description's free text is not (it is for the SP's developers, and in English).
const MESSAGES: Record<string, string> = {
  access_denied: 'Vous avez annulé la connexion, ou l’accès a été refusé.',
  login_required: 'Votre connexion a expiré. Recommencez.',
  temporarily_unavailable:
    'Le service de connexion est momentanément indisponible. Réessayez dans quelques minutes.',
  server_error: 'Le service de connexion a rencontré une erreur.',
  invalid_request: 'La demande de connexion de ce service a été refusée. Vous n’y êtes pour rien.',
  invalid_scope: 'Ce service a demandé des informations qu’il n’est pas autorisé à recevoir.',
};

function hubErrorPage(error: string, description: string | undefined): string {
  const code = /\[(R\d{4})\]$/.exec(description ?? '')?.[1];
  return layout(
    'La connexion n’a pas abouti',
    `<p>${escapeHtml(MESSAGES[error] ?? 'La connexion n’a pas pu aboutir.')}</p>` +
      (code ? `<p>Code pour le support : <code>${escapeHtml(code)}</code></p>` : '') +
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

function noLoginPage(): string {
  return layout(
    'Aucune connexion en cours',
    `<p>Votre tentative de connexion a expiré ou a déjà été utilisée.</p>${wayBack()}`,
  );
}

function loggedOutPage(): string {
  return layout('Vous êtes déconnecté(e)', '<p><a href="/">Retour à l’accueil</a></p>');
}

function wayBack(): string {
  return '<p><a href="/login">Réessayer</a> · <a href="/">Retour à l’accueil</a></p>';
}
