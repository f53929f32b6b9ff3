// The hub's logout at an IdP: its end_session URL (the IdP's own id_token as hint, the hub's
// logout callback) and the one-time transaction telling that callback where the citizen goes next.
import * as client from 'openid-client';
import { z } from 'zod';
import type { Slot, SlotSpec } from '../store/slot.ts';
import { translateIdpError } from './errors.ts';
import type { IdpClients } from './identity-providers.ts';
import type { Reachable } from './reachable.ts';

/** How long the hub waits for the IdP to send the citizen back; later, the logged-out page. */
export const IDP_LOGOUT_TTL = 10 * 60;

export interface StartIdpLogout {
  idpUid: string;
  /**
   * The id_token the IdP gave the hub at login: kept only for an IdP that had an end_session
   * endpoint then (login/hub-session.ts); without it there is no logout to ask for there.
   */
  idToken: string | undefined;
  /** The hub's `{ISSUER}/idp/logout-callback`, registered at every IdP. */
  postLogoutRedirectUri: string;
  /** Where the citizen goes once back from the IdP (the SP's post_logout_redirect_uri…). */
  finalLocation: string;
}

const idpLogoutSchema = z.object({ finalLocation: z.string() });
export type IdpLogoutTransaction = z.infer<typeof idpLogoutSchema>;

export const IDP_LOGOUT_SLOT: SlotSpec<IdpLogoutTransaction> = {
  prefix: 'idp-logout',
  schema: idpLogoutSchema,
  ttl: () => IDP_LOGOUT_TTL,
  // Where the SP sends the citizen back may carry its state: sealed like the rest.
  sealed: true,
};

/** Where the logout goes: the IdP's end_session, or straight on when the IdP cannot take it. */
export type IdpLogoutStart = { url: URL } | { skipped: 'no_end_session' | 'unreachable' };

/**
 * The IdP's end_session URL, its transaction saved; skipped when the IdP has no
 * end_session_endpoint, or when `reachable` finds nothing listening there (the citizen would be
 * stranded on a connection error). Rejects with a RelaisError when the IdP's client cannot be built.
 */
export async function startIdpLogout(
  deps: { idpClients: IdpClients; idpLogouts: Slot<IdpLogoutTransaction>; reachable: Reachable },
  logout: StartIdpLogout,
): Promise<IdpLogoutStart> {
  try {
    const { config } = await deps.idpClients.get(logout.idpUid);
    const endpoint = config.serverMetadata().end_session_endpoint;
    if (!endpoint || !logout.idToken) return { skipped: 'no_end_session' };
    if (!(await deps.reachable(new URL(endpoint)))) return { skipped: 'unreachable' };
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: logout.idToken,
      post_logout_redirect_uri: logout.postLogoutRedirectUri,
      state,
    });
    await deps.idpLogouts.put(state, { finalLocation: logout.finalLocation });
    return { url };
  } catch (error) {
    throw translateIdpError(logout.idpUid, error);
  }
}

/** Where the citizen back from the IdP goes: once per state; a replayed, late or forged one finds nothing. */
export async function takeIdpLogout(
  idpLogouts: Slot<IdpLogoutTransaction>,
  state: string | undefined,
): Promise<string | undefined> {
  if (!state || state.length > 256) return undefined;
  return (await idpLogouts.take(state))?.finalLocation;
}
