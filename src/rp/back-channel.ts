// The hub's back-channel to IdPs (discovery, token, userinfo) over undici.request rather than
// fetch: the same HTTP/1.1 client with keep-alive, without the WHATWG fetch machinery around it,
// which costs several times more CPU per call. openid-client takes it as its customFetch.
import type * as client from 'openid-client';
import { request } from 'undici';

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

export const backChannelFetch: client.CustomFetch = async (url, options) => {
  const body = requestBody(options.body);
  const headers = { ...options.headers };
  if (
    options.body instanceof URLSearchParams &&
    !Object.keys(headers).some((h) => /^content-type$/i.test(h))
  ) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
  }
  let answer: Awaited<ReturnType<typeof request>>;
  let payload: ArrayBuffer;
  try {
    answer = await request(url, { method: options.method as 'GET', headers, body, signal: options.signal });
    payload = await answer.body.arrayBuffer();
  } catch (cause) {
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
