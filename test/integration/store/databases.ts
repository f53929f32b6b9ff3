// The databases every SQL test runs on: PGlite in memory always, PostgreSQL when DATABASE_URL is
// set (in a throw-away schema, dropped afterwards).
import { randomBytes } from 'node:crypto';
import { connectPostgres, openPglite, type Sql } from '../../../src/store/sql.ts';

const randomSchema = () => `t_${randomBytes(6).toString('hex')}`;

export interface DatabaseFixture {
  sql: Sql;
  /** Another connection pool on the same database and schema, as a second hub instance has. */
  second(): Promise<Sql>;
  cleanup(): Promise<void>;
}

export interface Database {
  name: string;
  open(): Promise<DatabaseFixture>;
}

// Starting PGlite takes a second or more: one instance per test file, one fresh schema per test.
let sharedPglite: Promise<Sql> | undefined;

const pglite: Database = {
  name: 'pglite',
  open: async () => {
    sharedPglite ??= openPglite();
    const sql = await sharedPglite;
    const schema = randomSchema();
    await sql.exec(`create schema ${schema}; set search_path to ${schema}`);
    return {
      sql,
      // One process, one connection: the same instance plays the second hub instance.
      second: async () => sql,
      cleanup: () => sql.exec(`set search_path to public; drop schema ${schema} cascade`),
    };
  },
};

function postgres(url: string): Database {
  return {
    name: 'postgres',
    open: async () => {
      const schema = randomSchema();
      const opened = [await connectPostgres(url, { schema })];
      return {
        sql: opened[0]!,
        second: async () => {
          const sql = await connectPostgres(url, { schema });
          opened.push(sql);
          return sql;
        },
        cleanup: async () => {
          await Promise.all(opened.map((sql) => sql.close()));
          const admin = await connectPostgres(url);
          await admin.exec(`drop schema if exists ${schema} cascade`);
          await admin.close();
        },
      };
    },
  };
}

export const databases: Database[] = [
  pglite,
  ...(process.env.DATABASE_URL ? [postgres(process.env.DATABASE_URL)] : []),
];
