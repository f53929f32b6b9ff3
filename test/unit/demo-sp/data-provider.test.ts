// The demo SP's call to a data provider: every outcome becomes something to show, never a throw.
import { describe, expect, it } from 'vitest';
import { callDataProvider } from '../../../src/demo-sp/data-provider.ts';

const RESOURCE = new URL('http://127.0.0.1:1/v1/quotient-familial');

/** A fetch answering `response` (or throwing it), recording what it was asked. */
function fakeFetch(response: Response | Error) {
  const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), init });
    if (response instanceof Error) throw response;
    return response;
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

describe("the demo SP's data provider call", () => {
  it('sends the token as a bearer, follows no redirect, and returns the JSON fields', async () => {
    const { fetch, requests } = fakeFetch(Response.json({ quotient_familial: 742 }));
    const answer = await callDataProvider(RESOURCE, 'the-access-token', { fetch });
    expect(answer).toEqual({ ok: true, resource: RESOURCE.href, fields: { quotient_familial: 742 } });
    expect(requests[0]?.init?.headers).toMatchObject({ authorization: 'Bearer the-access-token' });
    expect(requests[0]?.init?.redirect).toBe('error');
    expect(requests[0]?.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('names a timeout, and an unreachable provider', async () => {
    const timeout = fakeFetch(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(await callDataProvider(RESOURCE, 't', timeout)).toMatchObject({
      ok: false,
      status: undefined,
      error: 'pas de réponse en 3 s',
    });
    const down = fakeFetch(new TypeError('fetch failed'));
    expect(await callDataProvider(RESOURCE, 't', down)).toMatchObject({ ok: false, error: 'injoignable' });
  });

  it('takes the error from the body, else from WWW-Authenticate, else the status text', async () => {
    const body = fakeFetch(Response.json({ error: 'invalid_token' }, { status: 401 }));
    expect(await callDataProvider(RESOURCE, 't', body)).toMatchObject({
      status: 401,
      error: 'invalid_token',
    });
    const header = fakeFetch(
      new Response(null, {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="x", error="invalid_token"' },
      }),
    );
    expect(await callDataProvider(RESOURCE, 't', header)).toMatchObject({ error: 'invalid_token' });
    const bare = fakeFetch(new Response('oops', { status: 500, statusText: 'Internal Server Error' }));
    expect(await callDataProvider(RESOURCE, 't', bare)).toMatchObject({
      status: 500,
      error: 'Internal Server Error',
    });
  });

  it('refuses a 200 that is not a JSON object', async () => {
    const { fetch } = fakeFetch(Response.json([1, 2]));
    expect(await callDataProvider(RESOURCE, 't', { fetch })).toMatchObject({
      ok: false,
      status: 200,
      error: expect.stringContaining('illisible'),
    });
  });
});
