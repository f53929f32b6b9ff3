// Demo mode: the bundled mock IdP and demo SP beside the hub, on the ports after the hub's, all on
// localhost (their cookie names are distinct, since browsers ignore ports when sending cookies).
// FranceConnect's demo adds a data provider (a family-quotient API) two ports after the demo SP's,
// which the demo SP calls with its access token right after a login.
// ProConnect's demo: the mock IdP serves the agents of a ministry (demo.gouv.fr), a second one on
// the port after the demo SP's is the fallback for any other email.
import { DEMO_AGENT_DOMAINS, DEMO_DP, DEMO_IDP, DEMO_SP, PRO_DEMO_CLAIMS } from './config/demo-federation.ts';
import type { ProfileName } from './config/index.ts';
import { createDemoDp, type DemoDp } from './demo-dp/index.ts';
import { createDemoSp } from './demo-sp/index.ts';
import { createMockIdp, type Misbehaviour } from './mock-idp/index.ts';

export interface Demo {
  mockIdpUrl: string;
  demoSpUrl: string;
  /** FranceConnect's demo only: the data provider's API. */
  demoDpUrl?: string;
  close(): Promise<void>;
}

export async function startDemo(
  issuer: string,
  ports: { mockIdpPort: number; demoSpPort: number; fallbackIdpPort?: number; demoDpPort?: number },
  /** Where to listen; the URLs stay on localhost (0.0.0.0 in a container). */
  host?: string,
  profile: ProfileName = 'franceconnect',
): Promise<Demo> {
  const pro = profile === 'proconnect';
  const mockIdpUrl = `http://localhost:${ports.mockIdpPort}`;
  const demoSpUrl = `http://localhost:${ports.demoSpPort}`;
  const clients = [
    {
      client_id: DEMO_IDP.clientId,
      client_secret: DEMO_IDP.clientSecret,
      client_name: 'Relais',
      redirect_uris: [`${issuer}/idp/callback`],
      post_logout_redirect_uris: [`${issuer}/idp/logout-callback`],
    },
  ];
  const idps = [
    await createMockIdp({
      issuer: mockIdpUrl,
      clients,
      ...(pro ? { population: 'agents' as const, emailDomain: DEMO_AGENT_DOMAINS.ministry } : {}),
    }),
  ];
  if (pro) {
    idps.push(
      await createMockIdp({
        issuer: `http://localhost:${ports.fallbackIdpPort ?? ports.demoSpPort + 1}`,
        clients,
        population: 'agents',
        emailDomain: DEMO_AGENT_DOMAINS.fallback,
        cookiePrefix: 'mockidp_fallback',
      }),
    );
  }
  for (const idp of idps) await idp.listen(host);
  const demoDp: DemoDp | undefined = pro
    ? undefined
    : await createDemoDp({
        url: `http://localhost:${ports.demoDpPort ?? ports.demoSpPort + 2}`,
        issuer,
        clientId: DEMO_DP.clientId,
        clientSecret: DEMO_DP.clientSecret,
        ...(host ? { host } : {}),
      });
  await demoDp?.listen();
  // The error sandbox: the demo SP arms the mock IdP (ProConnect: the ministry's) in this process,
  // for the next login only. No route of the mock IdP does it: nothing on the network can arm it.
  const sandbox = {
    profile,
    armMockIdp: (fault: Misbehaviour | undefined) => idps[0]?.armNextLogin(fault),
  };
  const demoSp = await createDemoSp(
    {
      url: demoSpUrl,
      issuer,
      clientId: DEMO_SP.clientId,
      clientSecret: DEMO_SP.clientSecret,
      ...(pro ? { scope: `openid ${PRO_DEMO_CLAIMS} idp_id idp_acr`, prompt: '' } : {}),
      ...(demoDp
        ? { scope: `openid identite_pivot email ${DEMO_DP.scope}`, dataProviderUrl: demoDp.url }
        : {}),
      ...(host ? { host } : {}),
    },
    sandbox,
  );
  await demoSp.listen();
  return {
    mockIdpUrl,
    demoSpUrl,
    ...(demoDp ? { demoDpUrl: demoDp.url } : {}),
    async close() {
      await Promise.allSettled([
        demoSp.close(),
        ...(demoDp ? [demoDp.close()] : []),
        ...idps.map((idp) => idp.close()),
      ]);
    },
  };
}
