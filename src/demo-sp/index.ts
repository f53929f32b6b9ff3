// The bundled demo service provider: logs a citizen in through Relais as a well-behaved
// FranceConnect v2 SP does, and shows the verified claims. Reference code for integrators.
import { buildDemoSpApp } from './app.ts';
import { type DemoSpOptions, parseOptions } from './options.ts';
import { createRelaisClient } from './relais-client.ts';
import type { SandboxHooks } from './sandbox.ts';

export type { DemoSpOptions } from './options.ts';
export type { SandboxHooks } from './sandbox.ts';

export interface DemoSp {
  /** The SP's origin, e.g. http://localhost:3002; its redirect_uri is `${url}/callback`. */
  readonly url: string;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** Checks the options (throws on a bad one) and builds the app; the hub is discovered at the first login. */
export async function createDemoSp(
  options: DemoSpOptions,
  /** The error sandbox's hooks into the demo's mock IdP (src/demo.ts): /sandbox only with them. */
  sandbox?: SandboxHooks,
): Promise<DemoSp> {
  const settings = parseOptions(options);
  const app = await buildDemoSpApp(settings, createRelaisClient(settings), sandbox);
  return {
    url: settings.baseUrl,
    async listen() {
      await app.listen({ host: settings.listenHost, port: settings.listenPort });
    },
    async close() {
      await app.close();
    },
  };
}
