// The hub's logout at an IdP: its end_session URL (the IdP's own id_token as hint, the hub's
// logout callback) and the one-time transaction telling that callback where the citizen goes next.
import * as client from 'openid-client';
import type { Vault } from '../store/vault.ts';
import { translateIdpError } from './errors.ts';
import type { IdpClients } from './identity-providers.ts';

/** How long the hub waits for the IdP to send the citizen back; later, the logged-out page. */
export const IDP_LOGOUT_TTL = 10 * 60;
const key = (state: string) => `idp-logout:${state}`;

export interface StartIdpLogout {
  idpUid: string;
  /** The id_token the IdP gave the hub at login. */
  idToken: string;
  /** The hub's `{ISSUER}/idp/logout-callback`, registered at every IdP. */
  postLogoutRedirectUri: string;
  /** Where the citizen goes once back from the IdP (the SP's post_logout_redirect_uri…). */
  finalLocation: string;
}

interface IdpLogoutTransaction {
  finalLocation: string;
}

/**
 * The IdP's end_session URL, its transaction saved; undefined when the IdP has no
 * end_session_endpoint. Rejects with a RelaisError when the IdP's client cannot be built.
 */
export async function startIdpLogout(
  deps: { idpClients: IdpClients; vault: Vault },
  logout: StartIdpLogout,
): Promise<URL | undefined> {
  try {
    const { config } = await deps.idpClients.get(logout.idpUid);
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: logout.idToken,
      post_logout_redirect_uri: logout.postLogoutRedirectUri,
      state,
    });
    const transaction: IdpLogoutTransaction = { finalLocation: logout.finalLocation };
    await deps.vault.put(key(state), transaction, IDP_LOGOUT_TTL);
    return url;
  } catch (error) {
    throw translateIdpError(logout.idpUid, error);
  }
}

/** Where the citizen back from the IdP goes: once per state; a replayed, late or forged one finds nothing. */
export async function takeIdpLogout(vault: Vault, state: string | undefined): Promise<string | undefined> {
  if (!state || state.length > 256) return undefined;
  const transaction = (await vault.take(key(state))) as IdpLogoutTransaction | undefined;
  return transaction?.finalLocation;
}
