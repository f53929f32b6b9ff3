// The public register of habilitations in a real browser: its structure for assistive
// technologies (axe, headings, labelled fields), both languages, 320 px, and the consent page's
// link landing on the SP's own entry.
import { describe, expect, it } from 'vitest';
import type { Federation } from '../support/federation.ts';
import type { DomWindow } from './dom.ts';
import { authorizeUrl, startFederationWithSpPages } from './servers.ts';
import {
  clickThrough,
  messages,
  newPage,
  type Page,
  runAxe,
  screenshot,
  useBrowser,
  visibleText,
} from './support.ts';

let federation: Federation;

const OWN_SCOPE = 'openid given_name family_name email';
const IN_A_MONTH = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

useBrowser(async () => {
  federation = await startFederationWithSpPages({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      {
        client_id: 'sp-granted',
        client_secret: 'sp-granted-secret-0123456789-0123456789-ab',
        scope: OWN_SCOPE,
        habilitations: [
          { id: 'datapass-birth', scopes: ['birth'], expires_at: IN_A_MONTH },
          { id: 'datapass-old', scopes: ['birthdate', 'gender'], expires_at: '2020-01-31' },
        ],
      },
      { client_id: 'sp-plain', client_secret: 'sp-plain-secret-0123456789-0123456789-abcd' },
    ],
  });
  return federation;
});

async function openRegister(page: Page, path = '/habilitations') {
  await page.goto(`${federation.issuer}${path}`);
  expect(new URL(page.url()).pathname).toBe('/habilitations');
}

/** The headings of the page, as "h1 text", in document order. */
function headings(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as DomWindow;
    return [...document.querySelectorAll('h1, h2, h3')].map(
      (h) => `${h.tagName.toLowerCase()} ${(h.textContent ?? '').trim()}`,
    );
  });
}

describe('the register page', () => {
  it('shows each SP under its own heading and id, each habilitation a list item with named fields', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    await openRegister(page);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.title()).toBe(`${fr('habilitations.title')} — Relais`);
    expect(await headings(page)).toEqual([
      `h1 ${fr('habilitations.heading')}`,
      'h2 Service sp-granted',
      `h3 ${fr('habilitations.listHeading', { sp: 'Service sp-granted' })}`,
      'h2 Service sp-plain',
    ]);
    const entry = page.locator('#sp-granted');
    expect(await entry.locator('h2').textContent()).toBe('Service sp-granted');
    // Each habilitation is a list item whose terms name its fields.
    const items = entry.locator('ul > li');
    expect(await items.count()).toBe(2);
    const terms = ['id', 'scopes', 'expiresAt', 'status'].map((key) => fr(`habilitations.${key}`));
    const described = (item: number) =>
      Promise.all(
        ['dt', 'dd'].map((tag) =>
          items
            .nth(item)
            .locator(tag)
            .evaluateAll((nodes) =>
              nodes.map((node) => (node.textContent ?? '').replace(/\s+/g, ' ').trim()),
            ),
        ),
      );
    expect(await described(0)).toEqual([
      terms,
      [
        'datapass-birth',
        'birth',
        expect.stringMatching(/^\d{1,2} \p{L}+ \d{4}$/u),
        fr('habilitations.inForce'),
      ],
    ]);
    expect(await described(1)).toEqual([
      terms,
      ['datapass-old', 'birthdate gender', '31 janvier 2020', fr('habilitations.expired')],
    ]);
    expect(await page.locator('#sp-plain').textContent()).toContain(
      fr('habilitations.none', { sp: 'Service sp-plain' }),
    );
    await runAxe(page, 'register of habilitations');
    await screenshot(page, 'habilitations');
  });

  it('switches to English and back with the language links', async () => {
    const en = messages('en');
    const page = await newPage({ hub: federation.issuer });
    await openRegister(page);
    await clickThrough(page, 'a[hreflang="en"]');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe(`${en('habilitations.title')} — Relais`);
    const text = await visibleText(page);
    expect(text).toContain(en('habilitations.inForce'));
    expect(text).toContain('31 January 2020');
    await runAxe(page, 'register of habilitations (en)');
    await screenshot(page, 'habilitations-en');
    await clickThrough(page, 'a[hreflang="fr"]');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
  });

  it('has no horizontal scroll at 320 px', async () => {
    const page = await newPage({ hub: federation.issuer, width: 320, height: 640 });
    await openRegister(page);
    const scrollWidth = await page.evaluate(
      () => (globalThis as unknown as DomWindow).document.documentElement.scrollWidth,
    );
    expect(scrollWidth).toBeLessThanOrEqual(320);
  });
});

describe('from the consent page', () => {
  it("follows the link to the SP's own entry on the register", async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    const request = await authorizeUrl(federation, 'sp-granted', { scope: 'openid email birth' });
    await page.goto(request.url);
    await clickThrough(page, 'button[name="idp"][value="idp-a"]');
    await clickThrough(page, 'button[name="identity"][value="standard"]');
    const link = page.getByRole('link', { name: fr('consent.registerLink', { sp: 'Service sp-granted' }) });
    expect(await link.count()).toBe(1);
    await clickThrough(page, link);
    const url = new URL(page.url());
    expect(`${url.origin}${url.pathname}${url.hash}`).toBe(`${federation.issuer}/habilitations#sp-granted`);
    expect(await page.locator(':target h2').textContent()).toBe('Service sp-granted');
  });
});
