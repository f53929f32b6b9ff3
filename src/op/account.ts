// findAccount: the `sub` is already the SP's sector-specific one; the claims come from the
// identity sealed for this grant, released only within the SP's authorised scopes.
import type { FindAccount } from 'oidc-provider';
import type { Registry } from '../store/registry-cache.ts';
import type { Vault } from '../store/vault.ts';
import { claimsOfScopes } from './scopes.ts';

export interface GrantIdentity {
  claims: Record<string, string>;
}

export const grantIdentityKey = (grantId: string) => `grant-identity:${grantId}`;

export function findAccount(registry: Registry, vault: Vault): FindAccount {
  return async (ctx, sub, token) => {
    const grantId = token?.grantId;
    if (!grantId) return { accountId: sub, claims: () => ({ sub }) };
    const sp = registry.serviceProvider(ctx.oidc.client?.clientId ?? '');
    const identity = (await vault.get(grantIdentityKey(grantId))) as GrantIdentity | undefined;
    // No identity left for this grant (expired, or the SP was disabled): the token is no longer usable.
    if (!identity || !sp) return undefined;
    const allowed = claimsOfScopes(sp.scope.split(' '));
    const released = Object.entries(identity.claims).filter(
      ([claim]) => allowed.has(claim) && claim !== 'sub',
    );
    return { accountId: sub, claims: () => ({ sub, ...Object.fromEntries(released) }) };
  };
}
