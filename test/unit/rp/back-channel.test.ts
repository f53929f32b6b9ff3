import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, customFetch as joseCustomFetch } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backChannelFetch, IdpAnswerTooLarge } from '../../../src/rp/back-channel.ts';
import { translateIdpError } from '../../../src/rp/errors.ts';

let server: Server;
let base: string;
let last: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};
/** Bytes the `/endless` answer managed to hand to its socket before the reader hung up. */
let endlessSent = 0;
const CAP = 64 * 1024;
const fetchCapped = backChannelFetch(CAP);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      last = { method: req.method, headers: req.headers, body };
      if (req.url === '/empty') return res.writeHead(204).end();
      if (req.url === '/exact') return res.end(Buffer.alloc(CAP, 0x61));
      if (req.url === '/declared') {
        // Announces 1 GiB: refused on the headers, before a byte of the body is read.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 ** 30) });
        return res.write('{"keys":[');
      }
      if (req.url === '/endless') {
        // Chunked, no length, never ends on its own: only the reader's hang-up stops it.
        endlessSent = 0;
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) endlessSent += chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        return pump();
      }
      if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
      if (req.url === '/redirect') return res.writeHead(302, { location: '/empty' }).end();
      if (req.url === '/cut') {
        // Headers and half a body, then the connection drops.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"sub":');
        return setTimeout(() => res.socket?.destroy(), 20);
      }
      res.writeHead(401, [
        ['content-type', 'application/json'],
        ['www-authenticate', 'Bearer error="invalid_token"'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]);
      res.end(JSON.stringify({ error: 'invalid_token', echoed: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A GET as openid-client sends one (userinfo, discovery). */
const get = (url: string, signal?: AbortSignal) =>
  fetchCapped(url, {
    method: 'GET',
    headers: {},
    body: undefined,
    redirect: 'manual',
    ...(signal ? { signal } : {}),
  });

describe('backChannelFetch', () => {
  it('posts a form as urlencoded and answers a Response with status, headers and body', async () => {
    const response = await fetchCapped(`${base}/token`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'abc' }),
      redirect: 'manual',
    });
    expect(last.method).toBe('POST');
    expect(last.headers?.['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(last.body).toBe('grant_type=authorization_code&code=abc');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ error: 'invalid_token', echoed: last.body });
  });

  it("keeps the caller's content type", async () => {
    await fetchCapped(`${base}/x`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/jwt' },
      body: 'a.b.c',
      redirect: 'manual',
    });
    expect(last.headers?.['content-type']).toBe('application/jwt');
    expect(last.body).toBe('a.b.c');
  });

  it('answers a body-less status without a body', async () => {
    const response = await get(`${base}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('gives up when the signal aborts (the IdP timeout)', async () => {
    const call = get(`${base}/slow`, AbortSignal.timeout(100));
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('does not follow a redirect: openid-client sees it', async () => {
    const response = await get(`${base}/redirect`);
    expect(response.status).toBe(302);
    expect(last.method).toBe('GET');
  });

  it('an answer cut short is an IdP unreachable (R2002), as one that never answers', async () => {
    const call = get(`${base}/cut`);
    const error = await call.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(translateIdpError('idp-a', error).code).toBe('R2002');
  });

  it('fails as fetch does when the IdP cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const call = get(`http://127.0.0.1:${port}/`);
    await expect(call).rejects.toThrow(new TypeError('fetch failed'));
  });

  it('reads an answer of exactly the cap', async () => {
    const response = await get(`${base}/exact`);
    expect((await response.arrayBuffer()).byteLength).toBe(CAP);
  });

  it('refuses a Content-Length over the cap before reading the body', async () => {
    const call = get(`${base}/declared`);
    await expect(call).rejects.toBeInstanceOf(IdpAnswerTooLarge);
    const error = await call.catch((failure: unknown) => failure);
    expect(translateIdpError('idp-a', error)).toMatchObject({ code: 'R2003' });
  });

  it('stops reading an endless answer at the cap and hangs up', async () => {
    const before = process.memoryUsage().arrayBuffers;
    await expect(get(`${base}/endless`)).rejects.toBeInstanceOf(IdpAnswerTooLarge);
    // What the IdP got into its socket before the hub hung up: the cap and the buffers of one connection.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endlessSent).toBeLessThan(8 * 1024 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it("caps jose's JWKS fetch too (its Headers object is sent as is)", async () => {
    const jwks = createRemoteJWKSet(new URL(`${base}/endless`), { [joseCustomFetch]: fetchCapped });
    await expect(jwks.reload()).rejects.toBeInstanceOf(IdpAnswerTooLarge);
    const listed = createRemoteJWKSet(new URL(`${base}/x`), {
      headers: { 'x-probe': 'yes' },
      [joseCustomFetch]: fetchCapped,
    });
    await expect(listed.reload()).rejects.toThrow();
    expect(last.headers?.['x-probe']).toBe('yes');
    expect(last.headers?.accept).toMatch(/application\/json/);
  });
});
