// Drives one login at a mock IdP the way the hub does: openid-client for the protocol, a Browser
// for the login page.

import * as client from 'openid-client';
import type { MockIdp, MockIdpClient } from '../../../src/mock-idp/index.ts';
import { Browser, formAction } from '../../support/browser.ts';
import { freePort as freePortOn } from '../../support/net.ts';

export const HOST = '127.0.0.2';
export const REDIRECT_URI = 'http://127.0.0.1:3999/idp/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:3999/idp/logout-callback';

export function testClient(overrides: Partial<MockIdpClient> = {}): MockIdpClient {
  return {
    client_id: 'relais-test',
    client_secret: 'relais-test-secret-at-least-32-characters!!',
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_URI],
    ...overrides,
  };
}

/** A free port on HOST, for an issuer URL that must be known before the server listens. */
export const freePort = (): Promise<number> => freePortOn(HOST);

export async function discover(idp: MockIdp, rp: MockIdpClient, alg?: string): Promise<client.Configuration> {
  return client.discovery(
    new URL(idp.issuer),
    rp.client_id,
    { client_secret: rp.client_secret, ...(alg ? { id_token_signed_response_alg: alg } : {}) },
    undefined,
    { execute: [client.allowInsecureRequests] },
  );
}

export interface Authorization {
  browser: Browser;
  /** The login page's URL and HTML. */
  page: { url: URL; html: string };
  /** The client callback URL the IdP redirected to (never fetched). */
  callback: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

const atRedirectUri = (url: URL): boolean => url.href.startsWith(REDIRECT_URI);

/** Authorize, land on the login page, then pick `identity` (or press "Refuser / annuler"). */
export async function authorize(
  config: client.Configuration,
  choice: { identity: string } | 'abort',
  extra: Record<string, string> = {},
): Promise<Authorization> {
  const browser = new Browser();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username',
    state,
    nonce,
    prompt: 'login',
    acr_values: 'eidas1',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const landing = await browser.navigate(url, atRedirectUri);
  if (!landing.response)
    return {
      browser,
      page: { url: landing.url, html: '' },
      callback: landing.url,
      state,
      nonce,
      codeVerifier,
    };
  const html = await landing.response.text();
  const page = { url: landing.url, html };
  const done =
    choice === 'abort'
      ? await browser.submit(formAction(html, page.url, 'Refuser'), {}, atRedirectUri)
      : await browser.submit(formAction(html, page.url, 'name="identity"'), choice, atRedirectUri);
  if (done.response) throw new Error(`login did not reach the client: HTTP ${done.response.status}`);
  return { browser, page, callback: done.url, state, nonce, codeVerifier };
}

/** The whole flow: authorize, code grant (checks state, nonce, PKCE, iss), userinfo. */
export async function login(
  config: client.Configuration,
  identity: string,
  extra: Record<string, string> = {},
) {
  const authorization = await authorize(config, { identity }, extra);
  const tokens = await client.authorizationCodeGrant(config, authorization.callback, {
    pkceCodeVerifier: authorization.codeVerifier,
    expectedState: authorization.state,
    expectedNonce: authorization.nonce,
  });
  return { authorization, tokens, idToken: tokens.id_token ?? '', claims: tokens.claims() };
}

export async function jwks(idp: MockIdp): Promise<{ keys: Array<{ kid?: string; alg?: string }> }> {
  return (await (await fetch(idp.endpoints.jwks_uri)).json()) as {
    keys: Array<{ kid?: string; alg?: string }>;
  };
}
