import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { bindStateToBrowser, browserBindingOf } from '../../../src/http/browser-binding.ts';

const state = 'uid1.c3RhdGUtb2YtdGhlLWh1Yi10b3dhcmQtdGhlLWlkcA';
const binding = 'YmluZGluZy1vZi10aGlzLWJyb3dzZXItMjU2LWJpdHM';
let app: FastifyInstance;

async function appFor(secure: boolean) {
  app = Fastify();
  await app.register(fastifyCookie);
  app.get('/leave', async (_request, reply) => {
    bindStateToBrowser(reply, { state, binding }, secure);
    return 'ok';
  });
  app.get('/idp/callback', async (request, reply) => ({
    binding:
      browserBindingOf(request, reply, (request.query as { state?: string }).state ?? null, secure) ?? null,
  }));
  return app;
}

const setCookies = (headers: Record<string, unknown>) => [headers['set-cookie'] ?? []].flat() as string[];
const nameOf = (cookie: string) => cookie.slice(0, cookie.indexOf('='));

afterEach(() => app?.close());

describe('the IdP callback binding cookie', () => {
  it('on http: the binding itself, per state, path-scoped to the callback, HttpOnly, Lax, not Secure', async () => {
    const left = await (await appFor(false)).inject('/leave');
    const [cookie = ''] = setCookies(left.headers);
    expect(cookie).toMatch(/^relais_tx_[0-9a-f]{16}=/);
    expect(cookie).toContain(`=${binding};`);
    expect(cookie).toContain('Path=/idp/callback');
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    expect(cookie).toContain('Max-Age=900');
  });

  it('on https: a __Host- cookie, Secure, Path=/ and no Domain', async () => {
    const left = await (await appFor(true)).inject('/leave');
    const [cookie = ''] = setCookies(left.headers);
    expect(cookie).toMatch(/^__Host-relais_tx_[0-9a-f]{16}=/);
    expect(cookie).toContain('Path=/;');
    expect(cookie).toMatch(/Secure/);
    expect(cookie).not.toMatch(/Domain/i);
  });

  for (const secure of [false, true]) {
    it(`gives back the binding on return and clears it (${secure ? 'https' : 'http'})`, async () => {
      const server = await appFor(secure);
      const [set = ''] = setCookies((await server.inject('/leave')).headers);
      const name = nameOf(set);
      const back = await server.inject({ url: `/idp/callback?state=${state}`, cookies: { [name]: binding } });
      expect(back.json()).toEqual({ binding });
      const [cleared = ''] = setCookies(back.headers);
      expect(nameOf(cleared)).toBe(name);
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);
      expect(cleared).toContain(secure ? 'Path=/;' : 'Path=/idp/callback');
    });
  }

  it('gives nothing without the cookie, for another state, or without a state', async () => {
    const server = await appFor(false);
    const [set = ''] = setCookies((await server.inject('/leave')).headers);
    const cookies = { [nameOf(set)]: binding };
    expect((await server.inject({ url: `/idp/callback?state=${state}` })).json()).toEqual({ binding: null });
    expect((await server.inject({ url: '/idp/callback?state=uid1.other', cookies })).json()).toEqual({
      binding: null,
    });
    expect((await server.inject({ url: '/idp/callback', cookies })).json()).toEqual({ binding: null });
  });

  it('under https, ignores the unprefixed cookie a sibling host could have planted', async () => {
    const server = await appFor(true);
    const [set = ''] = setCookies((await server.inject('/leave')).headers);
    const planted = nameOf(set).replace('__Host-', '');
    const back = await server.inject({
      url: `/idp/callback?state=${state}`,
      cookies: { [planted]: binding },
    });
    expect(back.json()).toEqual({ binding: null });
  });
});
