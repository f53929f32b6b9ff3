// Reads FEDERATION_FILE: JSON, validated; a bad entry stops the start naming the entry and field.
import { readFile } from 'node:fs/promises';
import { describeFederationError, type Federation, federationSchema, insecureUrls } from './federation.ts';
import { ConfigError } from './index.ts';

export async function loadFederationFile(path: string, allowInsecureHttp: boolean): Promise<Federation> {
  let input: unknown;
  try {
    input = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`FEDERATION_FILE ${path}: ${(cause as Error).message}`);
  }
  return parseFederation(input, allowInsecureHttp, `FEDERATION_FILE ${path}`);
}

export function parseFederation(
  input: unknown,
  allowInsecureHttp: boolean,
  source = 'federation',
): Federation {
  const parsed = federationSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`${source}: ${describeFederationError(parsed.error, input)}`);
  if (!allowInsecureHttp) {
    const problems = [
      ...parsed.data.serviceProviders.map((sp) => ({
        id: `serviceProviders (${sp.client_id})`,
        fields: insecureUrls(sp),
      })),
      ...parsed.data.identityProviders.map((idp) => ({
        id: `identityProviders (${idp.uid})`,
        fields: insecureUrls(idp),
      })),
      ...parsed.data.dataProviders.map((dp) => ({
        id: `dataProviders (${dp.client_id})`,
        fields: insecureUrls(dp),
      })),
    ].filter((p) => p.fields.length);
    const first = problems[0];
    if (first) {
      throw new ConfigError(
        `${source}: ${first.id}.${first.fields[0]}: http is only allowed on loopback addresses (set ALLOW_INSECURE_HTTP=true to override)`,
      );
    }
  }
  return parsed.data;
}
