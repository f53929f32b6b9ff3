// habilitations list, grant and revoke: an SP's DataPass habilitations, edited inside its entry.
import { habilitationSchema, type ServiceProvider, splitScope } from '../config/federation.ts';
import { inForce } from '../config/habilitations.ts';
import { UsageError } from './args.ts';
import { CliError, type Context } from './context.ts';
import { findEntry, upsertOne } from './entries.ts';
import { table } from './output.ts';

const findSp = async (ctx: Context, clientId: string) =>
  (await findEntry(ctx, 'sp', clientId)) as ServiceProvider;

async function list(ctx: Context): Promise<void> {
  const only = ctx.flags.get('sp');
  const sps =
    typeof only === 'string'
      ? [await findSp(ctx, only)]
      : await (await ctx.registry()).listServiceProviders();
  const now = ctx.now();
  const rows = sps.flatMap((sp) =>
    (sp.habilitations ?? []).map((h) => ({ sp: sp.client_id, ...h, in_force: inForce(h, now) })),
  );
  if (ctx.json) ctx.printJson(rows);
  else ctx.print(table(['sp', 'id', 'scopes', 'expires_at', 'in_force'], rows));
}

/** Adds the habilitation, or replaces the one with its id (a renewal, new scopes). */
async function grant(ctx: Context, clientId: string): Promise<void> {
  const value = (flag: string) => {
    const given = ctx.flags.get(flag);
    if (typeof given !== 'string') {
      throw new UsageError('habilitations grant needs --id, --scopes "a b" and --expires YYYY-MM-DD');
    }
    return given;
  };
  const input = { id: value('id'), scopes: splitScope(value('scopes')), expires_at: value('expires') };
  const parsed = habilitationSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CliError(`habilitation "${input.id}": ${problems.join('; ')}`);
  }
  const habilitation = parsed.data;
  const sp = await findSp(ctx, clientId);
  const kept = sp.habilitations ?? [];
  const replaced = kept.some((h) => h.id === habilitation.id);
  const habilitations = replaced
    ? kept.map((h) => (h.id === habilitation.id ? habilitation : h))
    : [...kept, habilitation];
  await upsertOne(ctx, 'sp', { ...sp, habilitations });
  const in_force = inForce(habilitation, ctx.now());
  if (ctx.json) ctx.printJson({ client_id: clientId, habilitation, in_force, replaced });
  else {
    const state = in_force ? 'in force' : 'not in force';
    ctx.print(
      `sp "${clientId}": habilitation "${habilitation.id}" ${replaced ? 'replaced' : 'granted'} (${state}, through ${habilitation.expires_at})`,
    );
  }
}

async function revoke(ctx: Context, clientId: string, id: string): Promise<void> {
  const sp = await findSp(ctx, clientId);
  const kept = sp.habilitations ?? [];
  if (!kept.some((h) => h.id === id)) throw new CliError(`sp "${clientId}": habilitation "${id}": not found`);
  await upsertOne(ctx, 'sp', { ...sp, habilitations: kept.filter((h) => h.id !== id) });
  if (ctx.json) ctx.printJson({ client_id: clientId, revoked: id });
  else ctx.print(`sp "${clientId}": habilitation "${id}" revoked`);
}

export async function runHabilitationCommand(
  ctx: Context,
  action: string,
  clientId: string | undefined,
  id: string | undefined,
): Promise<void> {
  if (action === 'list') return list(ctx);
  if (!clientId) throw new UsageError(`habilitations ${action} needs the SP's client_id`);
  if (action === 'grant') return grant(ctx, clientId);
  if (!id) throw new UsageError("habilitations revoke needs the SP's client_id and the habilitation's id");
  return revoke(ctx, clientId, id);
}
