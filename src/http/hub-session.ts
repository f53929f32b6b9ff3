// The hub session: one IdP authentication, sealed in Redis under the citizen session id that
// oidc-provider's session carries as its account id. It is what SSO between SPs reuses, and what
// the logout at the IdP needs (the IdP's id_token).
import { randomUUID } from 'node:crypto';
import { type Acr, acrRank, acrSchema, type ServiceProvider } from '../config/federation.ts';
import { remainingSessionTtl, type SessionLifetime, sessionExpired } from '../op/session-lifetime.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Vault } from '../store/vault.ts';
import type { CitizenIdentity } from './citizen.ts';

export type HubSession = CitizenIdentity & {
  citizenSessionId: string;
  /** Epoch seconds of the first login of this session: the absolute lifetime counts from it. */
  startedAt: number;
};

const key = (citizenSessionId: string) => `hub-session:${citizenSessionId}`;

/** The browser's hub session, unless it is gone or past its absolute lifetime. */
export async function loadHubSession(
  vault: Vault,
  citizenSessionId: string | undefined,
  lifetime: SessionLifetime,
): Promise<HubSession | undefined> {
  if (!citizenSessionId) return undefined;
  const session = (await vault.get(key(citizenSessionId))) as HubSession | undefined;
  return session && !sessionExpired(lifetime, session.startedAt) ? session : undefined;
}

export const endHubSession = (vault: Vault, citizenSessionId: string) => vault.del(key(citizenSessionId));

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

/** Keeps the hub session for what is left of its lifetime. */
export async function putHubSession(
  vault: Vault,
  session: HubSession,
  lifetime: SessionLifetime,
): Promise<void> {
  await vault.put(key(session.citizenSessionId), session, remainingSessionTtl(lifetime, session.startedAt));
}

/** hubSessionFor, then putHubSession. */
export async function saveHubSession(
  vault: Vault,
  citizen: CitizenIdentity,
  current: HubSession | undefined,
  lifetime: SessionLifetime,
): Promise<HubSession> {
  const session = hubSessionFor(citizen, current);
  await putHubSession(vault, session, lifetime);
  return session;
}

/**
 * FranceConnect's SSO: a second SP skips the mire and the IdP when that IdP is still allowed for
 * it and already reached the level it asks — except eidas2/eidas3, which always need a fresh IdP
 * login, and an idp_hint naming another IdP.
 */
export function canReuse(
  session: HubSession,
  sp: ServiceProvider,
  request: { required: Acr; idpHint: string | undefined },
  registry: Registry,
): boolean {
  if (request.required !== 'eidas1') return false;
  if (request.idpHint !== undefined && request.idpHint !== session.idpUid) return false;
  if (!registry.identityProvidersFor(sp).some((idp) => idp.uid === session.idpUid)) return false;
  const reached = acrSchema.safeParse(session.acr);
  return reached.success && acrRank(reached.data) >= acrRank(request.required);
}
