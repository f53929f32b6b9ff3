// A running hub sees an IdP disabled, or a habilitation granted, through the CLI without a restart.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { createHub, type Hub } from '../../../src/hub.ts';
import { callCli, schemaUrl, secretsEnv } from './support.ts';

// Fictitious providers only.
const federation = {
  serviceProviders: [
    {
      client_id: 'fs-reload',
      client_secret: 'fs-reload-secret-of-at-least-32-chars',
      client_name: 'FS reload',
      redirect_uris: ['http://127.0.0.1:4999/callback'],
      scope: 'openid',
    },
  ],
  identityProviders: [
    { uid: 'fi-a', name: 'FI A', issuer: 'http://127.0.0.1:4998', client_id: 'relais', client_secret: 's' },
    { uid: 'fi-b', name: 'FI B', issuer: 'http://127.0.0.1:4997', client_id: 'relais', client_secret: 's' },
  ],
};

const backends = [
  { name: 'pglite', url: undefined },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres', url: process.env.DATABASE_URL }] : []),
];

describe.each(backends)('a running hub on $name', ({ url }) => {
  let hub: Hub | undefined;
  const schema = `cli_hub_${randomBytes(6).toString('hex')}`;
  afterEach(async () => {
    await hub?.close();
    if (url) {
      const { connectPostgres } = await import('../../../src/store/sql.ts');
      const admin = await connectPostgres(url);
      await admin.exec(`drop schema if exists ${schema} cascade`);
      await admin.close();
    }
  });

  /** A hub on the schema, and the CLI on the same database. */
  async function startHub() {
    const secrets = secretsEnv();
    const config = loadConfig({
      ...secrets,
      DEMO: 'false',
      DATABASE_URL: url,
      REDIS_URL: process.env.REDIS_URL,
    });
    hub = await createHub({
      config,
      federation,
      sqlSchema: schema,
      kvPrefix: `relais:cli:${schema}:`,
      pgliteDir: null,
    });
    const running = hub;
    // An embedded database is one process's: the CLI is handed the hub's connection there.
    const cli = url
      ? callCli({ env: { ...secrets, DATABASE_URL: schemaUrl(url, schema) } })
      : callCli({ env: secrets, sql: running.sql });
    return { running, cli };
  }

  it('has every running hub fetch an IdP’s metadata again after idp refresh (its entry changes, its client is rebuilt)', async () => {
    const { running, cli } = await startHub();
    expect(running.registry.identityProvider('fi-a')?.metadata_refreshed_at).toBeUndefined();
    expect(await cli('idp', 'refresh', 'fi-a')).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.identityProvider('fi-a')?.metadata_refreshed_at, {
        timeout: 5000,
        interval: 100,
      })
      .toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(running.registry.identityProvider('fi-b')?.metadata_refreshed_at).toBeUndefined();
    expect(await cli('idp', 'refresh', 'fi-unknown')).toMatchObject({ code: 1 });
    // Without a uid: every IdP.
    expect(await cli('idp', 'refresh')).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.identityProvider('fi-b')?.metadata_refreshed_at, {
        timeout: 5000,
        interval: 100,
      })
      .toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('drops an IdP disabled through the CLI within 5 s, and takes it back when enabled', async () => {
    const { running, cli } = await startHub();
    expect(running.registry.identityProvider('fi-a')).toBeDefined();
    expect(await cli('idp', 'disable', 'fi-a')).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.identityProvider('fi-a'), { timeout: 5000, interval: 100 })
      .toBeUndefined();
    expect(running.registry.identityProvider('fi-b')).toBeDefined();
    expect(await cli('idp', 'enable', 'fi-a')).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.identityProvider('fi-a'), { timeout: 5000, interval: 100 })
      .toBeDefined();
  });

  it('sees a habilitation granted through the CLI within 5 s, and its revocation', async () => {
    const { running, cli } = await startHub();
    const grant = ['--id', 'datapass-1', '--scopes', 'dgfip_rfr', '--expires', '2099-12-31'];
    expect(await cli('habilitations', 'grant', 'fs-reload', ...grant)).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.serviceProvider('fs-reload')?.habilitations, {
        timeout: 5000,
        interval: 100,
      })
      .toEqual([{ id: 'datapass-1', scopes: ['dgfip_rfr'], expires_at: '2099-12-31' }]);
    expect(await cli('habilitations', 'revoke', 'fs-reload', 'datapass-1')).toMatchObject({ code: 0 });
    await expect
      .poll(() => running.registry.serviceProvider('fs-reload')?.habilitations, {
        timeout: 5000,
        interval: 100,
      })
      .toEqual([]);
  });
});
