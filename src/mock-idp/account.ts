import type { Account, FindAccount, Grant, KoaContextWithOIDC } from 'oidc-provider';
import { type MisbehaviourSource, mismatchedSub } from './misbehaviour.ts';
import type { MockPerson } from './population.ts';

/** oidc-provider's `findAccount`: the account id is the fictitious person's `sub`. */
export function accountFinder(people: readonly MockPerson[], misbehaviour: MisbehaviourSource): FindAccount {
  return (_ctx, sub, token): Account | undefined => {
    const person = people.find((candidate) => candidate.sub === sub);
    if (!person) return undefined;
    const fault = misbehaviour();
    // Only userinfo looks an account up from an access token; oidc-provider sets `sub` = accountId.
    const accountId =
      fault.subMismatch && token?.kind === 'AccessToken' ? mismatchedSub(person.sub) : person.sub;
    return {
      accountId,
      claims() {
        const claims: Record<string, unknown> = { ...person.claims, ...fault.claims };
        for (const [name, value] of Object.entries(claims)) if (value === null) delete claims[name];
        if (fault.missingClaim) delete claims[fault.missingClaim];
        return { ...claims, sub: accountId };
      },
    };
  };
}

/**
 * oidc-provider's `loadExistingGrant`. A mock IdP asks no consent: whatever the client requests in
 * this authorization is granted, so the consent prompt never shows.
 */
export async function grantEverythingRequested(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const accountId = oidc.account?.accountId;
  if (!clientId || !accountId) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const grant =
    existing?.accountId === accountId ? existing : new oidc.provider.Grant({ accountId, clientId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}
