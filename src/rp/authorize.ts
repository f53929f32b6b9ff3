// Leaving for the IdP: fresh nonce and PKCE S256, the caller's state, the level asked, prompt=login
// (FranceConnect always; ProConnect when the SP asked it), ProConnect's login and SIRET hints.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { type Acr, levelToAsk } from '../acr.ts';
import { translateIdpError } from './errors.ts';
import type { IdpClients } from './identity-providers.ts';
import { type IdpTransaction, newBrowserBinding } from './transaction.ts';

export interface StartIdpLogin {
  /** Chosen by the caller, unguessable: it names the login the callback belongs to. */
  state: string;
  idpUid: string;
  requiredAcr: Acr;
  uiLocales?: string | undefined;
  /** false: the IdP may use its own session (ProConnect without the SP's prompt=login). */
  forceLogin?: boolean;
  /** ProConnect: the agent's email, and the SP's siret_hint, passed on. */
  loginHint?: string | undefined;
  siretHint?: string | undefined;
}

/** The IdP's authorization URL and the transaction its callback must match (the caller keeps it). */
export async function buildIdpAuthorizationUrl(
  deps: { idpClients: IdpClients; callbackUrl: string },
  login: StartIdpLogin,
): Promise<{ url: URL; transaction: IdpTransaction }> {
  try {
    const { idp, config } = await deps.idpClients.get(login.idpUid);
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: deps.callbackUrl,
      scope: idp.scope,
      state: login.state,
      nonce,
      // S256 (RFC 7636 §4.2) with node:crypto: a synchronous hash rather than a WebCrypto job
      // handed to the thread pool and back.
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      acr_values: levelToAsk(idp, login.requiredAcr),
      // FranceConnect always asks the IdP for a fresh authentication.
      ...(login.forceLogin === false ? {} : { prompt: 'login' }),
      ...(login.uiLocales ? { ui_locales: login.uiLocales } : {}),
      ...(login.loginHint ? { login_hint: login.loginHint } : {}),
      ...(login.siretHint ? { siret_hint: login.siretHint } : {}),
    });
    const transaction = {
      state: login.state,
      idpUid: idp.uid,
      nonce,
      codeVerifier,
      requiredAcr: login.requiredAcr,
      browserBinding: newBrowserBinding(),
    };
    return { url, transaction };
  } catch (error) {
    throw translateIdpError(login.idpUid, error);
  }
}
