import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPostgres, inTransaction, openPglite, type Sql } from '../../../src/store/sql.ts';
import { type DatabaseFixture, databases } from './databases.ts';

describe.each(databases)('Sql on $name', (database) => {
  let fx: DatabaseFixture;
  let sql: Sql;
  beforeEach(async () => {
    fx = await database.open();
    sql = fx.sql;
    await sql.exec('create table items (n int primary key); create table other (n int)');
  });
  afterEach(() => fx.cleanup());

  it('runs parameterised queries and returns rows', async () => {
    await sql.query('insert into items (n) values ($1), ($2)', [1, 2]);
    expect(await sql.query<{ n: number }>('select n from items where n > $1 order by n', [0])).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    expect(sql.kind).toBe(database.name);
  });

  it('inTransaction() rolls everything back when the callback throws', async () => {
    await expect(
      inTransaction(sql, async (tx) => {
        await tx.query('insert into items (n) values (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await sql.query('select n from items')).toEqual([]);
  });

  it("a query outside withClient() never joins the dedicated connection's transaction", async () => {
    const inside = sql.withClient(async (client) => {
      await client.exec('begin');
      await client.query('insert into items (n) values (1)');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await client.exec('rollback');
    });
    const outside = sql.query('insert into other (n) values (2)');
    await Promise.all([inside, outside]);
    expect(await sql.query('select n from other')).toEqual([{ n: 2 }]);
    expect(await sql.query('select n from items')).toEqual([]);
  });

  it('returns timestamptz as Date and jsonb as objects', async () => {
    const [row] = await sql.query<{ at: unknown; doc: unknown }>(
      `select now() as at, '{"a":[1]}'::jsonb as doc`,
    );
    expect(row?.at).toBeInstanceOf(Date);
    expect(row?.doc).toEqual({ a: [1] });
  });
});

describe('openPglite', () => {
  it('creates its data folder recursively and keeps data across reopening', async () => {
    const root = await mkdtemp(join(tmpdir(), 'relais-pglite-'));
    const dataDir = join(root, 'nested', 'db');
    try {
      const first = await openPglite(dataDir);
      await first.exec("create table kept (v text); insert into kept values ('yes')");
      await first.close();
      const second = await openPglite(dataDir);
      expect(await second.query('select v from kept')).toEqual([{ v: 'yes' }]);
      await second.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('connectPostgres', () => {
  it('fails with an error naming the host, never the password', async () => {
    const error = await connectPostgres('postgres://relais:hunter2-secret@127.0.0.1:1/db').catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1\/db/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(connectPostgres('postgres://x@127.0.0.1:1/db', { schema: 'a"; drop' })).rejects.toThrow(
      /invalid schema name/,
    );
  });

  const url = process.env.DATABASE_URL;
  it.runIf(url)('puts every connection in the requested schema, creating it', async () => {
    const schema = `t_schema_${Date.now()}`;
    const sql = await connectPostgres(url!, { schema });
    try {
      const rows = await Promise.all(
        [1, 2, 3].map(() => sql.query<{ s: string }>('select current_schema() as s')),
      );
      expect(rows.flat()).toEqual([{ s: schema }, { s: schema }, { s: schema }]);
    } finally {
      await sql.exec(`drop schema ${schema} cascade`);
      await sql.close();
    }
  });

  it.runIf(url)('stops a statement that runs past the statement timeout', async () => {
    const sql = await connectPostgres(url!, { statementTimeoutMs: 100 });
    try {
      await expect(sql.query('select pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    } finally {
      await sql.close();
    }
  });
});
