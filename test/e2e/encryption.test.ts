// FranceConnect+'s encrypted tokens, from an SP's side (openid-client): an SP that registered an
// encryption key gets its id_token and its userinfo signed by the hub, then encrypted to that key
// (ECDH-ES or RSA-OAEP-256, A256GCM); another SP still gets them signed only. Discovery says how.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Citizen } from '../support/citizen.ts';
import {
  authorizeRequest,
  type Federation,
  SP_HOST,
  spClient,
  startFederation,
} from '../support/federation.ts';
import { freePort } from '../support/net.ts';
import { completeLogin } from '../support/sp-login.ts';

let federation: Federation;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const keys: Record<string, PrivateKey> = {};
const secret = (id: string) => `${id}-secret-0123456789-0123456789-abcdef`;

async function encryptionKey(alg: 'ECDH-ES' | 'RSA-OAEP-256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  keys[kid] = privateKey;
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'enc' };
}

/** An SP publishing its key at a jwks_uri, as most do: a small server beside the SPs. */
let jwksServer: Server;
/** What it publishes, for a day by its cache headers. */
const published: { keys: Array<Record<string, unknown>> } = { keys: [] };

beforeAll(async () => {
  published.keys = [await encryptionKey('ECDH-ES', 'sp-uri-enc')];
  jwksServer = createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=86400' })
      .end(JSON.stringify(published));
  });
  const jwksPort = await freePort(SP_HOST);
  await new Promise<void>((resolve) => jwksServer.listen(jwksPort, SP_HOST, resolve));
  federation = await startFederation({
    idps: [{ uid: 'idp-a', host: '127.0.0.2' }],
    sps: [
      {
        client_id: 'sp-ecdh',
        client_secret: secret('sp-ecdh'),
        jwks: { keys: [await encryptionKey('ECDH-ES', 'sp-ecdh-enc')] },
        id_token_encrypted_response_alg: 'ECDH-ES',
        userinfo_encrypted_response_alg: 'ECDH-ES',
        acr_values: ['eidas1', 'eidas2'],
      },
      {
        client_id: 'sp-rsa',
        client_secret: secret('sp-rsa'),
        jwks: { keys: [await encryptionKey('RSA-OAEP-256', 'sp-rsa-enc')] },
        id_token_encrypted_response_alg: 'RSA-OAEP-256',
        id_token_encrypted_response_enc: 'A256GCM',
        userinfo_encrypted_response_alg: 'RSA-OAEP-256',
      },
      { client_id: 'sp-plain', client_secret: secret('sp-plain'), acr_values: ['eidas1', 'eidas2'] },
      {
        client_id: 'sp-uri',
        client_secret: secret('sp-uri'),
        jwks_uri: `http://${SP_HOST}:${jwksPort}/jwks`,
        id_token_encrypted_response_alg: 'ECDH-ES',
        userinfo_encrypted_response_alg: 'ECDH-ES',
      },
    ],
    // FranceConnect+: from eidas2 on, the identity goes encrypted or not at all.
    env: { ENCRYPTION_REQUIRED_FROM: 'eidas2' },
  });
});

afterAll(async () => {
  await federation?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

/** A whole login at the SP; what came over the wire, and what openid-client made of it. */
async function loginAt(spId: string, decryption?: { alg: string; kid: string }) {
  const config = await spClient(federation, spId);
  if (decryption)
    client.enableDecryptingResponses(config, ['A256GCM'], {
      key: keys[decryption.kid] as PrivateKey,
      alg: decryption.alg,
      kid: decryption.kid,
    });
  const request = await authorizeRequest(federation, config);
  const citizen = await new Citizen(request).go(request.url);
  const { tokens, idToken } = await completeLogin(federation, { config, request, citizen }, { idp: 'idp-a' });
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  const raw = await fetch(`${federation.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  return { tokens, idToken, userinfo, rawUserinfo: await raw.text() };
}

/** A compact JWE has five parts; a JWS three. */
const parts = (compact: string | undefined) => compact?.split('.').length;
const header = (compact: string | undefined) =>
  JSON.parse(Buffer.from(compact?.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('encrypted id_token and userinfo', () => {
  it('lists the encryption algorithms in discovery', async () => {
    const discovery = (await (
      await fetch(`${federation.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, string[]>;
    expect(discovery.id_token_encryption_alg_values_supported).toEqual(['ECDH-ES', 'RSA-OAEP-256']);
    expect(discovery.id_token_encryption_enc_values_supported).toEqual(['A256GCM']);
    expect(discovery.userinfo_encryption_alg_values_supported).toEqual(['ECDH-ES', 'RSA-OAEP-256']);
    expect(discovery.userinfo_encryption_enc_values_supported).toEqual(['A256GCM']);
    // Nothing weaker anywhere (RSA-OAEP with SHA-1, key wrapping, dir).
    expect(discovery.introspection_encryption_alg_values_supported).toEqual(['ECDH-ES', 'RSA-OAEP-256']);
    expect(discovery.introspection_encryption_enc_values_supported).toEqual(['A256GCM']);
  });

  for (const [spId, alg, kid] of [
    ['sp-ecdh', 'ECDH-ES', 'sp-ecdh-enc'],
    ['sp-rsa', 'RSA-OAEP-256', 'sp-rsa-enc'],
    // The key fetched from the SP's jwks_uri.
    ['sp-uri', 'ECDH-ES', 'sp-uri-enc'],
  ] as const) {
    it(`encrypts both to ${spId}'s key (${alg}, A256GCM), signed inside, and the SP reads them`, async () => {
      const { tokens, idToken, userinfo, rawUserinfo } = await loginAt(spId, { alg, kid });
      expect(parts(tokens.id_token)).toBe(5);
      expect(header(tokens.id_token)).toMatchObject({ alg, enc: 'A256GCM', kid, cty: 'JWT' });
      expect(parts(rawUserinfo)).toBe(5);
      expect(header(rawUserinfo)).toMatchObject({ alg, enc: 'A256GCM', kid });
      expect(idToken.acr).toBe('eidas1');
      expect(userinfo.sub).toBe(idToken.sub);
      expect(typeof userinfo.given_name).toBe('string');
    });
  }

  it('refuses eidas2 to an SP without encryption when the federation requires it (R1016), not to one with it', async () => {
    const plain = await spClient(federation, 'sp-plain');
    const plainRequest = await authorizeRequest(federation, plain, { acr_values: 'eidas2' });
    const refused = await new Citizen(plainRequest).go(plainRequest.url);
    expect(refused.spParams().get('error')).toBe('invalid_request');
    expect(refused.spParams().get('error_description')).toMatch(/\[R1016\]$/);
    const encrypted = await spClient(federation, 'sp-ecdh');
    const request = await authorizeRequest(federation, encrypted, { acr_values: 'eidas2' });
    const admitted = await new Citizen(request).go(request.url);
    expect(admitted.currentPage().html).toContain('name="idp"');
  });

  it("fetches an SP's jwks_uri again after 5 minutes at most, whatever its cache headers say", async () => {
    await loginAt('sp-uri', { alg: 'ECDH-ES', kid: 'sp-uri-enc' });
    // The SP rotates its key; a day of cache by its headers, 5 minutes by the hub's rule.
    published.keys = [await encryptionKey('ECDH-ES', 'sp-uri-enc-2')];
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(start + 6 * 60_000);
      const { tokens } = await loginAt('sp-uri', { alg: 'ECDH-ES', kid: 'sp-uri-enc-2' });
      expect(header(tokens.id_token)).toMatchObject({ kid: 'sp-uri-enc-2' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('still only signs for an SP that asked no encryption', async () => {
    const { tokens, rawUserinfo } = await loginAt('sp-plain');
    expect(parts(tokens.id_token)).toBe(3);
    expect(parts(rawUserinfo)).toBe(3);
  });
});
