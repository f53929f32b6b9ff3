// The only file that touches `process`: reads the environment, starts the hub (and, in demo mode,
// the bundled mock IdP and demo SP), stops cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config/index.ts';
import { startDemo } from './demo.ts';
import { createHub } from './hub.ts';

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

  if (config.demo?.inProcess) {
    const demo = await startDemo(config.issuer, config.demo, config.host, config.profile);
    stops.unshift(() => demo.close());
    const dataProvider = demo.demoDpUrl ? `, demo data provider on ${demo.demoDpUrl}` : '';
    log.info(`demo mock IdP on ${demo.mockIdpUrl}, demo SP on ${demo.demoSpUrl}${dataProvider}`);
    process.stdout.write(`\nRelais is running. Open ${demo.demoSpUrl} to try a login.\n\n`);
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
