// The mock IdP as an attacker: id_tokens and signed userinfo re-signed with an algorithm the client
// did not configure, or with claims changed under its own key; an authorization response without
// `iss`. What the hub's security tests (test/security/) rely on.
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWK,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import * as client from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockIdp, type MockIdp, type MockIdpClient } from '../../../src/mock-idp/index.ts';
import { authorize, discover, freePort, HOST, jwks, REDIRECT_URI, testClient } from './flow.ts';

const started: MockIdp[] = [];
afterAll(async () => {
  await Promise.all(started.map((idp) => idp.close()));
});

async function startIdp(
  rp: MockIdpClient,
  algs: { idTokenAlg: 'ES256' | 'RS256'; userinfoAlg: 'RS256' | null },
) {
  const idp = await createMockIdp({ issuer: `http://${HOST}:${await freePort()}`, clients: [rp], ...algs });
  await idp.listen();
  started.push(idp);
  return idp;
}

/** The token response as the IdP sent it, read without openid-client (which would refuse a forgery). */
async function rawTokens(idp: MockIdp, rp: MockIdpClient, config: client.Configuration) {
  const authorization = await authorize(config, { identity: 'standard' });
  const response = await fetch(idp.endpoints.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: authorization.callback.searchParams.get('code') ?? '',
      redirect_uri: REDIRECT_URI,
      code_verifier: authorization.codeVerifier,
    }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { id_token: string; access_token: string };
}

async function rawUserinfo(idp: MockIdp, accessToken: string) {
  const response = await fetch(idp.endpoints.userinfo_endpoint, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** The public JWK the IdP publishes under this kid, as a PEM: the key-confusion secret. */
async function publishedPem(idp: MockIdp, kid: string | undefined): Promise<string> {
  const key = (await jwks(idp)).keys.find((candidate) => candidate.kid === kid);
  if (!key) throw new Error(`no published key ${kid}`);
  return createPublicKey({ key: key as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

describe('mock IdP forgeries (ES256 id_token, RS256 signed userinfo)', () => {
  const rp = testClient();
  let idp: MockIdp;
  let config: client.Configuration;
  let keys: JWTVerifyGetKey;

  beforeAll(async () => {
    idp = await startIdp(rp, { idTokenAlg: 'ES256', userinfoAlg: 'RS256' });
    config = await discover(idp, rp);
    keys = createLocalJWKSet((await jwks(idp)) as { keys: JWK[] });
  });
  afterEach(() => idp.setMisbehaviour({}));

  it('idTokenForgery none: the same claims, alg none, no signature', async () => {
    const genuine = decodeJwt((await rawTokens(idp, rp, config)).id_token);
    idp.setMisbehaviour({ idTokenForgery: 'none' });
    const { id_token } = await rawTokens(idp, rp, config);
    expect(decodeProtectedHeader(id_token).alg).toBe('none');
    expect(id_token.endsWith('.')).toBe(true);
    expect(decodeJwt(id_token)).toMatchObject({ sub: genuine.sub, iss: idp.issuer, aud: rp.client_id });
  });

  it('idTokenForgery hs256-public-key: HS256 keyed with the PEM of the published key it names', async () => {
    idp.setMisbehaviour({ idTokenForgery: 'hs256-public-key' });
    const { id_token } = await rawTokens(idp, rp, config);
    const header = decodeProtectedHeader(id_token);
    expect(header.alg).toBe('HS256');
    const input = id_token.slice(0, id_token.lastIndexOf('.'));
    const mac = createHmac('sha256', await publishedPem(idp, header.kid))
      .update(input)
      .digest('base64url');
    expect(id_token.slice(id_token.lastIndexOf('.') + 1)).toBe(mac);
  });

  it('idTokenForgery RS256: a genuine signature by the IdP’s RS256 key, where ES256 is configured', async () => {
    idp.setMisbehaviour({ idTokenForgery: 'RS256' });
    const { id_token } = await rawTokens(idp, rp, config);
    const { protectedHeader, payload } = await jwtVerify(id_token, keys, {
      issuer: idp.issuer,
      audience: rp.client_id,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.nonce).toBeTruthy();
  });

  it('userinfoClaims: changed and removed claims under the IdP’s own RS256 signature', async () => {
    idp.setMisbehaviour({ userinfoClaims: { iss: 'http://evil.example', exp: 1000, birthdate: null } });
    const { access_token } = await rawTokens(idp, rp, config);
    const { type, body } = await rawUserinfo(idp, access_token);
    expect(type).toMatch(/^application\/jwt/);
    const { protectedHeader, payload } = await jwtVerify(body, keys, { currentDate: new Date(500_000) });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ iss: 'http://evil.example', exp: 1000, aud: rp.client_id });
    expect(payload).not.toHaveProperty('birthdate');
    expect(payload.family_name).toBeTruthy();
  });

  it('userinfoForgery ES256: signed with the IdP’s ES256 key where RS256 is configured', async () => {
    idp.setMisbehaviour({ userinfoForgery: 'ES256' });
    const { access_token } = await rawTokens(idp, rp, config);
    const { body } = await rawUserinfo(idp, access_token);
    const { protectedHeader, payload } = await jwtVerify(body, keys, { issuer: idp.issuer });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.family_name).toBeTruthy();
  });

  it('missingIssuer: the callback keeps its code but loses iss, which openid-client refuses', async () => {
    expect(config.serverMetadata().authorization_response_iss_parameter_supported).toBe(true);
    idp.setMisbehaviour({ missingIssuer: true });
    const authorization = await authorize(config, { identity: 'standard' });
    expect(authorization.callback.searchParams.get('code')).toBeTruthy();
    expect(authorization.callback.searchParams.has('iss')).toBe(false);
    await expect(
      client.authorizationCodeGrant(config, authorization.callback, {
        pkceCodeVerifier: authorization.codeVerifier,
        expectedState: authorization.state,
      }),
    ).rejects.toSatisfy((error: unknown) => /"iss"/.test(String((error as Error).cause ?? error)));
  });
});

describe('mock IdP forgeries with a plain JSON userinfo', () => {
  const rp = testClient();
  let idp: MockIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startIdp(rp, { idTokenAlg: 'RS256', userinfoAlg: null });
    config = await discover(idp, rp, 'RS256');
  });

  it('leaves a JSON userinfo as it is; hs256-public-key falls on the RS256 key the id_token names', async () => {
    idp.setMisbehaviour({
      userinfoClaims: { iss: 'http://evil.example' },
      userinfoForgery: 'none',
      idTokenForgery: 'hs256-public-key',
    });
    const { access_token, id_token } = await rawTokens(idp, rp, config);
    const { type, body } = await rawUserinfo(idp, access_token);
    expect(type).toMatch(/^application\/json/);
    expect(JSON.parse(body)).not.toHaveProperty('iss');
    const header = decodeProtectedHeader(id_token);
    const published = (await jwks(idp)).keys.find((key) => key.kid === header.kid);
    expect(published?.alg).toBe('RS256');
  });
});
