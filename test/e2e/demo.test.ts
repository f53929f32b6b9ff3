// The demo a newcomer gets with `npm start`: hub, mock IdP and demo SP all on localhost, so their
// cookies share one host (browsers ignore ports) and must not collide.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';

let demo: DemoSetup;

beforeAll(async () => {
  demo = await startDemoSetup();
});

afterAll(() => demo?.close());

it('logs a citizen in to the demo SP through the hub and the mock IdP, all on localhost', async () => {
  const citizen = new Citizen({ redirectUri: 'never://' });
  await citizen.go(`${demo.demoSpUrl}/login`);
  expect(citizen.currentPage().html).toContain('Service de démonstration');
  await citizen.chooseIdp('mock-idp');
  expect(citizen.currentPage().url.origin).toBe(demo.mockIdpUrl);
  await citizen.loginAs('accents');
  expect(citizen.currentPage().html).toContain('Éloïse');
  await citizen.consent('accept');
  const home = citizen.currentPage();
  expect(home.url.origin).toBe(demo.demoSpUrl);
  expect(home.html).toContain('Éloïse');
  expect(home.html).toContain('eidas1');
  // Right after the login, the demo SP called the demo data provider with its access token.
  expect(demo.demoDpUrl).toMatch(/^http:\/\/localhost:\d+$/);
  expect(home.html).toContain('Données d’un fournisseur de données');
  expect(home.html).toContain(`${demo.demoDpUrl}/v1/quotient-familial`);
  expect(home.html).toMatch(/Quotient familial <code>quotient_familial<\/code><\/dt>\s*<dd>\d+<\/dd>/);
  expect(home.html).not.toContain('L’appel au fournisseur de données a échoué');
  // Each party keeps to its own cookie names: a shared name would have been overwritten by another.
  const names = citizen.browser.jar.names('localhost');
  for (const prefix of ['relais_', 'mockidp_', 'demosp_']) {
    expect(names.some((name) => name.startsWith(prefix))).toBe(true);
  }
  expect(names.every((name) => /^(relais|mockidp|demosp)_/.test(name))).toBe(true);
});

it("links the hub's error codes page to the demo SP's error sandbox, which answers", async () => {
  const errors = await (await fetch(`${demo.issuer}/errors`)).text();
  expect(errors).toContain(`<a href="${demo.demoSpUrl}/sandbox">bac à sable des erreurs</a>`);
  const sandbox = await fetch(`${demo.demoSpUrl}/sandbox`);
  expect(sandbox.status).toBe(200);
  expect(await sandbox.text()).toContain('id="R1004"');
});

it("points every JSON error's error_uri at an anchor of /errors", async () => {
  const errors = await (await fetch(`${demo.issuer}/errors`)).text();
  const token = await fetch(`${demo.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: `${demo.demoSpUrl}/callback`,
      client_id: 'demo-sp',
      client_secret: 'wrong',
    }),
  });
  const userinfo = await fetch(`${demo.issuer}/userinfo`, { headers: { authorization: 'Bearer nope' } });
  for (const response of [token, userinfo]) {
    const { error_uri: uri } = (await response.json()) as { error_uri: string };
    const anchor = new URL(uri).hash.slice(1);
    expect(anchor).toMatch(/^[a-z_]+$/);
    expect(errors).toContain(`id="${anchor}"`);
  }
});

describe('PROFILE=proconnect', () => {
  let pro: DemoSetup;
  beforeAll(async () => {
    pro = await startDemoSetup('proconnect');
  });
  afterAll(() => pro?.close());

  it('runs no data provider', () => {
    expect(pro.demoDpUrl).toBeUndefined();
  });

  it("logs an agent of the demo ministry in and shows the agent's claims, acr and amr", async () => {
    const agent = new Citizen({ redirectUri: 'never://' });
    await agent.go(`${pro.demoSpUrl}/login`);
    expect(agent.currentPage().html).toContain('adresse e-mail professionnelle');
    await agent.submit('class="email-form"', { email: 'camille.dupont@demo.gouv.fr' });
    expect(agent.currentPage().url.origin).toBe(pro.mockIdpUrl);
    await agent.loginAs('agent');
    const home = agent.currentPage();
    expect(home.url.origin).toBe(pro.demoSpUrl);
    for (const shown of ['camille.dupont@demo.gouv.fr', 'siret', 'ministere-demo', 'eidas1', 'pwd']) {
      expect(home.html).toContain(shown);
    }
  });

  it('sends any other email to the fallback IdP', async () => {
    const agent = new Citizen({ redirectUri: 'never://' });
    await agent.go(`${pro.demoSpUrl}/login`);
    await agent.submit('class="email-form"', { email: 'someone@association.example' });
    const page = agent.currentPage();
    expect(page.url.origin).not.toBe(pro.mockIdpUrl);
    await agent.loginAs('agent');
    expect(agent.currentPage().html).toContain('pro-identite-demo');
  });
});
