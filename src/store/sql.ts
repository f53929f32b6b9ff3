// The one SQL interface of the hub: a pg Pool on a real server, PGlite (embedded) otherwise.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>;
  /** One dedicated connection for the whole callback (transactions, advisory locks). */
  withClient<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly kind: 'postgres' | 'pglite';
}

export interface PostgresOptions {
  /** Every connection uses this schema (created if missing): tests isolate themselves this way. */
  schema?: string;
  /** Pool size; default 10. */
  max?: number;
  /** Per statement; default 5000 ms. */
  statementTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Runs fn in one transaction on one connection; rolls back if it throws. */
export async function inTransaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.withClient(async (tx) => {
    await tx.exec('begin');
    try {
      const result = await fn(tx);
      await tx.exec('commit');
      return result;
    } catch (error) {
      await tx.exec('rollback');
      throw error;
    }
  });
}

function withConnectionOptions(url: string, options: PostgresOptions): string {
  const parsed = new URL(url);
  const settings = [
    parsed.searchParams.get('options'),
    `-c statement_timeout=${options.statementTimeoutMs ?? 5000}`,
  ];
  if (options.schema) settings.push(`-c search_path=${options.schema}`);
  parsed.searchParams.set('options', settings.filter(Boolean).join(' '));
  return parsed.toString();
}

function describeHost(url: string): string {
  const parsed = new URL(url);
  // Never echo the password: host, port and database only.
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
}

function clientSql(client: pg.PoolClient): Sql {
  const sql: Sql = {
    kind: 'postgres',
    query: async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[],
    exec: async (text) => {
      await client.query(text);
    },
    withClient: (fn) => fn(sql),
    close: async () => {},
  };
  return sql;
}

export async function connectPostgres(url: string, options: PostgresOptions = {}): Promise<Sql> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name "${options.schema}"`);
  }
  const pool = new pg.Pool({ connectionString: withConnectionOptions(url, options), max: options.max ?? 10 });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
    if (options.schema) {
      // "if not exists" still races with a concurrent creation (unique violation): that is a success.
      await pool
        .query(`create schema if not exists "${options.schema}"`)
        .catch((error: { code?: string }) => {
          if (error.code !== '23505' && error.code !== '42P06') throw error;
        });
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`cannot connect to PostgreSQL at ${describeHost(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    kind: 'postgres',
    query: async <T>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as T[],
    exec: async (text) => {
      await pool.query(text);
    },
    withClient: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn(clientSql(client));
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** PGlite is one connection: a queue makes withClient exclusive, as a pooled client would be. */
export async function openPglite(dataDir?: string): Promise<Sql> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
  const direct: Sql = {
    kind: 'pglite',
    query: async <T>(text: string, params?: unknown[]) => (await db.query<T>(text, params)).rows,
    exec: async (text) => {
      await db.exec(text);
    },
    withClient: (fn) => fn(direct),
    close: async () => {},
  };
  return {
    kind: 'pglite',
    query: <T>(text: string, params?: unknown[]) => exclusive(() => direct.query<T>(text, params)),
    exec: (text) => exclusive(() => direct.exec(text)),
    withClient: (fn) => exclusive(() => fn(direct)),
    close: () => exclusive(() => db.close()),
  };
}
