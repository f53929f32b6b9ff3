// An IdP's metadata over real HTTP: discovered once, fetched again in the background after
// METADATA_REFRESH_MS (a changed endpoint is then used), the last good copy serving while the IdP
// does not answer, and a registry change of that IdP building it anew at once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityProvider, identityProviderSchema } from '../../../src/config/federation.ts';
import { generateHubKey } from '../../../src/op/keys.ts';
import {
  createIdpClients,
  METADATA_REFRESH_MS,
  METADATA_RETRY_MS,
} from '../../../src/rp/identity-providers.ts';
import { createRegistry } from '../../../src/store/registry-cache.ts';

const HOST = '127.0.0.1';
const state = { origin: '', authorize: '/authorize', down: false, discoveries: 0 };
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url !== '/.well-known/openid-configuration') return void response.writeHead(404).end();
    state.discoveries += 1;
    if (state.down) return void response.writeHead(503).end();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        issuer: state.origin,
        authorization_endpoint: `${state.origin}${state.authorize}`,
        token_endpoint: `${state.origin}/token`,
        userinfo_endpoint: `${state.origin}/userinfo`,
        jwks_uri: `${state.origin}/jwks`,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  state.origin = `http://${HOST}:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('IdP metadata', () => {
  it('is refreshed in the background, keeps the last good copy while the IdP fails, and rebuilds on a registry change', async () => {
    let idp: IdentityProvider = identityProviderSchema.parse({
      uid: 'idp-a',
      name: 'IdP A',
      issuer: state.origin,
      client_id: 'relais',
      client_secret: 'an-idp-secret',
    });
    let fingerprint = 'one';
    const registry = await createRegistry({
      listServiceProviders: async () => [],
      listIdentityProviders: async () => [idp],
      fingerprint: async () => fingerprint,
    });
    let clock = 1_000_000;
    const clients = createIdpClients({
      registry,
      callbackUrl: 'http://127.0.0.1/idp/callback',
      timeoutMs: 2000,
      allowInsecureHttp: false,
      now: () => clock,
    });
    const endpoint = async () => (await clients.get('idp-a')).config.serverMetadata().authorization_endpoint;

    expect(await endpoint()).toBe(`${state.origin}/authorize`);
    expect(await endpoint()).toBe(`${state.origin}/authorize`);
    expect(state.discoveries).toBe(1);

    // Stale, and the IdP down: the last good copy serves; one try, then none until the retry delay.
    state.down = true;
    clock += METADATA_REFRESH_MS;
    expect(await endpoint()).toBe(`${state.origin}/authorize`);
    await settle();
    expect(state.discoveries).toBe(2);
    expect(await endpoint()).toBe(`${state.origin}/authorize`);
    await settle();
    expect(state.discoveries).toBe(2);

    // Back, with a new endpoint: taken at the next try, the old copy serving until then.
    state.down = false;
    state.authorize = '/v2/authorize';
    clock += METADATA_RETRY_MS;
    expect(await endpoint()).toBe(`${state.origin}/authorize`);
    await settle();
    expect(await endpoint()).toBe(`${state.origin}/v2/authorize`);
    expect(state.discoveries).toBe(3);

    // Another registry version, this IdP unchanged: no new discovery.
    fingerprint = 'two';
    await registry.refreshIfChanged();
    expect(await endpoint()).toBe(`${state.origin}/v2/authorize`);
    expect(state.discoveries).toBe(3);

    // This IdP changed by its operator: built anew at once.
    idp = { ...idp, name: 'IdP A, renamed' };
    fingerprint = 'three';
    await registry.refreshIfChanged();
    await endpoint();
    expect(state.discoveries).toBe(4);
  });

  it("of an IdP that encrypts: rebuilt from known metadata when the hub's keys change, and tried again after a failed discovery", async () => {
    state.down = false;
    const idp = identityProviderSchema.parse({
      uid: 'idp-enc',
      name: 'IdP chiffrant',
      issuer: state.origin,
      client_id: 'relais',
      client_secret: 'an-idp-secret',
      id_token_encrypted_response_alg: 'ECDH-ES',
      userinfo_signed_response_alg: 'ES256',
      userinfo_encrypted_response_alg: 'ECDH-ES',
    });
    const registry = await createRegistry({
      listServiceProviders: async () => [],
      listIdentityProviders: async () => [idp],
      fingerprint: async () => 'one',
    });
    const hubKey = async () => {
      const key = await generateHubKey('ECDH-ES');
      return { ...key.privateJwk, kid: key.kid };
    };
    let hubJwks: Array<Record<string, unknown>> = [await hubKey()];
    const clients = createIdpClients({
      registry,
      callbackUrl: 'http://127.0.0.1/idp/callback',
      timeoutMs: 2000,
      allowInsecureHttp: false,
      hubJwks: () => hubJwks,
    });
    const before = state.discoveries;
    const first = await clients.get('idp-enc');
    // A key rotation: a new client, built without asking the IdP again.
    hubJwks = [...hubJwks, await hubKey()];
    const rekeyed = await clients.get('idp-enc');
    expect(rekeyed).not.toBe(first);
    expect(rekeyed.config.serverMetadata().authorization_endpoint).toBe(
      first.config.serverMetadata().authorization_endpoint,
    );
    expect(state.discoveries).toBe(before + 1);
    expect(await clients.get('idp-enc')).toBe(rekeyed);
    // Two keys of the algorithm while the rotation runs, and a JWE that names none (RFC 7516
    // allows it): each is tried. Encrypted to the newer key here.
    const newer = hubJwks[1] as Record<string, unknown>;
    const { d: _private, ...publicPart } = newer;
    const jwe = await new CompactEncrypt(new TextEncoder().encode('inner.signed.jwt'))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
      .encrypt(await importJWK({ ...publicPart, kid: undefined }, 'ECDH-ES'));
    expect(await rekeyed.decryptUserinfo(jwe)).toBe('inner.signed.jwt');
    // Another enc than the configured one is refused, whatever the key.
    const cbc = await new CompactEncrypt(new TextEncoder().encode('x'))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A128CBC-HS256' })
      .encrypt(await importJWK(publicPart, 'ECDH-ES'));
    await expect(rekeyed.decryptUserinfo(cbc)).rejects.toThrow();

    // The IdP down at a first build that a key change overtakes: the next login tries again.
    state.down = true;
    const other = createIdpClients({
      registry,
      callbackUrl: 'http://127.0.0.1/idp/callback',
      timeoutMs: 2000,
      allowInsecureHttp: false,
      hubJwks: () => hubJwks,
    });
    const failing = other.get('idp-enc');
    hubJwks = [...hubJwks, await hubKey()];
    await expect(other.get('idp-enc')).rejects.toMatchObject({ code: 'R2002' });
    await expect(failing).rejects.toMatchObject({ code: 'R2002' });
    state.down = false;
    await settle();
    const recovered = await other.get('idp-enc');
    expect(recovered.config.serverMetadata().issuer).toBe(state.origin);
  });
});
