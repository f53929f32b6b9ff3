// What must survive every fault, read outside the hubs: the registry's rows and the signing keys
// in PostgreSQL, the keys each instance publishes, and the business events stored.
import pg from 'pg';

/** Tables whose rows must come out of every fault as they went in (id column, for the order). */
const KEPT_TABLES = {
  service_providers: 'client_id',
  identity_providers: 'uid',
  data_providers: 'client_id',
  signing_keys: 'kid',
  hub_secrets: 'name',
} as const;

export interface DataSnapshot {
  /** Per table: row count and an md5 over every row (updated_at left out: an upsert of the same entry moves it). */
  tables: Record<string, { rows: number; digest: string }>;
  /** Per hub instance: the kids of its /jwks, sorted; null when it did not answer. */
  jwks: Record<string, string[] | null>;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function kids(origin: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${origin}/jwks`, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) return null;
    const body = (await response.json()) as { keys?: Array<{ kid?: string }> };
    return (body.keys ?? []).map((key) => key.kid ?? '?').sort();
  } catch {
    return null;
  }
}

export async function snapshot(databaseUrl: string, hubs: Record<string, string>): Promise<DataSnapshot> {
  const tables = await withClient(databaseUrl, async (client) => {
    const out: DataSnapshot['tables'] = {};
    for (const [table, id] of Object.entries(KEPT_TABLES)) {
      const { rows } = await client.query<{ rows: number; digest: string | null }>(
        `select count(*)::int as rows,
                md5(coalesce(string_agg((to_jsonb(t) - 'updated_at')::text, ',' order by t.${id}), '')) as digest
           from ${table} t`,
      );
      out[table] = { rows: rows[0]?.rows ?? 0, digest: rows[0]?.digest ?? '' };
    }
    return out;
  });
  const jwks: DataSnapshot['jwks'] = {};
  for (const [name, origin] of Object.entries(hubs)) jwks[name] = await kids(origin);
  return { tables, jwks };
}

/** What changed between two snapshots, in words; empty when nothing was lost or altered. */
export function compareSnapshots(before: DataSnapshot, after: DataSnapshot): string[] {
  const changes: string[] = [];
  for (const [table, was] of Object.entries(before.tables)) {
    const now = after.tables[table];
    if (!now) changes.push(`${table}: not readable`);
    else if (now.rows !== was.rows) changes.push(`${table}: ${was.rows} rows before, ${now.rows} after`);
    else if (now.digest !== was.digest) changes.push(`${table}: rows altered`);
  }
  const reference = Object.values(before.jwks).find((list) => list !== null);
  for (const [hub, list] of Object.entries(after.jwks)) {
    if (list === null) changes.push(`${hub}: /jwks did not answer`);
    else if (reference && list.join(' ') !== reference.join(' '))
      changes.push(`${hub}: publishes ${list.length} keys, not the ${reference.length} published before`);
  }
  return changes;
}

/** Token requests that succeeded, as the `events` table has them (sp.token without an error). */
export async function storedTokenEvents(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from events where name = 'sp.token' and error_code is null",
    );
    return rows[0]?.n ?? 0;
  });
}
