// migrate, keys list and stats: the commands that are not about one registry entry.

import { generateHubKey, HUB_KEY_ALGS, keySet, retirable, useOf } from '../op/keys.ts';
import { summariseEvents } from '../store/events.ts';
import { migrate } from '../store/migrations.ts';
import { UsageError } from './args.ts';
import { CliError, type Context } from './context.ts';
import { fields, table } from './output.ts';

export async function runMigrate(ctx: Context): Promise<void> {
  const { applied } = await migrate(await ctx.sql());
  if (ctx.json) ctx.printJson({ applied });
  else ctx.print(applied.length ? applied.map((name) => `applied ${name}`).join('\n') : 'up to date');
}

/** Public facts only: the private JWK never leaves the repository. */
export async function listKeys(ctx: Context): Promise<void> {
  const stored = await (await ctx.keys()).list();
  const { active } = keySet(stored);
  const keys = stored.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    use: useOf(key.alg),
    created_at: key.createdAt.toISOString(),
    activates_at: key.activatesAt.toISOString(),
    // sig: the key that signs; enc: the key IdPs are asked to encrypt to (older ones still decrypt).
    active: active[key.alg] === key.kid ? 'yes' : 'no',
  }));
  if (ctx.json) ctx.printJson(keys);
  else ctx.print(table(['kid', 'alg', 'use', 'created_at', 'activates_at', 'active'], keys));
}

/** Tokens signed by a key live at most 60 s; a retired key is kept this long past its successor. */
export const RETIRE_GRACE_SECONDS = 300;

/**
 * A new key of each algorithm, signing (ES256, RS256) and encryption (ECDH-ES, RSA-OAEP-256), or
 * --alg one: published at once, active after --delay seconds (default 900). SPs that cache the
 * JWKS fetch the new signing key before a token signed with it arrives; IdPs are asked to encrypt
 * to the new encryption key only then, and the old one decrypts until it is retired.
 */
export async function rotateKeys(ctx: Context): Promise<void> {
  const delayFlag = ctx.flags.get('delay');
  const delay = delayFlag === undefined ? 900 : Number(delayFlag);
  if (!Number.isInteger(delay) || delay < 0)
    throw new UsageError('--delay must be a whole number of seconds ≥ 0');
  const algFlag = ctx.flags.get('alg');
  const algs = algFlag === undefined ? HUB_KEY_ALGS : HUB_KEY_ALGS.filter((alg) => alg === algFlag);
  if (!algs.length) throw new UsageError(`--alg must be one of ${HUB_KEY_ALGS.join(', ')}`);
  const keys = await ctx.keys();
  const activatesAt = new Date(Date.now() + delay * 1000);
  const created = [];
  for (const alg of algs) {
    const key = await generateHubKey(alg);
    await keys.insert({ ...key, activatesAt });
    created.push({ kid: key.kid, alg, activates_at: activatesAt.toISOString() });
  }
  if (ctx.json) ctx.printJson(created);
  else ctx.print(table(['kid', 'alg', 'activates_at'], created));
}

/** Stops publishing a key, once it no longer signs and nothing it signed can still be valid. */
export async function retireKey(ctx: Context, kid: string | undefined): Promise<void> {
  if (!kid) throw new UsageError('keys retire needs a KID');
  const repository = await ctx.keys();
  const keys = await repository.list();
  const key = keys.find((candidate) => candidate.kid === kid);
  if (!key) throw new CliError(`key "${kid}": not found (or already retired)`);
  if (!retirable(key, keys, RETIRE_GRACE_SECONDS)) {
    throw new CliError(
      `key "${kid}": still ${useOf(key.alg) === 'sig' ? 'signing' : 'the one IdPs encrypt to'}, or retired less than ${RETIRE_GRACE_SECONDS} s after a newer ${key.alg} key became active`,
    );
  }
  await repository.retire(kid);
  ctx.print(ctx.json ? JSON.stringify({ retired: kid }) : `retired ${kid}`);
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

export async function showStats(ctx: Context): Promise<void> {
  const daysFlag = ctx.flags.get('days');
  const days = daysFlag === undefined ? 7 : Number(daysFlag);
  if (!Number.isInteger(days) || days < 1) throw new UsageError('--days must be a positive whole number');
  const summary = await summariseEvents(await ctx.sql(), { days });
  if (ctx.json) return ctx.printJson(summary);
  const rate = <T extends { errorRate: number }>(row: T) => ({ ...row, errorRate: percent(row.errorRate) });
  const countColumns = ['started', 'completed', 'failed', 'errorRate'];
  ctx.print(
    [
      `last ${summary.days} days (since ${summary.since.toISOString()})`,
      fields(rate(summary.totals)),
      '',
      'per service provider',
      table(['day', 'clientId', ...countColumns], summary.bySp.map(rate)),
      '',
      'per identity provider',
      table(['day', 'idpUid', ...countColumns], summary.byIdp.map(rate)),
      '',
      'errors',
      table(['errorCode', 'count'], summary.errors),
    ].join('\n'),
  );
}
