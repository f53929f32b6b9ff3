// The only file that touches `process`: reads the environment, starts the hub (and, in demo mode,
// the bundled mock IdP and demo SP), stops cleanly on SIGTERM/SIGINT.
import { DEMO_IDP, DEMO_SP } from './config/demo-federation.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { createDemoSp } from './demo-sp/index.ts';
import { createHub } from './hub.ts';
import { createMockIdp } from './mock-idp/index.ts';

async function main() {
  const config = loadConfig(process.env);
  const hub = await createHub({ config, logger: { level: config.logLevel } });
  const log = hub.app.log;
  if (!config.databaseUrl) log.warn(`no DATABASE_URL: embedded PostgreSQL (PGlite) in ${config.pgliteDir}`);
  if (!config.redisUrl) log.warn('no REDIS_URL: in-process store, for one instance only');
  if (config.allowInsecureHttp)
    log.warn('ALLOW_INSECURE_HTTP=true: http accepted outside loopback addresses');
  await hub.app.listen({ port: config.port, host: config.host });
  const stops: Array<() => Promise<void>> = [() => hub.close()];

  if (config.demo) {
    const mockIdpUrl = `http://localhost:${config.demo.mockIdpPort}`;
    const demoSpUrl = `http://localhost:${config.demo.demoSpPort}`;
    const mockIdp = await createMockIdp({
      issuer: mockIdpUrl,
      clients: [
        {
          client_id: DEMO_IDP.clientId,
          client_secret: DEMO_IDP.clientSecret,
          redirect_uris: [`${config.issuer}/idp/callback`],
          post_logout_redirect_uris: [`${config.issuer}/idp/logout-callback`],
        },
      ],
    });
    await mockIdp.listen();
    const demoSp = await createDemoSp({
      url: demoSpUrl,
      issuer: config.issuer,
      clientId: DEMO_SP.clientId,
      clientSecret: DEMO_SP.clientSecret,
    });
    await demoSp.listen();
    stops.unshift(
      () => demoSp.close(),
      () => mockIdp.close(),
    );
    log.info(`demo mock IdP on ${mockIdpUrl}, demo SP on ${demoSpUrl}`);
    process.stdout.write(`\nRelais is running. Open ${demoSpUrl} to try a login.\n\n`);
  } else {
    process.stdout.write(`\nRelais is running: ${config.issuer}/.well-known/openid-configuration\n\n`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    for (const close of stops) await close().catch((error) => log.error({ err: error }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`relais: ${error.message}\n`);
  } else {
    process.stderr.write(
      `relais: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
