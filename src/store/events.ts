// The `events` table (migrations/0002_events.sql): batched inserts, retention, and the summary
// behind `relais stats`.
import type { Sql } from './sql.ts';

/** A business event as the table keeps it (observability/events.ts's StoredEvent is one). */
export interface EventRow {
  at: Date;
  name: string;
  clientId?: string | undefined;
  idpUid?: string | undefined;
  acr?: string | undefined;
  interactionId?: string | undefined;
  sessionId?: string | undefined;
  errorCode?: string | undefined;
  data?: Readonly<Record<string, string | number | boolean>> | undefined;
}

const COLUMNS = 9;

/** One multi-row insert per batch: the ids follow the order of the batch. */
export async function insertEvents(sql: Sql, events: readonly EventRow[]): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [];
  const rows = events.map((event, index) => {
    params.push(
      event.at.toISOString(),
      event.name,
      event.clientId ?? null,
      event.idpUid ?? null,
      event.acr ?? null,
      event.interactionId ?? null,
      event.sessionId ?? null,
      event.errorCode ?? null,
      event.data ? JSON.stringify(event.data) : null,
    );
    const base = index * COLUMNS;
    return `(${Array.from({ length: COLUMNS }, (_, i) => `$${base + i + 1}`).join(', ')})`;
  });
  await sql.query(
    `insert into events (at, name, client_id, idp_uid, acr, interaction_id, session_id, error_code, data)
     values ${rows.join(', ')}`,
    params,
  );
}

/** Deletes the events older than `days`; returns how many went. */
export async function pruneEvents(sql: Sql, days: number): Promise<number> {
  const rows = await sql.query<{ count: number }>(
    `with gone as (delete from events where at < now() - make_interval(days => $1) returning 1)
     select count(*)::int as count from gone`,
    [days],
  );
  return rows[0]?.count ?? 0;
}

// A type, not an interface: rows of it go to generic table printers (Record<string, unknown>).
export type LoginCounts = {
  /** Authorization requests received (refused ones included). */
  started: number;
  /** Consents given: the SP got a code. */
  completed: number;
  /** Logins that ended with an error sent to the SP (refused requests included). */
  failed: number;
  /** failed / (completed + failed); 0 when neither happened. */
  errorRate: number;
};

export interface EventSummary {
  /** The window: the last `days` days up to now. */
  days: number;
  since: Date;
  /** Per UTC day (YYYY-MM-DD) and SP (client_id), oldest day first. */
  bySp: Array<LoginCounts & { day: string; clientId: string }>;
  /** Per UTC day and IdP (uid); `started` is 0 here: the IdP is not known at the authorize step. */
  byIdp: Array<LoginCounts & { day: string; idpUid: string }>;
  /** The error codes of failed logins over the window, most frequent first. */
  errors: Array<{ errorCode: string; count: number }>;
  totals: LoginCounts;
}

interface CountRow {
  day: string;
  key: string | null;
  started: number;
  completed: number;
  failed: number;
}

const counts = (row: { started: number; completed: number; failed: number }): LoginCounts => ({
  started: row.started,
  completed: row.completed,
  failed: row.failed,
  errorRate: row.completed + row.failed === 0 ? 0 : row.failed / (row.completed + row.failed),
});

function countsBy(sql: Sql, column: 'client_id' | 'idp_uid', since: Date): Promise<CountRow[]> {
  return sql.query<CountRow>(
    `select to_char(at at time zone 'UTC', 'YYYY-MM-DD') as day, ${column} as key,
       (count(*) filter (where name = 'authorize.received'))::int as started,
       (count(*) filter (where name = 'consent.given'))::int as completed,
       (count(*) filter (where name = 'login.failed'))::int as failed
     from events
     where at >= $1 and name in ('authorize.received', 'consent.given', 'login.failed')
       and ${column} is not null
     group by 1, 2 order by 1, 2`,
    [since.toISOString()],
  );
}

/** Logins per day per SP and per IdP, and error rates, over the last `days` days. */
export async function summariseEvents(sql: Sql, options: { days: number }): Promise<EventSummary> {
  const since = new Date(Date.now() - options.days * 86_400_000);
  const [bySp, byIdp, errors] = await Promise.all([
    countsBy(sql, 'client_id', since),
    countsBy(sql, 'idp_uid', since),
    sql.query<{ errorCode: string; count: number }>(
      `select error_code as "errorCode", count(*)::int as count from events
       where at >= $1 and name = 'login.failed' and error_code is not null
       group by 1 order by 2 desc, 1`,
      [since.toISOString()],
    ),
  ]);
  const sum = (field: 'started' | 'completed' | 'failed') =>
    bySp.reduce((total, row) => total + row[field], 0);
  return {
    days: options.days,
    since,
    bySp: bySp.map((row) => ({ day: row.day, clientId: String(row.key), ...counts(row) })),
    byIdp: byIdp.map((row) => ({ day: row.day, idpUid: String(row.key), ...counts(row) })),
    errors,
    totals: counts({ started: sum('started'), completed: sum('completed'), failed: sum('failed') }),
  };
}
