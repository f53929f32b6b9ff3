import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Federation, federationSchema } from '../../../src/config/federation.ts';
import { migrate } from '../../../src/store/migrations.ts';
import {
  createKeyRepository,
  createRegistryRepository,
  createSecretRepository,
  SEALED_PREFIX,
} from '../../../src/store/registry.ts';
import { type DatabaseFixture, databases } from './databases.ts';

const encryptionKey = randomBytes(32);

// Fictitious providers only.
const federation = (): Federation =>
  federationSchema.parse({
    serviceProviders: [
      {
        client_id: 'demo-sp',
        client_secret: 'a-demo-secret-of-at-least-32-characters',
        client_name: 'Démo FS',
        redirect_uris: ['http://localhost:4000/callback'],
        scope: 'openid identite_pivot email',
        identity_providers: ['mock-idp'],
      },
      {
        client_id: 'second-sp',
        client_secret: 'another-demo-secret-of-32-characters!',
        client_name: 'Second FS',
        redirect_uris: ['https://sp.example/callback'],
        scope: 'openid',
        type: 'private',
      },
    ],
    identityProviders: [
      {
        uid: 'mock-idp',
        name: 'FI de test',
        issuer: 'http://localhost:5000',
        client_id: 'relais',
        client_secret: 'idp-secret',
        acr_values: ['eidas1', 'eidas2'],
        order: 1,
      },
    ],
  });

describe.each(databases)('registry on $name', (database) => {
  let fx: DatabaseFixture;
  beforeEach(async () => {
    fx = await database.open();
    await migrate(fx.sql);
  });
  afterEach(() => fx.cleanup());

  it('upsertFederation() then list returns the parsed entries', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    const fed = federation();
    await registry.upsertFederation(fed);
    expect(await registry.listServiceProviders()).toEqual(fed.serviceProviders);
    expect(await registry.listIdentityProviders()).toEqual(fed.identityProviders);
  });

  it('a second upsert applies edits and keeps the active column in sync', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    const before = await registry.fingerprint();
    const edited = federation();
    edited.identityProviders[0]!.active = false;
    edited.serviceProviders[0]!.client_name = 'Démo FS renommé';
    await registry.upsertFederation(edited);
    expect((await registry.listIdentityProviders())[0]?.active).toBe(false);
    expect((await registry.listServiceProviders())[0]?.client_name).toBe('Démo FS renommé');
    const rows = await fx.sql.query<{ active: boolean }>('select active from identity_providers');
    expect(rows).toEqual([{ active: false }]);
    expect(await registry.fingerprint()).not.toBe(before);
  });

  it('an unchanged upsert leaves updated_at and the fingerprint alone', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    const stamps = () => fx.sql.query('select client_id, updated_at from service_providers order by 1');
    const [before, fingerprint] = [await stamps(), await registry.fingerprint()];
    await registry.upsertFederation(federation());
    expect(await stamps()).toEqual(before);
    expect(await registry.fingerprint()).toBe(fingerprint);
  });

  it('disabling an IdP by hand in the active column takes effect', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    const before = await registry.fingerprint();
    await fx.sql.query("update identity_providers set active = false where uid = 'mock-idp'");
    expect((await registry.listIdentityProviders())[0]?.active).toBe(false);
    expect(await registry.fingerprint()).not.toBe(before);
  });

  it('upsertFederation() is one transaction: a failing entry leaves nothing behind', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    const fed = federation();
    // A value JSON cannot encode makes the second entry fail after the first was written.
    (fed.serviceProviders[1] as Record<string, unknown>)['broken'] = 10n;
    await expect(registry.upsertFederation(fed)).rejects.toThrow();
    expect(await registry.listServiceProviders()).toEqual([]);
  });

  it('a hand-edited invalid row is reported with its table and id', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    await fx.sql.query(
      `update service_providers set config = config || '{"redirect_uris": []}'::jsonb where client_id = 'second-sp'`,
    );
    await expect(registry.listServiceProviders()).rejects.toThrow(
      /service_providers row "second-sp" is invalid: redirect_uris/,
    );
  });

  it('client secrets are sealed in the jsonb and read back in clear', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    const raw = await fx.sql.query<{ config: unknown }>('select config from service_providers');
    const idpRaw = await fx.sql.query<{ config: unknown }>('select config from identity_providers');
    const stored = JSON.stringify([raw, idpRaw]);
    expect(stored).not.toContain('a-demo-secret-of-at-least-32-characters');
    expect(stored).not.toContain('idp-secret');
    expect(stored).toContain(SEALED_PREFIX);
    expect((await registry.listIdentityProviders())[0]?.client_secret).toBe('idp-secret');
  });

  it('rows written before sealing (plain secrets) still read', async () => {
    await fx.sql.query(
      `insert into identity_providers (uid, config, active) values ('old-idp', $1::jsonb, true)`,
      [
        JSON.stringify({
          uid: 'old-idp',
          name: 'Ancien FI',
          issuer: 'https://idp.example',
          client_id: 'c',
          client_secret: 'plain-old-secret',
        }),
      ],
    );
    const [idp] = await createRegistryRepository(fx.sql, { encryptionKey }).listIdentityProviders();
    expect(idp?.client_secret).toBe('plain-old-secret');
  });

  it('a sealed secret copied to another row, or read with another key, does not open', async () => {
    await createRegistryRepository(fx.sql, { encryptionKey }).upsertFederation(federation());
    await expect(
      createRegistryRepository(fx.sql, { encryptionKey: randomBytes(32) }).listIdentityProviders(),
    ).rejects.toThrow(/identity_providers row "mock-idp": sealed value does not open/);
    await fx.sql.query(
      `update service_providers set config = jsonb_set(config, '{client_secret}',
         (select config->'client_secret' from service_providers where client_id = 'demo-sp'))
       where client_id = 'second-sp'`,
    );
    await expect(createRegistryRepository(fx.sql, { encryptionKey }).listServiceProviders()).rejects.toThrow(
      /service_providers row "second-sp"/,
    );
  });

  it('setActive() flips an entry and reports an unknown one', async () => {
    const registry = createRegistryRepository(fx.sql, { encryptionKey });
    await registry.upsertFederation(federation());
    expect(await registry.setActive('identity_providers', 'mock-idp', false)).toBe(true);
    expect((await registry.listIdentityProviders())[0]?.active).toBe(false);
    expect(await registry.setActive('service_providers', 'nobody', false)).toBe(false);
  });

  it('signing keys: private JWKs are sealed at rest; rows written before sealing still read', async () => {
    const keys = createKeyRepository(fx.sql, { encryptionKey });
    await keys.insert({
      kid: 'k-sealed',
      alg: 'ES256',
      privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret-d' },
    });
    await fx.sql.query(
      `insert into signing_keys (kid, alg, private_jwk, created_at) values ('k-plain', 'RS256', $1::jsonb, now() + interval '1 second')`,
      [JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'plain-d' })],
    );
    const raw = await fx.sql.query<{ private_jwk: unknown }>(
      "select private_jwk from signing_keys where kid = 'k-sealed'",
    );
    expect(JSON.stringify(raw)).not.toContain('secret-d');
    const listed = await keys.list();
    expect(listed.map((k) => [k.kid, k.privateJwk.d])).toEqual([
      ['k-sealed', 'secret-d'],
      ['k-plain', 'plain-d'],
    ]);
  });

  it('signing keys: only the ones not retired, oldest first, each JWK carrying its kid', async () => {
    const keys = createKeyRepository(fx.sql, { encryptionKey });
    await keys.insert({
      kid: 'k-old',
      alg: 'ES256',
      privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
    });
    await keys.insert({ kid: 'k-new', alg: 'RS256', privateJwk: { kty: 'RSA', n: 'n', e: 'AQAB', d: 'd' } });
    await keys.insert({
      kid: 'k-gone',
      alg: 'ES256',
      privateJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
    });
    await fx.sql.query("update signing_keys set created_at = now() - interval '1 day' where kid = 'k-old'");
    await fx.sql.query("update signing_keys set retired_at = now() where kid = 'k-gone'");
    const listed = await keys.list();
    expect(listed.map((k) => [k.kid, k.alg])).toEqual([
      ['k-old', 'ES256'],
      ['k-new', 'RS256'],
    ]);
    expect(listed[0]?.privateJwk).toMatchObject({ kty: 'EC', kid: 'k-old' });
    expect(listed[0]?.createdAt).toBeInstanceOf(Date);
  });

  it('signing keys: an algorithm other than ES256/RS256 is refused by the table', async () => {
    await expect(
      fx.sql.query("insert into signing_keys (kid, alg, private_jwk) values ('k', 'HS256', '{}')"),
    ).rejects.toThrow(/check constraint/);
  });

  it('secrets: concurrent getOrCreate() callers all get the one stored value', async () => {
    const other = createSecretRepository(await fx.second());
    const secrets = createSecretRepository(fx.sql);
    let n = 0;
    const generate = () => `generated-${++n}`;
    const values = await Promise.all([
      secrets.getOrCreate('sub-secret', generate),
      other.getOrCreate('sub-secret', generate),
      secrets.getOrCreate('sub-secret', generate),
      other.getOrCreate('sub-secret', generate),
    ]);
    expect(new Set(values).size).toBe(1);
    const stored = await fx.sql.query<{ value: string }>(
      "select value from hub_secrets where name = 'sub-secret'",
    );
    expect(stored).toEqual([{ value: values[0] }]);
  });

  it('secrets: an existing secret is returned without generating a new one', async () => {
    const secrets = createSecretRepository(fx.sql);
    await secrets.getOrCreate('cookie-key', () => 'first');
    expect(
      await secrets.getOrCreate('cookie-key', () => {
        throw new Error('must not generate');
      }),
    ).toBe('first');
  });
});
