// What the hub session keeps, read back as stored (unsealed here): what SSO and the logout at
// the IdP need, no field beyond the list, and the IdP's id_token only for an IdP that logs out.
import { randomBytes } from 'node:crypto';
import type * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import {
  authenticatedWithin,
  endHubSession,
  HUB_SESSION_FIELDS,
  type HubSession,
  hubSessionFor,
  hubSessionSlot,
  keepHubSession,
  loadHubSession,
  logsOutAtIdp,
} from '../../../src/login/hub-session.ts';
import type { CitizenIdentity } from '../../../src/login/identity.ts';
import type { IdpClient, IdpClients } from '../../../src/rp/identity-providers.ts';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { unseal } from '../../../src/store/seal.ts';
import { createSlot } from '../../../src/store/slot.ts';

const lifetime = { idleSeconds: 1800, maxSeconds: 8 * 3600 };
// A fictitious person.
const citizen: CitizenIdentity = {
  idpUid: 'idp-a',
  acr: 'eidas1',
  amr: ['pwd'],
  authTime: Math.floor(Date.now() / 1000),
  identityKey: 'v1\u001fCAMILLE\u001fMARTIN\u001f1985-04-12\u001ffemale\u001f75056\u001f99100',
  claims: {
    given_name: 'Camille',
    family_name: 'Martin',
    birthdate: '1985-04-12',
    gender: 'female',
    birthplace: '75056',
    birthcountry: '99100',
    email: 'camille.martin@courriel.example',
  },
  idpIdToken: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJpZHAtc3ViIn0.signature',
};

function store() {
  const kv = createMemoryKv();
  const encryptionKey = randomBytes(32);
  const sessions = createSlot(kv, encryptionKey, hubSessionSlot(lifetime));
  /** The hub session exactly as stored, unsealed. */
  const raw = async (session: HubSession) => {
    const key = sessions.key(session.citizenSessionId);
    const sealed = await kv.get(key);
    if (sealed === null) throw new Error('no hub session stored');
    expect(sealed.startsWith('{')).toBe(false);
    return unseal(encryptionKey, key, sealed) as Record<string, unknown>;
  };
  return { sessions, raw };
}

describe('the hub session as stored', () => {
  it('holds no id_token for an IdP without end_session_endpoint, and no field beyond the list', async () => {
    const { sessions, raw } = store();
    const session = hubSessionFor(citizen, undefined, { endSession: false });
    await keepHubSession(sessions, session, lifetime);
    const stored = await raw(session);
    expect(Object.keys(stored).sort()).toEqual(
      [
        'idpUid',
        'acr',
        'amr',
        'authTime',
        'identityKey',
        'claims',
        'startedAt',
        'expiresAt',
        'participants',
      ].sort(),
    );
    expect(stored).not.toHaveProperty('idpIdToken');
    expect(JSON.stringify(stored)).not.toContain(citizen.idpIdToken);
  });

  it("keeps the IdP's id_token for an IdP with an end_session_endpoint, for the logout there", async () => {
    const { sessions, raw } = store();
    const session = hubSessionFor(citizen, undefined, { endSession: true });
    await keepHubSession(sessions, session, lifetime);
    expect((await raw(session))['idpIdToken']).toBe(citizen.idpIdToken);
    const { live } = await endHubSession(sessions, session.citizenSessionId, lifetime);
    expect(live?.idpIdToken).toBe(citizen.idpIdToken);
  });

  it('never writes what a session object happens to carry beyond the list', async () => {
    const { sessions, raw } = store();
    const session = hubSessionFor(citizen, undefined, { endSession: true });
    const padded = { ...session, interactionUid: 'uid-1', pivotCopy: { ...citizen.claims } } as HubSession;
    await keepHubSession(sessions, padded, lifetime);
    const stored = await raw(session);
    for (const field of Object.keys(stored)) expect(HUB_SESSION_FIELDS).toContain(field);
    expect(stored).not.toHaveProperty('citizenSessionId');
  });

  it('answers SSO with what it kept: the claims, the level, amr and auth_time, the identity key', async () => {
    const { sessions } = store();
    const session = hubSessionFor(citizen, undefined, { endSession: false });
    await keepHubSession(sessions, session, lifetime);
    const loaded = await loadHubSession(sessions, session.citizenSessionId, lifetime);
    const { idpIdToken, ...rest } = citizen;
    expect(loaded).toEqual({
      ...rest,
      citizenSessionId: session.citizenSessionId,
      startedAt: session.startedAt,
      expiresAt: expect.any(Number),
      participants: [],
    });
    // An SSO carries the session on: the same person keeps it, still without a token to keep.
    const next = hubSessionFor({ ...(loaded as HubSession) }, loaded, { endSession: false });
    expect(next.citizenSessionId).toBe(session.citizenSessionId);
    expect(next).not.toHaveProperty('idpIdToken');
  });

  it('gives the logout no hint when no id_token was kept (the IdP has no logout to give it to)', async () => {
    const { sessions } = store();
    const session = hubSessionFor(citizen, undefined, { endSession: false });
    await keepHubSession(sessions, session, lifetime);
    const { live } = await endHubSession(sessions, session.citizenSessionId, lifetime);
    expect(live?.idpIdToken).toBeUndefined();
    expect(live?.idpUid).toBe('idp-a');
  });
});

describe('logsOutAtIdp', () => {
  const clientsWith = (metadata: Partial<client.ServerMetadata>): IdpClients => ({
    get: async () => ({ config: { serverMetadata: () => metadata } }) as unknown as IdpClient,
  });

  it("reads the IdP's metadata: an end_session_endpoint, or none", async () => {
    await expect(
      logsOutAtIdp(clientsWith({ end_session_endpoint: 'https://idp-a.example/logout' }), 'idp-a'),
    ).resolves.toBe(true);
    await expect(logsOutAtIdp(clientsWith({}), 'idp-a')).resolves.toBe(false);
  });

  it("keeps the token when the IdP's client cannot be built: the logout may still need it", async () => {
    const failing: IdpClients = { get: () => Promise.reject(new Error('discovery failed')) };
    await expect(logsOutAtIdp(failing, 'idp-a')).resolves.toBe(true);
  });
});

describe('authenticatedWithin (max_age)', () => {
  const session = { authTime: 1_000 } as Parameters<typeof authenticatedWithin>[0];
  it('holds without max_age, and within it; not past it', () => {
    expect(authenticatedWithin(session, undefined, 999_999)).toBe(true);
    expect(authenticatedWithin(session, 60, 1_060)).toBe(true);
    expect(authenticatedWithin(session, 60, 1_061)).toBe(false);
    expect(authenticatedWithin(session, 0, 1_000)).toBe(true);
    expect(authenticatedWithin(session, 0, 1_001)).toBe(false);
  });
});
