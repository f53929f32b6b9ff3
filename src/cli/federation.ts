// import FILE (the federation file format, upserted) and export (the registry as such a file).
import type { Federation } from '../config/federation.ts';
import { loadFederationFile } from '../config/federation-file.ts';
import { ConfigError } from '../config/index.ts';
import { clientProblems } from '../op/validate-clients.ts';
import type { RegistryRepository } from '../store/registry.ts';
import { CliError, type Context } from './context.ts';

/** The file checks its own client_ids; these are checked against the registry's other entries. */
async function checkClientIds(registry: RegistryRepository, federation: Federation): Promise<void> {
  const sps = new Set((await registry.listServiceProviders()).map((sp) => sp.client_id));
  const dps = new Set((await registry.listDataProviders()).map((dp) => dp.client_id));
  const dp = federation.dataProviders.find((entry) => sps.has(entry.client_id));
  if (dp) {
    throw new CliError(
      `dataProviders (${dp.client_id}).client_id: "${dp.client_id}" is already a service provider's client_id`,
    );
  }
  const sp = federation.serviceProviders.find((entry) => dps.has(entry.client_id));
  if (sp) {
    throw new CliError(
      `serviceProviders (${sp.client_id}).client_id: "${sp.client_id}" is already a data provider's client_id`,
    );
  }
}

export async function importFederation(ctx: Context, file: string): Promise<void> {
  let federation: Federation;
  try {
    federation = await loadFederationFile(file, ctx.config.allowInsecureHttp);
  } catch (error) {
    // One line: the first problem is enough to act on.
    if (error instanceof ConfigError) throw new CliError(error.message.split('\n')[0] ?? error.message);
    throw error;
  }
  const registry = await ctx.registry();
  await checkClientIds(registry, federation);
  const problems = await clientProblems(federation, ctx.config.profile);
  if (problems[0]) throw new CliError(`${file}: ${problems[0]}`);
  await registry.upsertFederation(federation);
  const counts = {
    serviceProviders: federation.serviceProviders.length,
    identityProviders: federation.identityProviders.length,
    dataProviders: federation.dataProviders.length,
  };
  if (ctx.json) ctx.printJson({ imported: counts });
  else {
    ctx.print(
      `imported ${counts.serviceProviders} sp, ${counts.identityProviders} idp, ${counts.dataProviders} dp from ${file}`,
    );
  }
}

/** Always JSON (it is a federation file); secrets only when asked for. */
export async function exportFederation(ctx: Context): Promise<void> {
  const registry = await ctx.registry();
  const withSecrets = ctx.flags.get('with-secrets') === true;
  const strip = <T extends { client_secret?: string | undefined }>(entry: T) => {
    if (withSecrets) return entry;
    const { client_secret: _omitted, ...rest } = entry;
    return rest;
  };
  ctx.printJson({
    serviceProviders: (await registry.listServiceProviders()).map(strip),
    identityProviders: (await registry.listIdentityProviders()).map(strip),
    dataProviders: (await registry.listDataProviders()).map(strip),
  });
}
