// The demo SP's pages: home, login, callback (the redirect_uri; then a data provider's call, when set),
// RP-initiated logout, and the back-channel logout the hub calls (with the page that lists them).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomState } from 'openid-client';
import { z } from 'zod';
import { LogoutJournal, registerBackchannelLogout } from './backchannel-logout.ts';
import { callDataProvider, type DataProviderAnswer } from './data-provider.ts';
import { DemoSpError, describeForLog } from './errors.ts';
import type { DemoSpSettings } from './options.ts';
import type { PendingLogin, RelaisClient, VerifiedLogin } from './relais-client.ts';
import { type SandboxHooks, sandboxOf, scenarioOf } from './sandbox.ts';
import { ExpiringMap, newSessionId, SessionIndex } from './sessions.ts';
import { authenticationRows, claimRows, dataProviderPanel, logoutReceiptRows } from './view-model.ts';

const LOGIN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 30 * 60_000;

interface Dependencies {
  settings: DemoSpSettings;
  relais: RelaisClient;
  /** The error sandbox (demo mode only): its pages exist only when given. */
  sandbox?: SandboxHooks | undefined;
}

/** A login under way; a sandbox one names its scenario. */
interface Pending extends PendingLogin {
  readonly scenario?: string;
}

const homeQuery = z.object({ state: z.string().optional() });

/** A citizen's session: the verified login, and what the data provider answered right after it. */
interface Citizen extends VerifiedLogin {
  readonly dataProvider: DataProviderAnswer | undefined;
}

export function registerRoutes(app: FastifyInstance, { settings, relais, sandbox }: Dependencies): void {
  // All keyed by the session id of the cookie; each session id serves one step only.
  const pendingLogins = new ExpiringMap<Pending>(LOGIN_TTL_MS);
  const citizens = new ExpiringMap<Citizen>(SESSION_TTL_MS);
  const pendingLogouts = new ExpiringMap<string>(LOGIN_TTL_MS);
  // Back-channel logout: the citizens' sessions by the hub's sid and by sub, the sessions the hub
  // ended (their browser is told at its next page), and the last logouts received.
  const hubSessions = new SessionIndex(SESSION_TTL_MS);
  const endedByHub = new ExpiringMap<true>(SESSION_TTL_MS);
  const journal = new LogoutJournal();

  // No Max-Age: the browser drops the cookie when it closes; the server expires the state anyway.
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: settings.cookieSecure,
  } as const;
  const sessionIdOf = (request: FastifyRequest): string | undefined => request.cookies[settings.cookieName];

  /** A fresh id at every step (login, callback, logout): a session id never outlives its step. */
  function openSession(request: FastifyRequest, reply: FastifyReply): string {
    closeSession(request, reply);
    const sessionId = newSessionId();
    reply.setCookie(settings.cookieName, sessionId, cookieOptions);
    return sessionId;
  }

  function closeSession(request: FastifyRequest, reply: FastifyReply): void {
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) return;
    pendingLogins.delete(sessionId);
    citizens.delete(sessionId);
    pendingLogouts.delete(sessionId);
    endedByHub.delete(sessionId);
    reply.clearCookie(settings.cookieName, cookieOptions);
  }

  app.get('/', async (request, reply) => {
    const sessionId = sessionIdOf(request);
    const citizen = sessionId === undefined ? undefined : citizens.get(sessionId);
    // Ended by a back-channel logout since its last page: said once, and the dead cookie dropped.
    const endedByRelais = sessionId !== undefined && endedByHub.get(sessionId) !== undefined;
    if (endedByRelais) closeSession(request, reply);
    // Back from the hub's logout: {url}/?state=… confirms that the logout we asked for happened.
    const query = homeQuery.safeParse(request.query);
    const returnedState = query.success ? query.data.state : undefined;
    const loggedOut =
      sessionId !== undefined &&
      returnedState !== undefined &&
      pendingLogouts.take(sessionId) === returnedState;
    return reply.view('home.njk', {
      loggedOut,
      endedByRelais,
      citizen: citizen && {
        claims: claimRows(citizen.userinfo),
        authentication: authenticationRows(citizen.authentication),
        dataProvider: citizen.dataProvider && dataProviderPanel(citizen.dataProvider),
      },
    });
  });

  app.get('/login', async (request, reply) => {
    const { authorizationUrl, pending } = await relais.startLogin();
    pendingLogins.set(openSession(request, reply), pending);
    return reply.redirect(authorizationUrl.href, 302);
  });

  app.get('/callback', async (request, reply) => {
    const sessionId = sessionIdOf(request);
    // Taken once: a refresh or a back on the callback finds nothing and says so.
    const pending = sessionId === undefined ? undefined : pendingLogins.take(sessionId);
    if (pending === undefined) throw new DemoSpError('login_not_found');
    // The redirect_uri as registered, whatever Host header the request came with.
    const callbackUrl = new URL(request.url, settings.baseUrl);
    const { login, accessToken } = await relais.completeLogin(callbackUrl, pending).catch((err: unknown) => {
      // An error Relais redirected, its state and iss checked: the page shows what arrived.
      if (!(err instanceof DemoSpError) || err.code !== 'authorization_error') throw err;
      throw new DemoSpError('authorization_error', {
        cause: err.cause,
        oauthError: err.oauthError,
        oauthErrorDescription: err.oauthErrorDescription,
        received: {
          state: callbackUrl.searchParams.get('state') ?? undefined,
          iss: callbackUrl.searchParams.get('iss') ?? undefined,
          scenario: pending.scenario,
        },
      });
    });
    // The access token serves this one call and is dropped: never stored, logged or shown.
    const dataProvider = settings.dataProviderResource
      ? await callDataProvider(settings.dataProviderResource, accessToken)
      : undefined;
    if (dataProvider && !dataProvider.ok) {
      const { resource, status, error } = dataProvider;
      request.log.warn({ resource, status, error }, 'demo-sp: data provider call failed');
    }
    const citizenSessionId = openSession(request, reply);
    citizens.set(citizenSessionId, { ...login, dataProvider });
    // What a back-channel logout will name this session by.
    const isLive = (id: string) => citizens.get(id) !== undefined;
    const { sid, sub } = login.hubSession;
    if (sid !== undefined) hubSessions.add(`sid ${sid}`, citizenSessionId, isLive);
    hubSessions.add(`sub ${sub}`, citizenSessionId, isLive);
    return reply.redirect('/', 303);
  });

  // SameSite=Lax keeps the session cookie off cross-site POSTs, so no other site can log the citizen out.
  app.post('/logout', async (request, reply) => {
    const sessionId = sessionIdOf(request);
    const citizen = sessionId === undefined ? undefined : citizens.get(sessionId);
    closeSession(request, reply);
    if (citizen === undefined) return reply.redirect('/', 303);
    const state = randomState();
    const endSessionUrl = await relais.logoutUrl(citizen.idToken, state).catch((err: unknown) => {
      // The local session is already gone; a hub that cannot be reached must not keep the citizen here.
      request.log.warn({ cause: describeForLog(err) }, 'demo-sp: logout at the hub skipped');
      return undefined;
    });
    if (endSessionUrl === undefined) return reply.redirect('/', 303);
    pendingLogouts.set(openSession(request, reply), state);
    return reply.redirect(endSessionUrl.href, 303);
  });

  /** The sessions a checked logout token names: by sid (and sub, when both are sent), else by sub. */
  function endSessions({ sid, sub }: { sid: string | undefined; sub: string | undefined }): number {
    let ended = 0;
    for (const sessionId of hubSessions.get(sid === undefined ? `sub ${sub}` : `sid ${sid}`)) {
      const citizen = citizens.get(sessionId);
      if (citizen === undefined) continue;
      // §2.6: a sid and a sub both sent must both be those of the session's id_token.
      if (sid !== undefined && citizen.hubSession.sid !== sid) continue;
      if (sub !== undefined && citizen.hubSession.sub !== sub) continue;
      citizens.delete(sessionId);
      endedByHub.set(sessionId, true);
      ended += 1;
    }
    return ended;
  }

  registerBackchannelLogout(app, { relais, journal, endSessions });

  app.get('/backchannel-logouts', async (_request, reply) =>
    reply.view('backchannel-logouts.njk', { receipts: logoutReceiptRows(journal.list()) }),
  );

  if (sandbox === undefined) return;

  // The error sandbox: the list of scenarios, and each one's start (a POST: it arms the mock IdP).
  app.get('/sandbox', async (_request, reply) =>
    reply.view('sandbox.njk', {
      ...sandboxOf(sandbox.profile),
      proconnect: sandbox.profile === 'proconnect',
    }),
  );

  app.post('/sandbox/:code', async (request, reply) => {
    // Another site's form may not arm the mock IdP for this browser's next login. (Our pages send
    // no referrer, so a browser's Origin here is `null`: Sec-Fetch-Site tells where the form was.)
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    if (
      (site !== undefined && site !== 'same-origin' && site !== 'none') ||
      (origin !== undefined && origin !== 'null' && origin !== settings.baseUrl)
    ) {
      throw new DemoSpError('bad_request');
    }
    const params = sandboxParams.safeParse(request.params);
    const scenario = params.success ? scenarioOf(params.data.code, sandbox.profile) : undefined;
    if (scenario === undefined) throw new DemoSpError('not_found');
    const { authorizationUrl, pending } = await relais.startLogin(scenario.request);
    // Armed (or disarmed) only once the request is built: the next GET /authorize at the mock IdP takes it.
    sandbox.armMockIdp(scenario.mockIdp);
    pendingLogins.set(openSession(request, reply), { ...pending, scenario: scenario.code });
    return reply.redirect(authorizationUrl.href, 303);
  });
}

const sandboxParams = z.object({ code: z.string() });
