// migrate, keys list and stats: the commands that are not about one registry entry.

import { summariseEvents } from '../store/events.ts';
import { migrate } from '../store/migrations.ts';
import { UsageError } from './args.ts';
import type { Context } from './context.ts';
import { fields, table } from './output.ts';

export async function runMigrate(ctx: Context): Promise<void> {
  const { applied } = await migrate(await ctx.sql());
  if (ctx.json) ctx.printJson({ applied });
  else ctx.print(applied.length ? applied.map((name) => `applied ${name}`).join('\n') : 'up to date');
}

/** Public facts only: the private JWK never leaves the repository. */
export async function listKeys(ctx: Context): Promise<void> {
  const keys = (await (await ctx.keys()).list()).map((key) => ({
    kid: key.kid,
    alg: key.alg,
    created_at: key.createdAt.toISOString(),
  }));
  if (ctx.json) ctx.printJson(keys);
  else ctx.print(table(['kid', 'alg', 'created_at'], keys));
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
