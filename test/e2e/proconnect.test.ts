// The ProConnect profile over real HTTP: agents routed by their email to their employer's IdP
// (mock IdPs serving fictitious agents), the professional identity checked, second-factor levels,
// SSO, the SP's hints; no consent page.
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { confirmLogout } from '../support/browser.ts';
import { Citizen, expectSpError } from '../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  mockIdp,
  PRO_SP_SCOPE,
  resetMisbehaviours,
  spClient,
  startFederation,
} from '../support/federation.ts';
import { PRO_TEST_IDPS, PRO_TEST_SP } from '../support/pro-federation.ts';
import { redeemCode } from '../support/sp-login.ts';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederation({
    profile: 'proconnect',
    idps: PRO_TEST_IDPS,
    sps: [
      PRO_TEST_SP,
      {
        client_id: 'sp-public',
        client_secret: 'sp-public-secret-0123456789-0123456789-abcd',
        public_agents_only: true,
      },
      {
        client_id: 'sp-interieur',
        client_secret: 'sp-interieur-secret-0123456789-0123456789-ab',
        identity_providers: ['interieur'],
      },
    ],
  });
});

afterAll(() => federation?.close());
afterEach(() => resetMisbehaviours(federation));

const idp = (uid: string) => mockIdp(federation, uid);

/** An SP starts a ProConnect login: no prompt, no acr_values unless given. */
async function start(spId = 'sp-pro', params: Record<string, string | undefined> = {}) {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, {
    scope: PRO_SP_SCOPE,
    prompt: undefined,
    acr_values: undefined,
    ...params,
  });
  const citizen = new Citizen(request);
  await citizen.go(request.url);
  return { config, request, citizen };
}

function typeEmail(citizen: Citizen, email: string) {
  return citizen.submit('class="email-form"', { email });
}

/** The agent logs in at the IdP the page sent them to, and the SP redeems its code. */
async function finish(login: Awaited<ReturnType<typeof start>>, identity = 'agent') {
  await login.citizen.loginAs(identity);
  const params = login.citizen.spParams();
  expect(params.get('iss')).toBe(federation.issuer);
  expect(params.get('state')).toBe(login.request.state);
  const tokens = await redeemCode(login);
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no id_token');
  const userinfo = await client.fetchUserInfo(login.config, tokens.access_token, idToken.sub);
  return { tokens, idToken, userinfo };
}

const atIdp = (citizen: Citizen, uid: string) =>
  expect(citizen.currentPage().url.origin).toBe(idp(uid).issuer);

describe('the email page routes the agent', () => {
  it('asks for a work email first, in place of the mire', async () => {
    const { citizen } = await start();
    const page = citizen.currentPage();
    expect(page.url.origin).toBe(federation.issuer);
    expect(page.html).toContain('adresse e-mail professionnelle');
    expect(page.html).toContain('name="email"');
    expect(page.html).not.toContain('name="idp"');
  });

  it("sends an agent to their ministry's IdP with the email as login_hint, and back to the SP without a consent page", async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    atIdp(login.citizen, 'interieur');
    expect(idp('interieur').lastAuthorization()?.['login_hint']).toBe('camille.dupont@interieur.gouv.fr');
    // ProConnect forwards prompt=login only when the SP sent it.
    expect(idp('interieur').lastAuthorization()?.['prompt']).toBeUndefined();
    const { idToken, userinfo } = await finish(login);
    expect(idToken.acr).toBe('eidas1');
    expect(userinfo).toMatchObject({
      sub: idToken.sub,
      given_name: 'Camille',
      email: 'camille.dupont@interieur.gouv.fr',
      siret: '91742035800017',
      siren: '917420358',
      idp_id: 'interieur',
      idp_acr: 'eidas1',
    });
    expect(typeof userinfo['usual_name']).toBe('string');
    expect(typeof userinfo['uid']).toBe('string');
  });

  it('routes a subdomain of a listed domain to the same IdP', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'c.dupont@police.interieur.gouv.fr');
    atIdp(login.citizen, 'interieur');
  });

  it('lets the agent pick among exactly the IdPs of a domain several serve', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@culture.gouv.fr');
    const html = login.citizen.currentPage().html;
    expect(html).toContain('value="culture-a"');
    expect(html).toContain('value="culture-b"');
    expect(html).not.toContain('value="interieur"');
    await login.citizen.chooseIdp('culture-b');
    atIdp(login.citizen, 'culture-b');
    const { userinfo } = await finish(login);
    expect(userinfo['idp_id']).toBe('culture-b');
  });

  it('refuses an IdP the email did not route to, even posted by hand', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@culture.gouv.fr');
    await login.citizen.chooseIdp('interieur');
    expectSpError(login.citizen.spParams(), {
      error: 'invalid_request',
      code: 'R2005',
      iss: federation.issuer,
      state: login.request.state,
    });
  });

  it('sends an unknown domain to the fallback IdP', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@entreprise.example');
    atIdp(login.citizen, 'pro-identite');
    const { userinfo } = await finish(login);
    expect(userinfo['idp_id']).toBe('pro-identite');
  });

  it('says so when nothing serves the domain, and the way back tells the SP (R2007)', async () => {
    const login = await start('sp-interieur');
    await typeEmail(login.citizen, 'camille.dupont@entreprise.example');
    const page = login.citizen.currentPage();
    expect(page.html).toContain('Adresse non reconnue');
    expect(page.html).toContain('R2007');
    await login.citizen.submit('/leave', {});
    expectSpError(login.citizen.spParams(), {
      error: 'access_denied',
      code: 'R2007',
      iss: federation.issuer,
      state: login.request.state,
    });
  });

  it('tells an agent routed to a non-public IdP that the SP admits public agents only (R2008)', async () => {
    const before = idp('pro-identite').lastAuthorization()?.['state'];
    const login = await start('sp-public');
    await typeEmail(login.citizen, 'camille.dupont@entreprise.example');
    const page = login.citizen.currentPage();
    expect(page.html).toContain('R2008');
    // Told before any visit to the IdP.
    expect(idp('pro-identite').lastAuthorization()?.['state']).toBe(before);
    await login.citizen.submit('/leave', {});
    expectSpError(login.citizen.spParams(), {
      error: 'access_denied',
      code: 'R2008',
      iss: federation.issuer,
      state: login.request.state,
    });
  });

  it('offers the correction of a likely typo, which the agent may accept', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieru.gouv.fr');
    const html = login.citizen.currentPage().html;
    expect(html).toContain('camille.dupont@interieur.gouv.fr');
    await login.citizen.submit('class="suggestion-form"', { email: 'camille.dupont@interieur.gouv.fr' });
    atIdp(login.citizen, 'interieur');
  });

  it('or ignore, keeping the email as typed', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieru.gouv.fr');
    await login.citizen.submit('class="suggestion-form"', { email: 'camille.dupont@interieru.gouv.fr' });
    atIdp(login.citizen, 'pro-identite');
  });

  it('shows the address again, to correct, when the agent comes back from the IdP', async () => {
    const login = await start();
    const emailPage = login.citizen.currentPage().url;
    await typeEmail(login.citizen, 'camille.dupont@culture.gouv.fr');
    await login.citizen.chooseIdp('culture-a');
    atIdp(login.citizen, 'culture-a');
    await login.citizen.go(emailPage);
    const page = login.citizen.currentPage();
    expect(page.url.origin).toBe(federation.issuer);
    expect(page.html).toContain('value="camille.dupont@culture.gouv.fr"');
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    atIdp(login.citizen, 'interieur');
    await finish(login);
  });

  it('keeps the first departure valid when the email form is sent twice', async () => {
    const login = await start();
    const form = login.citizen.form('class="email-form"', { email: 'camille.dupont@interieur.gouv.fr' });
    await login.citizen.go(form.action, form.init);
    const firstIdpPage = login.citizen.currentPage().url;
    await login.citizen.go(form.action, form.init);
    expect(login.citizen.currentPage().url.href).not.toBe(firstIdpPage.href);
    await login.citizen.go(firstIdpPage);
    await finish(login);
  });

  it('answers an address that is not one with the page again, the error tied to the field', async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont');
    const page = login.citizen.currentPage();
    expect(page.status).toBe(400);
    expect(page.html).toContain('aria-invalid="true"');
    expect(page.html).toContain('value="camille.dupont"');
  });
});

describe('an IdP measured down', () => {
  afterEach(() => federation.hub.availability.recordLoginSuccess('interieur'));

  it('is said so on the email page before any visit, and the way back tells the SP (R2002)', async () => {
    federation.hub.availability.recordLoginFailure('interieur');
    federation.hub.availability.recordLoginFailure('interieur');
    expect(federation.hub.availability.isAvailable('interieur')).toBe(false);
    const before = idp('interieur').lastAuthorization()?.['state'];
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const page = login.citizen.currentPage();
    expect(page.url.origin).toBe(federation.issuer);
    expect(page.html).toContain('R2002');
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('value="camille.dupont@interieur.gouv.fr"');
    expect(idp('interieur').lastAuthorization()?.['state']).toBe(before);
    await login.citizen.cancelOnMire();
    expectSpError(login.citizen.spParams(), {
      error: 'temporarily_unavailable',
      code: 'R2002',
      iss: federation.issuer,
      state: login.request.state,
    });
  });
});

describe('the SP hints', () => {
  it('login_hint skips the email page; siret_hint reaches the IdP', async () => {
    const login = await start('sp-pro', {
      login_hint: 'camille.dupont@interieur.gouv.fr',
      siret_hint: '91742035800017',
      prompt: 'login',
    });
    atIdp(login.citizen, 'interieur');
    const sent = idp('interieur').lastAuthorization();
    expect(sent?.['login_hint']).toBe('camille.dupont@interieur.gouv.fr');
    expect(sent?.['siret_hint']).toBe('91742035800017');
    expect(sent?.['prompt']).toBe('login');
    await finish(login);
  });

  it('idp_hint skips the routing', async () => {
    const login = await start('sp-pro', { idp_hint: 'culture-a' });
    atIdp(login.citizen, 'culture-a');
  });
});

describe('the professional identity is checked', () => {
  it('refuses an email outside the IdP domains (R3002): the email page again, with the banner', async () => {
    idp('interieur').setMisbehaviour({ claims: { email: 'camille.dupont@culture.gouv.fr' } });
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    await login.citizen.loginAs('agent');
    const page = login.citizen.currentPage();
    expect(page.url.origin).toBe(federation.issuer);
    expect(page.html).toContain('R3002');
    expect(page.html).toContain('class="email-form"');
  });

  it('refuses a SIRET whose Luhn key is wrong (R3001)', async () => {
    idp('interieur').setMisbehaviour({ claims: { siret: '91742035800018' } });
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    await login.citizen.loginAs('agent');
    expect(login.citizen.currentPage().html).toContain('R3001');
  });

  it('drops an invalid optional SIREN rather than pass it on', async () => {
    idp('interieur').setMisbehaviour({ claims: { siren: '917420359' } });
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const { userinfo } = await finish(login);
    expect(userinfo).not.toHaveProperty('siren');
    expect(userinfo['siret']).toBe('91742035800017');
  });

  it('gives the same agent one sub per sector, whatever SP of it asks', async () => {
    const first = await start();
    await typeEmail(first.citizen, 'camille.dupont@interieur.gouv.fr');
    const one = await finish(first);
    const second = await start('sp-pro', { prompt: 'login' });
    await typeEmail(second.citizen, 'camille.dupont@interieur.gouv.fr');
    const two = await finish(second);
    expect(two.idToken.sub).toBe(one.idToken.sub);
    const other = await start('sp-interieur', { prompt: 'login' });
    await typeEmail(other.citizen, 'camille.dupont@interieur.gouv.fr');
    const three = await finish(other);
    expect(three.idToken.sub).not.toBe(one.idToken.sub);
  });
});

describe('levels', () => {
  it('eidas2 with a second factor: the IdP is asked for it and the SP gets it', async () => {
    const login = await start('sp-pro', { acr_values: 'eidas2' });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    expect(idp('interieur').lastAuthorization()?.['acr_values']).toBe('eidas2');
    const { idToken } = await finish(login);
    expect(idToken.acr).toBe('eidas2');
    expect(idToken.amr).toContain('mfa');
  });

  it('eidas2 shown by amr mfa alone counts', async () => {
    idp('interieur').setMisbehaviour({ acr: 'eidas1', amr: ['pwd', 'mfa'] });
    const login = await start('sp-pro', { acr_values: 'eidas2' });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const { idToken, userinfo } = await finish(login);
    expect(idToken.acr).toBe('eidas2');
    expect(userinfo['idp_acr']).toBe('eidas1');
  });

  it('eidas2 without a second factor: a page says so, and the way back tells the SP (R2006)', async () => {
    idp('interieur').setMisbehaviour({ acr: 'eidas1', amr: ['pwd'] });
    const login = await start('sp-pro', { acr_values: 'eidas2' });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    await login.citizen.loginAs('agent');
    const page = login.citizen.currentPage();
    expect(page.status).toBe(403);
    expect(page.html).toContain('R2006');
    await login.citizen.submit('/leave', {});
    expectSpError(login.citizen.spParams(), {
      error: 'access_denied',
      code: 'R2006',
      iss: federation.issuer,
      state: login.request.state,
    });
  });

  it('an essential acr in claims met by a higher level gives that level, without a loop', async () => {
    idp('interieur').setMisbehaviour({ acr: 'eidas3', amr: ['pwd', 'mfa'] });
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: 'eidas2' } } });
    const login = await start('sp-pro', { claims });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const { idToken } = await finish(login);
    expect(idToken.acr).toBe('eidas3');
    // Then an SP asking less, essentially, is answered by the SSO at the session's level.
    idp('interieur').setMisbehaviour({});
    const config = await spClient(federation, 'sp-public');
    const request = await authorizeRequest(federation, config, {
      scope: PRO_SP_SCOPE,
      prompt: undefined,
      acr_values: undefined,
      claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'eidas1' } } }),
    });
    const next = new Citizen(request);
    Object.assign(next, { browser: login.citizen.browser });
    await next.go(request.url);
    const tokens = await redeemCode({ config, request, citizen: next });
    expect(tokens.claims()?.acr).toBe('eidas3');
  });

  it('an essential acr in claims counts like acr_values', async () => {
    idp('interieur').setMisbehaviour({ acr: 'eidas1', amr: ['pwd'] });
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: 'eidas2' } } });
    const login = await start('sp-pro', { claims });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    await login.citizen.loginAs('agent');
    expect(login.citizen.currentPage().html).toContain('R2006');
  });
});

describe('sessions', () => {
  it('prompt=none without a hub session sends login_required, with state and iss', async () => {
    const login = await start('sp-pro', { prompt: 'none' });
    const params = login.citizen.spParams();
    expect(params.get('error')).toBe('login_required');
    expect(params.get('state')).toBe(login.request.state);
    expect(params.get('iss')).toBe(federation.issuer);
  });

  it('prompt=none with a live hub session answers at once with a code, and login_required beyond it', async () => {
    const first = await start();
    await typeEmail(first.citizen, 'camille.dupont@interieur.gouv.fr');
    const one = await finish(first);
    const silently = async (params: Record<string, string | undefined>) => {
      const config = await spClient(federation, 'sp-interieur');
      const request = await authorizeRequest(federation, config, {
        scope: PRO_SP_SCOPE,
        acr_values: undefined,
        prompt: 'none',
        ...params,
      });
      const citizen = new Citizen(request);
      Object.assign(citizen, { browser: first.citizen.browser });
      await citizen.go(request.url);
      return { config, request, citizen };
    };
    const silent = await silently({});
    const params = silent.citizen.spParams();
    expect(params.get('iss')).toBe(federation.issuer);
    const tokens = await redeemCode(silent);
    const userinfo = await client.fetchUserInfo(
      silent.config,
      tokens.access_token,
      tokens.claims()?.sub as string,
    );
    expect(userinfo['email']).toBe(one.userinfo['email']);
    expect(userinfo['idp_id']).toBe('interieur');
    // The session reached eidas1: a request for eidas2 cannot be answered without the agent.
    const higher = await silently({ acr_values: 'eidas2' });
    expect(higher.citizen.spParams().get('error')).toBe('login_required');
    // Refused by oidc-provider after the hub answered (max_age=0): not a completed login.
    await federation.hub.events.flush();
    const completed = async () =>
      (
        await federation.hub.sql.query<{ n: string }>(
          "select count(*) as n from events where name = 'consent.given' and client_id = 'sp-interieur'",
        )
      )[0]?.n;
    const before = await completed();
    const stale = await silently({ max_age: '0' });
    expect(stale.citizen.spParams().get('error')).toBe('login_required');
    await federation.hub.events.flush();
    expect(await completed()).toBe(before);
  });

  it('SSO: a second SP gets its code without the email page; prompt=login asks again', async () => {
    const first = await start();
    await typeEmail(first.citizen, 'camille.dupont@interieur.gouv.fr');
    const one = await finish(first);
    const config = await spClient(federation, 'sp-public');
    const request = await authorizeRequest(federation, config, {
      scope: PRO_SP_SCOPE,
      prompt: undefined,
      acr_values: undefined,
    });
    const citizen = first.citizen;
    (citizen as unknown as { callback: URL | undefined }).callback = undefined;
    const second = new Citizen(request);
    // The same browser: its cookies.
    Object.assign(second, { browser: citizen.browser });
    await second.go(request.url);
    const params = second.spParams();
    expect(params.get('code')).toBeTruthy();
    const tokens = await redeemCode({ config, request, citizen: second });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub as string);
    expect(userinfo['email']).toBe(one.userinfo['email']);
    const again = await authorizeRequest(federation, config, {
      scope: PRO_SP_SCOPE,
      acr_values: undefined,
      prompt: 'login',
    });
    const third = new Citizen(again);
    Object.assign(third, { browser: citizen.browser });
    await third.go(again.url);
    expect(third.currentPage().html).toContain('class="email-form"');
    // An SP's login_hint naming another agent is not answered by this agent's session.
    const other = await authorizeRequest(federation, config, {
      scope: PRO_SP_SCOPE,
      acr_values: undefined,
      prompt: undefined,
      login_hint: 'noe.garnier@interieur.gouv.fr',
    });
    const fourth = new Citizen(other);
    Object.assign(fourth, { browser: citizen.browser });
    await fourth.go(other.url);
    atIdp(fourth, 'interieur');
    const sent = idp('interieur').lastAuthorization();
    expect(sent?.['login_hint']).toBe('noe.garnier@interieur.gouv.fr');
    // A fresh login at the IdP, whose own session is the first agent's.
    expect(sent?.['prompt']).toBe('login');
  });
});

describe('logout', () => {
  it("goes through the agent's IdP and back to the SP; the next login asks the email again", async () => {
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const { tokens } = await finish(login);
    const sp = federation.sps.get('sp-pro');
    const postLogout = sp?.post_logout_redirect_uris[0] ?? '';
    const endSession = client.buildEndSessionUrl(login.config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: postLogout,
      state: 'logout-state',
    });
    const { landing } = await confirmLogout(login.citizen.browser, endSession, (url) =>
      url.href.startsWith(postLogout),
    );
    expect(landing.url.href.startsWith(postLogout)).toBe(true);
    expect(landing.url.searchParams.get('state')).toBe('logout-state');
    expect(landing.visited.some((url) => url.origin === idp('interieur').issuer)).toBe(true);
    const again = await start();
    Object.assign(again.citizen, { browser: login.citizen.browser });
    await again.citizen.go(again.request.url);
    expect(again.citizen.currentPage().html).toContain('class="email-form"');
  });
});

describe('operations', () => {
  it('events and metrics carry the profile and the routing outcome, never the email', async () => {
    // One of each outcome, here, so that the test stands alone.
    for (const [spId, email] of [
      ['sp-pro', 'camille.dupont@interieu.gouv.fr'],
      ['sp-pro', 'camille.dupont@interieur.gouv.fr'],
      ['sp-interieur', 'camille.dupont@entreprise.example'],
      ['sp-public', 'camille.dupont@entreprise.example'],
      ['sp-pro', 'camille.dupont@entreprise.example'],
    ] as const) {
      await typeEmail((await start(spId)).citizen, email);
    }
    const login = await start();
    await typeEmail(login.citizen, 'camille.dupont@culture.gouv.fr');
    await login.citizen.chooseIdp('culture-a');
    await finish(login);
    await federation.hub.events.flush();
    const rows = await federation.hub.sql.query<{ name: string; data: Record<string, unknown> | null }>(
      'select name, data from events order by id',
    );
    const routed = rows.filter((row) => row.name === 'email.routed');
    expect(routed.map((row) => row.data?.['outcome'])).toEqual(
      expect.arrayContaining(['domain', 'several', 'fallback', 'none', 'public_only', 'typo']),
    );
    expect(rows.every((row) => row.data?.['profile'] === 'proconnect')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('camille.dupont');
    const metrics = await (await fetch(`${federation.issuer}/metrics`)).text();
    expect(metrics).toContain('relais_profile_info{profile="proconnect"} 1');
    expect(metrics).toMatch(/relais_email_routes_total\{outcome="several"\} [1-9]/);
  });
});

describe('prompt and levels within a session', () => {
  it('prompt=consent is accepted and shows nothing', async () => {
    const login = await start('sp-pro', { prompt: 'consent' });
    await typeEmail(login.citizen, 'camille.dupont@interieur.gouv.fr');
    const { idToken } = await finish(login);
    expect(idToken.sub).toBeTruthy();
  });

  it('an SP asking a higher level than the session reached sends the agent back to its IdP', async () => {
    const first = await start();
    await typeEmail(first.citizen, 'camille.dupont@interieur.gouv.fr');
    await finish(first);
    const config = await spClient(federation, 'sp-public');
    const request = await authorizeRequest(federation, config, {
      scope: PRO_SP_SCOPE,
      prompt: undefined,
      acr_values: 'eidas2',
    });
    const next = new Citizen(request);
    Object.assign(next, { browser: first.citizen.browser });
    await next.go(request.url);
    atIdp(next, 'interieur');
    const sent = idp('interieur').lastAuthorization();
    expect(sent?.['acr_values']).toBe('eidas2');
    expect(sent?.['login_hint']).toBe('camille.dupont@interieur.gouv.fr');
    // A fresh authentication at the IdP, whose own session is at the lower level.
    expect(sent?.['prompt']).toBe('login');
    const { idToken } = await finish({ config, request, citizen: next });
    expect(idToken.acr).toBe('eidas2');
  });
});

describe('discovery', () => {
  it("lists ProConnect's scopes and claims, not FranceConnect's", async () => {
    const response = await fetch(`${federation.issuer}/.well-known/openid-configuration`);
    const metadata = (await response.json()) as { scopes_supported: string[]; claims_supported: string[] };
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'siret', 'usual_name', 'idp_id']),
    );
    expect(metadata.scopes_supported).not.toContain('identite_pivot');
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['siret', 'idp_acr']));
  });
});
