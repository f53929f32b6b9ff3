// The drill's citizen: one login over HTTP from its own loopback address, as a browser with a
// back button and some patience. Unlike the bench's (driver.ts), which throws at the first page it
// did not expect, it reads every page it lands on (outcome.ts) and keeps going where a citizen
// would: on the mire it tries its IdP again once, on a dead IdP it goes back to the mire, and
// where it must stop it follows the page's way back to check that it leads to the SP.

import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { Agent, fetch } from 'undici';
import { CookieJar } from '../../test/support/browser.ts';
import { formOf, hopOf, type Origins } from '../driver.ts';
import { type Ending, endAtSp, endAtSpBackChannel, endOnFailure, endOnHtml, readPage } from './outcome.ts';

export interface SpSide {
  /** openid-client's view of the hub, through the front (driver.ts spConfiguration). */
  config: client.Configuration;
  redirectUri: string;
  scope: string;
}

export interface CitizenOptions {
  sp: SpSide;
  origins: Origins;
  /** The IdP this citizen has an account at. */
  idpUid: string;
  /** Connections from this citizen's address (addressAgent). */
  agent: Agent;
  address: string;
  /** How long the citizen waits for one answer before giving up on it. */
  patienceMs: number;
  /** How long the citizen reads a page (the mire, the IdP's, the consent) before answering it. */
  thinkMs: number;
  /** Milliseconds on the drill's clock. */
  now: () => number;
}

export interface LoginOutcome extends Ending {
  address: string;
  startedAt: number;
  endedAt: number;
  /** The browser could not reach the IdP the hub sent it to (and went back). */
  sentToDeadIdp: boolean;
  /** Completed without the mire nor the IdP: the hub session was reused. */
  sso: boolean;
  /** The mire offered the IdP (true), greyed it (false), or was not shown (undefined): the last one seen. */
  idpOffered?: boolean;
  /** When (drill clock) a mire first showed the IdP greyed, in this login. */
  idpGreyedAt?: number;
  /** Where the page's way back led, when the login ended on one: `SP got access_denied` or the failure. */
  wayBack?: string;
  /** The longest single wait for an answer. */
  longestWaitMs: number;
}

/** Connections bound to one loopback address, as one household behind its address. */
export function addressAgent(address: string): Agent {
  return new Agent({ localAddress: address, keepAliveTimeout: 4000, connections: 16 });
}

type Landing =
  | { at: 'sp'; url: URL }
  | { at: 'page'; url: URL; status: number; html: string; hop: string; retryAfter: string | null }
  | { at: 'failure'; error: unknown; hop: string };

interface Browser {
  go(url: URL, form?: string): Promise<Landing>;
  afterCallback: boolean;
  longestWaitMs: number;
}

function browser(options: CitizenOptions, jar: CookieJar): Browser {
  const atSp = (url: URL) => url.href.startsWith(options.sp.redirectUri);
  const self: Browser = {
    afterCallback: false,
    longestWaitMs: 0,
    async go(start, form) {
      let target = start;
      let body = form;
      let hop = 'start';
      for (let redirects = 0; redirects < 20; redirects += 1) {
        if (atSp(target)) return { at: 'sp', url: target };
        const method = body === undefined ? 'GET' : 'POST';
        hop = hopOf(options.origins, method, target, self.afterCallback);
        if (hop === 'hub.callback') self.afterCallback = true;
        const headers: Record<string, string> = {};
        const cookie = jar.header(target);
        if (cookie) headers['cookie'] = cookie;
        if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
        const began = performance.now();
        try {
          const response = await fetch(target, {
            method,
            headers,
            body,
            redirect: 'manual',
            dispatcher: options.agent,
            signal: AbortSignal.timeout(options.patienceMs),
          });
          jar.store(target, response as unknown as Response);
          const location = response.headers.get('location');
          if (response.status >= 300 && response.status < 400 && location) {
            await response.body?.cancel();
            self.longestWaitMs = Math.max(self.longestWaitMs, performance.now() - began);
            target = new URL(location, target);
            if (response.status !== 307 && response.status !== 308) body = undefined;
            continue;
          }
          const html = await response.text();
          self.longestWaitMs = Math.max(self.longestWaitMs, performance.now() - began);
          const retryAfter = response.headers.get('retry-after');
          return { at: 'page', url: target, status: response.status, html, hop, retryAfter };
        } catch (error) {
          self.longestWaitMs = Math.max(self.longestWaitMs, performance.now() - began);
          return { at: 'failure', error, hop };
        }
      }
      return { at: 'failure', error: new Error('too many redirects'), hop };
    },
  };
  return self;
}

/** The SP's authorization request, as the bench's SP sends it (eidas1, PKCE, prompt=login consent). */
async function authorization(sp: SpSide) {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(sp.config, {
    redirect_uri: sp.redirectUri,
    scope: sp.scope,
    state,
    nonce,
    acr_values: 'eidas1',
    prompt: 'login consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { url, state, nonce, verifier };
}

/** A fresh authorization URL for the SP, for a flood. */
export async function authorizationUrl(sp: SpSide): Promise<URL> {
  return (await authorization(sp)).url;
}

const MAX_STEPS = 16;
/** The citizen presses Back at most this often, and picks its IdP at most this often. */
const MAX_BACKS = 2;
const MAX_IDP_TRIES = 2;

/**
 * One login from the SP's authorization request to its /userinfo. A jar from an earlier login
 * carries that browser's hub session (SSO).
 */
export async function citizenLogin(options: CitizenOptions, jar = new CookieJar()): Promise<LoginOutcome> {
  const startedAt = options.now();
  const b = browser(options, jar);
  const request = await authorization(options.sp);
  let visitedIdp = false;
  let sawMire = false;
  let lastMire: URL | undefined;
  let backs = 0;
  let idpTries = 0;
  let sentToDeadIdp = false;
  let idpOffered: boolean | undefined;
  let idpGreyedAt: number | undefined;
  let wayBack: string | undefined;

  const finish = (ending: Ending, sso = false): LoginOutcome => ({
    ...ending,
    address: options.address,
    startedAt,
    endedAt: options.now(),
    sentToDeadIdp,
    sso,
    ...(idpOffered === undefined ? {} : { idpOffered }),
    ...(idpGreyedAt === undefined ? {} : { idpGreyedAt }),
    ...(wayBack === undefined ? {} : { wayBack }),
    longestWaitMs: Math.round(b.longestWaitMs),
  });
  /** Follows a page's way back (a form): it must reach the SP with an error. */
  const follow = async (html: string, page: URL, containing: string) => {
    // A link straight to the SP (the store unreachable), else the page's form.
    const link = /class="back-to-sp"><a href="([^"]+)"/.exec(html)?.[1];
    const byForm = () => {
      const form = formOf(html, page, containing, {});
      return b.go(form.url, form.body);
    };
    const landing = link ? await b.go(new URL(link.replaceAll('&amp;', '&'), page)) : await byForm();
    if (landing.at === 'sp') {
      const error = landing.url.searchParams.get('error');
      return error ? `SP got ${error}` : 'at the SP without an error';
    }
    if (landing.at === 'failure') return `failed: ${endOnFailure(landing.error, landing.hop).kind}`;
    return `failed: ${endOnHtml(landing.html, landing.status, landing.hop).kind}`;
  };

  let landing = await b.go(request.url);
  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (landing.at === 'sp') {
      const error = endAtSp(landing.url);
      if (error) return finish(error);
      let hop = 'hub.token';
      try {
        const tokens = await client.authorizationCodeGrant(options.sp.config, landing.url, {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
        });
        hop = 'hub.userinfo';
        await client.fetchUserInfo(options.sp.config, tokens.access_token, tokens.claims()?.sub as string);
      } catch (error) {
        const status = (error as { cause?: { status?: unknown } }).cause?.status;
        return finish(
          endAtSpBackChannel(error, typeof status === 'number' ? `${hop} (HTTP ${status})` : hop),
        );
      }
      return finish({ result: 'completed', kind: 'completed' }, !visitedIdp && !sawMire);
    }
    if (landing.at === 'failure') {
      // The browser's own error page at the IdP: the citizen goes back to the mire.
      if (landing.hop.startsWith('idp.') && lastMire && backs < MAX_BACKS) {
        sentToDeadIdp = true;
        backs += 1;
        landing = await b.go(lastMire);
        continue;
      }
      return finish(endOnFailure(landing.error, landing.hop));
    }
    if (landing.hop.startsWith('idp.')) visitedIdp = true;
    const page = readPage(landing.html);
    if (page.kind === 'mire') {
      sawMire = true;
      lastMire = landing.url;
      idpOffered = page.offered.includes(options.idpUid);
      if (!idpOffered) idpGreyedAt ??= options.now();
      if (idpOffered && idpTries < MAX_IDP_TRIES) {
        idpTries += 1;
        await sleep(options.thinkMs);
        const form = formOf(landing.html, landing.url, 'name="idp"', { idp: options.idpUid });
        landing = await b.go(form.url, form.body);
        continue;
      }
    } else if (page.kind === 'idp-login') {
      await sleep(options.thinkMs);
      const form = formOf(landing.html, landing.url, 'name="identity"', { identity: 'standard' });
      landing = await b.go(form.url, form.body);
      continue;
    } else if (page.kind === 'consent') {
      await sleep(options.thinkMs);
      const form = formOf(landing.html, landing.url, 'name="decision"', { decision: 'accept' });
      landing = await b.go(form.url, form.body);
      continue;
    }
    const ending = endOnHtml(landing.html, landing.status, landing.hop, landing.retryAfter);
    if (ending.result === 'clear') {
      const containing = page.kind === 'mire' ? '/cancel"' : 'back-to-sp';
      wayBack = await follow(landing.html, landing.url, containing).catch(
        (error: unknown) => `failed: ${(error as Error).message}`,
      );
    }
    return finish(ending);
  }
  return finish({ result: 'stranded', kind: 'went round in circles (16 steps)' });
}
