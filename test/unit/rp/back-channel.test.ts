import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backChannelFetch } from '../../../src/rp/back-channel.ts';
import { translateIdpError } from '../../../src/rp/errors.ts';

let server: Server;
let base: string;
let last: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      last = { method: req.method, headers: req.headers, body };
      if (req.url === '/empty') return res.writeHead(204).end();
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
  backChannelFetch(url, {
    method: 'GET',
    headers: {},
    body: undefined,
    redirect: 'manual',
    ...(signal ? { signal } : {}),
  });

describe('backChannelFetch', () => {
  it('posts a form as urlencoded and answers a Response with status, headers and body', async () => {
    const response = await backChannelFetch(`${base}/token`, {
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
    await backChannelFetch(`${base}/x`, {
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
});
