// The demo (hub, mock IdP, demo SP on localhost, as `npm start` runs them) and OpenID Connect
// Back-Channel Logout: when the citizen's hub session ends elsewhere than at the demo SP, the hub
// posts a logout_token to the demo SP, which ends its own session and says so at the next page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmLogout } from '../support/browser.ts';
import { Citizen } from '../support/citizen.ts';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';

const NOTICE = 'Votre session a été fermée par Relais';

let demo: DemoSetup;

beforeAll(async () => {
  demo = await startDemoSetup();
});

afterAll(() => demo?.close());

async function loggedInCitizen(): Promise<Citizen> {
  const citizen = new Citizen({ redirectUri: 'never://' });
  await citizen.go(`${demo.demoSpUrl}/login`);
  await citizen.chooseIdp('mock-idp');
  await citizen.loginAs('accents');
  await citizen.consent('accept');
  const home = citizen.currentPage();
  expect(home.url.origin).toBe(demo.demoSpUrl);
  expect(home.html).toContain('Éloïse');
  return citizen;
}

async function demoSpHome(citizen: Citizen): Promise<string> {
  const response = await citizen.browser.request(`${demo.demoSpUrl}/`);
  expect(response.status).toBe(200);
  return response.text();
}

async function receipts(): Promise<string> {
  return (await fetch(`${demo.demoSpUrl}/backchannel-logouts`)).text();
}

/** The hub does not wait for its deliveries: the demo SP's list shows when one arrived. */
async function waitForReceipts(count: number): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const list = await receipts();
    if (countAccepted(list) >= count || Date.now() > deadline) return list;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const countAccepted = (list: string) => list.match(/Acceptée : /g)?.length ?? 0;

it('a logout at the hub (not at the demo SP) ends the demo SP session too, and its next page says so', async () => {
  const citizen = await loggedInCitizen();
  const before = countAccepted(await receipts());

  // The citizen ends the hub session at the hub itself, as another SP's logout would.
  const { landing } = await confirmLogout(citizen.browser, `${demo.issuer}/session/end`, () => false);
  expect(landing.url.href).toBe(`${demo.issuer}/session/end/success`);

  const list = await waitForReceipts(before + 1);
  expect(list).toContain('Acceptée : 1 session fermée');
  expect(list).not.toContain('Refusée');
  const home = await demoSpHome(citizen);
  expect(home).toContain(NOTICE);
  expect(home).not.toContain('Éloïse');
  expect(home).toContain('Se connecter avec Relais');
});

it('a logout at the demo SP itself is not echoed back to it', async () => {
  const citizen = await loggedInCitizen();
  const before = (await receipts()).match(/<tr>/g)?.length ?? 0;
  await citizen.submit('action="/logout"', {});
  // The hub's confirmation, then back to the demo SP with its state.
  const endSession = citizen.currentPage().url;
  expect(endSession.origin).toBe(demo.issuer);
  const { landing } = await confirmLogout(citizen.browser, endSession, () => false);
  expect(landing.url.origin).toBe(demo.demoSpUrl);
  expect(await landing.response?.text()).toContain('Vous êtes déconnecté(e) de ce service et de Relais.');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect((await receipts()).match(/<tr>/g)?.length ?? 0).toBe(before);
});

describe('PROFILE=proconnect', () => {
  let pro: DemoSetup;
  beforeAll(async () => {
    pro = await startDemoSetup('proconnect');
  });
  afterAll(() => pro?.close());

  it("a logout at the hub ends the agent's demo SP session too", async () => {
    const agent = new Citizen({ redirectUri: 'never://' });
    await agent.go(`${pro.demoSpUrl}/login`);
    await agent.submit('class="email-form"', { email: 'camille.dupont@demo.gouv.fr' });
    await agent.loginAs('agent');
    expect(agent.currentPage().html).toContain('camille.dupont@demo.gouv.fr');

    await confirmLogout(agent.browser, `${pro.issuer}/session/end`, () => false);
    const deadline = Date.now() + 5000;
    let home = '';
    while (Date.now() < deadline) {
      home = await (await agent.browser.request(`${pro.demoSpUrl}/`)).text();
      if (!home.includes('camille.dupont@demo.gouv.fr')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(home).toContain(NOTICE);
    expect(await (await fetch(`${pro.demoSpUrl}/backchannel-logouts`)).text()).toContain(
      'Acceptée : 1 session fermée',
    );
  });
});
