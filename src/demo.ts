// Demo mode: the bundled mock IdP and demo SP beside the hub, on the ports after the hub's, all on
// localhost (their cookie names are distinct, since browsers ignore ports when sending cookies).
import { DEMO_IDP, DEMO_SP } from './config/demo-federation.ts';
import { createDemoSp } from './demo-sp/index.ts';
import { createMockIdp } from './mock-idp/index.ts';

export interface Demo {
  mockIdpUrl: string;
  demoSpUrl: string;
  close(): Promise<void>;
}

export async function startDemo(
  issuer: string,
  ports: { mockIdpPort: number; demoSpPort: number },
  /** Where to listen; the URLs stay on localhost (0.0.0.0 in a container). */
  host?: string,
): Promise<Demo> {
  const mockIdpUrl = `http://localhost:${ports.mockIdpPort}`;
  const demoSpUrl = `http://localhost:${ports.demoSpPort}`;
  const mockIdp = await createMockIdp({
    issuer: mockIdpUrl,
    clients: [
      {
        client_id: DEMO_IDP.clientId,
        client_secret: DEMO_IDP.clientSecret,
        client_name: 'Relais',
        redirect_uris: [`${issuer}/idp/callback`],
        post_logout_redirect_uris: [`${issuer}/idp/logout-callback`],
      },
    ],
  });
  await mockIdp.listen(host);
  const demoSp = await createDemoSp({
    url: demoSpUrl,
    issuer,
    clientId: DEMO_SP.clientId,
    clientSecret: DEMO_SP.clientSecret,
    ...(host ? { host } : {}),
  });
  await demoSp.listen();
  return {
    mockIdpUrl,
    demoSpUrl,
    async close() {
      await Promise.allSettled([demoSp.close(), mockIdp.close()]);
    },
  };
}
