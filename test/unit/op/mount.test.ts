// Which requests the HTTP server hands straight to oidc-provider, ahead of fastify: its own routes
// as they stand, never POST /authorize (fastify parses its form) nor a hub page.
import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { providerRoutes } from '../../../src/op/mount.ts';

const routes = providerRoutes(() => ({}) as Provider, 'https://relais.example');
const serves = (method: string, url: string) => routes.serves({ method, url } as IncomingMessage);

describe("oidc-provider's direct routes", () => {
  it("serves oidc-provider's endpoints, query strings included", () => {
    for (const [method, url] of [
      ['GET', '/authorize?client_id=a&scope=openid'],
      ['HEAD', '/authorize'],
      ['GET', '/authorize/UID_123-abc'],
      ['POST', '/token'],
      ['GET', '/userinfo'],
      ['POST', '/userinfo'],
      ['GET', '/jwks'],
      ['GET', '/.well-known/openid-configuration'],
      ['OPTIONS', '/token'],
      ['GET', '/session/end?id_token_hint=x'],
      ['POST', '/session/end/confirm'],
      ['GET', '/session/end/success'],
    ]) {
      expect(serves(method as string, url as string), `${method} ${url}`).toBe(true);
    }
  });

  it('leaves POST /authorize, the hub pages and anything else to fastify', () => {
    for (const [method, url] of [
      ['POST', '/authorize'],
      ['OPTIONS', '/authorize'],
      ['GET', '/authorize/a/b'],
      ['GET', '/interaction/uid'],
      ['GET', '/idp/callback?state=x'],
      ['GET', '/jwks/extra'],
      ['DELETE', '/token'],
      ['GET', '/'],
      ['GET', '/metrics'],
    ]) {
      expect(serves(method as string, url as string), `${method} ${url}`).toBe(false);
    }
  });

  it('pins the request to the issuer: a forged Host or forwarded host changes no URL', () => {
    const handled: IncomingMessage[] = [];
    const provider = { callback: () => (req: IncomingMessage) => handled.push(req) } as unknown as Provider;
    const req = {
      method: 'GET',
      url: '/jwks',
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
    } as unknown as IncomingMessage;
    providerRoutes(() => provider, 'https://relais.example').handle(req, {} as never);
    expect(handled).toHaveLength(1);
    expect(req.headers).toEqual({ host: 'relais.example', 'x-forwarded-proto': 'https' });
  });
});
