import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RelaisError } from '../../../src/errors.ts';
import { continueLogoutAtIdp, type LogoutDependencies } from '../../../src/http/logout-routes.ts';
import {
  hubSessionFor,
  hubSessionSlot,
  keepHubSession,
  loadHubSession,
} from '../../../src/login/hub-session.ts';
import type { CitizenIdentity } from '../../../src/login/identity.ts';
import type { IdpClients } from '../../../src/rp/identity-providers.ts';
import { IDP_LOGOUT_SLOT } from '../../../src/rp/logout.ts';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { createSlot } from '../../../src/store/slot.ts';

const lifetime = { idleSeconds: 1800, maxSeconds: 3600 };
const citizen: CitizenIdentity = {
  idpUid: 'idp-down',
  acr: 'eidas1',
  amr: ['pwd'],
  authTime: Math.floor(Date.now() / 1000),
  identityKey: 'v1:fictitious',
  claims: { given_name: 'Camille' },
  idpIdToken: 'header.payload.signature',
};
const silent = { info() {}, warn() {}, error() {} } as unknown as FastifyBaseLogger;

function setup(idpClients: IdpClients) {
  const kv = createMemoryKv();
  const key = randomBytes(32);
  const hubSessions = createSlot(kv, key, hubSessionSlot(lifetime));
  const deps: LogoutDependencies = {
    issuer: 'http://127.0.0.1:3000',
    hubSessions,
    idpLogouts: createSlot(kv, key, IDP_LOGOUT_SLOT),
    idpClients,
    session: lifetime,
    log: silent,
    context: () => {
      throw new Error('no page here');
    },
  };
  return { hubSessions, afterSessionEnd: continueLogoutAtIdp(deps) };
}

describe('continueLogoutAtIdp', () => {
  it("ends the hub session and keeps oidc-provider's redirect when the IdP's client cannot be built", async () => {
    const down: IdpClients = {
      get: () => Promise.reject(new RelaisError('R2002', { detail: 'discovery failed' })),
    };
    const { hubSessions, afterSessionEnd } = setup(down);
    const session = hubSessionFor(citizen, undefined);
    await keepHubSession(hubSessions, session);
    const { citizenSessionId } = session;
    await expect(loadHubSession(hubSessions, citizenSessionId, lifetime)).resolves.toEqual(session);
    const location = 'http://127.0.0.20:4000/sp/?state=s';
    await expect(afterSessionEnd({ citizenSessionId, location })).resolves.toBeUndefined();
    await expect(loadHubSession(hubSessions, citizenSessionId, lifetime)).resolves.toBeUndefined();
  });

  it('leaves the redirect alone when the hub session is already gone', async () => {
    let asked = false;
    const { afterSessionEnd } = setup({
      get: () => {
        asked = true;
        return Promise.reject(new Error('not expected'));
      },
    });
    await expect(
      afterSessionEnd({ citizenSessionId: 'gone', location: 'http://x/' }),
    ).resolves.toBeUndefined();
    expect(asked).toBe(false);
  });
});
