// import FILE (the federation file format, upserted) and export (the registry as such a file).
import { loadFederationFile } from '../config/federation-file.ts';
import { ConfigError } from '../config/index.ts';
import { CliError, type Context } from './context.ts';

export async function importFederation(ctx: Context, file: string): Promise<void> {
  let federation: Awaited<ReturnType<typeof loadFederationFile>>;
  try {
    federation = await loadFederationFile(file, ctx.config.allowInsecureHttp);
  } catch (error) {
    // One line: the first problem is enough to act on.
    if (error instanceof ConfigError) throw new CliError(error.message.split('\n')[0] ?? error.message);
    throw error;
  }
  await (await ctx.registry()).upsertFederation(federation);
  const counts = {
    serviceProviders: federation.serviceProviders.length,
    identityProviders: federation.identityProviders.length,
  };
  if (ctx.json) ctx.printJson({ imported: counts });
  else ctx.print(`imported ${counts.serviceProviders} sp, ${counts.identityProviders} idp from ${file}`);
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
  });
}
