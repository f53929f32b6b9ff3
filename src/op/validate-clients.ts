// What oidc-provider would refuse about an SP or a data provider, found before it is registered:
// each entry's client metadata goes through oidc-provider's own validation, under the hub's own
// configuration (createProvider), so that a value accepted at start never fails every login later
// (a client_secret oidc-provider cannot use, a redirect URI it rejects, a jwks it cannot read…).
import type { Federation } from '../config/federation.ts';
import { ConfigError, type ProfileName } from '../config/index.ts';
import { createRegistry } from '../store/registry-cache.ts';
import type { Slot } from '../store/slot.ts';
import type { GrantIdentity } from './account.ts';
import { toClientMetadata, toDataProviderMetadata } from './clients.ts';
import { generateHubKey } from './keys.ts';
import { createProvider } from './provider.ts';

type Entries = Pick<Federation, 'serviceProviders' | 'dataProviders'>;

// Keys only to build the provider that validates (none is used to sign): made once per process.
let throwawayKeys: Promise<Array<Record<string, unknown>>> | undefined;
const keys = () => {
  throwawayKeys ??= Promise.all([generateHubKey('ES256'), generateHubKey('RS256')]).then((generated) =>
    generated.map((key) => ({ ...key.privateJwk, kid: key.kid })),
  );
  return throwawayKeys;
};

const unused = () => {
  throw new Error('not used to validate clients');
};

/** The field oidc-provider's description names (`.redirect_uris`), or nothing when it names none. */
function fieldOf(description: string, metadata: Record<string, unknown>): string {
  if (/JSON Web Key Set/.test(description)) return 'jwks' in metadata ? '.jwks' : '.jwks_uri';
  const named = Object.keys(metadata)
    .filter((field) => new RegExp(`\\b${field}\\b`).test(description))
    .sort((a, b) => description.indexOf(a) - description.indexOf(b))[0];
  return named ? `.${named}` : '';
}

/** Refuses the entries oidc-provider would refuse, every problem on its own line. */
export async function assertClientsValid(
  entries: Entries,
  profile: ProfileName,
  source: string,
): Promise<void> {
  const problems = await clientProblems(entries, profile);
  if (problems.length) throw new ConfigError(problems.map((problem) => `${source}: ${problem}`).join('\n'));
}

/**
 * One line per entry oidc-provider refuses, naming it and, when oidc-provider names it, the field:
 * `serviceProviders[2] (sp-x).client_secret: invalid client_secret value`. Empty when all are fine.
 */
export async function clientProblems(entries: Entries, profile: ProfileName): Promise<string[]> {
  const registry = await createRegistry({
    listServiceProviders: async () => entries.serviceProviders,
    listIdentityProviders: async () => [],
    listDataProviders: async () => entries.dataProviders,
    fingerprint: async () => '',
  });
  const provider = createProvider({
    issuer: 'https://relais.invalid',
    profile,
    dataScopes: registry.dataScopes(),
    registry,
    grantIdentities: {} as Slot<GrantIdentity>,
    adapter: () => unused as never,
    signingKeys: await keys(),
    cookieKeys: ['validation-only-cookie-key-0123456789'],
    session: { idleSeconds: 60, maxSeconds: 60 },
    pages: { error: unused, logout: unused, loggedOut: unused },
  });
  const problems: string[] = [];
  const check = async (where: string, metadata: Record<string, unknown> | undefined) => {
    if (!metadata) return;
    try {
      await provider.Client.validate(metadata as never);
    } catch (error) {
      const description =
        (error as { error_description?: unknown }).error_description ?? (error as Error).message;
      const text = String(description);
      problems.push(`${where}${fieldOf(text, metadata)}: ${text}`);
    }
  };
  for (const [index, sp] of entries.serviceProviders.entries()) {
    await check(`serviceProviders[${index}] (${sp.client_id})`, toClientMetadata(sp));
  }
  for (const [index, dp] of entries.dataProviders.entries()) {
    await check(`dataProviders[${index}] (${dp.client_id})`, toDataProviderMetadata(dp));
  }
  return problems;
}
