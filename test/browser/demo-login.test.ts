// A citizen in a real browser on the demo (hub, mock IdP and demo SP on localhost, as `npm start`
// runs them): the whole login in French and in English, without JavaScript, the logout, and what
// a back or a refresh on a one-shot step shows.
import { describe, expect, it } from 'vitest';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';
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

let demo: DemoSetup;
const SP_NAME = 'Service de démonstration';

useBrowser(async () => {
  demo = await startDemoSetup();
  return demo;
});

const onHub = (path: string) => (url: URL) => url.origin === demo.issuer && url.pathname.startsWith(path);
const onDemoSp = (url: URL) => url.origin === demo.demoSpUrl;

async function lang(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('lang');
}

/** From the demo SP's home to the hub's mire. */
async function openMire(page: Page): Promise<void> {
  await page.goto(demo.demoSpUrl);
  await clickThrough(page, 'a[href$="/login"]');
  expect(onHub('/interaction/')(new URL(page.url())), page.url()).toBe(true);
}

/** From the mire to the consent page, through the mock IdP's login page. */
async function throughMockIdp(page: Page, identity = 'standard'): Promise<void> {
  await clickThrough(page, 'button[name="idp"][value="mock-idp"]');
  expect(new URL(page.url()).origin).toBe(demo.mockIdpUrl);
  await clickThrough(page, `button[name="identity"][value="${identity}"]`);
  // The hub answers the IdP's callback with the consent page itself (no extra redirect).
  expect(onHub('/idp/callback')(new URL(page.url())), page.url()).toBe(true);
  expect(await page.locator(`form[action$="/consent"]`).count()).toBe(1);
}

async function accept(page: Page): Promise<void> {
  await clickThrough(page, 'button[name="decision"][value="accept"]');
  expect(onDemoSp(new URL(page.url())), page.url()).toBe(true);
}

async function loginOnDemo(page: Page): Promise<void> {
  await openMire(page);
  await throughMockIdp(page);
  await accept(page);
  expect(await visibleText(page)).toContain('Camille');
}

describe('the whole login in a browser', () => {
  it('takes a French-speaking citizen from the demo SP through the mire, the IdP and the consent, back to the SP', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: demo.issuer, locale: 'fr-FR' });
    await openMire(page);
    expect(await lang(page)).toBe('fr');
    expect(await page.title()).toBe(`${fr('mire.title')} — Relais`);
    expect(await visibleText(page)).toContain(`Vous vous connectez à ${SP_NAME}`);
    await runAxe(page, 'mire (fr)');
    await screenshot(page, 'mire-fr');

    await throughMockIdp(page);
    expect(await page.title()).toBe(`${fr('consent.title')} — Relais`);
    const consent = await visibleText(page);
    expect(consent).toContain('Vous allez vous connecter en tant que');
    expect(consent).toMatch(/Camille\s+MARTIN/);
    expect(consent).toContain('12 avril 1987');
    expect(consent).toContain(fr('claims.given_name'));
    await runAxe(page, 'consent (fr)');
    await screenshot(page, 'consent-fr');

    await accept(page);
    const home = await visibleText(page);
    expect(home).toContain('Camille');
    expect(home).toContain('Martin');
    // The demo data provider's answer, fetched by the demo SP with its access token.
    expect(home).toContain('Données d’un fournisseur de données');
    expect(home).toMatch(/Quotient familial\s+quotient_familial\s+\d+/);
    await runAxe(page, 'demo SP home');
    await screenshot(page, 'demo-sp-home');
  });

  it('speaks English to a browser that asks for it, and the language switch goes to French and back', async () => {
    const en = messages('en');
    const page = await newPage({ hub: demo.issuer, locale: 'en-US' });
    await openMire(page);
    expect(await lang(page)).toBe('en');
    expect(await page.title()).toBe(`${en('mire.title')} — Relais`);
    const mire = await visibleText(page);
    expect(mire).toContain(SP_NAME);
    expect(mire).not.toContain('Vous vous connectez');
    await runAxe(page, 'mire (en)');
    await screenshot(page, 'mire-en');

    const toFrench = page.locator('a[hreflang="fr"]');
    expect(await toFrench.getAttribute('lang')).toBe('fr');
    expect((await toFrench.textContent())?.trim()).toBe('Français');
    await clickThrough(page, 'a[hreflang="fr"]');
    expect(await lang(page)).toBe('fr');
    expect(await visibleText(page)).toContain(`Vous vous connectez à ${SP_NAME}`);

    const toEnglish = page.locator('a[hreflang="en"]');
    expect((await toEnglish.textContent())?.trim()).toBe('English');
    await clickThrough(page, 'a[hreflang="en"]');
    expect(await lang(page)).toBe('en');

    await throughMockIdp(page);
    expect(await lang(page)).toBe('en');
    expect(await page.title()).toBe(`${en('consent.title')} — Relais`);
    const consent = await visibleText(page);
    expect(consent).toContain('12 April 1987');
    expect(consent).not.toContain('Vous allez vous connecter');
    await runAxe(page, 'consent (en)');
    await screenshot(page, 'consent-en');
    // Answered at the IdP callback, the consent page switches language on its own address.
    await clickThrough(page, 'a[hreflang="fr"]');
    expect(onHub('/interaction/')(new URL(page.url())), page.url()).toBe(true);
    expect(await lang(page)).toBe('fr');
    expect(await page.title()).toBe(`${messages('fr')('consent.title')} — Relais`);
    await accept(page);
    expect(await visibleText(page)).toContain('Camille');
  });

  it('works from start to end with JavaScript turned off', async () => {
    const page = await newPage({ hub: demo.issuer, javaScriptEnabled: false });
    await openMire(page);
    expect(await visibleText(page)).toContain(`Vous vous connectez à ${SP_NAME}`);
    await throughMockIdp(page);
    expect(await visibleText(page)).toContain('Vous allez vous connecter en tant que');
    await accept(page);
    expect(await visibleText(page)).toMatch(/Camille[\s\S]*Martin|Martin[\s\S]*Camille/);
  });
});

describe('logout', () => {
  it("goes from the demo SP's logout button to the hub's confirmation, then back to the SP logged out", async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: demo.issuer });
    await loginOnDemo(page);
    await clickThrough(page, 'form[action$="/logout"] button[type="submit"]');
    expect(onHub('/session/end')(new URL(page.url())), page.url()).toBe(true);
    expect(await page.title()).toBe(`${fr('logout.title')} — Relais`);
    expect(await visibleText(page)).toContain('Déconnexion');
    await runAxe(page, 'logout confirmation');
    await screenshot(page, 'logout');

    await clickThrough(page, 'button[name="logout"][value="yes"]');
    expect(onDemoSp(new URL(page.url())), page.url()).toBe(true);
    expect(new URL(page.url()).searchParams.has('state')).toBe(true);
    const home = await visibleText(page);
    expect(home).not.toContain('Camille');
    expect(await page.locator('a[href$="/login"]').count()).toBeGreaterThan(0);
  });

  it('says "Vous êtes bien déconnecté(e)" after a logout at the hub that names no SP to return to', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: demo.issuer });
    await loginOnDemo(page);
    await page.goto(`${demo.issuer}/session/end`);
    expect(await page.title()).toBe(`${fr('logout.title')} — Relais`);
    await clickThrough(page, 'button[name="logout"][value="yes"]');
    expect(onHub('/session/end/success')(new URL(page.url())), page.url()).toBe(true);
    expect(await page.title()).toBe(`${fr('loggedOut.title')} — Relais`);
    expect(await visibleText(page)).toContain('Vous êtes bien déconnecté(e)');
    await runAxe(page, 'logged out');
    await screenshot(page, 'logged-out');
  });

  it('goes straight to the logged-out page when the browser has no hub session to end', async () => {
    const page = await newPage({ hub: demo.issuer });
    await page.goto(`${demo.issuer}/session/end`);
    expect(onHub('/session/end/success')(new URL(page.url())), page.url()).toBe(true);
    expect(await visibleText(page)).toContain('Vous êtes bien déconnecté(e)');
  });
});

describe('a one-shot step seen again', () => {
  it('shows a clear "session expirée" page (R4003) with a way back to the SP after back or reload on the consent page', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: demo.issuer });
    await openMire(page);
    await throughMockIdp(page);
    const consentUrl = page.url();
    await accept(page);

    const back = await page.goBack();
    expect(page.url()).toBe(consentUrl);
    await expectSessionExpired(page, back?.status());
    await runAxe(page, 'session expired');
    await screenshot(page, 'error-R4003');

    const reloaded = await page.reload();
    await expectSessionExpired(page, reloaded?.status());

    const backToSp = page.getByRole('button', { name: `Revenir à ${SP_NAME}` });
    expect(await backToSp.count()).toBe(1);
    await clickThrough(page, backToSp);
    expect(onDemoSp(new URL(page.url())), page.url()).toBe(true);

    async function expectSessionExpired(on: Page, status: number | undefined) {
      expect(status).toBe(400);
      expect(await on.title()).toBe(`${fr('error.title')} — Relais`);
      const text = await visibleText(on);
      expect(text).toContain('R4003');
      expect(text).toContain(fr('errors.R4003.message'));
      expect(text).toMatch(/\b[0-9a-f]{12}\b/);
      expect(text).not.toMatch(/\bat .+\.ts:\d+|Error:|stack/i);
      expect(text).not.toContain('Vous allez vous connecter');
    }
  });
});
