// The error sandbox's pieces without a hub: its scenarios against the error table, the demo SP's
// handling of every code, what its pages say, and its routes (armed faults, refused starts).
import { describe, expect, it } from 'vitest';
import { buildDemoSpApp } from '../../../src/demo-sp/app.ts';
import { DemoSpError, handlingOf, RELAIS_CODE_HANDLING, relaisCodeOf } from '../../../src/demo-sp/errors.ts';
import { parseOptions } from '../../../src/demo-sp/options.ts';
import type { RelaisClient, RequestOverrides } from '../../../src/demo-sp/relais-client.ts';
import {
  HUB_PAGE_ONLY,
  NOT_BY_A_BUTTON,
  PRO_SCENARIOS,
  SCENARIOS,
  sandboxOf,
  scenarioOf,
} from '../../../src/demo-sp/sandbox.ts';
import { receivedRows, scenarioCheck } from '../../../src/demo-sp/view-model.ts';
import { ERRORS } from '../../../src/errors.ts';
import type { Misbehaviour } from '../../../src/mock-idp/index.ts';

const HUB_ONLY = HUB_PAGE_ONLY.map(({ code }) => code).filter((code) => code !== 'R1013');

describe('the scenarios', () => {
  it('each expects the OAuth error of the table for its code', () => {
    for (const scenario of SCENARIOS) {
      expect(ERRORS[scenario.code as keyof typeof ERRORS]?.oauth, scenario.code).toBe(scenario.error);
    }
  });

  it('with the codes set aside and the hub-only ones, cover the whole table once', () => {
    const aside = NOT_BY_A_BUTTON.map(({ code }) => code);
    const all = [...SCENARIOS.map(({ code }) => code), ...aside, ...HUB_ONLY];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('under ProConnect too: its own scenarios and codes set aside cover the table once', () => {
    const pro = sandboxOf('proconnect');
    const all = [
      ...pro.scenarios.map(({ code }) => code),
      ...pro.notByAButton.map(({ code }) => code),
      ...HUB_ONLY,
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Object.keys(ERRORS).sort());
    for (const scenario of PRO_SCENARIOS) {
      expect(ERRORS[scenario.code as keyof typeof ERRORS]?.oauth, scenario.code).toBe(scenario.error);
    }
    expect(scenarioOf('R2006', 'proconnect')?.mockIdp).toEqual({ acr: 'eidas1', amr: ['pwd'] });
    expect(scenarioOf('R2006')).toBeUndefined();
  });

  it('tell the citizen what to do whenever the answer does not come back at once', () => {
    for (const scenario of SCENARIOS) {
      const viaCitizen = scenario.request === undefined || scenario.mockIdp !== undefined;
      expect(scenario.steps.length > 0, scenario.code).toBe(viaCitizen || scenario.code === 'R2005');
    }
  });
});

describe('the demo SP’s handling', () => {
  it('has a message and a way on for every code that can reach an SP', () => {
    for (const code of Object.keys(ERRORS).filter(
      (c) => !HUB_ONLY.includes(c) || c === 'R5000' || c === 'R5001',
    )) {
      const handling = RELAIS_CODE_HANDLING[code];
      expect(handling, code).toBeDefined();
      expect(handling?.message.length, code).toBeGreaterThan(20);
    }
  });

  it('reads the code ending error_description, and falls back on the OAuth error without one', () => {
    expect(relaisCodeOf('scope must contain openid [R1003]')).toBe('R1003');
    expect(relaisCodeOf('[R1003] not at the end')).toBeUndefined();
    expect(relaisCodeOf(undefined)).toBeUndefined();
    expect(handlingOf('access_denied', 'the user refused to share the data [R4002]').title).toBe(
      'Connexion non terminée',
    );
    expect(handlingOf('access_denied', 'no code here').message).toBe(
      'Vous avez annulé la connexion, ou l’accès a été refusé.',
    );
    // A request at fault is not retried: it would fail the same way.
    expect(handlingOf('invalid_scope', 'x [R1004]').wayOn).toBe('other');
    expect(handlingOf('temporarily_unavailable', 'x [R2002]').wayOn).toBe('later');
  });

  it('shows state and iss as checked, and the scenario’s verdict', () => {
    const rows = receivedRows(
      { state: undefined, iss: 'http://localhost:3000', scenario: 'R1006' },
      'http://localhost:3000/',
    );
    expect(rows.map((row) => row.value)).toEqual([
      '(absent) — vérifié : la demande n’en avait pas envoyé',
      'http://localhost:3000 — vérifié : l’émetteur de Relais (http://localhost:3000)',
    ]);
    const received = (error: string, description: string) =>
      new DemoSpError('authorization_error', { oauthError: error, oauthErrorDescription: description });
    expect(
      scenarioCheck(received('invalid_request', 'state is required [R1006]'), scenarioOf('R1006')),
    ).toMatchObject({
      expected: 'invalid_request [R1006]',
      matches: true,
    });
    expect(scenarioCheck(received('access_denied', 'x [R4001]'), scenarioOf('R1006'))?.matches).toBe(false);
    expect(scenarioCheck(received('access_denied', 'x [R4001]'), scenarioOf('R9999'))).toBeUndefined();
  });
});

describe('the routes', () => {
  const settings = parseOptions({
    url: 'http://localhost:3002',
    issuer: 'http://localhost:3000',
    clientId: 'demo-sp',
    clientSecret: 'demo-sp-secret-at-least-32-characters-long!',
  });
  const started: Array<RequestOverrides | undefined> = [];
  const relais = {
    async startLogin(overrides?: RequestOverrides) {
      started.push(overrides);
      return {
        authorizationUrl: new URL('http://localhost:3000/authorize?client_id=demo-sp'),
        pending: { state: 'state-0123456789', nonce: 'nonce-0123456789-0123456789', codeVerifier: 'v' },
      };
    },
  } as unknown as RelaisClient;

  it('has no sandbox without the demo’s hooks', async () => {
    const app = await buildDemoSpApp(settings, relais);
    expect((await app.inject({ method: 'GET', url: '/sandbox' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/sandbox/R1004' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/' })).body).not.toContain('href="/sandbox"');
  });

  it('arms the mock IdP for a fault scenario, disarms it for the others, and sends the request', async () => {
    const armed: Array<Misbehaviour | undefined> = [];
    const app = await buildDemoSpApp(settings, relais, {
      profile: 'franceconnect',
      armMockIdp: (fault) => armed.push(fault),
    });
    expect((await app.inject({ method: 'GET', url: '/' })).body).toContain('href="/sandbox"');
    const page = await app.inject({ method: 'GET', url: '/sandbox' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('action="/sandbox/R2004"');

    const r2004 = await app.inject({ method: 'POST', url: '/sandbox/R2004', headers: { origin: 'null' } });
    expect(r2004.statusCode).toBe(303);
    expect(r2004.headers.location).toBe('http://localhost:3000/authorize?client_id=demo-sp');
    expect(String(r2004.headers['set-cookie'])).toMatch(/^demosp_session=/);
    expect(started.at(-1)).toEqual({ acr_values: 'eidas2' });
    expect(armed.at(-1)).toEqual({ acr: 'eidas1' });

    const r1004 = await app.inject({
      method: 'POST',
      url: '/sandbox/R1004',
      headers: { origin: 'http://localhost:3002', 'sec-fetch-site': 'same-origin' },
    });
    expect(r1004.statusCode).toBe(303);
    expect(armed.at(-1)).toBeUndefined();
    expect(armed).toHaveLength(2);
  });

  it('refuses an unknown scenario and a start from another origin, arming nothing', async () => {
    const armed: Array<Misbehaviour | undefined> = [];
    const app = await buildDemoSpApp(settings, relais, {
      profile: 'franceconnect',
      armMockIdp: (fault) => armed.push(fault),
    });
    for (const headers of [
      { origin: 'http://localhost:3001' },
      { origin: 'null', 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      expect((await app.inject({ method: 'POST', url: '/sandbox/R2003', headers })).statusCode).toBe(400);
    }
    expect((await app.inject({ method: 'POST', url: '/sandbox/R9999' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/sandbox/nope' })).statusCode).toBe(404);
    expect(armed).toEqual([]);
  });
});
