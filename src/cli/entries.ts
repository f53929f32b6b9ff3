// sp/idp/dp add, list, show, disable, enable, rotate-secret, and idp refresh: the registry one entry at a time.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import {
  type DataProvider,
  dataProviderSchema,
  type IdentityProvider,
  identityProviderSchema,
  insecureUrls,
  type ServiceProvider,
  serviceProviderSchema,
} from '../config/federation.ts';
import { clientProblems } from '../op/validate-clients.ts';
import { UsageError } from './args.ts';
import { CliError, type Context } from './context.ts';
import { fields, redact, table } from './output.ts';

export type Kind = 'sp' | 'idp' | 'dp';
type Entry = ServiceProvider | IdentityProvider | DataProvider;

const TABLE = { sp: 'service_providers', idp: 'identity_providers', dp: 'data_providers' } as const;
const LIST_COLUMNS = {
  sp: ['client_id', 'active', 'type', 'token_endpoint_auth_method', 'client_name'],
  idp: ['uid', 'active', 'display', 'order', 'issuer', 'name'],
  dp: ['client_id', 'active', 'token_endpoint_auth_method', 'scopes', 'name'],
} as const;
const SCHEMA: { [K in Kind]: z.ZodType<Entry> } = {
  sp: serviceProviderSchema,
  idp: identityProviderSchema,
  dp: dataProviderSchema,
};

const idOf = (entry: Entry): string => ('uid' in entry ? entry.uid : entry.client_id);

async function list(ctx: Context, kind: Kind): Promise<Entry[]> {
  const registry = await ctx.registry();
  if (kind === 'sp') return registry.listServiceProviders();
  return kind === 'idp' ? registry.listIdentityProviders() : registry.listDataProviders();
}

/** One entry written through upsertFederation, as an import of a one-entry file would. */
export async function upsertOne(ctx: Context, kind: Kind, entry: Entry): Promise<void> {
  await (await ctx.registry()).upsertFederation(oneEntry(kind, entry));
}

const oneEntry = (kind: Kind, entry: Entry) => ({
  serviceProviders: kind === 'sp' ? [entry as ServiceProvider] : [],
  identityProviders: kind === 'idp' ? [entry as IdentityProvider] : [],
  dataProviders: kind === 'dp' ? [entry as DataProvider] : [],
});

export async function findEntry(ctx: Context, kind: Kind, id: string): Promise<Entry> {
  const entry = (await list(ctx, kind)).find((e) => idOf(e) === id);
  if (!entry) throw new CliError(`${kind} "${id}": not found`);
  return entry;
}

/** The entry from --json or --file, as untrusted input. */
async function readEntry(ctx: Context, kind: Kind): Promise<unknown> {
  const inline = ctx.flags.get('json');
  const file = ctx.flags.get('file');
  if (typeof inline !== 'string' && typeof file !== 'string') {
    throw new UsageError(`${kind} add needs --json '{…}' or --file entry.json`);
  }
  const source = typeof inline === 'string' ? '--json' : String(file);
  try {
    return JSON.parse(typeof inline === 'string' ? inline : await readFile(String(file), 'utf8'));
  } catch (cause) {
    throw new CliError(`${kind} add: ${source}: ${(cause as Error).message}`);
  }
}

/** The same rules as the federation file: the zod schema, then http on loopback only. */
function validate(ctx: Context, kind: Kind, input: unknown): Entry {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const name = `${kind} "${String((kind === 'idp' ? raw.uid : raw.client_id) ?? '?')}"`;
  const parsed = SCHEMA[kind].safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new CliError(`${name}: ${problems.join('; ')}`);
  }
  const insecure = ctx.config.allowInsecureHttp ? [] : insecureUrls(parsed.data);
  if (insecure[0]) {
    throw new CliError(
      `${name}: ${insecure[0]}: http is only allowed on loopback addresses (set ALLOW_INSECURE_HTTP=true to override)`,
    );
  }
  return parsed.data;
}

async function add(ctx: Context, kind: Kind): Promise<void> {
  const entry = validate(ctx, kind, await readEntry(ctx, kind));
  const registry = await ctx.registry();
  const id = idOf(entry);
  if ((await list(ctx, kind)).some((e) => idOf(e) === id)) {
    throw new CliError(`${kind} "${id}": already exists (edit it with \`relais import\`)`);
  }
  // SPs and data providers are both clients of the hub's OP: one client_id, one of them.
  const other = kind === 'sp' ? 'dp' : kind === 'dp' ? 'sp' : undefined;
  if (other && (await list(ctx, other)).some((e) => idOf(e) === id)) {
    const owner = other === 'sp' ? 'a service' : 'a data';
    throw new CliError(`${kind} "${id}": client_id: "${id}" is already ${owner} provider's client_id`);
  }
  if (kind === 'sp') {
    const known = new Set((await registry.listIdentityProviders()).map((idp) => idp.uid));
    const unknown = ((entry as ServiceProvider).identity_providers ?? []).find((uid) => !known.has(uid));
    if (unknown) throw new CliError(`sp "${id}": identity_providers: unknown identity provider "${unknown}"`);
  }
  // What oidc-provider would refuse at every login of this client is refused now.
  const [problem] = await clientProblems(oneEntry(kind, entry), ctx.config.profile);
  if (problem) throw new CliError(problem.replace(/^\w+\[0\] \(([^)]*)\)(?:\.|: )/, `${kind} "$1": `));
  await upsertOne(ctx, kind, entry);
  if (ctx.json) ctx.printJson({ added: id, kind });
  else ctx.print(`${kind} "${id}" added`);
}

async function setActive(ctx: Context, kind: Kind, id: string, active: boolean): Promise<void> {
  const registry = await ctx.registry();
  if (!(await registry.setActive(TABLE[kind], id, active))) throw new CliError(`${kind} "${id}": not found`);
  if (ctx.json) ctx.printJson({ [kind === 'idp' ? 'uid' : 'client_id']: id, active });
  else ctx.print(`${kind} "${id}" ${active ? 'enabled' : 'disabled'}`);
}

/**
 * Every running instance fetches the IdP's discovery and keys again within seconds (registry
 * refresh); without a uid, every IdP's.
 */
async function refreshMetadata(ctx: Context, uid: string | undefined): Promise<void> {
  const registry = await ctx.registry();
  const uids = uid === undefined ? (await registry.listIdentityProviders()).map((idp) => idp.uid) : [uid];
  for (const each of uids) {
    if (!(await registry.refreshMetadata(each))) throw new CliError(`idp "${each}": not found`);
  }
  if (ctx.json) ctx.printJson(uid === undefined ? { uids, refreshed: true } : { uid, refreshed: true });
  else
    ctx.print(
      `${uid === undefined ? `${uids.length} IdP(s)` : `idp "${uid}"`}: metadata fetched again by every running hub within seconds`,
    );
}

/** A new secret, printed once: only its sealed form stays in the registry. */
async function rotateSecret(ctx: Context, kind: 'sp' | 'dp', id: string): Promise<void> {
  const client = (await findEntry(ctx, kind, id)) as ServiceProvider | DataProvider;
  if (client.token_endpoint_auth_method === 'private_key_jwt') {
    throw new CliError(
      `${kind} "${id}": token_endpoint_auth_method is private_key_jwt: no client_secret to rotate`,
    );
  }
  const secret = randomBytes(48).toString('base64url');
  await upsertOne(ctx, kind, { ...client, client_secret: secret });
  if (ctx.json) ctx.printJson({ client_id: id, client_secret: secret });
  else ctx.print(`new client_secret for ${kind} "${id}" (shown once, store it now):\n${secret}`);
}

export async function runEntryCommand(ctx: Context, kind: Kind, action: string, id: string | undefined) {
  const needId = (): string => {
    if (!id)
      throw new UsageError(`${kind} ${action} needs the entry's ${kind === 'idp' ? 'uid' : 'client_id'}`);
    return id;
  };
  switch (action) {
    case 'add':
      return add(ctx, kind);
    case 'list': {
      const entries = (await list(ctx, kind)).map(redact);
      return ctx.json ? ctx.printJson(entries) : ctx.print(table(LIST_COLUMNS[kind], entries));
    }
    case 'show': {
      const entry = redact(await findEntry(ctx, kind, needId()));
      return ctx.json ? ctx.printJson(entry) : ctx.print(fields(entry));
    }
    case 'disable':
    case 'enable':
      return setActive(ctx, kind, needId(), action === 'enable');
    case 'rotate-secret':
      if (kind !== 'idp') return rotateSecret(ctx, kind, needId());
      break;
    case 'refresh':
      if (kind === 'idp') return refreshMetadata(ctx, id);
  }
  throw new UsageError(`unknown command "${kind} ${action}"`);
}
