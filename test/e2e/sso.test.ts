// SSO between SPs (FranceConnect's model): within the hub session, a second SP skips the mire
// and the IdP when that IdP is allowed for it and reached the level it asks, but still asks the
// citizen's consent, and gets its own sub.
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HUB_SESSION_FIELDS } from '../../src/login/hub-session.ts';
import { unseal } from '../../src/store/seal.ts';
import { Citizen } from '../support/citizen.ts';
import { authorizeRequest, type Federation, spClient, startFederation } from '../support/federation.ts';

let federation: Federation;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;

beforeAll(async () => {
  federation = await startFederation({
    idps: [
      { uid: 'idp-a', host: '127.0.0.2' },
      { uid: 'idp-b', host: '127.0.0.3' },
      { uid: 'idp-no-logout', host: '127.0.0.4', endSession: false },
    ],
    sps: [
      { client_id: 'sp-1', client_secret: secret('sp-1') },
      { client_id: 'sp-2', client_secret: secret('sp-2') },
      { client_id: 'sp-b-only', client_secret: secret('sp-b-only'), identity_providers: ['idp-b'] },
      {
        client_id: 'sp-offline',
        client_secret: secret('sp-offline'),
        scope: 'openid identite_pivot offline_access',
      },
    ],
  });
});

afterAll(() => federation?.close());

/** Authorize at `spId` with this citizen's browser; returns where the first hub page landed. */
async function arrive(citizen: Citizen, spId: string, params: Record<string, string | undefined> = {}) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, params);
  const next = new Citizen(request);
  // The same browser (its cookies), a new SP.
  Object.assign(next, { browser: citizen.browser });
  await next.go(request.url);
  return { config, request, citizen: next };
}

async function redeem(arrival: Awaited<ReturnType<typeof arrive>>) {
  const tokens = await client.authorizationCodeGrant(arrival.config, arrival.citizen.callback as URL, {
    pkceCodeVerifier: arrival.request.codeVerifier,
    expectedState: arrival.request.state,
    expectedNonce: arrival.request.nonce,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no id_token');
  const userinfo = await client.fetchUserInfo(arrival.config, tokens.access_token, idToken.sub);
  return { idToken, userinfo };
}

/** The browser's hub session exactly as stored, unsealed: its session cookie leads to it. */
async function storedHubSession(browser: Citizen): Promise<Record<string, unknown>> {
  const { kv } = federation.hub;
  const cookie = browser.browser.jar
    .list(new URL(federation.issuer))
    .find((c) => c.name === 'relais_session');
  const uid = await kv.get(`oidc:sessionId:${cookie?.value}`);
  const session = JSON.parse((await kv.get(`oidc:session:${uid}`)) ?? '{}') as { accountId?: string };
  const key = `hub-session:${session.accountId}`;
  const sealed = await kv.get(key);
  if (!sealed) throw new Error('no hub session stored for this browser');
  return unseal(Buffer.from(federation.env.ENCRYPTION_KEY ?? '', 'hex'), key, sealed) as Record<
    string,
    unknown
  >;
}

const isMire = (citizen: Citizen) => /name="idp"/.test(citizen.currentPage().html);
const isConsent = (citizen: Citizen) => /name="decision"/.test(citizen.currentPage().html);

async function firstLogin(idpUid = 'idp-a') {
  const browser = new Citizen({ redirectUri: 'never://' });
  const first = await arrive(browser, 'sp-1');
  expect(isMire(first.citizen)).toBe(true);
  await first.citizen.chooseIdp(idpUid);
  await first.citizen.loginAs('standard');
  await first.citizen.consent('accept');
  return { browser: first.citizen, first: await redeem(first) };
}

describe('SSO between SPs', () => {
  it('takes the citizen from SP1 to SP2 without the mire or the IdP, with consent, and a different sub', async () => {
    const { browser, first } = await firstLogin();
    const second = await arrive(browser, 'sp-2');
    expect(second.citizen.currentPage().url.origin).toBe(federation.issuer);
    expect(isMire(second.citizen)).toBe(false);
    expect(isConsent(second.citizen)).toBe(true);
    await second.citizen.consent('accept');
    const { idToken, userinfo } = await redeem(second);
    expect(idToken.sub).not.toBe(first.idToken.sub);
    expect(userinfo.given_name).toBe(first.userinfo.given_name);
    expect(idToken.acr).toBe('eidas1');
  });

  it('keeps asking consent: refusing it at SP2 sends access_denied and leaves the session usable', async () => {
    const { browser } = await firstLogin();
    const second = await arrive(browser, 'sp-2');
    await second.citizen.consent('refuse');
    expect(second.citizen.spParams().get('error')).toBe('access_denied');
    const third = await arrive(browser, 'sp-2');
    expect(isConsent(third.citizen)).toBe(true);
  });

  it('breaks SSO when the IdP used is excluded for the new SP: back to the mire', async () => {
    const { browser } = await firstLogin('idp-a');
    const next = await arrive(browser, 'sp-b-only');
    expect(isMire(next.citizen)).toBe(true);
  });

  it('honours max_age: an SSO older than it sends the citizen back to the IdP, and the id_token says when', async () => {
    const { browser, first } = await firstLogin();
    // Within max_age: the SSO stands, auth_time is the first login's.
    const within = await arrive(browser, 'sp-2', { max_age: '3600' });
    expect(isConsent(within.citizen)).toBe(true);
    await within.citizen.consent('accept');
    const reused = await redeem(within);
    expect(reused.idToken.auth_time).toBe(first.idToken.auth_time);
    // Older than max_age: the mire, then a fresh IdP login, its auth_time in the id_token.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const stale = await arrive(browser, 'sp-2', { max_age: '1' });
    expect(isMire(stale.citizen)).toBe(true);
    await stale.citizen.chooseIdp('idp-a');
    await stale.citizen.loginAs('standard');
    await stale.citizen.consent('accept');
    const fresh = await redeem(stale);
    expect(fresh.idToken.auth_time).toBeGreaterThan(Number(first.idToken.auth_time));
    expect(Math.floor(Date.now() / 1000) - Number(fresh.idToken.auth_time)).toBeLessThanOrEqual(5);
  });

  it('breaks SSO for eidas2: a fresh IdP login is always needed', async () => {
    const { browser } = await firstLogin();
    const next = await arrive(browser, 'sp-2', { acr_values: 'eidas2' });
    expect(isMire(next.citizen)).toBe(true);
  });

  it('breaks SSO when idp_hint names another IdP: straight to that IdP', async () => {
    const { browser } = await firstLogin('idp-a');
    const next = await arrive(browser, 'sp-2', { idp_hint: 'idp-b' });
    expect(next.citizen.currentPage().url.origin).toBe(federation.idps.get('idp-b')?.issuer);
  });

  it('keeps SSO when idp_hint names the IdP already used', async () => {
    const { browser } = await firstLogin('idp-a');
    const next = await arrive(browser, 'sp-2', { idp_hint: 'idp-a' });
    expect(isConsent(next.citizen)).toBe(true);
  });

  it('ends with the absolute lifetime of the hub session, however active the citizen was', async () => {
    const { browser } = await firstLogin();
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Back every 25 minutes (within the 30-minute idle timeout): SSO holds until 8 hours.
      for (let elapsed = 25; elapsed < 8 * 60; elapsed += 25) {
        vi.setSystemTime(start + elapsed * 60_000);
        const visit = await arrive(browser, 'sp-2');
        expect(isConsent(visit.citizen), `after ${elapsed} min`).toBe(true);
        await visit.citizen.consent('accept');
      }
      vi.setSystemTime(start + (8 * 60 + 5) * 60_000);
      const late = await arrive(browser, 'sp-2');
      expect(isMire(late.citizen)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps in the hub session what SSO needs, and no id_token for an IdP without end_session_endpoint', async () => {
    const { browser, first } = await firstLogin('idp-no-logout');
    const stored = await storedHubSession(browser);
    expect(Object.keys(stored).sort()).toEqual(
      [
        'acr',
        'amr',
        'authTime',
        'claims',
        'identityKey',
        'idpUid',
        'startedAt',
        'expiresAt',
        'participants',
      ].sort(),
    );
    for (const field of Object.keys(stored)) expect(HUB_SESSION_FIELDS).toContain(field);
    // SSO still answers the second SP from what was kept.
    const second = await arrive(browser, 'sp-2');
    expect(isConsent(second.citizen)).toBe(true);
    await second.citizen.consent('accept');
    const { userinfo } = await redeem(second);
    expect(userinfo.family_name).toBe(first.userinfo.family_name);
    expect(await storedHubSession(browser)).not.toHaveProperty('idpIdToken');
  });

  it("keeps the IdP's id_token in the hub session for an IdP with an end_session_endpoint", async () => {
    const { browser } = await firstLogin('idp-a');
    const stored = await storedHubSession(browser);
    expect(typeof stored['idpIdToken']).toBe('string');
    for (const field of Object.keys(stored)) expect(HUB_SESSION_FIELDS).toContain(field);
  });

  it('gives a second browser no SSO', async () => {
    await firstLogin();
    const stranger = await arrive(new Citizen({ redirectUri: 'never://' }), 'sp-2');
    expect(isMire(stranger.citizen)).toBe(true);
  });
});

describe('refresh tokens', () => {
  it('are never issued to an SP that is not authorised offline_access, even when it asks', async () => {
    const browser = new Citizen({ redirectUri: 'never://' });
    const arrival = await arrive(browser, 'sp-1', { scope: 'openid identite_pivot offline_access' });
    const params = arrival.citizen.spParams();
    expect(params.get('error')).toBe('invalid_scope');
    expect(params.get('error_description')).toMatch(/offline_access.*\[R1005\]$/);
  });

  it('are issued to an SP explicitly authorised offline_access, and refresh', async () => {
    const browser = new Citizen({ redirectUri: 'never://' });
    const arrival = await arrive(browser, 'sp-offline', { scope: 'openid identite_pivot offline_access' });
    await arrival.citizen.chooseIdp('idp-a');
    await arrival.citizen.loginAs('standard');
    await arrival.citizen.consent('accept');
    const tokens = await client.authorizationCodeGrant(arrival.config, arrival.citizen.callback as URL, {
      pkceCodeVerifier: arrival.request.codeVerifier,
      expectedState: arrival.request.state,
      expectedNonce: arrival.request.nonce,
    });
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await client.refreshTokenGrant(arrival.config, tokens.refresh_token as string);
    const userinfo = await client.fetchUserInfo(
      arrival.config,
      refreshed.access_token,
      tokens.claims()?.sub as string,
    );
    expect(userinfo.sub).toBe(tokens.claims()?.sub);
  });
});
