// The registry as every login reads it: in memory, loaded from PostgreSQL at start and reloaded
// when it changes, so no login pays a query and disabling an IdP needs no restart.
import type { DataProvider, IdentityProvider, ServiceProvider } from '../config/federation.ts';
import { allowedScope } from '../config/habilitations.ts';

export interface RegistrySource {
  listServiceProviders(): Promise<ServiceProvider[]>;
  listIdentityProviders(): Promise<IdentityProvider[]>;
  listDataProviders?(): Promise<DataProvider[]>;
  /** Changes whenever any entry changes: one cheap query tells whether to reload. */
  fingerprint(): Promise<string>;
}

export interface Registry {
  /**
   * An active SP, or undefined (unknown and inactive look the same from outside). Its `scope` is
   * what it may ask for now: its own plus its habilitations in force (config/habilitations.ts).
   */
  serviceProvider(clientId: string): ServiceProvider | undefined;
  /** The active SPs as the federation has them (own `scope`, every habilitation): the register's. */
  serviceProviders(): readonly ServiceProvider[];
  /** An active IdP, or undefined: a disabled IdP stops serving logins already under way too. */
  identityProvider(uid: string): IdentityProvider | undefined;
  /** Every IdP, active or not, sorted by `order` (the mire shows the unusable ones greyed). */
  identityProviders(): readonly IdentityProvider[];
  /** The active IdPs this SP may use, sorted by `order`. */
  identityProvidersFor(sp: ServiceProvider): IdentityProvider[];
  /** An active data provider, or undefined. */
  dataProvider(clientId: string): DataProvider | undefined;
  /** The scopes the active data providers serve, distinct and sorted. */
  dataScopes(): readonly string[];
  /** The active data providers, by client_id. */
  dataProviders(): readonly DataProvider[];
  /** Bumped on every reload: caches derived from the registry key on it. */
  readonly version: number;
  reload(): Promise<void>;
  /** Reloads when the source changed since the last load; true when it did. */
  refreshIfChanged(): Promise<boolean>;
}

export interface RegistryOptions {
  /** The clock habilitations are judged by; tests inject theirs. */
  now?: () => Date;
}

export async function createRegistry(
  source: RegistrySource,
  options: RegistryOptions = {},
): Promise<Registry> {
  const now = options.now ?? (() => new Date());
  let sps = new Map<string, ServiceProvider>();
  let idps: IdentityProvider[] = [];
  let dps = new Map<string, DataProvider>();
  let dataScopes: readonly string[] = [];
  let version = 0;
  let loadedFingerprint = '';

  const registry: Registry = {
    serviceProvider: (clientId) => {
      const sp = sps.get(clientId);
      if (!sp?.active) return undefined;
      // Judged at each call, not at load: a habilitation stops at the next request past its day.
      return sp.habilitations?.length ? { ...sp, scope: allowedScope(sp, now()) } : sp;
    },
    serviceProviders: () => [...sps.values()].filter((sp) => sp.active),
    identityProvider: (uid) => idps.find((idp) => idp.uid === uid && idp.active),
    identityProviders: () => idps,
    dataProvider: (clientId) => {
      const dp = dps.get(clientId);
      return dp?.active ? dp : undefined;
    },
    dataScopes: () => dataScopes,
    dataProviders: () => [...dps.values()].filter((dp) => dp.active),
    identityProvidersFor: (sp) =>
      idps.filter((idp) => idp.active && (!sp.identity_providers || sp.identity_providers.includes(idp.uid))),
    get version() {
      return version;
    },
    async reload() {
      const [spList, idpList, dpList, fingerprint] = await Promise.all([
        source.listServiceProviders(),
        source.listIdentityProviders(),
        source.listDataProviders?.() ?? [],
        source.fingerprint(),
      ]);
      loadedFingerprint = fingerprint;
      // One client_id, one client: an SP's wins over a data provider registered under it since.
      const spIds = new Set(spList.map((sp) => sp.client_id));
      dps = new Map(dpList.filter((dp) => !spIds.has(dp.client_id)).map((dp) => [dp.client_id, dp]));
      dataScopes = [
        ...new Set([...dps.values()].filter((dp) => dp.active).flatMap((dp) => dp.scopes)),
      ].sort();
      sps = new Map(spList.map((sp) => [sp.client_id, sp]));
      idps = [...idpList].sort((a, b) => a.order - b.order || a.uid.localeCompare(b.uid));
      version += 1;
    },
    async refreshIfChanged() {
      if ((await source.fingerprint()) === loadedFingerprint) return false;
      await registry.reload();
      return true;
    },
  };
  await registry.reload();
  return registry;
}
