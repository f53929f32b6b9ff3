// The consent page of a private SP (explicit agreement), refusing, and the hub's own error page
// for a request it cannot send back to any SP.
import { describe, expect, it } from 'vitest';
import type { Federation } from '../support/federation.ts';
import type { DomInput, DomWindow } from './dom.ts';
import { atSp, authorizeUrl, startFederationWithSpPages } from './servers.ts';
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

useBrowser(async () => {
  federation = await startFederationWithSpPages({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      { client_id: 'sp-public', client_secret: 'sp-public-secret-0123456789-0123456789-abc' },
      {
        client_id: 'sp-private',
        client_secret: 'sp-private-secret-0123456789-0123456789-ab',
        type: 'private',
      },
    ],
  });
  return federation;
});

/** Mire → idp-a → the consent page of `clientId`. */
async function toConsent(page: Page, clientId: string) {
  const request = await authorizeUrl(federation, clientId);
  await page.goto(request.url);
  await clickThrough(page, 'button[name="idp"][value="idp-a"]');
  await clickThrough(page, 'button[name="identity"][value="standard"]');
  expect(await visibleText(page)).toContain('Vous allez vous connecter en tant que');
  return { ...request, issuer: federation.issuer };
}

const agree = 'input[name="agree"]';
const accept = 'button[name="decision"][value="accept"]';
const refuse = 'button[name="decision"][value="refuse"]';

describe('a private SP', () => {
  it('asks for a ticked, labelled checkbox: without it the citizen stays on the page; ticked, the login goes on', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await toConsent(page, 'sp-private');
    const checkbox = page.locator(agree);
    expect(await checkbox.count()).toBe(1);
    expect(await checkbox.getAttribute('type')).toBe('checkbox');
    const labels = await checkbox.evaluate((input) =>
      [...((input as DomInput).labels ?? [])].map((l) => l.textContent?.trim() ?? ''),
    );
    expect(labels.filter(Boolean).length, 'the checkbox has a visible <label>').toBeGreaterThan(0);
    await runAxe(page, 'consent of a private SP');

    // The browser's own validation (the field is required) keeps the citizen on the page.
    const consentUrl = page.url();
    await page.locator(accept).click();
    await page.waitForTimeout(200);
    expect(page.url()).toBe(consentUrl);
    expect(await checkbox.evaluate((input) => (input as DomInput).validity.valueMissing)).toBe(true);

    await page.locator(agree).check();
    await clickThrough(page, accept);
    expect(atSp(page, request).get('code')).toBeTruthy();
  });

  it("shows the hub's error message tied to the checkbox when a browser submits without validating it", async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    const request = await toConsent(page, 'sp-private');
    // A browser without constraint validation (or a field it does not know as required) submits as is.
    await page.locator(agree).evaluate((input) => {
      (input as DomInput).form?.setAttribute('novalidate', '');
    });
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await clickThrough(page, accept);
    expect((await response).status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(federation.issuer);
    const checkbox = page.locator(agree);
    expect(await checkbox.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await checkbox.getAttribute('aria-describedby')) ?? '';
    expect(describedBy, 'aria-describedby on the checkbox').not.toBe('');
    const descriptions = await page.evaluate(
      (ids) =>
        ids.map(
          (id) =>
            (globalThis as unknown as DomWindow).document
              .getElementById(id)
              ?.textContent?.replace(/\s+/g, ' ')
              .trim() ?? '',
        ),
      describedBy.split(/\s+/),
    );
    expect(descriptions.join(' ')).toContain(fr('consent.agreementMissing'));
    await runAxe(page, 'consent of a private SP, agreement missing');
    await screenshot(page, 'consent-agreement-missing');

    await page.locator(agree).check();
    await clickThrough(page, accept);
    expect(atSp(page, request).get('code')).toBeTruthy();
  });

  it('lets the citizen refuse without ticking the checkbox', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await toConsent(page, 'sp-private');
    await clickThrough(page, refuse);
    const params = atSp(page, request);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toMatch(/\[R4002\]$/);
  });
});

describe('refusing', () => {
  it('sends the SP access_denied (R4002) from the consent page', async () => {
    const page = await newPage({ hub: federation.issuer });
    const request = await toConsent(page, 'sp-public');
    expect(await page.locator(agree).count()).toBe(0);
    await clickThrough(page, refuse);
    const params = atSp(page, request);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toMatch(/\[R4002\]$/);
    expect(params.has('code')).toBe(false);
  });
});

describe("the hub's error page", () => {
  const unknownClient = () => {
    const url = new URL(`${federation.issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: 'no-such-sp',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.20:9/callback',
      scope: 'openid',
      state: 'state-0123456789',
      nonce: 'nonce-0123456789-0123456789',
      acr_values: 'eidas1',
      prompt: 'login consent',
    }).toString();
    return url.href;
  };

  it('shows R1001 and an error id for an unknown client_id, and no way back to an SP it cannot trust', async () => {
    const fr = messages('fr');
    const page = await newPage({ hub: federation.issuer });
    const response = await page.goto(unknownClient());
    expect(response?.status()).toBe(400);
    expect(new URL(page.url()).origin).toBe(federation.issuer);
    expect(await page.title()).toBe(`${fr('error.title')} — Relais`);
    const text = await visibleText(page);
    expect(text).toContain('R1001');
    expect(text).toContain(fr('errors.R1001.message'));
    expect(text).toMatch(/\b[0-9a-f]{12}\b/);
    expect(await page.locator('form[action*="/leave"]').count()).toBe(0);
    expect(await page.locator('h1').count()).toBe(1);
    await runAxe(page, 'error page R1001');
    await screenshot(page, 'error-R1001');
  });

  it('speaks English to an English browser', async () => {
    const en = messages('en');
    const page = await newPage({ hub: federation.issuer, locale: 'en-GB' });
    await page.goto(unknownClient());
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.title()).toBe(`${en('error.title')} — Relais`);
    expect(await visibleText(page)).toContain(en('errors.R1001.message'));
    await runAxe(page, 'error page R1001 (en)');
  });
});
