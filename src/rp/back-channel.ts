// The hub's back-channel to IdPs (discovery, token, userinfo, JWKS) over undici.request rather than
// fetch: the same HTTP/1.1 client with keep-alive, without the WHATWG fetch machinery around it,
// which costs several times more CPU per call. openid-client and jose take it as their customFetch.
// An answer is read up to a cap (IDP_RESPONSE_MAX_BYTES): past it the connection is dropped, so an
// IdP cannot make the hub buffer more than the cap, whatever it sends.
import type * as client from 'openid-client';
import { request } from 'undici';

/** IDP_RESPONSE_MAX_BYTES' default: a discovery document, a JWKS or a userinfo is a few KiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/** An IdP's answer longer than the cap: a failed login at that IdP (R2003), never a 500. */
export class IdpAnswerTooLarge extends Error {
  override readonly name = 'IdpAnswerTooLarge';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`identity provider answer over ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

/** The cap's error, thrown as is or kept as a cause by openid-client (a few levels at most). */
export function isAnswerTooLarge(error: unknown): boolean {
  let at = error;
  for (let depth = 0; at instanceof Error && depth < 4; depth += 1, at = at.cause) {
    if (at instanceof IdpAnswerTooLarge) return true;
  }
  return false;
}

/** Responses that carry no body (a Response built with one throws). */
const NO_BODY = new Set([101, 204, 205, 304]);

function requestBody(body: client.CustomFetchOptions['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // openid-client streams no request body to IdPs; refuse rather than send something else.
  throw new TypeError('back-channel: unsupported request body');
}

/** What openid-client (a plain object) and jose (a Headers) pass as request headers. */
interface BackChannelOptions {
  method: string;
  headers: Record<string, string> | Headers;
  body?: client.CustomFetchOptions['body'];
  redirect: 'manual';
  signal?: AbortSignal | undefined;
}

type BackChannelFetch = (url: string, options: BackChannelOptions) => Promise<Response>;

/** The back-channel fetch, reading at most `maxBytes` of any answer. */
export function backChannelFetch(maxBytes: number = DEFAULT_MAX_RESPONSE_BYTES): BackChannelFetch {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError('back-channel: maxBytes must be ≥ 1');
  return async (url, options) => {
    const body = requestBody(options.body);
    const headers = Object.fromEntries(new Headers(options.headers));
    if (options.body instanceof URLSearchParams && !('content-type' in headers)) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    let answer: Awaited<ReturnType<typeof request>>;
    let payload: Uint8Array;
    try {
      answer = await request(url, { method: options.method as 'GET', headers, body, signal: options.signal });
      payload = await readCapped(answer, maxBytes);
    } catch (cause) {
      if (cause instanceof IdpAnswerTooLarge) throw cause;
      // The body is read here too (unlike fetch, whose later body errors are a TypeError of their
      // own), so that an IdP that cuts the answer short is "unreachable" (R2002) like one that never
      // answers: the signal's reason on a timeout, a TypeError otherwise, as fetch fails.
      if (options.signal?.aborted) throw options.signal.reason;
      throw new TypeError('fetch failed', { cause });
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) responseHeaders.append(name, each);
      else if (value !== undefined) responseHeaders.set(name, value);
    }
    return new Response(NO_BODY.has(answer.statusCode) ? null : payload, {
      status: answer.statusCode,
      headers: responseHeaders,
    });
  };
}

/**
 * The body, chunk by chunk, never more than `maxBytes`: a Content-Length over the cap is refused
 * before reading, a longer stream is cut where it passes the cap (destroying the body closes the
 * connection, so the rest is never received).
 */
async function readCapped(
  answer: Awaited<ReturnType<typeof request>>,
  maxBytes: number,
): Promise<Uint8Array> {
  const declared = Number(answer.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    answer.body.destroy();
    throw new IdpAnswerTooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of answer.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      answer.body.destroy();
      throw new IdpAnswerTooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
