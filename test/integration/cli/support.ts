// The CLI under test, called through run() with captured output, on a throw-away database:
// an embedded PGlite handed over as an open connection, or a schema of the real PostgreSQL
// reached through DATABASE_URL (search_path in the URL) as an operator's shell would.
import { randomBytes } from 'node:crypto';
import { type CliIo, run } from '../../../src/cli/main.ts';
import { connectPostgres, openPglite, type Sql } from '../../../src/store/sql.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliDatabase {
  name: string;
  /** The schema's connection, for assertions on raw rows. */
  sql: Sql;
  schema: string;
  env: Record<string, string | undefined>;
  cli(...argv: string[]): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/** The hub's secrets for these tests (fictitious, random per run). */
export const secretsEnv = () => ({
  ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  SUB_SECRET: randomBytes(32).toString('hex'),
  COOKIE_KEYS: randomBytes(32).toString('hex'),
});

export function schemaUrl(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export function callCli(io: Omit<CliIo, 'stdout' | 'stderr'>) {
  return async (...argv: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      ...io,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { code, stdout, stderr };
  };
}

let sharedPglite: Promise<Sql> | undefined;

async function pglite(): Promise<CliDatabase> {
  sharedPglite ??= openPglite();
  const sql = await sharedPglite;
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  await sql.exec(`create schema ${schema}; set search_path to ${schema}`);
  const env = secretsEnv();
  return {
    name: 'pglite',
    sql,
    schema,
    env,
    cli: callCli({ env, sql }),
    cleanup: () => sql.exec(`drop schema ${schema} cascade; set search_path to public`),
  };
}

async function postgres(url: string): Promise<CliDatabase> {
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  const sql = await connectPostgres(url, { schema });
  const env = { ...secretsEnv(), DATABASE_URL: schemaUrl(url, schema) };
  return {
    name: 'postgres',
    sql,
    schema,
    env,
    cli: callCli({ env }),
    cleanup: async () => {
      await sql.exec(`drop schema if exists ${schema} cascade`);
      await sql.close();
    },
  };
}

export const cliDatabases: Array<{ name: string; open(): Promise<CliDatabase> }> = [
  { name: 'pglite', open: pglite },
  ...(process.env.DATABASE_URL
    ? [{ name: 'postgres', open: () => postgres(process.env.DATABASE_URL as string) }]
    : []),
];
