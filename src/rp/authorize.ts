// Leaving for the IdP: fresh state, nonce and PKCE S256, the levels asked, prompt=login.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { type Acr, acrRank } from '../config/federation.ts';
import type { Vault } from '../store/vault.ts';
import { translateIdpError } from './errors.ts';
import type { IdpClients } from './identity-providers.ts';
import { saveTransaction } from './transaction.ts';

export interface StartIdpLogin {
  interactionUid: string;
  idpUid: string;
  requiredAcr: Acr;
  uiLocales?: string | undefined;
}

export async function buildIdpAuthorizationUrl(
  deps: { idpClients: IdpClients; vault: Vault; callbackUrl: string },
  login: StartIdpLogin,
): Promise<URL> {
  try {
    const { idp, config } = await deps.idpClients.get(login.idpUid);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    await saveTransaction(deps.vault, state, { ...login, nonce, codeVerifier });
    // Ask for the weakest level the IdP declares that satisfies the SP; the IdP may exceed it.
    const acr = [...idp.acr_values]
      .filter((level) => acrRank(level) >= acrRank(login.requiredAcr))
      .sort((a, b) => acrRank(a) - acrRank(b))[0];
    return client.buildAuthorizationUrl(config, {
      redirect_uri: deps.callbackUrl,
      scope: idp.scope,
      state,
      nonce,
      // S256 (RFC 7636 §4.2) with node:crypto: a synchronous hash rather than a WebCrypto job
      // handed to the thread pool and back.
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      acr_values: acr ?? login.requiredAcr,
      // FranceConnect always asks the IdP for a fresh authentication.
      prompt: 'login',
      ...(login.uiLocales ? { ui_locales: login.uiLocales } : {}),
    });
  } catch (error) {
    throw translateIdpError(login.idpUid, error);
  }
}
