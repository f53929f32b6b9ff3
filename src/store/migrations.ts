// Forward-only SQL migrations (migrations/NNNN_slug.sql), checksummed, under an advisory lock so
// that hub instances starting together apply each file once.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './sql.ts';

const DEFAULT_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const FILE_NAME = /^(\d{4})_[a-z0-9_-]+\.sql$/;
/** Fixed key of the migration lock ("relais" in ASCII); any value works if nothing else uses it. */
const LOCK_KEY = '125779935586675';
/** A second instance waits this long for the first one's migrations. */
const LOCK_WAIT = '60s';

interface MigrationFile {
  version: string;
  name: string;
  text: string;
  checksum: string;
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    const version = name.slice(0, 4);
    if (files.some((f) => f.version === version)) {
      throw new Error(`two migrations share version ${version} (${name})`);
    }
    files.push({ version, name, text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  return files;
}

function checkLanded(files: MigrationFile[], landed: Map<string, { name: string; checksum: string }>): void {
  for (const file of files) {
    const row = landed.get(file.version);
    if (row && (row.checksum !== file.checksum || row.name !== file.name)) {
      throw new Error(`migration ${file.name} was edited after it was applied`);
    }
  }
}

async function applyPending(sql: Sql, files: MigrationFile[]): Promise<string[]> {
  await sql.exec(`create table if not exists schema_migrations (
    version text primary key, name text, checksum text, applied_at timestamptz default now())`);
  const rows = await sql.query<{ version: string; name: string; checksum: string }>(
    'select version, name, checksum from schema_migrations',
  );
  const landed = new Map(rows.map((r) => [r.version, r]));
  checkLanded(files, landed);
  const applied: string[] = [];
  for (const file of files.filter((f) => !landed.has(f.version))) {
    await sql.exec('begin');
    try {
      // A migration may be slower than the per-statement timeout of ordinary queries.
      await sql.exec('set local statement_timeout = 0');
      await sql.exec(file.text);
      await sql.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        file.version,
        file.name,
        file.checksum,
      ]);
      await sql.exec('commit');
    } catch (error) {
      await sql.exec('rollback');
      throw new Error(`migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(file.name);
  }
  return applied;
}

/** Applies the pending files of dir in order; returns the names applied by this call. */
export async function migrate(sql: Sql, dir: string = DEFAULT_DIR): Promise<{ applied: string[] }> {
  const files = await readMigrations(dir);
  return sql.withClient(async (client) => {
    await client.exec(`set statement_timeout = '${LOCK_WAIT}'`);
    await client.query(`select pg_advisory_lock(${LOCK_KEY})`);
    try {
      return { applied: await applyPending(client, files) };
    } finally {
      await client.query(`select pg_advisory_unlock(${LOCK_KEY})`);
      await client.exec('reset statement_timeout');
    }
  });
}
