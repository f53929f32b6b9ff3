// The mire in a real browser, on a federation built for it: greyed identity providers, keyboard
// order and visible focus, 320 px, ui_locales, an IdP failure and the retry, cancelling.
import { afterEach, describe, expect, it } from 'vitest';
import type { Federation } from '../support/federation.ts';
import type { DomWindow } from './dom.ts';
import { atSp, authorizeUrl, startFederationWithSpPages } from './servers.ts';
import {
  clickThrough,
  focused,
  focusVisible,
  messages,
  newPage,
  type Page,
  runAxe,
  screenshot,
  tabStops,
  useBrowser,
  visibleText,
} from './support.ts';

let federation: Federation;

// On a request for eidas2 from sp-public: two usable IdPs and one greyed for each reason.
const GREYED = [
  { uid: 'idp-off', reason: 'inactive' },
  { uid: 'idp-low', reason: 'insufficient_level' },
  { uid: 'idp-excluded', reason: 'excluded' },
] as const;
const USABLE = ['idp-a', 'idp-b'];
const idpName = (uid: string) => `Compte ${uid}`;

useBrowser(async () => {
  federation = await startFederationWithSpPages({
    idps: [
      { uid: 'idp-a', host: '127.0.0.2', entry: { order: 1 } },
      { uid: 'idp-b', host: '127.0.0.3', entry: { order: 2 } },
      { uid: 'idp-off', host: '127.0.0.4', entry: { order: 3, active: false } },
      { uid: 'idp-low', host: '127.0.0.5', acrValues: ['eidas1'], entry: { order: 4 } },
      { uid: 'idp-excluded', host: '127.0.0.6', entry: { order: 5 } },
      { uid: 'idp-hidden', host: '127.0.0.7', entry: { order: 6, display: false } },
    ],
    sps: [
      {
        client_id: 'sp-public',
        client_secret: 'sp-public-secret-0123456789-0123456789-abc',
        identity_providers: ['idp-a', 'idp-b', 'idp-off', 'idp-low', 'idp-hidden'],
      },
    ],
  });
  return federation;
});
// Every test starts with well-behaved IdPs (this runs before useBrowser's after-hooks: last in, first out).
afterEach(() => {
  for (const idp of federation.idps.values()) idp.setMisbehaviour({});
});

async function openMire(page: Page, params: Record<string, string> = {}) {
  const request = await authorizeUrl(federation, 'sp-public', params);
  await page.goto(request.url);
  expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
  return { ...request, issuer: federation.issuer };
}

function chooseIdp(page: Page, uid: string) {
  return clickThrough(page, `button[name="idp"][value="${uid}"]`);
}

/** On the IdP's login page: logs in and waits to be back on the hub. */
async function loginAtIdp(page: Page, identity = 'standard') {
  await clickThrough(page, `button[name="identity"][value="${identity}"]`);
  expect(new URL(page.url()).origin).toBe(federation.issuer);
}

/** The text of the mire entry of one IdP: its largest container that names no other IdP. */
function entryText(page: Page, name: string, others: string[]): Promise<string> {
  return page.evaluate(
    ({ name, others }) => {
      const { document } = globalThis as unknown as DomWindow;
      const holders = [...document.querySelectorAll('main *')].filter(
        (el) =>
          el.textContent?.includes(name) && ![...el.children].some((c) => c.textContent?.includes(name)),
      );
      let entry = holders[0];
      if (!entry) return '';
      while (entry.parentElement && !others.some((o) => entry?.parentElement?.textContent?.includes(o))) {
        entry = entry.parentElement;
      }
      return (entry.textContent ?? '').replace(/[\s\u00a0\u202f]+/g, ' ');
    },
    { name, others },
  );
}

describe('greyed identity providers', () => {
  it('shows inactive, insufficient-level and excluded IdPs with their reason, with no way to choose them', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    await openMire(page, { acr_values: 'eidas2' });
    const submits = await page
      .locator('main [type="submit"][name="idp"]')
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute('value')));
    expect(submits).toEqual(USABLE);
    const text = await visibleText(page);
    expect(text).not.toContain(idpName('idp-hidden'));
    const names = [...USABLE, ...GREYED.map((g) => g.uid)].map(idpName);
    for (const { uid, reason } of GREYED) {
      const entry = await entryText(
        page,
        idpName(uid),
        names.filter((n) => n !== idpName(uid)),
      );
      expect(entry, `${uid} entry`).toContain(fr(`mire.reason.${reason}`));
      // Clicking it anyway (even forced through a disabled state) goes nowhere.
      const before = page.url();
      await page.getByText(idpName(uid)).first().click({ force: true, timeout: 2000 });
      await page.waitForTimeout(100);
      expect(page.url(), `clicking ${uid}`).toBe(before);
    }
    await runAxe(page, 'mire with greyed IdPs');
    await screenshot(page, 'mire-greyed');
  });

  it('never lands on a greyed IdP with the keyboard', async () => {
    const page = await newPage({ hub: federation.issuer });
    await openMire(page, { acr_values: 'eidas2' });
    const stops = await tabStops(page);
    const greyed = GREYED.map((g) => idpName(g.uid));
    const onGreyed = stops.filter((stop) => greyed.some((name) => stop.text.includes(name)));
    expect(onGreyed, JSON.stringify(onGreyed)).toEqual([]);
  });
});

describe('keyboard', () => {
  it('reaches the skip link first, then the IdP buttons in order, with a visible focus everywhere', async () => {
    const page = await newPage({ hub: federation.issuer });
    await openMire(page, { acr_values: 'eidas2' });
    const stops = await tabStops(page);
    expect(stops[0]?.tag, JSON.stringify(stops[0])).toBe('a');
    expect(stops[0]?.href).toBe('#main');
    const idpStops = stops.flatMap((stop, index) =>
      stop.name === 'idp' ? [{ index, value: stop.value }] : [],
    );
    expect(idpStops.map((s) => s.value)).toEqual(USABLE);
    // One after the other: nothing sits between two IdP buttons in the focus order.
    expect(idpStops.map((s) => s.index - (idpStops[0]?.index ?? 0))).toEqual(USABLE.map((_, i) => i));
    const invisible = stops.filter((stop) => !focusVisible(stop));
    expect(invisible, `focus not visible on ${JSON.stringify(invisible)}`).toEqual([]);

    // The skip link leads into the main content.
    await page.reload();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const afterSkip = await focused(page);
    expect(afterSkip?.inMain, `after the skip link: ${JSON.stringify(afterSkip)}`).toBe(true);
  });
});

describe('small screens', () => {
  it('has no horizontal scroll at 320 px on the mire and the consent page', async () => {
    const page = await newPage({ hub: federation.issuer, width: 320, height: 640 });
    const request = await openMire(page, { acr_values: 'eidas2' });
    const scrollWidth = () =>
      page.evaluate(() => (globalThis as unknown as DomWindow).document.documentElement.scrollWidth);
    expect(await scrollWidth(), 'mire at 320 px').toBeLessThanOrEqual(320);
    await chooseIdp(page, 'idp-a');
    await loginAtIdp(page);
    expect(await visibleText(page)).toContain('Vous allez vous connecter en tant que');
    expect(await scrollWidth(), 'consent at 320 px').toBeLessThanOrEqual(320);
    await clickThrough(page, 'button[name="decision"][value="accept"]');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });
});

describe('languages', () => {
  it('follows ui_locales=en over a French browser, on the mire and the consent page', async () => {
    const en = messages('en');
    const page = await newPage({ hub: federation.issuer, locale: 'fr-FR' });
    const request = await openMire(page, { ui_locales: 'en' });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe(`${en('mire.title')} — Relais`);
    expect(await visibleText(page)).not.toContain('Vous vous connectez');
    await chooseIdp(page, 'idp-a');
    await loginAtIdp(page);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe(`${en('consent.title')} — Relais`);
    expect(await visibleText(page)).toContain('12 April 1987');
    await clickThrough(page, 'button[name="decision"][value="accept"]');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });
});

describe('an identity provider that fails', () => {
  it('brings the citizen back to the mire with a banner naming the IdP, and the retry succeeds', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await openMire(page);
    federation.idps.get('idp-a')?.setMisbehaviour({ error: { error: 'access_denied' } });
    await chooseIdp(page, 'idp-a');
    expect(new URL(page.url()).origin).toBe(federation.issuer);
    const banner = page.locator('[role="alert"]');
    await expect.poll(() => banner.count()).toBe(1);
    expect(await banner.textContent()).toContain(idpName('idp-a'));
    expect(await banner.textContent()).toMatch(/R\d{4}/);
    await runAxe(page, 'mire after an IdP failure');
    await screenshot(page, 'mire-failure');

    federation.idps.get('idp-a')?.setMisbehaviour({});
    await chooseIdp(page, 'idp-a');
    await loginAtIdp(page);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    await clickThrough(page, 'button[name="decision"][value="accept"]');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });

  it('after a bad id_token signature, lets the citizen pick another IdP', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await openMire(page);
    federation.idps.get('idp-a')?.setMisbehaviour({ badSignature: true });
    await chooseIdp(page, 'idp-a');
    await loginAtIdp(page);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+$/);
    expect(await page.locator('[role="alert"]').textContent()).toContain(idpName('idp-a'));
    await chooseIdp(page, 'idp-b');
    await loginAtIdp(page);
    await clickThrough(page, 'button[name="decision"][value="accept"]');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });
});

describe('cancelling', () => {
  it('sends the SP access_denied (R4001) from the mire\'s "Revenir à <SP>"', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await openMire(page);
    const cancel = page.locator('form[action$="/cancel"] [type="submit"]');
    expect(await cancel.textContent()).toContain('Service sp-public');
    await clickThrough(page, 'form[action$="/cancel"] [type="submit"]');
    const params = atSp(page, request);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toMatch(/\[R4001\]$/);
  });
});
