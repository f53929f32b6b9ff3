// ProConnect's email page in a real browser, on a federation built for it: axe in French and in
// English, keyboard only, 320 px on each of its states (the field, "did you mean…?", the choice
// among several IdPs), the whole login without JavaScript, and an address that is not one.
import { describe, expect, it } from 'vitest';
import { type Federation, PRO_SP_SCOPE } from '../support/federation.ts';
import { PRO_TEST_IDPS, PRO_TEST_SP } from '../support/pro-federation.ts';
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

useBrowser(async () => {
  federation = await startFederationWithSpPages({
    profile: 'proconnect',
    idps: PRO_TEST_IDPS,
    sps: [PRO_TEST_SP],
  });
  return federation;
});

const emailField = 'form.email-form input[name="email"]';
const emailSubmit = 'form.email-form button[type="submit"]';

function idpIssuer(uid: string): string {
  const idp = federation.idps.get(uid);
  if (!idp) throw new Error(`no IdP ${uid}`);
  return idp.issuer;
}

/** sp-pro starts a ProConnect login (no prompt, no acr_values): the browser rests on the email page. */
async function openEmailPage(page: Page, params: Record<string, string> = {}) {
  const request = await authorizeUrl(federation, 'sp-pro', {
    scope: PRO_SP_SCOPE,
    prompt: undefined,
    acr_values: undefined,
    ...params,
  });
  await page.goto(request.url);
  expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
  expect(await page.locator(emailField).count(), 'the email field').toBe(1);
  return { ...request, issuer: federation.issuer };
}

async function submitEmail(page: Page, email: string) {
  await page.locator(emailField).fill(email);
  await clickThrough(page, emailSubmit);
}

async function expectNoHorizontalScroll(page: Page, label: string) {
  const scrollWidth = await page.evaluate(
    () => (globalThis as unknown as DomWindow).document.documentElement.scrollWidth,
  );
  expect(scrollWidth, `${label} at 320 px`).toBeLessThanOrEqual(320);
}

/** On the mock IdP's login page: the agent logs in and the browser follows the hub back to the SP. */
async function loginAtIdp(page: Page, uid: string) {
  expect(new URL(page.url()).origin).toBe(idpIssuer(uid));
  await clickThrough(page, 'button[name="identity"][value="agent"]');
}

describe('accessibility', () => {
  it('has no axe violation in French, nor in English after the language switch', async () => {
    const fr = messages('fr');
    const en = messages('en');
    const page = await newPage({ hub: federation.issuer, locale: 'fr-FR' });
    await openEmailPage(page);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.title()).toBe(`${fr('email.title')} — Relais`);
    expect(await page.getByLabel(fr('email.label')).count(), 'the field has its label').toBe(1);
    await runAxe(page, 'email page (fr)');
    await screenshot(page, 'email-fr');

    await clickThrough(page, 'a[hreflang="en"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe(`${en('email.title')} — Relais`);
    expect(await page.getByLabel(en('email.label')).count()).toBe(1);
    expect(await visibleText(page)).not.toContain(fr('email.heading'));
    await runAxe(page, 'email page (en)');
    await screenshot(page, 'email-en');
  });

  it('speaks English on ui_locales=en over a French browser, axe-clean', async () => {
    const en = messages('en');
    const page = await newPage({ hub: federation.issuer, locale: 'fr-FR' });
    await openEmailPage(page, { ui_locales: 'en' });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await visibleText(page)).toContain(en('email.heading'));
    await runAxe(page, 'email page (ui_locales=en)');
  });
});

describe('keyboard', () => {
  it('reaches the field then its submit button, with a visible focus; Enter sends the agent to their IdP', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    await openEmailPage(page);
    const stops = await tabStops(page);
    const field = stops.findIndex((stop) => stop.tag === 'input' && stop.name === 'email');
    expect(field, `no Tab stop on the email field: ${JSON.stringify(stops)}`).toBeGreaterThanOrEqual(0);
    const submit = stops[field + 1];
    expect(submit?.tag, `after the field: ${JSON.stringify(submit)}`).toBe('button');
    expect(submit?.text).toBe(fr('email.submit'));
    const invisible = stops.filter((stop) => !focusVisible(stop));
    expect(invisible, `focus not visible on ${JSON.stringify(invisible)}`).toEqual([]);

    await page.reload();
    for (let i = 0; i < stops.length && (await focused(page))?.name !== 'email'; i += 1) {
      await page.keyboard.press('Tab');
    }
    expect((await focused(page))?.name).toBe('email');
    await page.keyboard.type('camille.dupont@interieur.gouv.fr');
    const origin = idpIssuer('interieur');
    await Promise.all([page.waitForURL((url) => url.origin === origin), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).origin).toBe(origin);
    expect(await page.locator('button[name="identity"][value="agent"]').count()).toBe(1);
  });
});

describe('small screens', () => {
  const narrow = () => newPage({ hub: federation.issuer, width: 320, height: 640 });

  it('has no horizontal scroll at 320 px on the email page', async () => {
    const page = await narrow();
    await openEmailPage(page);
    await expectNoHorizontalScroll(page, 'email page');
    await runAxe(page, 'email page at 320 px');
  });

  it('has no horizontal scroll at 320 px on "did you mean…?", and the suggestion leads to the right IdP', async () => {
    const fr = messages('fr');
    const page = await narrow();
    await openEmailPage(page);
    await submitEmail(page, 'camille.dupont@interieru.gouv.fr');
    const suggested = 'camille.dupont@interieur.gouv.fr';
    expect(await visibleText(page)).toContain(fr('email.suggestion.heading', { email: suggested }));
    await runAxe(page, '"did you mean…?" page at 320 px');
    await screenshot(page, 'email-suggestion');
    await expectNoHorizontalScroll(page, '"did you mean…?" page');
    await clickThrough(page, `form.suggestion-form button[value="${suggested}"]`);
    expect(new URL(page.url()).origin).toBe(idpIssuer('interieur'));
  });

  it('has no horizontal scroll at 320 px on the choice among the IdPs of one domain', async () => {
    const fr = messages('fr');
    const page = await narrow();
    await openEmailPage(page);
    await submitEmail(page, 'camille.dupont@culture.gouv.fr');
    expect(await visibleText(page)).toContain(fr('email.choices.heading'));
    const choices = await page
      .locator('main button[type="submit"][name="idp"]')
      .evaluateAll((buttons) => buttons.map((b) => b.getAttribute('value')));
    expect(choices).toEqual(['culture-a', 'culture-b']);
    await runAxe(page, 'choice page at 320 px');
    await screenshot(page, 'email-choices');
    await expectNoHorizontalScroll(page, 'choice page');
  });
});

describe('without JavaScript', () => {
  it('takes the agent from the email page through the IdP back to the SP', async () => {
    const page = await newPage({ hub: federation.issuer, javaScriptEnabled: false });
    const request = await openEmailPage(page);
    await submitEmail(page, 'camille.dupont@interieur.gouv.fr');
    await loginAtIdp(page, 'interieur');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });

  it('goes through the choice among several IdPs too', async () => {
    const page = await newPage({ hub: federation.issuer, javaScriptEnabled: false });
    const request = await openEmailPage(page);
    await submitEmail(page, 'camille.dupont@culture.gouv.fr');
    await clickThrough(page, 'button[name="idp"][value="culture-b"]');
    await loginAtIdp(page, 'culture-b');
    expect(atSp(page, request).get('code')).toBeTruthy();
  });
});

describe('an address that is not one', () => {
  it('shows the page again with the field marked invalid, the message tied to it, reachable by Tab, axe-clean', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    await openEmailPage(page);
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await submitEmail(page, 'camille.dupont');
    expect((await response).status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(federation.issuer);
    const field = page.locator(emailField);
    expect(await field.inputValue()).toBe('camille.dupont');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
    const descriptions = await page.evaluate(
      (ids) =>
        ids.map(
          (id) =>
            (globalThis as unknown as DomWindow).document
              .getElementById(id)
              ?.textContent?.replace(/\s+/g, ' ')
              .trim() ?? '',
        ),
      describedBy.split(/\s+/).filter(Boolean),
    );
    expect(descriptions, `aria-describedby="${describedBy}"`).toContain(fr('email.problem.invalid'));
    expect(
      await page
        .getByRole('alert')
        .filter({ hasText: fr('email.problem.invalid') })
        .count(),
    ).toBe(1);

    const stops = await tabStops(page);
    const onField = stops.find((stop) => stop.tag === 'input' && stop.name === 'email');
    expect(onField, `no Tab stop on the email field: ${JSON.stringify(stops)}`).toBeDefined();
    expect(onField && focusVisible(onField)).toBe(true);
    await runAxe(page, 'email page, invalid address');
    await screenshot(page, 'email-invalid');

    // Corrected, the address goes through.
    await submitEmail(page, 'camille.dupont@interieur.gouv.fr');
    expect(new URL(page.url()).origin).toBe(idpIssuer('interieur'));
  });
});
