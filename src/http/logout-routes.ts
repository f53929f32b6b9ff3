// The logout past oidc-provider's: the hub session ends, then the citizen visits the IdP's logout
// and comes back through GET /idp/logout-callback to the SP (or to the logged-out page). The hub
// session is gone before the citizen leaves, and an IdP measured down, or whose end_session takes
// no connection now, is skipped: the chain ends at the SP whatever the IdP does.
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { asRelaisError } from '../errors.ts';
import { endHubSession, type HubSessions } from '../login/hub-session.ts';
import type { Events } from '../observability/events.ts';
import type { BackChannelLogouts } from '../op/back-channel-logout.ts';
import type { AfterSessionEnd } from '../op/logout.ts';
import type { SessionLifetime } from '../op/session-lifetime.ts';
import type { Availability } from '../rp/availability.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import { type IdpLogoutTransaction, startIdpLogout, takeIdpLogout } from '../rp/logout.ts';
import { type Reachable, tcpReachable } from '../rp/reachable.ts';
import type { Slot } from '../store/slot.ts';
import type { PageContext } from './page-context.ts';
import { loggedOutModel } from './view-models.ts';

export const LOGOUT_CALLBACK_PATH = '/idp/logout-callback';

export interface LogoutDependencies {
  issuer: string;
  hubSessions: HubSessions;
  idpLogouts: Slot<IdpLogoutTransaction>;
  idpClients: IdpClients;
  /** Measured IdP availability: an IdP greyed on the mire is not visited at logout either. */
  availability: Pick<Availability, 'isAvailable'>;
  /** The check made on every logout before leaving for the IdP; a TCP connect of 300 ms at most by default. */
  reachable?: Reachable;
  session: SessionLifetime;
  log: FastifyBaseLogger;
  context(request: FastifyRequest, reply: FastifyReply): PageContext;
  /** Business events; absent in unit tests. */
  events?: Events;
  /** Tells the session's other SPs it ended (back-channel logout), without waiting; absent in unit tests. */
  backChannel?: Pick<BackChannelLogouts, 'notify'>;
}

/** What follows oidc-provider's logout: end the hub session, then leave for the IdP's logout. */
export function continueLogoutAtIdp(deps: LogoutDependencies): AfterSessionEnd {
  const reachable = deps.reachable ?? tcpReachable();
  return async ({ citizenSessionId, location, clientId }) => {
    const { ended, live: hubSession } = await endHubSession(deps.hubSessions, citizenSessionId, deps.session);
    // The other SPs of the session learn it ended; the one logging out knows (started, never awaited).
    if (ended) deps.backChannel?.notify(ended, hubSession ? 'logout' : 'expired', clientId);
    if (!hubSession) return undefined;
    const { idpUid } = hubSession;
    // An IdP down, unreachable or gone from the registry is skipped: the citizen goes straight back.
    const skip = (skipped: string, error?: { code: string; detail?: string | undefined }) => {
      deps.events?.emit({ name: 'logout.completed', idpUid, errorCode: error?.code, data: { skipped } });
      // Warned: the citizen stays logged in at that IdP; an operator should know it keeps happening
      // (an IdP's end_session the hub cannot reach, through an outbound firewall, is skipped every time).
      if (error)
        deps.log.warn(
          { code: error.code, detail: error.detail, skipped },
          'logout at the identity provider skipped',
        );
      return undefined;
    };
    if (!deps.availability.isAvailable(idpUid)) {
      return skip('measured_down', { code: 'R2002', detail: `${idpUid}: measured down` });
    }
    try {
      const start = await startIdpLogout(
        { ...deps, reachable },
        {
          idpUid,
          idToken: hubSession.idpIdToken,
          postLogoutRedirectUri: `${deps.issuer}${LOGOUT_CALLBACK_PATH}`,
          finalLocation: location,
        },
      );
      if ('skipped' in start) {
        if (start.skipped === 'no_end_session') return skip(start.skipped);
        return skip(start.skipped, { code: 'R2002', detail: `${idpUid}: end_session unreachable` });
      }
      deps.events?.emit({ name: 'logout.idp_redirected', idpUid });
      return start.url.href;
    } catch (caught) {
      return skip('error', asRelaisError(caught));
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
