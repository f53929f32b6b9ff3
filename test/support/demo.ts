// The demo a newcomer gets with `npm start`: hub, mock IdP, demo SP (and FranceConnect's demo data
// provider) on localhost, on free ports, on the embedded stores whatever the environment says.
import { loadConfig, type ProfileName } from '../../src/config/index.ts';
import { startDemo } from '../../src/demo.ts';
import { createHub } from '../../src/hub.ts';
import { freePort } from './net.ts';

export interface DemoSetup {
  issuer: string;
  demoSpUrl: string;
  mockIdpUrl: string;
  /** FranceConnect's demo only. */
  demoDpUrl: string | undefined;
  close(): Promise<void>;
}

export async function startDemoSetup(profile: ProfileName = 'franceconnect'): Promise<DemoSetup> {
  const port = await freePort('127.0.0.1');
  const ports = {
    mockIdpPort: await freePort('127.0.0.1'),
    demoSpPort: await freePort('127.0.0.1'),
    fallbackIdpPort: await freePort('127.0.0.1'),
    demoDpPort: await freePort('127.0.0.1'),
  };
  // The embedded default, whatever the environment says: this is what `npm start` runs.
  const config = loadConfig({
    PORT: String(port),
    MOCK_IDP_PORT: String(ports.mockIdpPort),
    DEMO_SP_PORT: String(ports.demoSpPort),
    FALLBACK_IDP_PORT: String(ports.fallbackIdpPort),
    PROFILE: profile,
  });
  const hub = await createHub({ config, pgliteDir: null });
  const demo = await hub.app
    .listen({ port, host: config.host })
    .then(() => startDemo(config.issuer, ports, undefined, profile))
    .catch(async (error: unknown) => {
      await hub.close();
      throw error;
    });
  return {
    issuer: config.issuer,
    demoSpUrl: demo.demoSpUrl,
    mockIdpUrl: demo.mockIdpUrl,
    demoDpUrl: demo.demoDpUrl,
    async close() {
      await demo.close();
      await hub.close();
    },
  };
}
