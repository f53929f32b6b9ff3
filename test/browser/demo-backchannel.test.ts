// A citizen in a real browser on the demo: the hub session ended at the hub (as another SP's logout
// would), the demo SP told by back-channel, and what its pages then show: the notice at the next
// page, the list of logouts received. WCAG (axe) and screenshots at 1280 and 375 px.
import { expect, it } from 'vitest';
import { type DemoSetup, startDemoSetup } from '../support/demo.ts';
import type { DomWindow } from './dom.ts';
import { clickThrough, newPage, runAxe, screenshot, useBrowser, visibleText } from './support.ts';

let demo: DemoSetup;

useBrowser(async () => {
  demo = await startDemoSetup();
  return demo;
});

it('says at the next page that Relais closed the session, and lists the logout received', async () => {
  const page = await newPage({ hub: demo.issuer });
  await page.goto(demo.demoSpUrl);
  await clickThrough(page, 'a[href$="/login"]');
  await clickThrough(page, 'button[name="idp"][value="mock-idp"]');
  await clickThrough(page, 'button[name="identity"][value="standard"]');
  await clickThrough(page, 'button[name="decision"][value="accept"]');
  expect(await visibleText(page)).toContain('Camille');

  // The hub session ends at the hub, not at the demo SP.
  await page.goto(`${demo.issuer}/session/end`);
  await clickThrough(page, 'button[name="logout"][value="yes"]');
  expect(await visibleText(page)).toContain('Vous êtes bien déconnecté(e)');

  // The hub does not wait for its delivery: the demo SP's list shows when it arrived.
  const deadline = Date.now() + 5000;
  let received = false;
  while (!received && Date.now() < deadline) {
    const list = await (await fetch(`${demo.demoSpUrl}/backchannel-logouts`)).text();
    received = list.includes('Acceptée : 1 session fermée');
    if (!received) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(received).toBe(true);

  await page.goto(demo.demoSpUrl);
  const notice = page.getByRole('status');
  expect(await notice.textContent()).toMatch(/Votre session a été fermée par Relais/);
  const home = await visibleText(page);
  expect(home).not.toContain('Camille');
  expect(await page.locator('a[href$="/login"]').count()).toBeGreaterThan(0);
  await runAxe(page, 'demo SP home, session closed by Relais');
  await screenshot(page, 'demo-sp-closed-by-relais');

  // Said once: the next page is the plain home.
  await page.reload();
  expect(await page.getByRole('status').count()).toBe(0);

  await clickThrough(page, 'a[href="/backchannel-logouts"]');
  expect(await page.title()).toBe('Déconnexions reçues de Relais — Démo FS');
  const table = page.getByRole('table');
  expect(await table.getByRole('columnheader').allTextContents()).toEqual([
    'Reçue le',
    'Session sid',
    'Résultat',
  ]);
  expect(await table.getByRole('row').nth(1).textContent()).toMatch(
    /UTC\s+sha256:[0-9a-f]{12}…\s+Acceptée : 1 session fermée/,
  );
  await runAxe(page, 'demo SP back-channel logouts');
  await screenshot(page, 'demo-sp-backchannel-logouts');

  // No horizontal scroll at 320 px, the table included.
  await page.setViewportSize({ width: 320, height: 640 });
  const scrollWidth = await page.evaluate(
    () => (globalThis as unknown as DomWindow).document.documentElement.scrollWidth,
  );
  expect(scrollWidth, 'back-channel logouts at 320 px').toBeLessThanOrEqual(320);
});
