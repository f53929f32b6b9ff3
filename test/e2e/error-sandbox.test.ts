// The demo SP's error sandbox (/sandbox) against the demo (`npm start`'s setup): every scenario
// run over real HTTP, each error produced by the hub's own code path, and what the demo SP then
// received (error, error_description and its [code], state, iss) and showed the citizen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_BY_A_BUTTON, SCENARIOS, sandboxOf } from '../../src/demo-sp/sandbox.ts';
import { ERRORS, type ErrorCode } from '../../src/errors.ts';
import { Citizen } from '../support/citizen.ts';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';

let demo: DemoSetup;

beforeAll(async () => {
  demo = await startDemoSetup();
});

afterAll(() => demo?.close());

/** Presses a scenario's button: returns the citizen where the login went, and what /authorize got. */
async function start(code: string, at = demo): Promise<{ citizen: Citizen; sent: URLSearchParams }> {
  const citizen = new Citizen({ redirectUri: 'never://' });
  await citizen.go(`${at.demoSpUrl}/sandbox`);
  const { action, init } = citizen.form(`action="/sandbox/${code}"`, {});
  const atHub = await citizen.browser.navigate(
    action,
    (url) => url.origin === at.issuer && url.pathname === '/authorize',
    init,
  );
  expect(atHub.response, `${code}: the button did not lead to the hub's /authorize`).toBeUndefined();
  await citizen.go(atHub.url);
  return { citizen, sent: atHub.url.searchParams };
}

/** The demo SP's callback page: what it received, checked, and how it handled it. */
function expectReceived(citizen: Citizen, code: ErrorCode, sent: URLSearchParams, at = demo): void {
  const page = citizen.currentPage();
  expect(`${page.url.origin}${page.url.pathname}`, page.html.slice(0, 600)).toBe(`${at.demoSpUrl}/callback`);
  const received = page.url.searchParams;
  expect(received.get('code')).toBeNull();
  expect(received.get('error')).toBe(ERRORS[code].oauth);
  expect(received.get('error_description')).toMatch(new RegExp(`\\[${code}\\]$`));
  // The state sent (none for R1006), and the hub's issuer (RFC 9207): both checked by the SP.
  expect(received.get('state')).toBe(sent.get('state'));
  expect(received.get('iss')).toBe(at.issuer);
  expect(page.status).toBe(400);
  expect(page.html).toContain(`Bac à sable&nbsp;: scénario ${code}`);
  expect(page.html).toContain('Reçu conforme.');
  expect(page.html).toContain(`<dt>Code Relais</dt><dd><code>${code}</code></dd>`);
  expect(page.html).toContain(sent.get('state') === null ? '(absent) — vérifié' : '— vérifié : celui envoyé');
  expect(page.html).toContain(`${at.issuer} — vérifié : l’émetteur de Relais`);
  // A way on, always: the home page (and another way in), and a retry unless it would fail the same.
  expect(page.html).toContain('href="/"');
  expect(page.html).toContain('accéder à ce service autrement');
}

const handling = (code: string) =>
  ({
    R1003: 'Relais a refusé la demande de connexion de ce service',
    R2002: 'Votre fournisseur d’identité ne répond pas pour le moment',
    R4001: 'Vous avez annulé la connexion.',
    R4002: 'Vous avez choisi de ne pas transmettre vos informations',
  })[code];

describe('the sandbox page', () => {
  it('lists every code of the error table, by what reaches an SP and how', async () => {
    const html = await (await fetch(`${demo.demoSpUrl}/sandbox`)).text();
    const listed = [...html.matchAll(/\bR\d{4}\b/g)].map(([code]) => code);
    for (const code of Object.keys(ERRORS)) expect(listed, code).toContain(code);
    for (const { code } of SCENARIOS) expect(html).toContain(`action="/sandbox/${code}"`);
    // A scenario for every code that can reach an SP, but those the demo cannot produce.
    const reachSp = Object.keys(ERRORS).filter(
      (code) => !['R1001', 'R1002', 'R4005', 'R5000', 'R5001'].includes(code),
    );
    const aside = NOT_BY_A_BUTTON.map(({ code }) => code);
    expect([...SCENARIOS.map(({ code }) => code), ...aside].sort()).toEqual(reachSp.sort());
    // Each has its anchor, once: the README's error table links to /sandbox#<code>.
    for (const code of reachSp) expect(html.split(`id="${code}"`).length - 1, code).toBe(1);
  });

  it('starts nothing for an unknown scenario, nor from another site', async () => {
    const unknown = await fetch(`${demo.demoSpUrl}/sandbox/R9999`, { method: 'POST', redirect: 'manual' });
    expect(unknown.status).toBe(404);
    const crossSite = await fetch(`${demo.demoSpUrl}/sandbox/R1004`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(400);
    // The mock IdP's page is another origin of the same site (localhost): refused too.
    const sameSite = await fetch(`${demo.demoSpUrl}/sandbox/R1004`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: 'null', 'sec-fetch-site': 'same-site' },
    });
    expect(sameSite.status).toBe(400);
  });
});

describe('a crafted authorization request comes back at once', () => {
  const crafted = SCENARIOS.filter((scenario) => scenario.steps.length === 0);

  it('covers every request scenario', () => {
    expect(crafted.map(({ code }) => code)).toEqual([
      'R1003',
      'R1004',
      'R1005',
      'R1006',
      'R1007',
      'R1008',
      'R1009',
      'R1010',
      'R1012',
      'R1013',
      'R1015',
    ]);
  });

  it.each(crafted.map(({ code }) => code as ErrorCode))('%s', async (code) => {
    const { citizen, sent } = await start(code);
    expectReceived(citizen, code, sent);
    // A request at fault would fail again: the page offers no retry, only the other ways in (but a
    // bad idp_hint, which a login through the mire does without).
    if (code !== 'R1012') expect(citizen.currentPage().html).not.toContain('href="/login"');
    if (code === 'R1003') expect(citizen.currentPage().html).toContain(handling('R1003'));
  });

  it('R1012 offers the retry: the mire, without the hint, still works', async () => {
    const { citizen } = await start('R1012');
    expect(citizen.currentPage().html).toContain('href="/login">Réessayer');
  });
});

describe('an IdP failure: the mire first, then the SP when the citizen leaves', () => {
  it.each([
    ['R2002', 'standard'],
    ['R2003', 'accents'],
    ['R2004', 'born-abroad'],
    ['R3001', 'hyphenated'],
  ] as const)('%s', async (code, person) => {
    const { citizen, sent } = await start(code);
    await citizen.chooseIdp('mock-idp');
    expect(citizen.currentPage().url.origin).toBe(demo.mockIdpUrl);
    await citizen.loginAs(person);
    // Back on the mire, its banner naming the error.
    expect(citizen.currentPage().url.origin).toBe(demo.issuer);
    expect(citizen.currentPage().html).toContain(code);
    await citizen.cancelOnMire();
    expectReceived(citizen, code, sent);
    expect(citizen.currentPage().html).toContain('href="/login">Réessayer');
    if (code === 'R2002') expect(citizen.currentPage().html).toContain(handling('R2002'));
  });

  it('R2001: the citizen cancels at the IdP', async () => {
    const { citizen, sent } = await start('R2001');
    await citizen.chooseIdp('mock-idp');
    await citizen.submit('/abort', {});
    expect(citizen.currentPage().html).toContain('R2001');
    await citizen.cancelOnMire();
    expectReceived(citizen, 'R2001', sent);
  });

  it('the fault was for that login only: picking the IdP again logs the citizen in', async () => {
    const { citizen } = await start('R2003');
    await citizen.chooseIdp('mock-idp');
    await citizen.loginAs('standard');
    expect(citizen.currentPage().html).toContain('R2003');
    await citizen.chooseIdp('mock-idp');
    await citizen.loginAs('standard');
    await citizen.consent('accept');
    expect(citizen.currentPage().url.href).toBe(`${demo.demoSpUrl}/`);
    expect(citizen.currentPage().html).toContain('Camille');
  });

  it('R2005: a forged mire form', async () => {
    const { citizen, sent } = await start('R2005');
    await citizen.submit('name="idp"', { idp: 'fi-inconnu' });
    expectReceived(citizen, 'R2005', sent);
  });
});

describe('the citizen’s own choices', () => {
  it('R4001: leaving the mire', async () => {
    const { citizen, sent } = await start('R4001');
    await citizen.cancelOnMire();
    expectReceived(citizen, 'R4001', sent);
    expect(citizen.currentPage().html).toContain(handling('R4001'));
  });

  it('R4002: refusing the consent', async () => {
    const { citizen, sent } = await start('R4002');
    await citizen.chooseIdp('mock-idp');
    await citizen.loginAs('usage-name');
    await citizen.consent('refuse');
    expectReceived(citizen, 'R4002', sent);
    expect(citizen.currentPage().html).toContain(handling('R4002'));
  });
});

describe('a hub page first, whose way back sends the SP the error', () => {
  it('R4003: the IdP’s answer reaches the hub without the browser binding', async () => {
    const { citizen, sent } = await start('R4003');
    await citizen.chooseIdp('mock-idp');
    await citizen.loginAs('standard');
    const page = citizen.currentPage();
    expect(`${page.url.origin}${page.url.pathname}`).toBe(`${demo.issuer}/idp/callback`);
    expect(page.status).toBe(400);
    expect(page.html).toContain('R4003');
    await citizen.submit('/leave', {});
    expectReceived(citizen, 'R4003', sent);
  });

  it('R4004: a consent posted with a CSRF token the hub never issued', async () => {
    const { citizen, sent } = await start('R4004');
    await citizen.chooseIdp('mock-idp');
    expect(citizen.currentPage().url.origin).toBe(demo.mockIdpUrl);
    await citizen.submit('jeton-contrefait', {});
    const page = citizen.currentPage();
    expect(page.url.origin).toBe(demo.issuer);
    expect(page.status).toBe(403);
    expect(page.html).toContain('R4004');
    await citizen.submit('/leave', {});
    expectReceived(citizen, 'R4004', sent);
  });
});

describe('PROFILE=proconnect: agents, through the email page', () => {
  let pro: DemoSetup;
  beforeAll(async () => {
    pro = await startDemoSetup('proconnect');
  });
  afterAll(() => pro?.close());

  const typeEmail = (citizen: Citizen) =>
    citizen.submit('class="email-form"', { email: 'camille.dupont@demo.gouv.fr' });

  it('lists every code of the error table, a scenario or the reason why not', async () => {
    const html = await (await fetch(`${pro.demoSpUrl}/sandbox`)).text();
    const reachSp = Object.keys(ERRORS).filter(
      (code) => !['R1001', 'R1002', 'R4005', 'R5000', 'R5001'].includes(code),
    );
    for (const code of reachSp) expect(html.split(`id="${code}"`).length - 1, code).toBe(1);
    for (const { code } of sandboxOf('proconnect').scenarios) {
      expect(html).toContain(`action="/sandbox/${code}"`);
    }
  });

  it.each(
    sandboxOf('proconnect')
      .scenarios.filter((scenario) => scenario.steps.length === 0)
      .map(({ code }) => code as ErrorCode),
  )('%s comes back at once', async (code) => {
    const { citizen, sent } = await start(code, pro);
    expectReceived(citizen, code, sent, pro);
  });

  it.each(['R2002', 'R2003', 'R3001', 'R3002'] as const)('%s: the email page first', async (code) => {
    const { citizen, sent } = await start(code, pro);
    await typeEmail(citizen);
    expect(citizen.currentPage().url.origin).toBe(pro.mockIdpUrl);
    await citizen.loginAs('agent');
    expect(citizen.currentPage().url.origin).toBe(pro.issuer);
    expect(citizen.currentPage().html).toContain(code);
    await citizen.submit('/cancel', {});
    expectReceived(citizen, code, sent, pro);
  });

  it('R2001: the agent cancels at the IdP', async () => {
    const { citizen, sent } = await start('R2001', pro);
    await typeEmail(citizen);
    await citizen.submit('/abort', {});
    expect(citizen.currentPage().html).toContain('R2001');
    await citizen.submit('/cancel', {});
    expectReceived(citizen, 'R2001', sent, pro);
  });

  it('R4001: leaving the email page', async () => {
    const { citizen, sent } = await start('R4001', pro);
    await citizen.submit('/cancel', {});
    expectReceived(citizen, 'R4001', sent, pro);
  });

  it.each(['R2006', 'R4003'] as const)('%s: a hub page, then its way back', async (code) => {
    const { citizen, sent } = await start(code, pro);
    await typeEmail(citizen);
    await citizen.loginAs('agent');
    expect(citizen.currentPage().url.origin).toBe(pro.issuer);
    expect(citizen.currentPage().status).toBe(code === 'R2006' ? 403 : 400);
    await citizen.submit('/leave', {});
    expectReceived(citizen, code, sent, pro);
  });

  it('R4004: a forged consent', async () => {
    const { citizen, sent } = await start('R4004', pro);
    await typeEmail(citizen);
    await citizen.submit('jeton-contrefait', {});
    expect(citizen.currentPage().status).toBe(403);
    await citizen.submit('/leave', {});
    expectReceived(citizen, 'R4004', sent, pro);
  });

  it('tests every scenario of its sandbox', () => {
    const tested = ['R2001', 'R2002', 'R2003', 'R2006', 'R3001', 'R3002', 'R4001', 'R4003', 'R4004'];
    const immediate = sandboxOf('proconnect').scenarios.filter((scenario) => scenario.steps.length === 0);
    expect(
      sandboxOf('proconnect')
        .scenarios.map(({ code }) => code)
        .sort(),
    ).toEqual([...immediate.map(({ code }) => code), ...tested].sort());
  });
});

it('runs a scenario for every code the sandbox offers', () => {
  // Each describe above names its codes; this keeps the list and the tests together.
  const tested = [
    'R1003',
    'R1004',
    'R1005',
    'R1006',
    'R1007',
    'R1008',
    'R1009',
    'R1010',
    'R1012',
    'R1013',
    'R1015',
    'R2001',
    'R2002',
    'R2003',
    'R2004',
    'R2005',
    'R3001',
    'R4001',
    'R4002',
    'R4003',
    'R4004',
  ];
  expect(SCENARIOS.map(({ code }) => code).sort()).toEqual(tested.sort());
});
