import { describe, expect, it } from 'vitest';
import { createRegistry, type RegistrySource } from '../../../src/store/registry-cache.ts';
import { identityProvider, serviceProvider } from '../../support/fixtures.ts';

const sp = serviceProvider();
const idp = (uid: string, order: number, active = true) => identityProvider(uid, { order, active });

function source(state: { idps: ReturnType<typeof idp>[]; fingerprint: string }) {
  let lists = 0;
  const src: RegistrySource & { lists(): number } = {
    listServiceProviders: async () => [sp],
    listIdentityProviders: async () => {
      lists += 1;
      return state.idps;
    },
    fingerprint: async () => state.fingerprint,
    lists: () => lists,
  };
  return src;
}

describe('the registry cache', () => {
  it('sorts IdPs by order and lists only the active ones for an SP', async () => {
    const registry = await createRegistry(
      source({ idps: [idp('b', 2), idp('a', 1), idp('off', 0, false)], fingerprint: 'f1' }),
    );
    expect(registry.identityProviders().map((i) => i.uid)).toEqual(['off', 'a', 'b']);
    expect(registry.identityProvidersFor(sp).map((i) => i.uid)).toEqual(['a', 'b']);
  });

  it('reloads only when the source changed, and bumps its version then', async () => {
    const state = { idps: [idp('a', 1)], fingerprint: 'f1' };
    const src = source(state);
    const registry = await createRegistry(src);
    const version = registry.version;
    expect(await registry.refreshIfChanged()).toBe(false);
    expect(src.lists()).toBe(1);
    expect(registry.version).toBe(version);
    state.idps = [idp('a', 1, false)];
    state.fingerprint = 'f2';
    expect(await registry.refreshIfChanged()).toBe(true);
    expect(registry.version).toBe(version + 1);
    expect(registry.identityProvidersFor(sp)).toEqual([]);
  });
});
