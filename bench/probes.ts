// What the bench reads around each stage, outside the processes it measures: a process's CPU time
// (/proc), the hub's Prometheus counters, the Redis server's counters and the keys' memory, and
// PostgreSQL's transaction counters. Each read is cheap and taken outside the measured window
// where it would pollute it (the Redis scan), or subtracted (the INFO command itself).
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pg from 'pg';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU time of a process, in ms. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return ((Number(stat[11]) + Number(stat[12])) * 1000) / CLOCK_TICKS;
}

/** The machine's CPU time, all CPUs: busy and total, in ticks (/proc/stat). */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    fields.map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Prometheus text → value by series (`name` or `name{labels}`); comments skipped. */
export function parsePrometheus(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (space > 0 && Number.isFinite(value)) series.set(line.slice(0, space), value);
  }
  return series;
}

/** The hub's /metrics; undefined when it does not answer (the figures are then null). */
export async function scrape(origin: string, token: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(`${origin}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return undefined;
    return parsePrometheus(await response.text());
  } catch {
    return undefined;
  }
}

export interface RedisCounters {
  commands: number;
  /** Read events on the server: one per batch a client sends, ≈ one round trip. */
  reads: number;
  /** Calls by command (INFO commandstats), lower case. */
  byCommand: Record<string, number>;
}

/** Keys still to live longer than this hold what a login keeps for its whole session. */
export const SESSION_LONG_MS = 5 * 60_000;

export interface KeySizes {
  bytes: number;
  keys: number;
  /** Bytes of the keys with more than SESSION_LONG_MS to live (the citizen's session). */
  sessionBytes: number;
  /** Keys and bytes by kind: the key after the prefix, up to its id (`hub-session`, `oidc:Session`). */
  byKind: Record<string, { keys: number; bytes: number }>;
}

export interface Footprint extends KeySizes {
  /** The keys found, to tell the next scan which keys are new. */
  names: Set<string>;
  /** The keys not in the `since` set given to the scan: those created (and still alive) since. */
  fresh: KeySizes;
}

// MEMORY USAGE of KEYS summed by kind (the key after the prefix up to its id: `hub-session`,
// `oidc:Session`; ARGV[1] = the prefix's length), one script per batch: the sizes of tens of
// thousands of keys without as many replies to parse.
const SIZES = `
local sums, order = {}, {}
for _, key in ipairs(KEYS) do
  local bytes = redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
  if bytes then
    local rest = string.sub(key, tonumber(ARGV[1]) + 1)
    local kind = string.match(rest, '^oidc:[^:]*') or string.match(rest, '^[^:]*')
    if not sums[kind] then sums[kind] = { 0, 0, 0 }; table.insert(order, kind) end
    sums[kind][1] = sums[kind][1] + 1
    sums[kind][2] = sums[kind][2] + bytes
    if redis.call('PTTL', key) > tonumber(ARGV[2]) then sums[kind][3] = sums[kind][3] + bytes end
  end
end
local out = {}
for _, kind in ipairs(order) do
  table.insert(out, kind); table.insert(out, sums[kind][1]); table.insert(out, sums[kind][2])
  table.insert(out, sums[kind][3])
end
return out`;

export interface RedisProbe {
  counters(): Promise<RedisCounters>;
  /** SCAN of the keys under `prefix`, MEMORY USAGE of each, summed (and for those not in `since`). */
  footprint(prefix: string, since?: Set<string>): Promise<Footprint>;
  close(): Promise<void>;
}

export async function redisProbe(url: string): Promise<RedisProbe> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', () => {});
  redis.defineCommand('benchSizes', { lua: SIZES });
  await redis.connect();
  const sized = redis as Redis & {
    benchSizes(...args: Array<string | number>): Promise<Array<string | number>>;
  };
  /** MEMORY USAGE of the keys, summed by kind on the server (keys gone meanwhile are skipped). */
  const sizes = async (keys: string[], prefix: string): Promise<KeySizes> => {
    const out: KeySizes = { bytes: 0, keys: 0, sessionBytes: 0, byKind: {} };
    for (let i = 0; i < keys.length; i += 2000) {
      const batch = keys.slice(i, i + 2000);
      const flat = await sized.benchSizes(batch.length, ...batch, prefix.length, SESSION_LONG_MS);
      for (let j = 0; j + 3 < flat.length; j += 4) {
        const kind = String(flat[j]);
        const count = Number(flat[j + 1]);
        const bytes = Number(flat[j + 2]);
        out.sessionBytes += Number(flat[j + 3]);
        const entry = out.byKind[kind] ?? { keys: 0, bytes: 0 };
        entry.keys += count;
        entry.bytes += bytes;
        out.byKind[kind] = entry;
        out.keys += count;
        out.bytes += bytes;
      }
    }
    return out;
  };
  return {
    async counters() {
      // One command for both sections (Redis ≥ 7): it counts itself once, subtracted by the caller.
      const text = (await redis.call('INFO', 'stats', 'commandstats')) as string;
      const out: RedisCounters = { commands: 0, reads: 0, byCommand: {} };
      for (const line of text.split('\r\n')) {
        const [name = '', value = ''] = line.split(':');
        if (name === 'total_commands_processed') out.commands = Number(value);
        else if (name === 'total_reads_processed') out.reads = Number(value);
        else if (name.startsWith('cmdstat_')) {
          out.byCommand[name.slice('cmdstat_'.length)] = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
        }
      }
      return out;
    },
    async footprint(prefix, since) {
      const names = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
        cursor = next;
        for (const key of keys) names.add(key); // SCAN may return a key twice
      } while (cursor !== '0');
      const fresh = since ? [...names].filter((key) => !since.has(key)) : [];
      return { ...(await sizes([...names], prefix)), names, fresh: await sizes(fresh, prefix) };
    },
    async close() {
      await redis.quit();
    },
  };
}

/** DATABASE_URL with `search_path` set to the schema, as the tests do (other options kept). */
export function schemaUrl(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = [parsed.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean);
  parsed.searchParams.set('options', options.join(' '));
  return parsed.toString();
}

/** The bench's own schema: its demo registry neither clobbers nor is clobbered by anyone else's. */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  try {
    await connection.query(`create schema if not exists ${schema}`);
  } finally {
    await connection.end();
  }
}

/** A schema of the bench's own making, with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  try {
    await connection.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await connection.end();
  }
}

/** The hub's secrets in its environment, as production gives them (src/config). */
const SECRET_VARIABLES = ['SUB_SECRET', 'ENCRYPTION_KEY', 'COOKIE_KEYS'] as const;

/**
 * The hub's secrets from the bench's environment, for every instance; undefined when none is set.
 * All three or none: production gives all three, a demo hub generates all three, a mix is neither.
 * Their formats are the hub's to check (it stops naming the variable).
 */
export function givenSecrets(env: Record<string, string | undefined>): Record<string, string> | undefined {
  const missing = SECRET_VARIABLES.filter((name) => !env[name]);
  if (missing.length === SECRET_VARIABLES.length) return undefined;
  if (missing.length > 0)
    throw new Error(
      `${missing.join(', ')} not set: give ${SECRET_VARIABLES.join(', ')} all three, or none (the first hub then generates them)`,
    );
  return Object.fromEntries(SECRET_VARIABLES.map((name) => [name, env[name] as string]));
}

/** The secrets a demo hub keeps in PostgreSQL (hub_secrets), as the environment gives them. */
export async function keptDemoSecrets(
  url: string,
  schema: string,
): Promise<Record<string, string> | undefined> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  try {
    const { rows } = await connection.query<{ name: string; value: string }>(
      `select name, value from ${schema}.hub_secrets where name in ('sub_secret', 'encryption_key', 'cookie_key')`,
    );
    const kept = Object.fromEntries(rows.map((row) => [row.name, row.value]));
    if (!kept['sub_secret'] || !kept['encryption_key'] || !kept['cookie_key']) return undefined;
    return {
      SUB_SECRET: kept['sub_secret'],
      ENCRYPTION_KEY: Buffer.from(kept['encryption_key'], 'base64url').toString('hex'),
      COOKIE_KEYS: kept['cookie_key'],
    };
  } catch {
    return undefined; // no table yet: a fresh database
  } finally {
    await connection.end();
  }
}

export interface PgProbe {
  /** xact_commit + xact_rollback of the database (pg_stat_database). */
  transactions(): Promise<number>;
  close(): Promise<void>;
}

export async function pgProbe(url: string): Promise<PgProbe> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  return {
    async transactions() {
      const { rows } = await connection.query<{ n: string }>(
        'select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()',
      );
      return Number(rows[0]?.n ?? 0);
    },
    close: () => connection.end(),
  };
}
