import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import * as client from 'openid-client';
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
import type { BusinessEvent } from '../../../src/observability/events.ts';
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

function setup(idpClients: IdpClients, options: { available?: boolean; reachable?: boolean } = {}) {
  const kv = createMemoryKv();
  const key = randomBytes(32);
  const hubSessions = createSlot(kv, key, hubSessionSlot(lifetime));
  const idpLogouts = createSlot(kv, key, IDP_LOGOUT_SLOT);
  const events: BusinessEvent[] = [];
  const checked: string[] = [];
  const deps: LogoutDependencies = {
    issuer: 'http://127.0.0.1:3000',
    hubSessions,
    idpLogouts,
    idpClients,
    availability: { isAvailable: () => options.available ?? true },
    reachable: async (endpoint) => {
      checked.push(endpoint.href);
      return options.reachable ?? true;
    },
    session: lifetime,
    log: silent,
    context: () => {
      throw new Error('no page here');
    },
    events: { emit: (event: BusinessEvent) => events.push(event) } as unknown as LogoutDependencies['events'],
  };
  return { hubSessions, idpLogouts, events, checked, afterSessionEnd: continueLogoutAtIdp(deps) };
}

/** An IdP whose client builds, with an end_session_endpoint. */
const withEndSession: IdpClients = {
  get: async () =>
    ({
      config: new client.Configuration(
        { issuer: 'https://idp.example', end_session_endpoint: 'https://idp.example/session/end' },
        'relais',
      ),
    }) as Awaited<ReturnType<IdpClients['get']>>,
};

async function loggedIn(hubSessions: ReturnType<typeof setup>['hubSessions']) {
  const session = hubSessionFor(citizen, undefined);
  await keepHubSession(hubSessions, session, lifetime);
  return session.citizenSessionId;
}

describe('continueLogoutAtIdp', () => {
  it("ends the hub session and keeps oidc-provider's redirect when the IdP's client cannot be built", async () => {
    const down: IdpClients = {
      get: () => Promise.reject(new RelaisError('R2002', { detail: 'discovery failed' })),
    };
    const { hubSessions, afterSessionEnd } = setup(down);
    const session = hubSessionFor(citizen, undefined);
    await keepHubSession(hubSessions, session, lifetime);
    const { citizenSessionId } = session;
    await expect(loadHubSession(hubSessions, citizenSessionId, lifetime)).resolves.toMatchObject(session);
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

  it('goes straight on when no id_token was kept for the IdP (it had no end_session at login)', async () => {
    const { hubSessions, afterSessionEnd, events, checked } = setup(withEndSession);
    const session = hubSessionFor(citizen, undefined, { endSession: false });
    await keepHubSession(hubSessions, session, lifetime);
    const location = await afterSessionEnd({
      citizenSessionId: session.citizenSessionId,
      location: 'http://127.0.0.20:4000/sp/',
    });
    expect(location).toBeUndefined();
    expect(checked).toEqual([]);
    expect(events.map((event) => event.name)).toEqual(['logout.completed']);
  });

  it("leaves for the IdP's end_session when the IdP is up and takes a connection", async () => {
    const { hubSessions, afterSessionEnd, events, checked } = setup(withEndSession);
    const citizenSessionId = await loggedIn(hubSessions);
    const location = await afterSessionEnd({ citizenSessionId, location: 'http://127.0.0.20:4000/sp/' });
    expect(new URL(String(location)).href).toMatch(/^https:\/\/idp\.example\/session\/end\?/);
    expect(checked).toEqual(['https://idp.example/session/end']);
    expect(events).toEqual([expect.objectContaining({ name: 'logout.idp_redirected', idpUid: 'idp-down' })]);
  });

  it('skips an IdP measured down without asking it anything: straight back to the SP', async () => {
    let asked = false;
    const { hubSessions, afterSessionEnd, events, checked } = setup(
      {
        get: (uid) => {
          asked = true;
          return withEndSession.get(uid);
        },
      },
      { available: false },
    );
    const citizenSessionId = await loggedIn(hubSessions);
    await expect(afterSessionEnd({ citizenSessionId, location: 'http://x/' })).resolves.toBeUndefined();
    expect([asked, checked]).toEqual([false, []]);
    expect(events).toEqual([
      expect.objectContaining({
        name: 'logout.completed',
        idpUid: 'idp-down',
        errorCode: 'R2002',
        data: { skipped: 'measured_down' },
      }),
    ]);
    await expect(loadHubSession(hubSessions, citizenSessionId, lifetime)).resolves.toBeUndefined();
  });

  it('skips an IdP whose end_session takes no connection, keeping no logout transaction', async () => {
    const { hubSessions, idpLogouts, afterSessionEnd, events } = setup(withEndSession, { reachable: false });
    const citizenSessionId = await loggedIn(hubSessions);
    const puts: string[] = [];
    const put = idpLogouts.put.bind(idpLogouts);
    idpLogouts.put = async (id, value) => {
      puts.push(id);
      return put(id, value);
    };
    await expect(afterSessionEnd({ citizenSessionId, location: 'http://x/' })).resolves.toBeUndefined();
    expect(puts).toEqual([]);
    expect(events).toEqual([
      expect.objectContaining({
        name: 'logout.completed',
        errorCode: 'R2002',
        data: { skipped: 'unreachable' },
      }),
    ]);
  });
});
