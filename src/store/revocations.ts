// Operators' requests to end a citizen's hub session, through PostgreSQL: the CLI files one, a
// running hub claims it (one instance, whichever polls first), ends the session and records what
// happened, which the CLI reads back.
import { createHash } from 'node:crypto';
import type { Sql } from './sql.ts';

/**
 * How an SP's `sub` is named in the hub's index and in a request: a hash, so that neither the
 * store's keys nor PostgreSQL hold the sub itself.
 */
export function subjectKey(clientId: string, sub: string): string {
  return createHash('sha256').update(`${clientId}\u001f${sub}`, 'utf8').digest('base64url');
}

/** A request older than this is left alone: an operator would not expect it applied so late. */
const PENDING_FOR = '1 hour';

export interface Revocation {
  id: string;
  clientId: string;
  /** subjectKey: a hash of the SP and its sub. */
  subject: string;
}

export type RevocationResult =
  | { state: 'pending' }
  | { state: 'ended'; notified: number }
  | { state: 'no_session' }
  | { state: 'failed' };

export async function requestRevocation(sql: Sql, clientId: string, subject: string): Promise<string> {
  const [row] = await sql.query<{ id: string }>(
    'insert into session_revocations (client_id, subject) values ($1, $2) returning id::text',
    [clientId, subject],
  );
  if (!row) throw new Error('session_revocations: no id returned');
  return row.id;
}

/** The oldest pending request, claimed by this instance; undefined when none is waiting. */
export async function claimRevocation(sql: Sql): Promise<Revocation | undefined> {
  const [row] = await sql.query<{ id: string; client_id: string; subject: string }>(
    `update session_revocations set handled_at = now()
      where id = (select id from session_revocations
                   where handled_at is null and requested_at > now() - interval '${PENDING_FOR}'
                   order by id limit 1 for update skip locked)
      returning id::text, client_id, subject`,
  );
  return row && { id: row.id, clientId: row.client_id, subject: row.subject };
}

export async function recordRevocation(
  sql: Sql,
  id: string,
  result: { ended: true; notified: number } | { ended: false } | { failed: true },
): Promise<void> {
  const ended = 'ended' in result && result.ended;
  await sql.query('update session_revocations set outcome = $2, notified = $3 where id = $1', [
    id,
    'failed' in result ? 'failed' : ended ? 'ended' : 'no_session',
    ended ? result.notified : null,
  ]);
}

/** Requests are kept this long (an operator's trail), then deleted with the old business events. */
export async function pruneRevocations(sql: Sql, days: number): Promise<void> {
  await sql.query(
    `delete from session_revocations where requested_at < now() - make_interval(days => $1::int)`,
    [days],
  );
}

export async function revocationResult(sql: Sql, id: string): Promise<RevocationResult> {
  const [row] = await sql.query<{ outcome: string | null; notified: number | null }>(
    'select outcome, notified from session_revocations where id = $1',
    [id],
  );
  if (row?.outcome === 'ended') return { state: 'ended', notified: row.notified ?? 0 };
  if (row?.outcome === 'no_session') return { state: 'no_session' };
  if (row?.outcome === 'failed') return { state: 'failed' };
  return { state: 'pending' };
}
