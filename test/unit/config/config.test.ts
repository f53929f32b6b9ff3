import { describe, expect, it } from 'vitest';
import { parseFederation } from '../../../src/config/federation-file.ts';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

describe('configuration from the environment', () => {
  it('defaults to a demo on localhost:3000 with embedded stores', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', issuer: 'http://localhost:3000' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.demo).toEqual({
      mockIdpPort: 3001,
      demoSpPort: 3002,
      mockIdpUrl: 'http://localhost:3001',
      demoSpUrl: 'http://localhost:3002',
      fallbackIdpPort: 3003,
      fallbackIdpUrl: 'http://localhost:3003',
      inProcess: true,
    });
    expect(config.profile).toBe('franceconnect');
  });

  it('keeps access tokens 60 s unless ACCESS_TOKEN_TTL_SECONDS says otherwise, within 10 s–1 h', () => {
    expect(loadConfig({}).accessTokenTtlSeconds).toBe(60);
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '10' }).accessTokenTtlSeconds).toBe(10);
    expect(() => loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '5' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '7200' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
  });

  it('serves ProConnect with PROFILE=proconnect, and nothing else', () => {
    expect(loadConfig({ PROFILE: 'proconnect' }).profile).toBe('proconnect');
    // The two demos keep apart embedded registries (an upsert never deletes the other's IdPs).
    expect(loadConfig({ PROFILE: 'proconnect' }).pgliteDir).toBe('.relais/pglite-proconnect');
    expect(loadConfig({}).pgliteDir).toBe('.relais/pglite');
    expect(() => loadConfig({ PROFILE: 'agentconnect' })).toThrow(/^invalid environment: PROFILE: /);
    expect(loadConfig({ FALLBACK_IDP_PORT: '4100' }).demo?.fallbackIdpUrl).toBe('http://localhost:4100');
  });

  it('names the variable of a bad value in one line', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^invalid environment: PORT: /);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ENCRYPTION_KEY: 'short' })).toThrow(/ENCRYPTION_KEY/);
  });

  it('is a demo with a real database only when DEMO says so', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/relais', DEMO: 'true' }).demo).toBeDefined();
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/relais' })).toThrow(/SUB_SECRET/);
  });

  it('refuses an issuer with a path', () => {
    expect(() => loadConfig({ ISSUER: 'https://hub.example/api/v2' })).toThrow(/ISSUER: must be an origin/);
    expect(loadConfig({ ISSUER: 'https://hub.example/' }).issuer).toBe('https://hub.example');
  });

  it('requires the secrets with a real database outside demo mode', () => {
    expect(() =>
      loadConfig({ DATABASE_URL: 'postgres://db/relais', FEDERATION_FILE: '/etc/relais/federation.json' }),
    ).toThrow(/SUB_SECRET, ENCRYPTION_KEY, COOKIE_KEYS required/);
  });
});

describe('the federation file', () => {
  const sp = {
    client_id: 'sp-1',
    client_secret: 'a-secret-of-at-least-thirty-two-characters',
    client_name: 'SP',
    redirect_uris: ['https://sp.example/callback'],
    scope: 'openid email',
  };

  it('names the entry and the field of a bad value', () => {
    const error = (() => {
      try {
        parseFederation({ serviceProviders: [{ ...sp, client_secret: 'short' }] }, false);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('serviceProviders[0] (sp-1).client_secret');
  });

  it('takes an SP’s encryption with its keys only, and an _enc only with its _alg', () => {
    const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', use: 'enc', alg: 'ECDH-ES', kid: 'enc-1' };
    const encrypted = { ...sp, id_token_encrypted_response_alg: 'ECDH-ES', jwks: { keys: [key] } };
    expect(parseFederation({ serviceProviders: [encrypted] }, false).serviceProviders[0]).toMatchObject({
      id_token_encrypted_response_alg: 'ECDH-ES',
    });
    expect(() =>
      parseFederation(
        { serviceProviders: [{ ...sp, userinfo_encrypted_response_alg: 'RSA-OAEP-256' }] },
        false,
      ),
    ).toThrow(/userinfo encryption needs jwks_uri or jwks/);
    expect(() =>
      parseFederation(
        { serviceProviders: [{ ...encrypted, userinfo_encrypted_response_enc: 'A256GCM' }] },
        false,
      ),
    ).toThrow(/needs userinfo_encrypted_response_alg/);
    // RSA-OAEP (SHA-1) and key wrapping are not offered.
    expect(() =>
      parseFederation(
        { serviceProviders: [{ ...encrypted, id_token_encrypted_response_alg: 'RSA-OAEP' }] },
        false,
      ),
    ).toThrow(/id_token_encrypted_response_alg/);
  });

  it('refuses http outside loopback unless explicitly allowed', () => {
    const insecure = { serviceProviders: [{ ...sp, redirect_uris: ['http://sp.example/callback'] }] };
    expect(() => parseFederation(insecure, false)).toThrow(
      /sp-1\)\.redirect_uris: http is only allowed on loopback/,
    );
    expect(parseFederation(insecure, true).serviceProviders).toHaveLength(1);
    const loopback = { serviceProviders: [{ ...sp, redirect_uris: ['http://127.0.0.1:8080/callback'] }] };
    expect(parseFederation(loopback, false).serviceProviders).toHaveLength(1);
    // RFC 6761: localhost and its subdomains are loopback names (the compose demo uses them).
    const named = {
      serviceProviders: [{ ...sp, redirect_uris: ['http://demo-sp.localhost:3002/callback'] }],
    };
    expect(parseFederation(named, false).serviceProviders).toHaveLength(1);
    const lookalike = { serviceProviders: [{ ...sp, redirect_uris: ['http://localhost.example/callback'] }] };
    expect(() => parseFederation(lookalike, false)).toThrow(/only allowed on loopback/);
    const dataProvider = {
      client_id: 'dp-1',
      name: 'Data',
      scopes: ['data_scope'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: 'http://keys.example/jwks',
    };
    expect(() => parseFederation({ dataProviders: [dataProvider] }, false)).toThrow(
      /dataProviders \(dp-1\)\.jwks_uri: http is only allowed on loopback/,
    );
  });

  it('refuses a data provider with an SP client_id, or without credentials', () => {
    const dp = { client_id: 'sp-1', name: 'Data', scopes: ['data_scope'], client_secret: 'x'.repeat(32) };
    expect(() => parseFederation({ serviceProviders: [sp], dataProviders: [dp] }, false)).toThrow(
      /already a service provider's client_id/,
    );
    expect(() =>
      parseFederation({ dataProviders: [{ ...dp, client_id: 'dp-1', client_secret: undefined }] }, false),
    ).toThrow(/client_secret: required/);
  });

  it('refuses an SP naming an unknown identity provider', () => {
    expect(() =>
      parseFederation({ serviceProviders: [{ ...sp, identity_providers: ['ghost'] }] }, false),
    ).toThrow(/unknown identity provider "ghost"/);
  });
});
