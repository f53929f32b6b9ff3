// Accounts and subjects. The account id oidc-provider keeps in its session is the hub's citizen
// session id (one IdP authentication, shared by every SP of an SSO); each SP sees its own
// sector's `sub` (pairwise), sealed with the claims for each grant and released only within the
// SP's authorised scopes.
import { errors, type FindAccount, type KoaContextWithOIDC } from 'oidc-provider';
import { z } from 'zod';
import { splitScope } from '../config/federation.ts';
import type { Registry } from '../store/registry-cache.ts';
import type { Slot, SlotSpec } from '../store/slot.ts';
import { claimsOfScopes, type ScopeClaims } from './scopes.ts';

const grantIdentitySchema = z.object({
  /** The SP's sector-specific sub. */
  sub: z.string(),
  /** The released claims, as the consent page listed them. */
  claims: z.record(z.string(), z.string()),
  /** Epoch seconds: the grant's end, and so this identity's. */
  exp: z.number().int(),
});
export type GrantIdentity = z.infer<typeof grantIdentitySchema>;

export const GRANT_IDENTITY_SLOT: SlotSpec<GrantIdentity> = {
  prefix: 'grant-identity',
  schema: grantIdentitySchema,
  ttl: (identity) => Math.max(1, identity.exp - Math.floor(Date.now() / 1000)),
  sealed: true,
};

// One request asks for its grant's identity twice (the account's claims, then the pairwise sub):
// one Redis read per request, remembered on the request's context.
const read = new WeakMap<object, Map<string, Promise<GrantIdentity | undefined>>>();

function grantIdentity(
  identities: Slot<GrantIdentity>,
  ctx: object,
  grantId: string,
): Promise<GrantIdentity | undefined> {
  const byGrant = read.get(ctx) ?? new Map<string, Promise<GrantIdentity | undefined>>();
  read.set(ctx, byGrant);
  let identity = byGrant.get(grantId);
  if (!identity) {
    identity = identities.get(grantId);
    byGrant.set(grantId, identity);
  }
  return identity;
}

export function findAccount(
  registry: Registry,
  identities: Slot<GrantIdentity>,
  scopeClaims: ScopeClaims,
): FindAccount {
  return async (ctx, accountId, token) => {
    const grantId = token?.grantId;
    // Outside a token (the authorization endpoint) no claim leaves the hub.
    if (!grantId) return { accountId, claims: () => ({ sub: accountId }) };
    const sp = registry.serviceProvider(ctx.oidc.client?.clientId ?? '');
    const identity = await grantIdentity(identities, ctx, grantId);
    // No identity left for this grant (expired, or the SP was disabled): the token is no longer usable.
    if (!identity || !sp) return undefined;
    const allowed = claimsOfScopes(splitScope(sp.scope), scopeClaims);
    const released = Object.entries(identity.claims).filter(
      ([claim]) => allowed.has(claim) && claim !== 'sub',
    );
    return { accountId, claims: () => ({ sub: accountId, ...Object.fromEntries(released) }) };
  };
}

/** oidc-provider's pairwise hook: the SP's sub, as sealed with the grant at consent. */
export function pairwiseSubject(identities: Slot<GrantIdentity>) {
  return async (ctx: KoaContextWithOIDC): Promise<string> => {
    const { Grant, AccessToken, AuthorizationCode, RefreshToken } = ctx.oidc.entities;
    const grantId = Grant?.jti ?? AccessToken?.grantId ?? AuthorizationCode?.grantId ?? RefreshToken?.grantId;
    const identity = grantId ? await grantIdentity(identities, ctx, grantId) : undefined;
    if (!identity) throw new errors.InvalidRequest('no subject for this request');
    return identity.sub;
  };
}
