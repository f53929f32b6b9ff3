// The hub session: one IdP authentication, sealed under the citizen session id that
// oidc-provider's session carries as its account id. It keeps what SSO between SPs reuses and what
// the logout at the IdP needs, and nothing else (README: "What Relais keeps about a citizen").
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Acr, ssoSatisfies } from '../acr.ts';
import type { ServiceProvider } from '../config/federation.ts';
import { remainingSessionTtl, type SessionLifetime, sessionExpired } from '../op/session-lifetime.ts';
import type { IdpClients } from '../rp/identity-providers.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot, SlotSpec } from '../store/slot.ts';
import { type CitizenIdentity, citizenIdentitySchema } from './identity.ts';

/**
 * As kept, these fields and no other (a field added to the identity does not land here unseen);
 * its id is the key, not repeated in the value. SSO needs which IdP answered, at what level and
 * how (the next SP's acr, amr, auth_time), the same person (identityKey: hubSessionFor, each SP's
 * sub) and the validated claims (released to the next SP within its scopes); the logout needs the
 * IdP's id_token, kept only for an IdP that has an end_session_endpoint.
 */
const storedHubSessionSchema = citizenIdentitySchema
  .pick({
    idpUid: true,
    acr: true,
    amr: true,
    authTime: true,
    identityKey: true,
    claims: true,
    idpIdToken: true,
  })
  .extend({
    /** Epoch seconds of the first login of this session: the absolute lifetime counts from it. */
    startedAt: z.number().int(),
    /**
     * Epoch seconds it ends unless a login extends it (idle, capped by the absolute lifetime).
     * Absent from records written before it: their TTL ends those.
     */
    expiresAt: z.number().int().optional(),
    /**
     * The SPs that took part, with the grant each consent made: told by back-channel logout when
     * the session ends, and their grants forgotten when an operator revokes it.
     */
    participants: z.array(z.object({ clientId: z.string(), grantId: z.string() })).default([]),
    /**
     * A participant wants a back-channel logout: the record then outlives its end by
     * EXPIRY_NOTICE_SECONDS, so that the end of the session by expiry can still be told.
     */
    notifyAtEnd: z.boolean().optional(),
  });
type StoredHubSession = z.infer<typeof storedHubSessionSchema>;
export type HubSession = StoredHubSession & { citizenSessionId: string };
export type HubSessions = Slot<StoredHubSession>;

/** What a hub session may hold, field by field (tests assert nothing else is ever kept). */
export const HUB_SESSION_FIELDS = Object.keys(storedHubSessionSchema.shape);

/**
 * How long a session's record outlives its end when an SP wants to be told of that end: the
 * instances' sweep (login/session-ends.ts) finds it there, takes it and sends the logout tokens.
 */
export const EXPIRY_NOTICE_SECONDS = 15 * 60;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Kept for what is left of the session's lifetime (idle, capped by the absolute lifetime), and
 * EXPIRY_NOTICE_SECONDS more when an SP is to be told of its end.
 */
export function hubSessionSlot(lifetime: SessionLifetime): SlotSpec<StoredHubSession> {
  return {
    prefix: 'hub-session',
    schema: storedHubSessionSchema,
    ttl: (session) =>
      Math.max(
        1,
        (session.expiresAt === undefined
          ? remainingSessionTtl(lifetime, session.startedAt)
          : session.expiresAt - nowSeconds()) + (session.notifyAtEnd ? EXPIRY_NOTICE_SECONDS : 0),
      ),
    sealed: true,
  };
}

/** Still alive: within its absolute lifetime, and not past its end (idle). */
export function sessionAlive(
  lifetime: SessionLifetime,
  stored: StoredHubSession,
  now = nowSeconds(),
): boolean {
  return (
    !sessionExpired(lifetime, stored.startedAt, now) &&
    (stored.expiresAt === undefined || stored.expiresAt > now)
  );
}

/** When a session written now ends: the idle time from now, capped by the absolute lifetime. */
export function sessionEndsAt(lifetime: SessionLifetime, startedAt: number, now = nowSeconds()): number {
  return now + remainingSessionTtl(lifetime, startedAt, now);
}

const live = (lifetime: SessionLifetime, citizenSessionId: string, stored: StoredHubSession | undefined) =>
  stored && sessionAlive(lifetime, stored) ? { ...stored, citizenSessionId } : undefined;

/** The browser's hub session, unless it is gone or past its absolute lifetime. */
export async function loadHubSession(
  sessions: HubSessions,
  citizenSessionId: string | undefined,
  lifetime: SessionLifetime,
): Promise<HubSession | undefined> {
  if (!citizenSessionId) return undefined;
  return live(lifetime, citizenSessionId, await sessions.get(citizenSessionId));
}

/**
 * Ends the hub session (logout): one round trip. `ended` is the record taken, alive or past its
 * end and kept for the notice (its SPs are to be told either way, and the sweep will not find it
 * any more); `live` is it if it was still alive. Without an idpIdToken (the IdP had no
 * end_session_endpoint), there is no logout to ask for at the IdP.
 */
export async function endHubSession(
  sessions: HubSessions,
  citizenSessionId: string,
  lifetime: SessionLifetime,
): Promise<{ ended: HubSession | undefined; live: HubSession | undefined }> {
  const taken = await sessions.take(citizenSessionId);
  return {
    ended: taken && { ...taken, citizenSessionId },
    live: live(lifetime, citizenSessionId, taken),
  };
}

/**
 * Writes the hub session: the fields of the list only, whatever else the value carries; it ends
 * after the idle time from now, capped by the absolute lifetime.
 */
export function keepHubSession(
  sessions: HubSessions,
  { citizenSessionId, ...session }: HubSession,
  lifetime: SessionLifetime,
) {
  const expiresAt = sessionEndsAt(lifetime, session.startedAt);
  return sessions.put(citizenSessionId, storedHubSessionSchema.parse({ ...session, expiresAt }));
}

/**
 * Whether the logout at this IdP will need its id_token: its metadata has an end_session_endpoint.
 * Read from the IdP's client, which the callback built and cached (no network call on the instance
 * that served it); when that client cannot be built, keep the token: the logout may need it.
 */
export async function logsOutAtIdp(idpClients: IdpClients, idpUid: string): Promise<boolean> {
  try {
    return Boolean((await idpClients.get(idpUid)).config.serverMetadata().end_session_endpoint);
  } catch {
    return true;
  }
}

/**
 * The hub session a consent leaves the browser with. The same person keeps the same citizen
 * session (an SSO, or a new IdP login of the same person); another person gets a new one, so no
 * token issued to the first can ever resolve to the second. The IdP's id_token stays only when
 * the logout at that IdP will need it (`idp.endSession`, from logsOutAtIdp; unknown: kept).
 */
export function hubSessionFor(
  citizen: CitizenIdentity,
  current: HubSession | undefined,
  idp: { endSession: boolean } = { endSession: true },
): HubSession {
  const { citizenSessionId, idpIdToken, ...authentication } = citizen;
  const session = { ...authentication, ...(idp.endSession && idpIdToken ? { idpIdToken } : {}) };
  const continued =
    current && (citizenSessionId === current.citizenSessionId || current.identityKey === citizen.identityKey);
  return continued
    ? {
        ...session,
        citizenSessionId: current.citizenSessionId,
        startedAt: current.startedAt,
        participants: current.participants,
        ...(current.notifyAtEnd ? { notifyAtEnd: true } : {}),
      }
    : { ...session, citizenSessionId: randomUUID(), startedAt: nowSeconds(), participants: [] };
}

/** How many consents a session remembers (the oldest forgotten first): a bound on the record. */
export const MAX_PARTICIPATIONS = 50;

/**
 * The session with this SP's consent recorded: every grant is kept (a revocation forgets them all;
 * the back-channel logout tells each SP once), and an SP with a backchannel_logout_uri has the
 * session's end told (notifyAtEnd).
 */
export function withParticipant(
  session: HubSession,
  sp: { client_id: string; backchannel_logout_uri?: string | undefined },
  grantId: string,
): HubSession {
  return {
    ...session,
    participants: [...session.participants, { clientId: sp.client_id, grantId }].slice(-MAX_PARTICIPATIONS),
    ...(session.notifyAtEnd || sp.backchannel_logout_uri ? { notifyAtEnd: true } : {}),
  };
}

/**
 * FranceConnect's SSO: a second SP skips the mire and the IdP when that IdP is still allowed for
 * it and already reached the level it asks (eidas1 only), and no idp_hint names another IdP.
 */
export function canReuse(
  session: HubSession,
  sp: ServiceProvider,
  request: { required: Acr; idpHint: string | undefined; maxAge: number | undefined },
  registry: Registry,
): boolean {
  if (request.idpHint !== undefined && request.idpHint !== session.idpUid) return false;
  if (!authenticatedWithin(session, request.maxAge)) return false;
  if (!registry.identityProvidersFor(sp).some((idp) => idp.uid === session.idpUid)) return false;
  return ssoSatisfies(session.acr, request.required);
}

/** The session's IdP authentication is no older than max_age (OIDC Core 3.1.2.1), when one is asked. */
export function authenticatedWithin(
  session: HubSession,
  maxAge: number | undefined,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  return maxAge === undefined || now - session.authTime <= maxAge;
}
