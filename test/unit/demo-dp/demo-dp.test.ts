// The demo data provider against a real hub: it asks the hub about each bearer token (RFC 7662
// introspection with openid-client) and answers only for a token holding its scope.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoDp, type DemoDp, fictitiousQuotient } from '../../../src/demo-dp/index.ts';
import { parseOptions } from '../../../src/demo-dp/options.ts';
import { Citizen } from '../../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  freePort,
  spClient,
  startFederation,
} from '../../support/federation.ts';
import { completeLogin } from '../../support/sp-login.ts';

const DP_HOST = '127.0.0.6';
const DP_SECRET = 'demo-dp-test-secret-0123456789-0123456789-ab';

let federation: Federation;
let dp: DemoDp;
/** The same API with a secret the hub does not know. */
let misconfigured: DemoDp;
const started: DemoDp[] = [];

async function startDp(clientSecret: string): Promise<DemoDp> {
  const demoDp = await createDemoDp({
    url: `http://${DP_HOST}:${await freePort(DP_HOST)}`,
    issuer: federation.issuer,
    clientId: 'demo-dp',
    clientSecret,
  });
  await demoDp.listen();
  started.push(demoDp);
  return demoDp;
}

beforeAll(async () => {
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      {
        client_id: 'sp-a',
        client_secret: 'sp-a-secret-0123456789-0123456789-abcdefgh',
        scope: 'openid identite_pivot email cnaf_quotient_familial cnaf_adresse',
      },
    ],
    // It serves a second scope, so that a token holding only that one is active for it (else the
    // hub answers { active: false } and the API can only say invalid_token).
    dataProviders: [
      {
        client_id: 'demo-dp',
        client_secret: DP_SECRET,
        name: 'Quotient familial (démonstration)',
        scopes: ['cnaf_quotient_familial', 'cnaf_adresse'],
      },
    ],
  });
  dp = await startDp(DP_SECRET);
  misconfigured = await startDp('not-the-secret-0123456789-0123456789-abcdef');
});

afterAll(async () => {
  await Promise.all(started.map((demoDp) => demoDp.close()));
  await federation?.close();
});

async function login(scope: string) {
  const config = await spClient(federation, 'sp-a');
  const request = await authorizeRequest(federation, config, { scope });
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  const { tokens, idToken } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
  return { config, accessToken: tokens.access_token, sub: idToken.sub };
}

function quotient(api: DemoDp, authorization?: string) {
  return fetch(`${api.url}/v1/quotient-familial`, {
    headers: authorization === undefined ? {} : { authorization },
  });
}

describe('demo data provider', () => {
  it('answers the fictitious quotient of the token’s sub to a token holding cnaf_quotient_familial', async () => {
    const { accessToken, sub } = await login('openid identite_pivot cnaf_quotient_familial');
    const response = await quotient(dp, `Bearer ${accessToken}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    const expected = fictitiousQuotient(sub);
    expect(body).toEqual({ ...expected });
    expect(body['allocataire']).toBe(sub);
    expect(body['quotient_familial']).toBeGreaterThanOrEqual(200);
    expect(body['quotient_familial']).toBeLessThan(2200);
  });

  it('refuses with 403 insufficient_scope a valid token without cnaf_quotient_familial', async () => {
    const { accessToken } = await login('openid identite_pivot cnaf_adresse');
    const response = await quotient(dp, `Bearer ${accessToken}`);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="quotient-familial", error="insufficient_scope", scope="cnaf_quotient_familial"',
    );
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('refuses with 401 invalid_token a token the hub does not know, and a malformed header', async () => {
    for (const authorization of ['Bearer not-a-token-the-hub-issued', 'Basic ZGVtbzpkZW1v', 'Bearer a b']) {
      const response = await quotient(dp, authorization);
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="quotient-familial", error="invalid_token"',
      );
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('challenges a request without credentials with 401 and no error code (RFC 6750 §3.1)', async () => {
    const response = await quotient(dp);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="quotient-familial"');
  });

  it('refuses with 401 a token its SP revoked', async () => {
    const { config, accessToken } = await login('openid identite_pivot cnaf_quotient_familial');
    expect((await quotient(dp, `Bearer ${accessToken}`)).status).toBe(200);
    await client.tokenRevocation(config, accessToken);
    const response = await quotient(dp, `Bearer ${accessToken}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 503, not a verdict on the token, when the hub refuses its credentials', async () => {
    const { accessToken } = await login('openid identite_pivot cnaf_quotient_familial');
    const response = await quotient(misconfigured, `Bearer ${accessToken}`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable' });
    expect(JSON.stringify(Object.fromEntries(response.headers))).not.toContain(accessToken);
  });
});

describe('demo data provider, offline', () => {
  it('derives a stable quotient from the sub, different for another sub', () => {
    const now = new Date('2026-11-15T12:00:00Z');
    const first = fictitiousQuotient('sub-1', now);
    expect(fictitiousQuotient('sub-1', now)).toEqual(first);
    expect(first).toMatchObject({ annee: 2026, mois: 11, allocataire: 'sub-1' });
    expect(fictitiousQuotient('sub-2', now).quotient_familial).not.toBe(first.quotient_familial);
  });

  it('refuses an http issuer or url outside loopback, and a url with a path', () => {
    const base = {
      url: 'http://localhost:3004',
      issuer: 'http://localhost:3000',
      clientId: 'd',
      clientSecret: 's',
    };
    expect(parseOptions(base)).toMatchObject({
      allowHttpIssuer: true,
      listenPort: 3004,
      listenHost: 'localhost',
    });
    expect(() => parseOptions({ ...base, issuer: 'http://hub.example' })).toThrow(/issuer must be https/);
    expect(() => parseOptions({ ...base, url: 'http://dp.example' })).toThrow(/url must be https/);
    expect(() => parseOptions({ ...base, url: 'http://localhost:3004/api' })).toThrow(/origin/);
    expect(parseOptions({ ...base, issuer: 'https://hub.example' }).allowHttpIssuer).toBe(false);
  });
});
