import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEALED_PREFIX } from '../../../src/store/registry.ts';
import { type CliDatabase, cliDatabases } from './support.ts';

// Fictitious providers only.
const IDP = {
  uid: 'fi-test',
  name: 'FI de test',
  issuer: 'https://fi.example',
  client_id: 'relais',
  client_secret: 'idp-client-secret-kept-by-the-hub',
};
const SP = {
  client_id: 'fs-test',
  client_secret: 'fs-initial-secret-of-at-least-32-chars',
  client_name: 'FS de test',
  redirect_uris: ['https://fs.example/callback'],
  scope: 'openid identite_pivot',
  identity_providers: ['fi-test'],
};

describe.each(cliDatabases)('relais sp/idp on $name', (database) => {
  let db: CliDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await database.open();
    dir = await mkdtemp(join(tmpdir(), 'relais-cli-'));
    expect((await db.cli('migrate')).code).toBe(0);
  });
  afterEach(async () => {
    await db.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const rawConfig = async (table: string) =>
    JSON.stringify(await db.sql.query(`select config from ${table}`));

  it('add, list, show, disable, enable, rotate-secret: secrets never printed, stored sealed', async () => {
    expect(await db.cli('idp', 'add', '--json', JSON.stringify(IDP))).toMatchObject({ code: 0 });
    const entryFile = join(dir, 'sp.json');
    await writeFile(entryFile, JSON.stringify(SP));
    expect(await db.cli('sp', 'add', '--file', entryFile)).toMatchObject({ code: 0, stderr: '' });

    const list = await db.cli('sp', 'list');
    expect(list.stdout).toMatch(/^CLIENT_ID\s+ACTIVE\s+TYPE/);
    expect(list.stdout).toMatch(/fs-test\s+true\s+public\s+client_secret_post\s+FS de test/);
    const show = await db.cli('sp', 'show', 'fs-test');
    expect(show.stdout).toMatch(/client_secret\s+••••/);
    const idpShow = await db.cli('idp', 'show', 'fi-test', '--json');
    expect(JSON.parse(idpShow.stdout)).toMatchObject({ uid: 'fi-test', client_secret: '••••' });
    const printed = [list, show, idpShow, await db.cli('sp', 'list', '--json')].map((r) => r.stdout).join('');
    expect(printed).not.toContain(SP.client_secret);
    expect(printed).not.toContain(IDP.client_secret);
    expect(await rawConfig('service_providers')).not.toContain(SP.client_secret);
    expect(await rawConfig('identity_providers')).not.toContain(IDP.client_secret);

    expect(await db.cli('sp', 'disable', 'fs-test')).toMatchObject({
      code: 0,
      stdout: 'sp "fs-test" disabled\n',
    });
    expect(await db.sql.query('select active from service_providers')).toEqual([{ active: false }]);
    expect((await db.cli('sp', 'list')).stdout).toMatch(/fs-test\s+false/);
    expect((await db.cli('sp', 'enable', 'fs-test')).code).toBe(0);
    expect(JSON.parse((await db.cli('sp', 'show', 'fs-test', '--json')).stdout).active).toBe(true);

    const rotated = await db.cli('sp', 'rotate-secret', 'fs-test', '--json');
    expect(rotated.code).toBe(0);
    const { client_secret: secret } = JSON.parse(rotated.stdout) as { client_secret: string };
    expect(secret.length).toBeGreaterThanOrEqual(48);
    expect(secret).not.toBe(SP.client_secret);
    const raw = await rawConfig('service_providers');
    expect(raw).not.toContain(secret);
    expect(raw).toContain(SEALED_PREFIX);
    expect((await db.cli('sp', 'show', 'fs-test')).stdout).not.toContain(secret);
    const exported = JSON.parse((await db.cli('export', '--with-secrets')).stdout);
    expect(exported.serviceProviders[0].client_secret).toBe(secret);
  });

  it('export then import into an empty registry gives the same registry back', async () => {
    await db.cli('idp', 'add', '--json', JSON.stringify(IDP));
    await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    await db.cli('idp', 'disable', 'fi-test');
    const withSecrets = await db.cli('export', '--with-secrets');
    const plain = await db.cli('export');
    expect(plain.stdout).not.toContain(SP.client_secret);
    expect(JSON.parse(plain.stdout).identityProviders[0]).not.toHaveProperty('client_secret');

    const file = join(dir, 'federation.json');
    await writeFile(file, withSecrets.stdout);
    // On PGlite both databases share one connection: `other` is the current one until cleanup.
    const other = await database.open();
    try {
      expect((await other.cli('migrate')).code).toBe(0);
      expect(await other.cli('import', file)).toMatchObject({
        code: 0,
        stdout: `imported 1 sp, 1 idp, 0 dp from ${file}\n`,
      });
      expect(JSON.parse((await other.cli('export', '--with-secrets')).stdout)).toEqual(
        JSON.parse(withSecrets.stdout),
      );
      const raw = JSON.stringify(await other.sql.query('select config from service_providers'));
      expect(raw).not.toContain(SP.client_secret);
      // An edit re-imported updates the entry in place.
      const edited = JSON.parse(withSecrets.stdout);
      edited.serviceProviders[0].client_name = 'FS renommé';
      await writeFile(file, JSON.stringify(edited));
      expect((await other.cli('import', file)).code).toBe(0);
      expect((await other.cli('sp', 'list')).stdout).toContain('FS renommé');
    } finally {
      await other.cleanup();
    }
  });

  it('a bad entry fails with one line naming the entry and the field, exit code 1', async () => {
    const bad = await db.cli('sp', 'add', '--json', JSON.stringify({ ...SP, redirect_uris: ['not a url'] }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^relais: sp "fs-test": redirect_uris\.0: .+\n$/);
    const http = await db.cli(
      'idp',
      'add',
      '--json',
      JSON.stringify({ ...IDP, issuer: 'http://fi.example' }),
    );
    expect(http).toMatchObject({ code: 1 });
    expect(http.stderr).toMatch(/idp "fi-test": issuer: http is only allowed on loopback/);
    const unknownIdp = await db.cli('sp', 'add', '--json', JSON.stringify(SP));
    expect(unknownIdp.stderr).toMatch(
      /sp "fs-test": identity_providers: unknown identity provider "fi-test"/,
    );
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ identityProviders: [{ ...IDP, acr_values: ['eidas9'] }] }));
    const imported = await db.cli('import', file);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/identityProviders\[0\] \(fi-test\)\.acr_values/);
    expect(await db.sql.query('select * from identity_providers')).toEqual([]);
    expect(await db.cli('sp', 'show', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'relais: sp "nobody": not found\n',
    });
  });

  it('usage errors exit with 2', async () => {
    for (const argv of [
      ['sp', 'frobnicate'],
      ['sp', 'show'],
      ['idp', 'rotate-secret', 'fi-test'],
      ['sp', 'add'],
      ['sp', 'list', '--force'],
      ['import'],
    ]) {
      const result = await db.cli(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^relais: /);
    }
  });

  it('keys list shows kid, alg and date, never the private key', async () => {
    const { createKeyRepository } = await import('../../../src/store/registry.ts');
    const { decodeKey } = await import('../../../src/config/index.ts');
    const keys = createKeyRepository(db.sql, { encryptionKey: decodeKey(db.env.ENCRYPTION_KEY ?? '')! });
    await keys.insert({
      kid: 'k-1',
      alg: 'ES256',
      privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private-d' },
    });
    const listed = await db.cli('keys', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        kid: 'k-1',
        alg: 'ES256',
        use: 'sig',
        created_at: expect.any(String),
        activates_at: expect.any(String),
        active: 'yes',
      },
    ]);
    expect(listed.stdout).not.toContain('private-d');
    expect((await db.cli('keys', 'list')).stdout).toMatch(
      /^KID\s+ALG\s+USE\s+CREATED_AT\s+ACTIVATES_AT\s+ACTIVE\nk-1\s+ES256\s+sig\s+\d{4}-/,
    );
  });

  it('stats prints the event summary', async () => {
    const stats = await db.cli('stats', '--days', '3', '--json');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ days: 3, bySp: [], totals: { started: 0 } });
    expect((await db.cli('stats', '--days', 'x')).code).toBe(2);
  });
});
