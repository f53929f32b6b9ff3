import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { USAGE } from '../../../src/cli/main.ts';
import { SEALED_PREFIX } from '../../../src/store/registry.ts';
import { type CliDatabase, callCli, cliDatabases } from './support.ts';

// Fictitious providers only.
const SP = {
  client_id: 'fs-test',
  client_secret: 'fs-initial-secret-of-at-least-32-chars',
  client_name: 'FS de test',
  redirect_uris: ['https://fs.example/callback'],
  scope: 'openid given_name',
};
const DP = {
  client_id: 'fd-test',
  client_secret: 'fd-initial-secret-of-at-least-32-chars',
  name: 'FD de test',
  scopes: ['dgfip_rfr', 'dgfip_nbpart'],
};
const DP_JWT = {
  client_id: 'fd-jwt',
  name: 'FD à clé',
  scopes: ['cnaf_qf'],
  token_endpoint_auth_method: 'private_key_jwt',
  jwks_uri: 'https://fd.example/jwks',
};

describe.each(cliDatabases)('relais dp and habilitations on $name', (database) => {
  let db: CliDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await database.open();
    dir = await mkdtemp(join(tmpdir(), 'relais-cli-dp-'));
    expect((await db.cli('migrate')).code).toBe(0);
  });
  afterEach(async () => {
    await db.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** The CLI on this database with its clock set to an instant. */
  const at = (instant: string) => callCli({ env: db.env, sql: db.sql, now: () => new Date(instant) });

  it('dp add, list, show, disable, enable, rotate-secret: secrets never printed, stored sealed', async () => {
    const entryFile = join(dir, 'dp.json');
    await writeFile(entryFile, JSON.stringify(DP));
    expect(await db.cli('dp', 'add', '--file', entryFile)).toMatchObject({
      code: 0,
      stdout: 'dp "fd-test" added\n',
      stderr: '',
    });
    expect((await db.cli('dp', 'add', '--json', JSON.stringify(DP_JWT))).code).toBe(0);

    const list = await db.cli('dp', 'list');
    expect(list.stdout).toMatch(/^CLIENT_ID\s+ACTIVE\s+TOKEN_ENDPOINT_AUTH_METHOD\s+SCOPES\s+NAME\n/);
    expect(list.stdout).toMatch(/fd-jwt\s+true\s+private_key_jwt\s+\["cnaf_qf"\]\s+FD à clé\n/);
    expect(list.stdout).toMatch(
      /fd-test\s+true\s+client_secret_post\s+\["dgfip_rfr","dgfip_nbpart"\]\s+FD de test/,
    );
    const show = await db.cli('dp', 'show', 'fd-test');
    expect(show.stdout).toMatch(/client_secret\s+••••/);
    expect(show.stdout).toMatch(/checktoken_signed_response_alg\s+ES256/);
    const shownJson = await db.cli('dp', 'show', 'fd-test', '--json');
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ client_id: 'fd-test', client_secret: '••••' });
    const printed = [list, show, shownJson, await db.cli('dp', 'list', '--json')].map((r) => r.stdout);
    expect(printed.join('')).not.toContain(DP.client_secret);
    const raw = async () => JSON.stringify(await db.sql.query('select config from data_providers'));
    expect(await raw()).not.toContain(DP.client_secret);
    expect(await raw()).toContain(SEALED_PREFIX);

    expect(await db.cli('dp', 'disable', 'fd-test')).toMatchObject({
      code: 0,
      stdout: 'dp "fd-test" disabled\n',
    });
    expect(await db.sql.query("select active from data_providers where client_id = 'fd-test'")).toEqual([
      { active: false },
    ]);
    expect((await db.cli('dp', 'list')).stdout).toMatch(/fd-test\s+false/);
    expect(JSON.parse((await db.cli('dp', 'enable', 'fd-test', '--json')).stdout)).toEqual({
      client_id: 'fd-test',
      active: true,
    });

    const rotated = await db.cli('dp', 'rotate-secret', 'fd-test');
    expect(rotated.code).toBe(0);
    const [heading, secret = ''] = rotated.stdout.trimEnd().split('\n');
    expect(heading).toBe('new client_secret for dp "fd-test" (shown once, store it now):');
    expect(secret.length).toBeGreaterThanOrEqual(48);
    expect(await raw()).not.toContain(secret);
    expect((await db.cli('dp', 'show', 'fd-test')).stdout).not.toContain(secret);
    const exported = JSON.parse((await db.cli('export', '--with-secrets')).stdout);
    expect(
      exported.dataProviders.find((dp: { client_id: string }) => dp.client_id === 'fd-test'),
    ).toMatchObject({ client_secret: secret, active: true });
    expect(await db.cli('dp', 'rotate-secret', 'fd-jwt')).toMatchObject({
      code: 1,
      stderr:
        'relais: dp "fd-jwt": token_endpoint_auth_method is private_key_jwt: no client_secret to rotate\n',
    });
  });

  it('refuses an SP oidc-provider would refuse at every login, naming the field, and writes nothing', async () => {
    expect(
      await db.cli(
        'sp',
        'add',
        '--json',
        JSON.stringify({ ...SP, client_id: 'fs-fragment', redirect_uris: ['https://fs.example/cb#x'] }),
      ),
    ).toMatchObject({
      code: 1,
      stderr: 'relais: sp "fs-fragment": redirect_uris: redirect_uris must not contain fragments\n',
    });
    expect(
      (
        await db.cli(
          'sp',
          'add',
          '--json',
          JSON.stringify({ ...SP, client_id: 'fs-accent', client_secret: `${'x'.repeat(32)}é` }),
        )
      ).stderr,
    ).toMatch(/client_secret: printable ASCII only/);
    expect((await db.cli('sp', 'list', '--json')).stdout).not.toMatch(/fs-fragment|fs-accent/);
  });

  it('refuses a dp with an SP client_id, an SP with a dp client_id, a bad or http dp', async () => {
    await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    await db.cli('dp', 'add', '--json', JSON.stringify(DP));
    expect(
      await db.cli('dp', 'add', '--json', JSON.stringify({ ...DP, client_id: 'fs-test' })),
    ).toMatchObject({
      code: 1,
      stderr: 'relais: dp "fs-test": client_id: "fs-test" is already a service provider\'s client_id\n',
    });
    expect(
      await db.cli('sp', 'add', '--json', JSON.stringify({ ...SP, client_id: 'fd-test' })),
    ).toMatchObject({
      code: 1,
      stderr: 'relais: sp "fd-test": client_id: "fd-test" is already a data provider\'s client_id\n',
    });
    expect((await db.cli('dp', 'add', '--json', JSON.stringify(DP))).stderr).toMatch(
      /dp "fd-test": already exists/,
    );
    const short = await db.cli(
      'dp',
      'add',
      '--json',
      JSON.stringify({ ...DP, client_id: 'fd-2', client_secret: 'x' }),
    );
    expect(short).toMatchObject({ code: 1 });
    expect(short.stderr).toMatch(/^relais: dp "fd-2": client_secret: must be at least 32 characters\n$/);
    const http = await db.cli(
      'dp',
      'add',
      '--json',
      JSON.stringify({ ...DP_JWT, jwks_uri: 'http://fd.example/jwks' }),
    );
    expect(http.stderr).toMatch(/dp "fd-jwt": jwks_uri: http is only allowed on loopback/);
    // The same rule for an import: a file's data provider against the registry's SPs.
    const file = join(dir, 'federation.json');
    await writeFile(file, JSON.stringify({ dataProviders: [{ ...DP, client_id: 'fs-test' }] }));
    expect((await db.cli('import', file)).stderr).toMatch(
      /dataProviders \(fs-test\)\.client_id: "fs-test" is already a service provider's client_id/,
    );
    const rows = await db.sql.query<{ client_id: string }>('select client_id from data_providers');
    expect(rows.map((row) => row.client_id)).toEqual(['fd-test']);
  });

  it('habilitations grant, list and revoke; in force through the last day in Europe/Paris', async () => {
    await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    await db.cli(
      'sp',
      'add',
      '--json',
      JSON.stringify({ ...SP, client_id: 'fs-autre', client_name: 'FS autre' }),
    );
    // 2030-06-30 21:59 UTC is 23:59 that day in Paris (CEST); a minute later it is 1 July there.
    const lastMinute = at('2030-06-30T21:59:00Z');
    const nextDay = at('2030-06-30T22:00:00Z');
    const granted = await lastMinute(
      'habilitations',
      'grant',
      'fs-test',
      '--id',
      'datapass-1',
      '--scopes',
      'dgfip_rfr  dgfip_nbpart',
      '--expires',
      '2030-06-30',
    );
    expect(granted).toMatchObject({
      code: 0,
      stdout: 'sp "fs-test": habilitation "datapass-1" granted (in force, through 2030-06-30)\n',
    });
    const old = ['--id', 'datapass-0', '--scopes', 'cnaf_qf', '--expires', '2020-01-31'];
    expect((await db.cli('habilitations', 'grant', 'fs-autre', ...old)).stdout).toMatch(/not in force/);

    expect((await lastMinute('habilitations', 'list')).stdout).toBe(
      [
        'SP        ID          SCOPES                        EXPIRES_AT  IN_FORCE',
        'fs-autre  datapass-0  ["cnaf_qf"]                   2020-01-31  false',
        'fs-test   datapass-1  ["dgfip_rfr","dgfip_nbpart"]  2030-06-30  true',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await nextDay('habilitations', 'list', '--sp', 'fs-test', '--json')).stdout)).toEqual([
      {
        sp: 'fs-test',
        id: 'datapass-1',
        scopes: ['dgfip_rfr', 'dgfip_nbpart'],
        expires_at: '2030-06-30',
        in_force: false,
      },
    ]);
    // Stored in the SP's entry, where the hubs read it.
    expect(JSON.parse((await db.cli('sp', 'show', 'fs-test', '--json')).stdout).habilitations).toEqual([
      { id: 'datapass-1', scopes: ['dgfip_rfr', 'dgfip_nbpart'], expires_at: '2030-06-30' },
    ]);

    // The same id again replaces it (a renewal); the client_secret is kept as it was.
    const before = await db.sql.query(
      "select config->'client_secret' as s from service_providers where client_id = 'fs-test'",
    );
    const renewed = await nextDay(
      'habilitations',
      'grant',
      'fs-test',
      '--id=datapass-1',
      '--scopes=dgfip_rfr',
      '--expires=2031-06-30',
      '--json',
    );
    expect(JSON.parse(renewed.stdout)).toEqual({
      client_id: 'fs-test',
      habilitation: { id: 'datapass-1', scopes: ['dgfip_rfr'], expires_at: '2031-06-30' },
      in_force: true,
      replaced: true,
    });
    expect(
      await db.sql.query(
        "select config->'client_secret' as s from service_providers where client_id = 'fs-test'",
      ),
    ).toEqual(before);
    expect((await db.cli('habilitations', 'list', '--sp', 'fs-test')).stdout).toMatch(
      /fs-test\s+datapass-1\s+\["dgfip_rfr"\]\s+2031-06-30\s+true\n$/,
    );

    expect(await db.cli('habilitations', 'revoke', 'fs-test', 'datapass-1')).toMatchObject({
      code: 0,
      stdout: 'sp "fs-test": habilitation "datapass-1" revoked\n',
    });
    expect(JSON.parse((await db.cli('habilitations', 'list', '--sp', 'fs-test', '--json')).stdout)).toEqual(
      [],
    );
    expect(await db.cli('habilitations', 'revoke', 'fs-test', 'datapass-1')).toMatchObject({
      code: 1,
      stderr: 'relais: sp "fs-test": habilitation "datapass-1": not found\n',
    });
  });

  it('habilitations refuses a bad date, id or scope, an unknown SP, and bad usage', async () => {
    await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    const grant = (expires: string, id = 'datapass-1', client = 'fs-test') =>
      db.cli('habilitations', 'grant', client, '--id', id, '--scopes', 'dgfip_rfr', '--expires', expires);
    for (const date of ['2030-02-30', '31/12/2030', '2030-13-01']) {
      const bad = await grant(date);
      expect(bad.code, date).toBe(1);
      expect(bad.stderr).toMatch(/^relais: habilitation "datapass-1": expires_at: .+\n$/);
    }
    expect((await grant('2030-12-31', 'no spaces allowed')).stderr).toMatch(
      /habilitation "no spaces allowed": id: /,
    );
    expect(await grant('2030-12-31', 'datapass-1', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'relais: sp "nobody": not found\n',
    });
    expect(await db.cli('habilitations', 'list', '--sp', 'nobody')).toMatchObject({ code: 1 });
    expect(JSON.parse((await db.cli('sp', 'show', 'fs-test', '--json')).stdout)).not.toHaveProperty(
      'habilitations',
    );
    for (const argv of [
      ['habilitations'],
      ['habilitations', 'frobnicate'],
      ['habilitations', 'list', 'fs-test'],
      ['habilitations', 'grant'],
      ['habilitations', 'grant', 'fs-test', '--id', 'datapass-1', '--scopes', 'a'],
      ['habilitations', 'grant', 'fs-test', '--sp', 'x'],
      ['habilitations', 'revoke', 'fs-test'],
      ['habilitations', 'revoke', 'fs-test', 'a', 'b'],
      ['dp', 'frobnicate'],
      ['dp', 'show'],
    ]) {
      const result = await db.cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^relais: /);
    }
    expect(USAGE).toMatch(/^ {2}dp list \| show ID/m);
    expect(USAGE).toMatch(/^ {2}habilitations grant ID --id H --scopes "a b" --expires YYYY-MM-DD$/m);
  });

  it('export then import carries data providers, secrets left out unless asked for', async () => {
    await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    await db.cli('dp', 'add', '--json', JSON.stringify(DP));
    await db.cli('dp', 'add', '--json', JSON.stringify(DP_JWT));
    await db.cli('dp', 'disable', 'fd-jwt');
    await db.cli(
      'habilitations',
      'grant',
      'fs-test',
      '--id',
      'datapass-1',
      '--scopes',
      'dgfip_rfr',
      '--expires',
      '2030-12-31',
    );
    const withSecrets = await db.cli('export', '--with-secrets');
    const plain = await db.cli('export');
    expect(plain.stdout).not.toContain(DP.client_secret);
    expect(JSON.parse(plain.stdout).dataProviders).toEqual([
      expect.not.objectContaining({ client_secret: expect.anything() }),
      expect.not.objectContaining({ client_secret: expect.anything() }),
    ]);
    expect(JSON.parse(withSecrets.stdout).dataProviders).toEqual([
      expect.objectContaining({ client_id: 'fd-jwt', active: false }),
      expect.objectContaining({ client_id: 'fd-test', client_secret: DP.client_secret }),
    ]);

    const file = join(dir, 'federation.json');
    await writeFile(file, withSecrets.stdout);
    // On PGlite both databases share one connection: `other` is the current one until cleanup.
    const other = await database.open();
    try {
      expect((await other.cli('migrate')).code).toBe(0);
      expect(await other.cli('import', file)).toMatchObject({
        code: 0,
        stdout: `imported 1 sp, 0 idp, 2 dp from ${file}\n`,
      });
      expect(JSON.parse((await other.cli('export', '--with-secrets')).stdout)).toEqual(
        JSON.parse(withSecrets.stdout),
      );
      const raw = JSON.stringify(await other.sql.query('select config from data_providers'));
      expect(raw).not.toContain(DP.client_secret);
      expect(JSON.parse((await other.cli('--json', 'import', file)).stdout)).toEqual({
        imported: { serviceProviders: 1, identityProviders: 0, dataProviders: 2 },
      });
    } finally {
      await other.cleanup();
    }
  });
});
