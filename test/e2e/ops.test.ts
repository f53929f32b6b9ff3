// Operations: readiness, Prometheus metrics and business events, around real logins.
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createHub, type Hub } from '../../src/hub.ts';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import { hashId } from '../../src/observability/events.ts';
import { createMemoryKv, type Kv } from '../../src/store/kv.ts';
import { createRedisKv } from '../../src/store/kv-redis.ts';
import { confirmLogout } from '../support/browser.ts';
import { Citizen, expectSpError } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [{ client_id: 'sp-a', client_secret: 'sp-a-secret-0123456789-0123456789-abcdef' }],
  });
});
afterAll(() => federation?.close());

async function startLogin() {
  const config = await spClient(federation, 'sp-a');
  const request = await authorizeRequest(federation, config);
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  return { config, request, citizen };
}

interface EventRow {
  name: string;
  client_id: string | null;
  idp_uid: string | null;
  acr: string | null;
  interaction_id: string | null;
  session_id: string | null;
  error_code: string | null;
  data: Record<string, unknown> | null;
}

describe('a login, as operations see it', () => {
  let sub: string;
  let failedInteraction: string;

  beforeAll(async () => {
    const login = await startLogin();
    const { idToken, tokens } = await completeLogin(federation, login, { idp: 'idp-a' });
    sub = idToken.sub;
    await client.fetchUserInfo(login.config, tokens.access_token, sub);
    const postLogout = String(federation.sps.get('sp-a')?.post_logout_redirect_uris[0]);
    const endSession = client.buildEndSessionUrl(login.config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
    });
    await confirmLogout(login.citizen.browser, endSession, (url) => url.href.startsWith(postLogout));
    // The IdP refuses, the citizen leaves from the mire: the SP gets R2001, the IdP is known.
    federation.idps.get('idp-a')?.setMisbehaviour({ error: { error: 'access_denied' } });
    const refusedAtIdp = await startLogin();
    await refusedAtIdp.citizen.chooseIdp('idp-a');
    await refusedAtIdp.citizen.cancelOnMire();
    federation.idps.get('idp-a')?.setMisbehaviour({});
    expect(refusedAtIdp.citizen.spParams().get('error_description')).toContain('R2001');
    // A request the FC v2 rules refuse at once (no state).
    const config = await spClient(federation, 'sp-a');
    const noState = await authorizeRequest(federation, config, { state: undefined });
    const refused = new Citizen(noState);
    await refused.go(noState.url);
    expect(refused.spParams().get('error_description')).toContain('R1006');
    const failed = await startLogin();
    failedInteraction = failed.citizen.currentPage().url.pathname.split('/').at(-1) ?? '';
    await failed.citizen.cancelOnMire();
    expectSpError(failed.citizen.spParams(), {
      error: 'access_denied',
      code: 'R4001',
      iss: federation.issuer,
      state: failed.request.state,
    });
    await federation.hub.events.flush();
  });

  it('/readyz answers ready with every check ok', async () => {
    const response = await fetch(`${federation.issuer}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok', registry: 'ok' },
    });
  });

  it('/metrics counts the completed and the failed login, and times the hops', async () => {
    const response = await fetch(`${federation.issuer}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('relais_logins_started_total{sp="sp-a"} 4');
    expect(text).toContain('relais_logins_failed_total{sp="sp-a",idp="idp-a",code="R2001"} 1');
    expect(text).toContain('relais_logins_failed_total{sp="sp-a",idp="unknown",code="R1006"} 1');
    expect(text).toContain('relais_idp_errors_total{idp="idp-a",code="R2001"} 1');
    expect(text).toContain('relais_logins_completed_total{sp="sp-a",idp="idp-a"} 1');
    expect(text).toContain('relais_logins_failed_total{sp="sp-a",idp="unknown",code="R4001"} 1');
    expect(text).toContain('relais_idp_call_duration_seconds_count{idp="idp-a",outcome="ok"} 1');
    expect(text).toContain('relais_idp_available{idp="idp-a"} 1');
    const hops = ['authorize', 'mire', 'idp_redirect', 'callback', 'consent', 'resume', 'token', 'userinfo'];
    for (const hop of hops) {
      expect(text).toMatch(new RegExp(`relais_hop_duration_seconds_count\\{hop="${hop}"\\} [1-9]`));
    }
  });

  it('stores the steps of the login in order, with the SP, the IdP and the interaction', async () => {
    const rows = await federation.hub.sql.query<EventRow>('select * from events order by id');
    const interaction = rows.find((row) => row.name === 'idp.chosen')?.interaction_id;
    expect(interaction).toBeTruthy();
    const steps = rows.filter((row) => row.interaction_id === interaction);
    expect(steps.map((row) => row.name)).toEqual([
      'authorize.received',
      'mire.shown',
      'idp.chosen',
      'idp.callback',
      'identity.verified',
      'consent.shown',
      'consent.given',
      'sp.redirected',
    ]);
    expect(steps.find((row) => row.name === 'idp.chosen')).toMatchObject({
      client_id: 'sp-a',
      idp_uid: 'idp-a',
      acr: 'eidas1',
    });
    const given = steps.find((row) => row.name === 'consent.given');
    expect(given?.data).toEqual({ sub: hashId(sub) });
    const token = rows.find((row) => row.name === 'sp.token' && !row.error_code);
    expect(token).toMatchObject({ client_id: 'sp-a', session_id: given?.session_id });
    expect(rows.filter((row) => row.interaction_id === failedInteraction).map((row) => row.name)).toEqual([
      'authorize.received',
      'mire.shown',
      'login.failed',
    ]);
    expect(
      rows.find((row) => row.interaction_id === failedInteraction && row.name === 'login.failed'),
    ).toMatchObject({
      client_id: 'sp-a',
      error_code: 'R4001',
    });
    expect(rows.find((row) => row.name === 'sp.userinfo')).toMatchObject({
      client_id: 'sp-a',
      session_id: given?.session_id,
      error_code: null,
    });
  });

  it('stores the logout steps, through the IdP and back', async () => {
    const rows = await federation.hub.sql.query<EventRow>(
      "select * from events where name like 'logout.%' order by id",
    );
    expect(rows.map((row) => row.name)).toEqual([
      'logout.started',
      'logout.idp_redirected',
      'logout.completed',
    ]);
    expect(rows[0]).toMatchObject({ client_id: 'sp-a' });
    expect(rows[1]).toMatchObject({ idp_uid: 'idp-a' });
  });

  it('stores the IdP-side failure and the refused request with their codes', async () => {
    const rows = await federation.hub.sql.query<EventRow>(
      "select * from events where error_code like 'R%' order by id",
    );
    expect(rows.map((row) => [row.name, row.idp_uid, row.error_code])).toEqual([
      ['idp.callback', 'idp-a', 'R2001'],
      ['idp.failed', 'idp-a', 'R2001'],
      ['login.failed', 'idp-a', 'R2001'],
      ['login.failed', null, 'R1006'],
      ['login.failed', null, 'R4001'],
    ]);
  });

  it('stores no identité pivot data and no clear sub', async () => {
    const stored = JSON.stringify(await federation.hub.sql.query('select * from events'));
    const person = MOCK_IDENTITIES.find((identity) => identity.id === 'standard')?.claims;
    expect(person).toBeDefined();
    for (const value of [person?.given_name, person?.family_name, person?.birthdate, person?.email, sub]) {
      expect(stored).not.toContain(String(value));
    }
  });
});

/** A Kv whose ping fails on demand: Redis unreachable, as /readyz sees it. */
function breakable(kv: Kv) {
  const state = { broken: false };
  const wrapped: Kv = {
    ...kv,
    ping: async () => {
      if (state.broken) throw new Error('connection refused');
      await kv.ping();
    },
  };
  return { kv: wrapped, state };
}

describe('a hub on its own', () => {
  const schema = `ops_${randomBytes(6).toString('hex')}`;
  const token = 'metrics-token-0123456789';
  let hub: Hub;
  let state: { broken: boolean };

  beforeAll(async () => {
    const prefix = `relais:ops:${schema}:`;
    const raw = process.env.REDIS_URL
      ? await createRedisKv(process.env.REDIS_URL, prefix)
      : createMemoryKv(prefix);
    const made = breakable(raw);
    state = made.state;
    hub = await createHub({
      config: loadConfig({
        DATABASE_URL: process.env.DATABASE_URL,
        DEMO: 'true',
        METRICS_TOKEN: token,
        SUB_SECRET: 'ops-sub-secret-0123456789abcdef0123456789',
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        COOKIE_KEYS: randomBytes(32).toString('hex'),
      }),
      sqlSchema: schema,
      pgliteDir: null,
      kv: made.kv,
    });
  });
  afterAll(async () => {
    await hub?.close();
    if (process.env.DATABASE_URL) {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    }
  });

  it('/readyz turns 503 naming the Kv when it stops answering, and ready again when it is back', async () => {
    expect((await hub.app.inject('/readyz')).statusCode).toBe(200);
    state.broken = true;
    const unready = await hub.app.inject('/readyz');
    expect(unready.statusCode).toBe(503);
    expect(unready.json()).toEqual({
      status: 'unready',
      checks: { postgres: 'ok', redis: 'failed', registry: 'ok' },
    });
    state.broken = false;
    expect((await hub.app.inject('/readyz')).json()).toMatchObject({ status: 'ready' });
    expect((await hub.app.inject('/healthz')).statusCode).toBe(200);
  });

  it('counts the failed Kv operation in the metrics', async () => {
    const text = (await hub.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } }))
      .body;
    expect(text).toContain('relais_store_errors_total{store="redis",operation="ping"} 1');
  });

  it('refuses /metrics without the METRICS_TOKEN, or with another one', async () => {
    expect((await hub.app.inject('/metrics')).statusCode).toBe(401);
    const wrong = await hub.app.inject({ url: '/metrics', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const right = await hub.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('# TYPE relais_logins_started_total counter');
  });
});
