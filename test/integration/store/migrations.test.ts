import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/store/migrations.ts';
import type { Sql } from '../../../src/store/sql.ts';
import { type DatabaseFixture, databases } from './databases.ts';

const tables = async (sql: Sql) =>
  (
    await sql.query<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = current_schema() order by 1',
    )
  ).map((r) => r.name);

describe.each(databases)('migrate on $name', (database) => {
  let fx: DatabaseFixture;
  let dir: string;
  beforeEach(async () => {
    fx = await database.open();
    dir = await mkdtemp(join(tmpdir(), 'relais-migrations-'));
  });
  afterEach(async () => {
    await fx.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies the repo's migrations once: a second run applies nothing", async () => {
    expect(await migrate(fx.sql)).toEqual({
      applied: [
        '0001_registry.sql',
        '0002_events.sql',
        '0003_signing_key_activation.sql',
        '0004_data_providers.sql',
        '0005_encryption_keys.sql',
        '0006_session_revocations.sql',
      ],
    });
    expect(await tables(fx.sql)).toEqual([
      'data_providers',
      'events',
      'hub_secrets',
      'identity_providers',
      'schema_migrations',
      'service_providers',
      'session_revocations',
      'signing_keys',
    ]);
    expect(await migrate(fx.sql)).toEqual({ applied: [] });
  });

  it('applies files in name order, each recorded with its sha256, ignoring other files', async () => {
    await writeFile(join(dir, '0002_second.sql'), 'insert into log values (2);');
    await writeFile(join(dir, '0001_first.sql'), 'create table log (n int); insert into log values (1);');
    await writeFile(join(dir, 'README.md'), 'not a migration');
    expect(await migrate(fx.sql, dir)).toEqual({ applied: ['0001_first.sql', '0002_second.sql'] });
    expect(await fx.sql.query('select n from log order by n')).toEqual([{ n: 1 }, { n: 2 }]);
    const rows = await fx.sql.query<{ version: string; name: string; checksum: string }>(
      'select version, name, checksum from schema_migrations order by version',
    );
    const sha = createHash('sha256')
      .update(await readFile(join(dir, '0001_first.sql'), 'utf8'))
      .digest('hex');
    expect(rows[0]).toEqual({ version: '0001', name: '0001_first.sql', checksum: sha });
    expect(rows).toHaveLength(2);
  });

  it('applies only the new file when one is added later', async () => {
    await writeFile(join(dir, '0001_first.sql'), 'create table log (n int);');
    await migrate(fx.sql, dir);
    await writeFile(join(dir, '0002_second.sql'), 'insert into log values (2);');
    expect(await migrate(fx.sql, dir)).toEqual({ applied: ['0002_second.sql'] });
  });

  it('refuses to run when a landed file was edited, naming the file', async () => {
    await writeFile(join(dir, '0001_registry.sql'), 'create table log (n int);');
    await migrate(fx.sql, dir);
    await writeFile(join(dir, '0001_registry.sql'), 'create table log (n bigint);');
    await writeFile(join(dir, '0002_more.sql'), 'create table more (n int);');
    await expect(migrate(fx.sql, dir)).rejects.toThrow(
      'migration 0001_registry.sql was edited after it was applied',
    );
    expect(await tables(fx.sql)).not.toContain('more');
  });

  it('a failing file is rolled back and not recorded; the files before it stay', async () => {
    await writeFile(join(dir, '0001_ok.sql'), 'create table log (n int);');
    await writeFile(join(dir, '0002_bad.sql'), 'create table half (n int); select * from nowhere;');
    await expect(migrate(fx.sql, dir)).rejects.toThrow(/migration 0002_bad\.sql failed/);
    expect(await tables(fx.sql)).toEqual(['log', 'schema_migrations']);
    const versions = await fx.sql.query<{ version: string }>('select version from schema_migrations');
    expect(versions).toEqual([{ version: '0001' }]);
  });

  it('refuses two files with the same version', async () => {
    await writeFile(join(dir, '0001_a.sql'), 'select 1;');
    await writeFile(join(dir, '0001_b.sql'), 'select 1;');
    await expect(migrate(fx.sql, dir)).rejects.toThrow(/two migrations share version 0001/);
  });

  it('two instances migrating at once apply each file exactly once', async () => {
    // The sleep makes the two runs overlap on a real server.
    await writeFile(join(dir, '0001_slow.sql'), 'select pg_sleep(0.3); create table log (n int);');
    await writeFile(join(dir, '0002_next.sql'), 'insert into log values (1);');
    const other = await fx.second();
    const [a, b] = await Promise.all([migrate(fx.sql, dir), migrate(other, dir)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(['0001_slow.sql', '0002_next.sql']);
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, 2]);
    expect(await fx.sql.query('select n from log')).toEqual([{ n: 1 }]);
  });
});
