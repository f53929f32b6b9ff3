// The load driver's citizen: one complete login over HTTP, every request timed and named by the
// hop it is (hub.authorize, hub.mire, idp.login, …). Redirects are followed here (fetch with
// redirect: 'manual' and the tests' CookieJar) so that each request of a chain is its own sample;
// the SP's back-channel calls (/token, /userinfo) go through openid-client, whose customFetch
// names and times them for the login that is running (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';
import * as client from 'openid-client';
import { CookieJar } from '../test/support/browser.ts';

export const REQUEST_TIMEOUT_MS = 10_000;

/** One login's requests: hop name and duration (headers and body received) in ms. */
export interface Trace {
  hops: Array<{ hop: string; ms: number }>;
  /** The hop being requested: where an error happened. */
  at: string;
  /** The IdP sent the citizen back: the hub's next GET /interaction/:uid is the consent page. */
  afterCallback: boolean;
  ms: number;
  /** Read around each request (bench/hop-costs.ts): the server's CPU and Redis round trips. */
  meter?: HopMeter;
}

/** Readings taken just before a request leaves and just after its answer is read. */
export interface HopMeter {
  start(): Promise<void>;
  stop(hop: string): Promise<void>;
}

/** Which server a URL belongs to, for the hop names. */
export interface Origins {
  hub: string;
  idp: string;
}

/** What each hop's request is, for the report. */
export const HOP_REQUESTS: Record<string, string> = {
  'hub.authorize': 'GET /authorize',
  'hub.mire': 'GET /interaction/:uid (mire)',
  'hub.idp_redirect': 'POST /interaction/:uid/idp',
  'idp.authorize': 'GET /authorize',
  'idp.login_page': 'GET /interaction/:uid',
  'idp.login': 'POST /interaction/:uid/login',
  'idp.resume': 'GET /authorize/:uid',
  'hub.callback': 'GET /idp/callback (incl. the hub → IdP token + userinfo)',
  /** The consent page shown again (the callback answers with it first). */
  'hub.consent_page': 'GET /interaction/:uid (consent)',
  'hub.consent': 'POST /interaction/:uid/consent',
  'hub.resume': 'GET /authorize/:uid',
  'hub.token': 'POST /token',
  'hub.userinfo': 'GET /userinfo',
  /** A data provider asking about the SP's access token (the hub's demo data provider). */
  'hub.introspect': 'POST /introspect (a data provider)',
  'idp.token': 'POST /token',
  'idp.userinfo': 'GET /userinfo',
};

/** The order of a login, for the report's tables. */
export const HOP_ORDER = Object.keys(HOP_REQUESTS);

export function hopOf(origins: Origins, method: string, url: URL, afterCallback: boolean): string {
  // Anywhere else (a registry changed under the bench's feet…) is named by its host.
  const side = url.origin === origins.hub ? 'hub' : url.origin === origins.idp ? 'idp' : `other[${url.host}]`;
  const path = url.pathname;
  const action = /^\/interaction\/[^/]+\/(idp|consent|login)$/.exec(path)?.[1];
  let step: string;
  if (path === '/authorize') step = 'authorize';
  else if (/^\/authorize\/[^/]+$/.test(path)) step = 'resume';
  else if (/^\/interaction\/[^/]+$/.test(path))
    step = side === 'idp' ? 'login_page' : afterCallback ? 'consent_page' : 'mire';
  else if (action) step = action === 'idp' ? 'idp_redirect' : action;
  else if (path === '/idp/callback') step = 'callback';
  else if (path === '/token') step = 'token';
  else if (path === '/userinfo') step = 'userinfo';
  else if (path === '/introspect') step = 'introspect';
  else step = `${method} ${path.replace(/\/[A-Za-z0-9_-]{16,}/g, '/:id')}`;
  return `${side}.${step}`;
}

/** An HTTP status that ends a login, by hop: `HTTP 500 at hub.callback`. */
export class HopError extends Error {
  readonly kind: string;
  /** What the page said (its text, tags stripped, cut short): kept once per kind in the report. */
  readonly detail: string | undefined;
  constructor(kind: string, detail?: string) {
    super(kind);
    this.kind = kind;
    this.detail = detail;
  }
}

/** A page's text, for an error's detail. */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** A short kind for an error, counted per stage: `timeout at hub.token`, `ECONNRESET at idp.login`. */
export function errorKind(error: unknown, at: string): string {
  if (error instanceof HopError) return error.kind;
  const e = error as {
    name?: string;
    code?: string;
    status?: number;
    error?: string;
    cause?: unknown;
    message?: string;
  };
  const cause = e.cause as { code?: string; name?: string } | undefined;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || cause?.name === 'TimeoutError')
    return `timeout at ${at}`;
  if (typeof e.status === 'number' && e.status >= 400)
    return `HTTP ${e.status}${typeof e.error === 'string' ? ` ${e.error}` : ''} at ${at}`;
  if (cause?.code) return `${cause.code} at ${at}`;
  if (e.code) return `${e.code} at ${at}`;
  return `${e.name ?? 'Error'}: ${String(e.message ?? error).slice(0, 60)} at ${at}`;
}

const traces = new AsyncLocalStorage<{ trace: Trace; origins: Origins }>();
const NULL_BODY = new Set([101, 204, 205, 304]);

/** openid-client's fetch: names and times the back-channel requests of the running login. */
export const timedFetch: client.CustomFetch = async (url, options) => {
  const context = traces.getStore();
  const target = new URL(url);
  const hop = context ? hopOf(context.origins, options.method, target, true) : '';
  if (context) context.trace.at = hop;
  await context?.trace.meter?.start();
  const began = performance.now();
  const response = await fetch(target, options as RequestInit);
  const body = await response.arrayBuffer();
  if (context) context.trace.hops.push({ hop, ms: performance.now() - began });
  await context?.trace.meter?.stop(hop);
  return new Response(NULL_BODY.has(response.status) ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};

type Landing = { url: URL; html: string } | { callback: URL };

/** A browser's request chain: follows redirects, stops before the SP's redirect_uri. */
async function navigate(
  jar: CookieJar,
  trace: Trace,
  origins: Origins,
  start: URL,
  atSp: (url: URL) => boolean,
  form?: string,
): Promise<Landing> {
  let target = start;
  let body = form;
  for (let hop = 0; hop < 20; hop += 1) {
    if (atSp(target)) return { callback: target };
    const method = body === undefined ? 'GET' : 'POST';
    const name = hopOf(origins, method, target, trace.afterCallback);
    if (name === 'hub.callback') trace.afterCallback = true;
    trace.at = name;
    const headers: Record<string, string> = {};
    const cookie = jar.header(target);
    if (cookie) headers['cookie'] = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    await trace.meter?.start();
    const began = performance.now();
    const response = await fetch(target, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    jar.store(target, response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      trace.hops.push({ hop: name, ms: performance.now() - began });
      await trace.meter?.stop(name);
      target = new URL(location, target);
      if (response.status !== 307 && response.status !== 308) body = undefined;
      continue;
    }
    const html = await response.text();
    trace.hops.push({ hop: name, ms: performance.now() - began });
    await trace.meter?.stop(name);
    if (response.status >= 400) throw new HopError(`HTTP ${response.status} at ${name}`, pageText(html));
    return { url: target, html };
  }
  throw new HopError(`too many redirects at ${trace.at}`);
}

/** The form of a page that contains `containing`, its hidden fields kept, `fields` added. */
export function formOf(html: string, page: URL, containing: string, fields: Record<string, string>) {
  for (const [whole, action = ''] of html.matchAll(/<form\b[^>]*\baction="([^"]*)"[^>]*>[\s\S]*?<\/form>/g)) {
    if (!whole.includes(containing)) continue;
    const body = new URLSearchParams(fields);
    for (const [input] of whole.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      if (name) body.set(name, (/\bvalue="([^"]*)"/.exec(input)?.[1] ?? '').replaceAll('&amp;', '&'));
    }
    return { url: new URL(action.replaceAll('&amp;', '&'), page), body: body.toString() };
  }
  throw new HopError(
    `no form with ${containing} after ${page.pathname.replace(/\/[^/]{16,}/g, '/:uid')}`,
    pageText(html),
  );
}

export interface LoginTarget {
  /** The SP's view of the OP: the hub (brokered) or the mock IdP (bare leg). */
  config: client.Configuration;
  origins: Origins;
  redirectUri: string;
  scope: string;
  /** The hub's SP leg asks for a fresh login and the consent page. */
  prompt: string;
  /** Pages to answer, in order, each by a form containing the string, with these fields. */
  forms: ReadonlyArray<readonly [containing: string, fields: Record<string, string>]>;
  /** A data provider's view of the OP: after /userinfo, it introspects the SP's access token. */
  dataProvider?: client.Configuration;
  /** Extra authorization parameters (idp_hint). */
  extra?: Record<string, string>;
}

export function newTrace(): Trace {
  return { hops: [], at: 'start', afterCallback: false, ms: 0 };
}

/** One complete login as a citizen and an SP, every request named and timed into `trace`. */
export function login(target: LoginTarget, trace: Trace): Promise<Trace> {
  return traces.run({ trace, origins: target.origins }, async () => {
    const began = performance.now();
    const jar = new CookieJar();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(target.config, {
      redirect_uri: target.redirectUri,
      scope: target.scope,
      state,
      nonce,
      acr_values: 'eidas1',
      prompt: target.prompt,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...target.extra,
    });
    const atSp = (u: URL) => u.href.startsWith(target.redirectUri);
    let at = await navigate(jar, trace, target.origins, url, atSp);
    for (const [containing, fields] of target.forms) {
      if ('callback' in at) throw new HopError(`back at the SP before ${containing} (${trace.at})`);
      const next = formOf(at.html, at.url, containing, fields);
      at = await navigate(jar, trace, target.origins, next.url, atSp, next.body);
    }
    if (!('callback' in at)) throw new HopError(`no code: ended at ${trace.at}`);
    const tokens = await client.authorizationCodeGrant(target.config, at.callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    await client.fetchUserInfo(target.config, tokens.access_token, tokens.claims()?.sub as string);
    if (target.dataProvider) {
      const answer = await client.tokenIntrospection(target.dataProvider, tokens.access_token);
      if (!answer.active) throw new HopError('inactive token at hub.introspect');
    }
    trace.ms = performance.now() - began;
    return trace;
  });
}

/** The SP's configuration for an OP, its back-channel timed by timedFetch. */
export async function spConfiguration(
  issuer: string,
  clientId: string,
  metadata: Partial<client.ClientMetadata>,
  secret: string,
): Promise<client.Configuration> {
  const config = await client.discovery(
    new URL(issuer),
    clientId,
    metadata,
    client.ClientSecretPost(secret),
    { execute: [client.allowInsecureRequests], [client.customFetch]: timedFetch, timeout: 10 },
  );
  return config;
}
