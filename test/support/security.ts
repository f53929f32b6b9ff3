// Shared steps of the security tests (test/security/): a citizen sent by an SP onto the hub's
// first page, and the check that a failed login at an IdP brought them back to the mire.
import type * as client from 'openid-client';
import { expect } from 'vitest';
import type { Browser } from './browser.ts';
import { Citizen } from './citizen.ts';
import {
  type AuthorizeRequest,
  authorizeRequest,
  type Federation,
  spClient,
  type TestIdp,
} from './federation.ts';

/** Two IdPs signing their id_token and userinfo, one ES256, one RS256: what the forgery tests attack. */
export const SIGNING_IDPS: TestIdp[] = [
  { uid: 'idp-es256', host: '127.0.0.2', idTokenAlg: 'ES256', userinfoAlg: 'ES256' },
  { uid: 'idp-rs256', host: '127.0.0.3', idTokenAlg: 'RS256', userinfoAlg: 'RS256' },
];

export interface StartedLogin {
  config: client.Configuration;
  request: AuthorizeRequest;
  citizen: Citizen;
}

/** An SP's valid request, followed by the citizen up to the hub's first page (mire, email page). */
export async function startLogin(
  federation: Federation,
  spId: string,
  params: Record<string, string | undefined> = {},
  browser?: Browser,
): Promise<StartedLogin> {
  const config = await spClient(federation, spId);
  const request = await authorizeRequest(federation, config, params);
  const citizen = await new Citizen(request, browser).go(request.url);
  expect(citizen.currentPage().url.origin).toBe(federation.issuer);
  return { config, request, citizen };
}

/** The login failed at `idpUid`: the citizen is on the mire again, its banner naming the IdP and `code`. */
export function expectMireBanner(citizen: Citizen, idpName: string, code: string): void {
  expect(citizen.callback, `sent to the SP: ${citizen.callback?.href}`).toBeUndefined();
  const page = citizen.currentPage();
  expect(page.url.pathname).toMatch(/^\/interaction\/[\w-]+$/);
  expect(page.status).toBe(200);
  expect(page.html).toContain('role="alert"');
  expect(page.html).toContain(idpName);
  expect(page.html).toContain(code);
  expect(page.html).toContain('name="idp"');
}

/** The interaction uid of a hub page's URL or form action (/interaction/<uid>[/…]). */
export function interactionUid(url: URL): string {
  const uid = /^\/interaction\/([\w-]+)/.exec(url.pathname)?.[1];
  if (!uid) throw new Error(`not an interaction URL: ${url.href}`);
  return uid;
}
