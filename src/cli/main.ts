#!/usr/bin/env node
// relais: the admin command line of the hub's registry. It writes to PostgreSQL only: running
// hubs see every change within a few seconds (they poll the registry's fingerprint).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/index.ts';
import { parseArgs, UsageError } from './args.ts';
import { CliError, type CliIo, createContext } from './context.ts';
import { type Kind, runEntryCommand } from './entries.ts';
import { exportFederation, importFederation } from './federation.ts';
import { runHabilitationCommand } from './habilitations.ts';
import { listKeys, retireKey, rotateKeys, runMigrate, showStats } from './operations.ts';
import { revokeSession } from './sessions.ts';

export type { CliIo } from './context.ts';

export const USAGE = `usage: relais [--embedded] [--json] <command>
  migrate                                  apply pending migrations
  sp add --json '{…}' | --file entry.json  add a service provider
  sp list | show ID | disable ID | enable ID | rotate-secret ID
  idp add --json '{…}' | --file entry.json add an identity provider
  idp list | show ID | disable ID | enable ID | refresh [ID] (metadata fetched again; all without ID)
  dp add --json '{…}' | --file entry.json  add a data provider
  dp list | show ID | disable ID | enable ID | rotate-secret ID
  habilitations list [--sp ID]             SPs' habilitations, in force or not
  habilitations grant ID --id H --scopes "a b" --expires YYYY-MM-DD
                                           add (or replace by id) a habilitation of SP ID
  habilitations revoke ID H                remove habilitation H of SP ID
  keys list                                the hub's signing and encryption keys (public facts only)
  keys rotate [--delay SECONDS] [--alg A]  new keys, published now, active after the delay (900 s)
  keys retire KID                          stop publishing a key that is no longer active
  sessions revoke --sub SUB --sp ID        end the citizen's hub session (SP ID's sub SUB);
                                           a running hub tells its SPs (back-channel logout)
  import FILE                              upsert a federation file
  export [--with-secrets]                  print the registry as a federation file
  stats [--days N]                         business events of the last N days (default 7)
environment: DATABASE_URL (or --embedded: PGLITE_DIR), ENCRYPTION_KEY, as for the hub`;

const GLOBAL_FLAGS = ['embedded', 'json', 'help'];
const COMMAND_FLAGS: Record<string, string[]> = {
  add: ['file'],
  export: ['with-secrets'],
  stats: ['days'],
  keys: ['delay', 'alg'],
  sessions: ['sub', 'sp'],
  'habilitations list': ['sp'],
  'habilitations grant': ['id', 'scopes', 'expires'],
};
/** How many arguments each habilitations command takes after its name (client_id, id). */
const HABILITATION_ARITY: Record<string, number> = { list: 0, grant: 1, revoke: 2 };

function checkFlags(flags: Map<string, string | true>, command: string): void {
  const allowed = new Set([...GLOBAL_FLAGS, ...(COMMAND_FLAGS[command] ?? [])]);
  for (const name of flags.keys()) {
    if (!allowed.has(name)) throw new UsageError(`unknown option --${name} for "${command}"`);
  }
}

/** Runs one command; returns the exit code (0 done, 1 failed, 2 usage error). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let close = async () => {};
  try {
    const { positionals, flags } = parseArgs(argv);
    const [group, action, id, ...extra] = positionals;
    if (flags.has('help') || group === undefined || group === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return group === undefined && !flags.has('help') ? 2 : 0;
    }
    const isEntry = group === 'sp' || group === 'idp' || group === 'dp';
    const isHabilitations = group === 'habilitations';
    const single = group === 'migrate' || group === 'export' || group === 'stats';
    const takesId = isEntry || (group === 'keys' && action === 'retire');
    const maxWords = isHabilitations
      ? 2 + (HABILITATION_ARITY[action ?? ''] ?? 0)
      : takesId
        ? 3
        : single
          ? 1
          : 2;
    if (positionals.length > maxWords) throw new UsageError(`too many arguments for "${group}"`);
    checkFlags(flags, isEntry ? (action ?? group) : isHabilitations && action ? `${group} ${action}` : group);
    if (isEntry && !action)
      throw new UsageError(`${group} needs a command: add, list, show, disable, enable`);
    if (isHabilitations && HABILITATION_ARITY[action ?? ''] === undefined) {
      throw new UsageError('habilitations needs a command: list, grant, revoke');
    }
    if (group === 'keys' && !['list', 'rotate', 'retire'].includes(action ?? '')) {
      throw new UsageError('keys needs a command: list, rotate, retire');
    }
    if (group === 'sessions' && action !== 'revoke') throw new UsageError('sessions needs a command: revoke');
    if (group === 'import' && !action) throw new UsageError('import needs a FILE');
    const known = ['keys', 'import', 'sessions'];
    if (!isEntry && !isHabilitations && !single && !known.includes(group)) {
      throw new UsageError(`unknown command "${group}"`);
    }
    const ctx = createContext(io, flags);
    close = ctx.close;
    if (isEntry) await runEntryCommand(ctx, group as Kind, action ?? '', id);
    else if (isHabilitations) await runHabilitationCommand(ctx, action ?? '', id, extra[0]);
    else if (group === 'migrate') await runMigrate(ctx);
    else if (group === 'keys' && action === 'rotate') await rotateKeys(ctx);
    else if (group === 'keys' && action === 'retire') await retireKey(ctx, id);
    else if (group === 'keys') await listKeys(ctx);
    else if (group === 'import') await importFederation(ctx, action ?? '');
    else if (group === 'sessions') await revokeSession(ctx);
    else if (group === 'export') await exportFederation(ctx);
    else await showStats(ctx);
    return 0;
  } catch (error) {
    io.stderr.write(`relais: ${describe(error)}\n`);
    if (error instanceof UsageError) io.stderr.write('run `relais --help` for the commands\n');
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await close().catch(() => {});
  }
}

function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof CliError || error instanceof ConfigError) {
    return error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  // The usual first-run mistake: the schema is not there yet.
  if (/relation "[a-z_]+" does not exist/.test(message)) return `${message} (run \`relais migrate\` first)`;
  return message.split('\n')[0] ?? message;
}

// The only part that touches `process`: when run as a program, not when imported by the tests.
// argv[1] may be a symlink (npm link puts one in a bin folder): compare real paths.
const invokedAs = (path: string | undefined): string | undefined => {
  try {
    return path === undefined ? undefined : realpathSync(path);
  } catch {
    return undefined;
  }
};
if (invokedAs(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
  );
}
