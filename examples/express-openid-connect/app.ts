// Recipe: an Express service provider (SP) of a Relais hub with express-openid-connect.
//
// What the library does for you: discovery, the authorization request with state, nonce (43
// characters) and PKCE S256, the callback's state and iss (RFC 9207) checks, the code exchange,
// the id_token's iss, aud, exp and nonce, an encrypted session cookie, the end_session URL.
//
// What this file adds, because FranceConnect v2 needs it and the library does not do it:
//   - the FranceConnect parameters: scope with the pivot, acr_values, prompt=login consent;
//   - a random value in `state` (the library's state only carries the page to return to);
//   - the SIGNATURE of the id_token: express-openid-connect runs openid-client without its
//     non-repudiation checks, so a token received over TLS is not verified. afterCallback verifies
//     it with jose against the hub's JWKS;
//   - the identity: the library never calls userinfo. afterCallback fetches it, checks that it
//     is a signed JWT (signature, iss, aud) and that its sub is the id_token's;
//   - a state on the logout (RP-initiated logout to the hub), checked on the way back;
//   - an error handler: any error at the callback (the hub's `error` with its [Rxxxx] code, a
//     failed check) is a page for the citizen with a way back, never a stack trace.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { auth, type Session } from 'express-openid-connect';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

export interface RecipeConfig {
  /** The hub's issuer, e.g. https://relais.example (ISSUER). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where this SP is reached, without a trailing slash (BASE_URL). */
  baseUrl: string;
  /** Encrypts the session cookie. Default: random at each start (sessions do not survive it). */
  sessionSecret?: string;
  /** Where a refused login is reported (never a token, never a secret). Default: console.error. */
  log?: (message: string) => void;
}

// FranceConnect v2 parameters. The scope holds `openid` and the pivot, within the SP's DataPass
// (a scope outside it is refused by the hub, R1005).
const SCOPE = 'openid identite_pivot email';
const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email'];
const LEVELS = ['eidas1', 'eidas2', 'eidas3'];
/** As registered for the SP at the hub (id_token_signed_response_alg, userinfo_signed_response_alg). */
const ALGORITHMS = ['ES256'];

/** A login refused by this SP's own checks (signature, userinfo, sub, acr). */
class LoginRefused extends Error {
  override name = 'LoginRefused';
}

interface PivotSession {
  pivot?: Record<string, unknown>;
  acr?: string;
}

export async function createApp(config: RecipeConfig): Promise<express.Express> {
  const log = config.log ?? ((message: string) => console.error(message));
  const secure = config.baseUrl.startsWith('https:');

  // The hub's endpoints, from its discovery document (hard-code none of them).
  const discovery = await fetch(new URL('/.well-known/openid-configuration', config.issuer));
  if (!discovery.ok) throw new Error(`discovery failed: HTTP ${discovery.status}`);
  const metadata = (await discovery.json()) as {
    issuer: string;
    jwks_uri: string;
    userinfo_endpoint: string;
  };
  // jose caches the keys and fetches them again when a token carries an unknown kid.
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const verifyOptions = { issuer: metadata.issuer, audience: config.clientId, algorithms: ALGORITHMS };

  /** Runs once the library has checked state, iss, the code exchange and the id_token's claims. */
  async function afterCallback(_req: Request, _res: Response, session: Session): Promise<Session> {
    try {
      // 1. The id_token's signature (the library checked the claims of this very string, not its signature).
      const { payload: idToken } = await jwtVerify(String(session.id_token), jwks, verifyOptions);
      if (typeof idToken.acr !== 'string' || !LEVELS.includes(idToken.acr)) throw new LoginRefused('acr');
      // 2. The identity: the signed userinfo JWT (signature, iss, aud), its sub the id_token's.
      const response = await fetch(metadata.userinfo_endpoint, {
        headers: { authorization: `Bearer ${session.access_token}` },
      });
      if (!response.ok) throw new LoginRefused(`userinfo HTTP ${response.status}`);
      if (!response.headers.get('content-type')?.startsWith('application/jwt')) {
        throw new LoginRefused('userinfo is not a signed JWT');
      }
      const { payload: userinfo } = await jwtVerify(await response.text(), jwks, verifyOptions);
      if (userinfo.sub !== idToken.sub) throw new LoginRefused('userinfo sub differs from the id_token sub');
      // Kept in the (encrypted) session cookie: req.appSession.pivot.
      return { ...session, pivot: pick(userinfo), acr: idToken.acr };
    } catch (error) {
      throw error instanceof LoginRefused ? error : new LoginRefused(describe(error));
    }
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(
    auth({
      issuerBaseURL: config.issuer,
      baseURL: config.baseUrl,
      clientID: config.clientId,
      clientSecret: config.clientSecret,
      clientAuthMethod: 'client_secret_post',
      idTokenSigningAlg: 'ES256',
      secret: config.sessionSecret ?? randomBytes(32).toString('base64url'),
      authRequired: false,
      // RP-initiated logout at the hub's end_session_endpoint (with id_token_hint).
      idpLogout: true,
      enableTelemetry: false,
      authorizationParams: {
        response_type: 'code',
        scope: SCOPE,
        acr_values: 'eidas1',
        prompt: 'login consent',
      },
      // The library's state is the page to return to, base64url: add an unguessable value.
      getLoginState: (_req, options) => ({
        returnTo: options.returnTo ?? '/',
        random: randomBytes(32).toString('base64url'),
      }),
      // /login and /callback from the library; /logout below (it needs a state).
      routes: { login: '/login', callback: '/callback', logout: false },
      afterCallback,
    }),
  );

  app.get('/', (req, res) => {
    const session = (req as Request & { appSession?: PivotSession }).appSession;
    if (req.oidc.isAuthenticated() && session?.pivot) {
      return void res.type('html').send(identityPage(session.pivot, String(session.acr)));
    }
    res.type('html').send(layout('Service exemple', '<p><a href="/login">S’identifier avec Relais</a></p>'));
  });

  app.get('/logout', (req, res) => {
    if (!req.oidc.isAuthenticated()) return res.redirect('/');
    // The library ends the local session and sends the browser to the hub's end_session_endpoint
    // with id_token_hint and post_logout_redirect_uri; the state comes back to /logged-out.
    const state = randomBytes(32).toString('base64url');
    res.cookie('logout_state', state, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge: 600_000,
    });
    res.oidc.logout({ returnTo: `${config.baseUrl}/logged-out`, logoutParams: { state } });
  });

  app.get('/logged-out', (req, res) => {
    const kept = /(?:^|;\s*)logout_state=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    res.clearCookie('logout_state', { path: '/' });
    if (!kept || !sameString(kept, state)) return res.redirect('/');
    res.type('html').send(layout('Vous êtes déconnecté(e)', '<p><a href="/">Retour à l’accueil</a></p>'));
  });

  // Every error of the login ends here: a page for the citizen with a way back.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { error: code, error_description: description } = error as {
      error?: string;
      error_description?: string;
    };
    const relaisCode = /\[(R\d{4})\]$/.exec(description ?? '')?.[1];
    if (!(error instanceof LoginRefused) && code && relaisCode) {
      // The hub's error, received at the callback (state and iss already checked by the library).
      return void res.status(400).type('html').send(hubErrorPage(code, relaisCode));
    }
    log(`login refused: ${describe(error)}`);
    res
      .status(error instanceof LoginRefused ? 502 : 400)
      .type('html')
      .send(invalidResponsePage());
  });

  return app;
}

function pick(userinfo: JWTPayload): Record<string, unknown> {
  return Object.fromEntries(PIVOT.filter((name) => name in userinfo).map((name) => [name, userinfo[name]]));
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What a refused login is logged with: the error's kind, never a token. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
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

function hubErrorPage(error: string, relaisCode: string): string {
  return layout(
    'La connexion n’a pas abouti',
    `<p>${escapeHtml(MESSAGES[error] ?? 'La connexion n’a pas pu aboutir.')}</p>` +
      `<p>Code pour le support : <code>${escapeHtml(relaisCode)}</code></p>${wayBack()}`,
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
