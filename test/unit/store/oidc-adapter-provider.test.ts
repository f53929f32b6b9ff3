// The adapter as oidc-provider itself drives it (models, not hand-made payloads).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { createOidcAdapter } from '../../../src/store/oidc-adapter.ts';

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
