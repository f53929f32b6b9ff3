// The demo a newcomer gets with `npm start`: hub, mock IdP and demo SP all on localhost, so their
// cookies share one host (browsers ignore ports) and must not collide.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type Demo, startDemo } from '../../src/demo.ts';
import { createHub, type Hub } from '../../src/hub.ts';
import { Citizen } from '../support/citizen.ts';
import { freePort } from '../support/federation.ts';

let hub: Hub;
let demo: Demo;

beforeAll(async () => {
  const port = await freePort('127.0.0.1');
  const ports = { mockIdpPort: await freePort('127.0.0.1'), demoSpPort: await freePort('127.0.0.1') };
  // The embedded default, whatever the environment says: this is what `npm start` runs.
  const config = loadConfig({
    PORT: String(port),
    MOCK_IDP_PORT: String(ports.mockIdpPort),
    DEMO_SP_PORT: String(ports.demoSpPort),
  });
  hub = await createHub({ config, pgliteDir: null });
  await hub.app.listen({ port, host: config.host });
  demo = await startDemo(config.issuer, ports);
});

afterAll(async () => {
  await demo?.close();
  await hub?.close();
});

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
  // Each party keeps to its own cookie names: a shared name would have been overwritten by another.
  const names = citizen.browser.jar.names('localhost');
  for (const prefix of ['relais_', 'mockidp_', 'demosp_']) {
    expect(names.some((name) => name.startsWith(prefix))).toBe(true);
  }
  expect(names.every((name) => /^(relais|mockidp|demosp)_/.test(name))).toBe(true);
});
