// The adapter as oidc-provider itself drives it (models, not hand-made payloads).
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { createOidcAdapter } from '../../../src/store/oidc-adapter.ts';
import { withReadAhead } from '../../../src/store/read-ahead.ts';

const kv = createMemoryKv('relais:test:provider:');
afterAll(() => kv.close());
const clientMetadata = {
  client_id: 'demo-sp',
  client_secret: 'a-demo-secret-of-at-least-32-characters',
  redirect_uris: ['http://localhost:4000/callback'],
  id_token_signed_response_alg: 'ES256',
};
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const provider = new Provider('http://localhost:3000', {
  jwks: { keys: [{ ...signingKey, kid: 'test-key', alg: 'ES256', use: 'sig' }] },
  features: { devInteractions: { enabled: false } },
  adapter: createOidcAdapter(kv, { find: async (id) => (id === 'demo-sp' ? clientMetadata : undefined) }),
});

describe('oidc adapter under oidc-provider', () => {
  it('oidc-provider loads a registry client through the adapter', async () => {
    const client = await provider.Client.find('demo-sp');
    expect(client?.clientId).toBe('demo-sp');
    expect(await provider.Client.find('unknown')).toBeUndefined();
  });

  it("reads a token's grant ahead inside oidc-provider's request, scoped by Provider.ctx", async () => {
    const reads: string[] = [];
    const get = (key: string) => {
      reads.push(key);
      return kv.get(key);
    };
    const counted = { ...kv, get };
    const readAhead = withReadAhead(counted, { scope: () => Provider.ctx });
    const op = new Provider('http://localhost:3000', {
      jwks: { keys: [{ ...signingKey, kid: 'test-key', alg: 'ES256', use: 'sig' }] },
      features: { devInteractions: { enabled: false } },
      findAccount: async (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
      ttl: { Grant: 60, AccessToken: 60 },
      adapter: createOidcAdapter(
        readAhead,
        { find: async (id) => (id === 'demo-sp' ? clientMetadata : undefined) },
        { readAhead: (grantId) => [`extra:${grantId}`] },
      ),
    });
    const client = (await op.Client.find('demo-sp'))!;
    const grant = new op.Grant({ accountId: 'account-1', clientId: 'demo-sp' });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    const token = await new op.AccessToken({
      client,
      accountId: 'account-1',
      grantId,
      gty: 'authorization_code',
      scope: 'openid',
    }).save();
    const server = createServer(op.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      reads.length = 0;
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'account-1' });
      // The grant and the caller's key were asked for together, right after the token; the
      // caller's key, which nothing else reads, proves the read-ahead ran in the request's scope.
      expect(reads.slice(0, 3)).toEqual([
        `oidc:AccessToken:${token}`,
        `oidc:Grant:${grantId}`,
        `extra:${grantId}`,
      ]);
      expect(reads.filter((key) => key === `oidc:Grant:${grantId}`)).toHaveLength(1);
      // Outside any request, nothing is read ahead.
      reads.length = 0;
      await op.AccessToken.find(token);
      expect(reads).toEqual([`oidc:AccessToken:${token}`]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('an authorization code saved by oidc-provider is found, then consumed once', async () => {
    const client = (await provider.Client.find('demo-sp'))!;
    const code = new provider.AuthorizationCode({
      client,
      accountId: 'account-1',
      grantId: 'grant-1',
      gty: 'authorization_code',
      scope: 'openid',
      redirectUri: 'http://localhost:4000/callback',
    });
    const value = await code.save();
    const found = await provider.AuthorizationCode.find(value);
    expect(found?.accountId).toBe('account-1');
    const consumed = (item: unknown) => (item as { consumed?: unknown } | undefined)?.consumed;
    expect(consumed(found)).toBeFalsy();
    await found!.consume();
    expect(consumed(await provider.AuthorizationCode.find(value))).toEqual(expect.any(Number));
    await expect(found!.consume()).rejects.toThrow('invalid_grant');
  });
});
