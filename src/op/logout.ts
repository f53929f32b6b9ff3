// RP-initiated logout beyond oidc-provider. Its confirm step destroys the session and revokes the
// grants that end with it, then redirects; here the hub forgets the identities sealed for those
// grants and lets the next hop (the logout at the IdP) take over the redirect.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Slot } from '../store/slot.ts';
import type { GrantIdentity } from './account.ts';

export interface EndedSession {
  /** The account id of oidc-provider's session: the hub's citizen session id. */
  citizenSessionId: string;
  /** oidc-provider's redirect: the SP's post_logout_redirect_uri (with its state) or /session/end/success. */
  location: string;
  /** The SP whose logout request this is (its id_token_hint or client_id), when one was named. */
  clientId?: string | undefined;
}

/** The rest of the logout: a Location replacing oidc-provider's, or undefined to keep it. */
export type AfterSessionEnd = (ended: EndedSession) => Promise<string | undefined>;

export interface EndSessionChainOptions {
  grantIdentities: Slot<GrantIdentity>;
  afterSessionEnd: AfterSessionEnd;
  /** The session is already gone: a failure past this point is logged, never shown. */
  onError(error: unknown): void;
}

/** Koa middleware (provider.use) that runs after oidc-provider's end_session_confirm. */
export function endSessionChain(options: EndSessionChainOptions) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    // Without logout=yes ("Rester connecté(e)") oidc-provider keeps its session: so does the hub.
    if (!ctx.oidc.params?.logout) return;
    const accountId = ctx.oidc.session?.accountId;
    const authorizations = ctx.oidc.session?.authorizations ?? {};
    const location = ctx.response.get('location');
    try {
      // The grants oidc-provider revoked (offline ones persist logout, as in oidc-provider).
      const revoked = Object.values(authorizations).flatMap((authorization) =>
        authorization.grantId && !authorization.persistsLogout ? [authorization.grantId] : [],
      );
      await options.grantIdentities.del(revoked);
      if (!accountId || !location) return;
      // oidc-provider also ends a session on its own, when another person logs in through a
      // browser that held one: it then goes on to the resume, and no SP asked that logout.
      const resuming = new URL(location, ctx.oidc.issuer).pathname.startsWith('/authorize/');
      const replaced = await options.afterSessionEnd({
        citizenSessionId: accountId,
        location,
        clientId: resuming ? undefined : ctx.oidc.client?.clientId,
      });
      if (replaced) ctx.redirect(replaced);
    } catch (error) {
      // oidc-provider's Location stands: the citizen still reaches the SP (or the logged-out page).
      options.onError(error);
    }
  };
}
