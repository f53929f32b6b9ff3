// The demo SP's error sandbox in a real browser: its page, one scenario run by its button through
// the mock IdP's trap and the hub's error page, and the demo SP's page of what it received. WCAG
// (axe), 320 px, screenshots at 1280 and 375 px.
import { expect, it } from 'vitest';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';
import type { DomWindow } from './dom.ts';
import { clickThrough, newPage, type Page, runAxe, screenshot, useBrowser, visibleText } from './support.ts';

let demo: DemoSetup;

useBrowser(async () => {
  demo = await startDemoSetup();
  return demo;
});

async function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as DomWindow).document.documentElement.scrollWidth);
}

it('lists the scenarios accessibly, and shows what the SP received from one of them', async () => {
  const page = await newPage({ hub: demo.issuer });
  await page.goto(demo.demoSpUrl);
  await clickThrough(page, 'a[href="/sandbox"]');
  expect(await page.title()).toBe('Bac à sable des erreurs — Démo FS');
  expect(await page.getByRole('button', { name: /^Lancer le scénario R\d{4}$/ }).count()).toBe(21);
  await runAxe(page, 'demo SP error sandbox');
  await screenshot(page, 'demo-sp-sandbox');
  await page.setViewportSize({ width: 320, height: 640 });
  expect(await scrollWidth(page), 'sandbox at 320 px').toBeLessThanOrEqual(320);
  await page.setViewportSize({ width: 1280, height: 800 });

  // R4003: the mock IdP drops the hub's browser binding on its way back; the hub's page, its way back.
  await clickThrough(page, page.getByRole('button', { name: 'Lancer le scénario R4003' }));
  await clickThrough(page, 'button[name="idp"][value="mock-idp"]');
  await clickThrough(page, 'button[name="identity"][value="standard"]');
  expect(await visibleText(page)).toContain('R4003');
  await clickThrough(page, 'form[action$="/leave"] button');

  const received = new URL(page.url());
  expect(`${received.origin}${received.pathname}`).toBe(`${demo.demoSpUrl}/callback`);
  expect(received.searchParams.get('iss')).toBe(demo.issuer);
  const text = await visibleText(page);
  expect(text).toContain('Connexion interrompue');
  expect(text).toContain('Reçu conforme.');
  expect(text).toContain('the login session expired or is unknown');
  expect(text).toContain('[R4003]');
  await runAxe(page, 'demo SP callback, sandbox R4003');
  await screenshot(page, 'demo-sp-sandbox-R4003');
  await page.setViewportSize({ width: 320, height: 640 });
  expect(await scrollWidth(page), 'callback error at 320 px').toBeLessThanOrEqual(320);
});
