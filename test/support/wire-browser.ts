// A Browser (test/support/browser.ts) that sends its requests with node:http rather than fetch, so a
// test controls what goes on the wire: a forged Host (fetch always sends the real one), forwarded
// headers, or an https origin reached in plain http as a TLS-terminating proxy would. It keeps every
// exchange (URL, status, headers), for assertions on each Location, Set-Cookie or header.
import { request as httpRequest } from 'node:http';
import type { CustomFetch } from 'openid-client';
import { Browser } from './browser.ts';

export interface Exchange {
  /** The URL as the browser saw it (https behind a TLS front). */
  url: URL;
  method: string;
  status: number;
  headers: Headers;
  /** The body as text (UTF-8). */
  text: string;
}

export interface WireOptions {
  /** Headers sent as given on each request to `url` (Host included), over the browser's own. */
  headers?: (url: URL) => Record<string, string>;
  /** Where a request for `url` really goes (e.g. https://hub → http://hub), if elsewhere. */
  wire?: (url: URL) => URL | undefined;
}

export class WireBrowser extends Browser {
  readonly exchanges: Exchange[] = [];
  readonly #options: WireOptions;

  constructor(options: WireOptions = {}) {
    super();
    this.#options = options;
  }

  override async request(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const cookie = this.jar.header(target);
    if (cookie) headers.cookie = cookie;
    Object.assign(headers, this.#options.headers?.(target));
    const body = bodyOf(init.body);
    if (body !== undefined) headers['content-length'] = String(body.length);
    const answer = await send(this.#options.wire?.(target) ?? target, method, headers, body);
    const response = new Response(NULL_BODY.has(answer.status) ? null : answer.body, {
      status: answer.status,
      headers: answer.headers,
    });
    this.jar.store(target, response);
    this.exchanges.push({
      url: target,
      method,
      status: answer.status,
      headers: response.headers,
      text: answer.body.toString('utf8'),
    });
    return response;
  }
}

/** openid-client's customFetch through this browser: the SP's back channel, same headers. */
export function fetchThrough(browser: WireBrowser): CustomFetch {
  return (url, options) => browser.request(url, options as RequestInit);
}

/** A browser reaching the https `issuer` through a TLS-terminating proxy in front of the hub. */
export function tlsFrontBrowser(issuer: string): WireBrowser {
  const front = new URL(issuer);
  if (front.protocol !== 'https:') throw new Error(`not an https issuer: ${issuer}`);
  const atHub = (url: URL) => url.origin === front.origin;
  return new WireBrowser({
    wire: (url) => (atHub(url) ? new URL(`http://${url.host}${url.pathname}${url.search}`) : undefined),
    headers: (url): Record<string, string> => (atHub(url) ? { 'x-forwarded-proto': 'https' } : {}),
  });
}

/** openid-client's customFetch for an https issuer served in http (a TLS front). */
export function tlsFrontFetch(issuer: string): CustomFetch {
  return fetchThrough(tlsFrontBrowser(issuer));
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function bodyOf(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error('WireBrowser sends string, URLSearchParams or byte bodies only');
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const received = new Headers();
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
          received.append(incoming.rawHeaders[i] ?? '', incoming.rawHeaders[i + 1] ?? '');
        }
        resolve({ status: incoming.statusCode ?? 0, headers: received, body: Buffer.concat(chunks) });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
