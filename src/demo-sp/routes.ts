// The demo SP's pages: home, login, callback (the redirect_uri; then a data provider's call, when set)
// and RP-initiated logout.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomState } from 'openid-client';
import { z } from 'zod';
import { callDataProvider, type DataProviderAnswer } from './data-provider.ts';
import { DemoSpError, describeForLog } from './errors.ts';
import type { DemoSpSettings } from './options.ts';
import type { PendingLogin, RelaisClient, VerifiedLogin } from './relais-client.ts';
import { ExpiringMap, newSessionId } from './sessions.ts';
import { authenticationRows, claimRows, dataProviderPanel } from './view-model.ts';

const LOGIN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 30 * 60_000;

interface Dependencies {
  settings: DemoSpSettings;
  relais: RelaisClient;
}

const homeQuery = z.object({ state: z.string().optional() });

/** A citizen's session: the verified login, and what the data provider answered right after it. */
interface Citizen extends VerifiedLogin {
  readonly dataProvider: DataProviderAnswer | undefined;
}

export function registerRoutes(app: FastifyInstance, { settings, relais }: Dependencies): void {
  // All keyed by the session id of the cookie; each session id serves one step only.
  const pendingLogins = new ExpiringMap<PendingLogin>(LOGIN_TTL_MS);
  const citizens = new ExpiringMap<Citizen>(SESSION_TTL_MS);
  const pendingLogouts = new ExpiringMap<string>(LOGIN_TTL_MS);

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
    reply.clearCookie(settings.cookieName, cookieOptions);
  }

  app.get('/', async (request, reply) => {
    const sessionId = sessionIdOf(request);
    const citizen = sessionId === undefined ? undefined : citizens.get(sessionId);
    // Back from the hub's logout: {url}/?state=… confirms that the logout we asked for happened.
    const query = homeQuery.safeParse(request.query);
    const returnedState = query.success ? query.data.state : undefined;
    const loggedOut =
      sessionId !== undefined &&
      returnedState !== undefined &&
      pendingLogouts.take(sessionId) === returnedState;
    return reply.view('home.njk', {
      loggedOut,
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
    const { login, accessToken } = await relais.completeLogin(callbackUrl, pending);
    // The access token serves this one call and is dropped: never stored, logged or shown.
    const dataProvider = settings.dataProviderResource
      ? await callDataProvider(settings.dataProviderResource, accessToken)
      : undefined;
    if (dataProvider && !dataProvider.ok) {
      const { resource, status, error } = dataProvider;
      request.log.warn({ resource, status, error }, 'demo-sp: data provider call failed');
    }
    citizens.set(openSession(request, reply), { ...login, dataProvider });
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
}
