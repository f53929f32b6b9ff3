// Session fixation: whoever can plant a cookie in the citizen's browser (a sibling subdomain, a
// network on http) must not choose the session the citizen then logs in to. oidc-provider's session
// cookie (relais_session) carries the session id, and that session's account id is the hub session's
// key (citizenSessionId): both are renewed at login. A session planted before the login, forged or
// genuine (the attacker's own), is not the one that holds the citizen's login after it, and the
// browser left with the planted cookie gets nobody's SSO; the citizen's own renewed session does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_IDENTITIES } from '../../src/mock-idp/index.ts';
import type { Browser } from '../support/browser.ts';
import type { Citizen } from '../support/citizen.ts';
import { type Federation, startFederation } from '../support/federation.ts';
import { startLogin } from '../support/security.ts';
import { completeLogin, redeemCode } from '../support/sp-login.ts';

let federation: Federation;
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;
const SP_A = { client_id: 'sp-a', client_secret: secret('sp-a') };
const SP_B = { client_id: 'sp-b', client_secret: secret('sp-b') };
const SESSION = 'relais_session';
const CONSENT = 'Transmission de vos données';

beforeAll(async () => {
  federation = await startFederation({ idps: [{ uid: 'idp-main', host: '127.0.0.2' }], sps: [SP_A, SP_B] });
});

afterAll(() => federation?.close());

const person = (id: string) => {
  const found = MOCK_IDENTITIES.find((identity) => identity.id === id);
  if (!found) throw new Error(`no mock identity ${id}`);
  return found.claims;
};
const VICTIM = person('standard');
const ATTACKER = person('born-abroad');

const hub = () => new URL(federation.issuer);

/** The session cookie (and its signature) the browser holds for the hub. */
function sessionCookies(browser: Browser) {
  return browser.jar
    .list(hub())
    .filter((cookie) => cookie.name === SESSION || cookie.name === `${SESSION}.sig`);
}

function sessionId(browser: Browser): string | undefined {
  return sessionCookies(browser).find((cookie) => cookie.name === SESSION)?.value;
}

/** Plants cookies in a browser for the hub, as a sibling subdomain or an http network could. */
function plant(browser: Browser, cookies: Array<{ name: string; value: string }>) {
  const headers = cookies.map(
    ({ name, value }) => ['set-cookie', `${name}=${value}; Path=/`] as [string, string],
  );
  browser.jar.store(hub(), new Response(null, { headers }));
}

/** oidc-provider's session and its account (the hub session's key), as stored. */
async function storedSession(id: string | undefined) {
  return id ? federation.hub.provider.Session.find(id) : undefined;
}

/**
 * Logs in at the IdP as `identity` from the mire and consents; a planted session of someone else
 * is logged out on the way (oidc-provider's confirmation forms, which a browser submits by script).
 */
async function logIn(citizen: Citizen, identity: string) {
  await citizen.chooseIdp('idp-main');
  await citizen.loginAs(identity);
  expect(citizen.currentPage().html).toContain(CONSENT);
  await citizen.consent('accept');
  for (let hop = 0; hop < 4 && citizen.page?.html.includes('name="xsrf"'); hop += 1) {
    await citizen.submit('name="xsrf"', {});
  }
  expect(citizen.spParams().get('code')).toBeTruthy();
}

/** A login at SP B from this browser: SSO shows the consent page at once, naming whom. */
async function atSecondSp(browser: Browser) {
  const { citizen } = await startLogin(federation, SP_B.client_id, {}, browser);
  return citizen.currentPage().html;
}

describe('the session id is renewed at login', () => {
  it('sets no session cookie before the login: nothing to fixate on the way to the mire', async () => {
    const { citizen } = await startLogin(federation, SP_A.client_id);
    expect(citizen.currentPage().html).toContain('Choisissez un compte');
    expect(sessionCookies(citizen.browser)).toEqual([]);
  });

  it('replaces a forged session cookie planted before the login', async () => {
    const planted = 'AttackerChosenSessionId0123456789abcdefghij';
    const login = await startLogin(federation, SP_A.client_id, { acr_values: 'eidas1' });
    plant(login.citizen.browser, [{ name: SESSION, value: planted }]);
    const { idToken } = await completeLogin(federation, login, { idp: 'idp-main' });
    expect(idToken.sub).toBeTruthy();
    const renewed = sessionId(login.citizen.browser);
    expect(renewed).toBeTruthy();
    expect(renewed).not.toBe(planted);
    expect(await storedSession(planted)).toBeUndefined();
    expect((await storedSession(renewed))?.accountId).toBeTruthy();
  });

  it("does not log the citizen in to the attacker's own session planted before the login", async () => {
    // The attacker logs in as themselves, and plants their session cookie in the victim's browser.
    const attacker = await startLogin(federation, SP_A.client_id);
    await completeLogin(federation, attacker, { idp: 'idp-main', identity: 'born-abroad' });
    const planted = sessionCookies(attacker.citizen.browser);
    const plantedId = sessionId(attacker.citizen.browser);
    const attackerAccount = (await storedSession(plantedId))?.accountId;
    expect(attackerAccount).toBeTruthy();

    // The victim, that cookie in their browser, logs in at a level no SSO can serve (eidas2).
    const victim = await startLogin(federation, SP_A.client_id, { acr_values: 'eidas2' });
    plant(victim.citizen.browser, planted);
    await victim.citizen.go(victim.request.url);
    expect(victim.citizen.currentPage().html).toContain('Choisissez un compte');
    await logIn(victim.citizen, 'standard');
    expect((await redeemCode(victim)).claims()?.acr).toBe('eidas2');

    const renewedId = sessionId(victim.citizen.browser);
    expect(renewedId).toBeTruthy();
    expect(renewedId).not.toBe(plantedId);
    const renewed = await storedSession(renewedId);
    expect(renewed?.accountId).toBeTruthy();
    expect(renewed?.accountId).not.toBe(attackerAccount);
    expect(await storedSession(plantedId)).toBeUndefined();

    // The planted cookie now holds nothing: the attacker's browser gets the mire at SP B, the
    // victim's gets SSO naming the victim.
    const attackerAtB = await atSecondSp(attacker.citizen.browser);
    expect(attackerAtB).toContain('Choisissez un compte');
    expect(attackerAtB).not.toContain(VICTIM.given_name);
    const victimAtB = await atSecondSp(victim.citizen.browser);
    expect(victimAtB).toContain(CONSENT);
    expect(victimAtB).toContain(VICTIM.given_name);
    expect(victimAtB).not.toContain(ATTACKER.given_name);
  });

  it('renews it at every login, an SSO included: the previous id no longer holds the session', async () => {
    const first = await startLogin(federation, SP_A.client_id);
    await completeLogin(federation, first, { idp: 'idp-main' });
    const firstId = sessionId(first.citizen.browser);
    const account = (await storedSession(firstId))?.accountId;
    expect(account).toBeTruthy();

    const second = await startLogin(federation, SP_B.client_id, {}, first.citizen.browser);
    expect(second.citizen.currentPage().html).toContain(CONSENT);
    await second.citizen.consent('accept');
    expect((await redeemCode(second)).claims()?.sub).toBeTruthy();
    const secondId = sessionId(first.citizen.browser);
    expect(secondId).toBeTruthy();
    expect(secondId).not.toBe(firstId);
    expect(await storedSession(firstId)).toBeUndefined();
    // The same person in the same browser keeps the same hub session (SSO), under the new id.
    expect((await storedSession(secondId))?.accountId).toBe(account);
  });
});
