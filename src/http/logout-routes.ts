// The logout past oidc-provider's: the hub session ends, then the citizen visits the IdP's logout
// and comes back through GET /idp/logout-callback to the SP (or to the logged-out page). The hub
// session is gone before the citizen leaves, so an IdP that fails or never answers traps no one.
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { asRelaisError } from '../errors.ts';
import { endHubSession, type HubSessions } from '../login/hub-session.ts';
import type { Events } from '../observability/events.ts';
import type { AfterSessionEnd } from '../op/logout.ts';
import type { SessionLifetime } from '../op/session-lifetime.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import { type IdpLogoutTransaction, startIdpLogout, takeIdpLogout } from '../rp/logout.ts';
import type { Slot } from '../store/slot.ts';
import type { PageContext } from './page-context.ts';
import { loggedOutModel } from './view-models.ts';

export const LOGOUT_CALLBACK_PATH = '/idp/logout-callback';

export interface LogoutDependencies {
  issuer: string;
  hubSessions: HubSessions;
  idpLogouts: Slot<IdpLogoutTransaction>;
  idpClients: IdpClients;
  session: SessionLifetime;
  log: FastifyBaseLogger;
  context(request: FastifyRequest, reply: FastifyReply): PageContext;
  /** Business events; absent in unit tests. */
  events?: Events;
}

/** What follows oidc-provider's logout: end the hub session, then leave for the IdP's logout. */
export function continueLogoutAtIdp(deps: LogoutDependencies): AfterSessionEnd {
  return async ({ citizenSessionId, location }) => {
    const hubSession = await endHubSession(deps.hubSessions, citizenSessionId, deps.session);
    if (!hubSession) return undefined;
    try {
      const url = await startIdpLogout(deps, {
        idpUid: hubSession.idpUid,
        idToken: hubSession.idpIdToken,
        postLogoutRedirectUri: `${deps.issuer}${LOGOUT_CALLBACK_PATH}`,
        finalLocation: location,
      });
      deps.events?.emit({
        name: url ? 'logout.idp_redirected' : 'logout.completed',
        idpUid: hubSession.idpUid,
      });
      return url?.href;
    } catch (caught) {
      // An IdP down or gone from the registry is skipped: the citizen goes straight back.
      const error = asRelaisError(caught);
      deps.events?.emit({ name: 'logout.completed', idpUid: hubSession.idpUid, errorCode: error.code });
      deps.log.info({ code: error.code, detail: error.detail }, 'logout at the identity provider skipped');
      return undefined;
    }
  };
}

const callbackQuery = z.object({ state: z.string().max(256).optional() });

export function logoutRoutes(app: FastifyInstance, deps: LogoutDependencies): void {
  app.get(LOGOUT_CALLBACK_PATH, async (request, reply) => {
    // Whatever comes back (late, replayed, forged, malformed) the citizen is logged out already.
    const query = callbackQuery.safeParse(request.query);
    const next = await takeIdpLogout(deps.idpLogouts, query.data?.state).catch((caught: unknown) => {
      deps.log.warn({ code: asRelaisError(caught).code }, 'logout transaction unreadable');
      return undefined;
    });
    deps.events?.emit({ name: 'logout.completed', data: { via: 'idp' } });
    if (next) return reply.redirect(next, 303);
    return reply.view('logged-out.njk', loggedOutModel(deps.context(request, reply)));
  });
}
