// What every command needs: the hub's configuration, one SQL connection and the encryption key,
// opened on first use and closed once the command is done.
import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../config/index.ts';
import {
  createKeyRepository,
  createRegistryRepository,
  createSecretRepository,
  type KeyRepository,
  type RegistryRepository,
} from '../store/registry.ts';
import { connectPostgres, openPglite, type Sql } from '../store/sql.ts';
import { UsageError } from './args.ts';

export interface Writable {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** An already open database (tests sharing one embedded PGlite with a hub); left open. */
  sql?: Sql;
  /** The clock (tests: a habilitation's last day in Paris); the system's by default. */
  now?: () => Date;
}

/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {}

export interface Context {
  config: Readonly<Config>;
  json: boolean;
  flags: Map<string, string | true>;
  now(): Date;
  print(text: string): void;
  printJson(value: unknown): void;
  sql(): Promise<Sql>;
  registry(): Promise<RegistryRepository>;
  keys(): Promise<KeyRepository>;
  close(): Promise<void>;
}

export function createContext(io: CliIo, flags: Map<string, string | true>): Context {
  const embedded = flags.get('embedded') === true;
  if (!io.sql && !embedded && !io.env.DATABASE_URL) {
    throw new UsageError('DATABASE_URL is required (or --embedded for the PGlite directory PGLITE_DIR)');
  }
  // --embedded ignores DATABASE_URL, so the rest of the configuration is read as the embedded hub reads it.
  const config = loadConfig(embedded ? { ...io.env, DATABASE_URL: undefined } : io.env);
  let opened: Promise<Sql> | undefined;
  let key: Promise<Buffer> | undefined;
  const sql = () => {
    opened ??= io.sql
      ? Promise.resolve(io.sql)
      : config.databaseUrl
        ? connectPostgres(config.databaseUrl, { max: 2 })
        : openPglite(config.pgliteDir);
    return opened;
  };
  const encryptionKey = () => {
    key ??= sql().then((db) => resolveEncryptionKey(config, db));
    return key;
  };
  return {
    config,
    json: flags.get('json') === true,
    flags,
    now: io.now ?? (() => new Date()),
    print: (text) => io.stdout.write(`${text}\n`),
    printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    sql,
    registry: async () => createRegistryRepository(await sql(), { encryptionKey: await encryptionKey() }),
    keys: async () => createKeyRepository(await sql(), { encryptionKey: await encryptionKey() }),
    close: async () => {
      if (opened && !io.sql) await (await opened).close();
    },
  };
}

/** The hub's rule: ENCRYPTION_KEY, or (embedded or demo hub only) the key it generated and kept. */
async function resolveEncryptionKey(config: Readonly<Config>, sql: Sql): Promise<Buffer> {
  if (config.secrets.encryptionKey) return config.secrets.encryptionKey;
  if (sql.kind !== 'pglite' && !config.demo) throw new CliError('ENCRYPTION_KEY is required');
  const kept = createSecretRepository(sql);
  const value = await kept.getOrCreate('encryption_key', () => randomBytes(32).toString('base64url'));
  return Buffer.from(value, 'base64url');
}
