// The hub session: one IdP authentication, sealed under the citizen session id that
// oidc-provider's session carries as its account id. It is what SSO between SPs reuses, and what
// the logout at the IdP needs (the IdP's id_token).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type Acr, ssoSatisfies } from '../acr.ts';
import type { ServiceProvider } from '../config/federation.ts';
import { remainingSessionTtl, type SessionLifetime, sessionExpired } from '../op/session-lifetime.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot, SlotSpec } from '../store/slot.ts';
import type { CitizenIdentity } from './identity.ts';
import { citizenIdentitySchema } from './identity.ts';

export const hubSessionSchema = citizenIdentitySchema.extend({
  citizenSessionId: z.string(),
  /** Epoch seconds of the first login of this session: the absolute lifetime counts from it. */
  startedAt: z.number().int(),
});
export type HubSession = z.infer<typeof hubSessionSchema>;

/** As kept: its id is the key, not repeated in the value (the record lives as long as the session). */
const storedHubSessionSchema = hubSessionSchema.omit({ citizenSessionId: true });
type StoredHubSession = z.infer<typeof storedHubSessionSchema>;
export type HubSessions = Slot<StoredHubSession>;

/** Kept for what is left of the session's lifetime (idle, capped by the absolute lifetime). */
export function hubSessionSlot(lifetime: SessionLifetime): SlotSpec<StoredHubSession> {
  return {
    prefix: 'hub-session',
    schema: storedHubSessionSchema,
    ttl: (session) => remainingSessionTtl(lifetime, session.startedAt),
    sealed: true,
  };
}

const live = (lifetime: SessionLifetime, citizenSessionId: string, stored: StoredHubSession | undefined) =>
  stored && !sessionExpired(lifetime, stored.startedAt) ? { ...stored, citizenSessionId } : undefined;

/** The browser's hub session, unless it is gone or past its absolute lifetime. */
export async function loadHubSession(
  sessions: HubSessions,
  citizenSessionId: string | undefined,
  lifetime: SessionLifetime,
): Promise<HubSession | undefined> {
  if (!citizenSessionId) return undefined;
  return live(lifetime, citizenSessionId, await sessions.get(citizenSessionId));
}

/** Ends the hub session (logout), returning it if it was still alive: one round trip. */
export async function endHubSession(
  sessions: HubSessions,
  citizenSessionId: string,
  lifetime: SessionLifetime,
): Promise<HubSession | undefined> {
  return live(lifetime, citizenSessionId, await sessions.take(citizenSessionId));
}

export function keepHubSession(sessions: HubSessions, { citizenSessionId, ...session }: HubSession) {
  return sessions.put(citizenSessionId, session);
}

/**
 * The hub session a consent leaves the browser with. The same person keeps the same citizen
 * session (an SSO, or a new IdP login of the same person); another person gets a new one, so no
 * token issued to the first can ever resolve to the second.
 */
export function hubSessionFor(citizen: CitizenIdentity, current: HubSession | undefined): HubSession {
  const continued =
    current &&
    (citizen.citizenSessionId === current.citizenSessionId || current.identityKey === citizen.identityKey);
  return continued
    ? { ...citizen, citizenSessionId: current.citizenSessionId, startedAt: current.startedAt }
    : { ...citizen, citizenSessionId: randomUUID(), startedAt: Math.floor(Date.now() / 1000) };
}

/**
 * FranceConnect's SSO: a second SP skips the mire and the IdP when that IdP is still allowed for
 * it and already reached the level it asks (eidas1 only), and no idp_hint names another IdP.
 */
export function canReuse(
  session: HubSession,
  sp: ServiceProvider,
  request: { required: Acr; idpHint: string | undefined },
  registry: Registry,
): boolean {
  if (request.idpHint !== undefined && request.idpHint !== session.idpUid) return false;
  if (!registry.identityProvidersFor(sp).some((idp) => idp.uid === session.idpUid)) return false;
  return ssoSatisfies(session.acr, request.required);
}
