// The registry as every login reads it: in memory, loaded from PostgreSQL at start and reloaded
// when it changes, so no login pays a query and disabling an IdP needs no restart.
import type { IdentityProvider, ServiceProvider } from '../config/federation.ts';

export interface RegistrySource {
  listServiceProviders(): Promise<ServiceProvider[]>;
  listIdentityProviders(): Promise<IdentityProvider[]>;
  /** Changes whenever any entry changes: one cheap query tells whether to reload. */
  fingerprint(): Promise<string>;
}

export interface Registry {
  /** An active SP, or undefined (unknown and inactive look the same from outside). */
  serviceProvider(clientId: string): ServiceProvider | undefined;
  /** An active IdP, or undefined: a disabled IdP stops serving logins already under way too. */
  identityProvider(uid: string): IdentityProvider | undefined;
  /** Every IdP, active or not, sorted by `order` (the mire shows the unusable ones greyed). */
  identityProviders(): readonly IdentityProvider[];
  /** The active IdPs this SP may use, sorted by `order`. */
  identityProvidersFor(sp: ServiceProvider): IdentityProvider[];
  /** Bumped on every reload: caches derived from the registry key on it. */
  readonly version: number;
  reload(): Promise<void>;
  /** Reloads when the source changed since the last load; true when it did. */
  refreshIfChanged(): Promise<boolean>;
}

export async function createRegistry(source: RegistrySource): Promise<Registry> {
  let sps = new Map<string, ServiceProvider>();
  let idps: IdentityProvider[] = [];
  let version = 0;
  let loadedFingerprint = '';

  const registry: Registry = {
    serviceProvider: (clientId) => {
      const sp = sps.get(clientId);
      return sp?.active ? sp : undefined;
    },
    identityProvider: (uid) => idps.find((idp) => idp.uid === uid && idp.active),
    identityProviders: () => idps,
    identityProvidersFor: (sp) =>
      idps.filter((idp) => idp.active && (!sp.identity_providers || sp.identity_providers.includes(idp.uid))),
    get version() {
      return version;
    },
    async reload() {
      const [spList, idpList, fingerprint] = await Promise.all([
        source.listServiceProviders(),
        source.listIdentityProviders(),
        source.fingerprint(),
      ]);
      loadedFingerprint = fingerprint;
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
