import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Federation, federationSchema } from '../../../src/config/federation.ts';
import { migrate } from '../../../src/store/migrations.ts';
import {
  createKeyRepository,
  createRegistryRepository,
  createSecretRepository,
} from '../../../src/store/registry.ts';
import { type DatabaseFixture, databases } from './databases.ts';

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
    const registry = createRegistryRepository(fx.sql);
    const fed = federation();
    await registry.upsertFederation(fed);
    expect(await registry.listServiceProviders()).toEqual(fed.serviceProviders);
    expect(await registry.listIdentityProviders()).toEqual(fed.identityProviders);
  });

  it('a second upsert applies edits and keeps the active column in sync', async () => {
    const registry = createRegistryRepository(fx.sql);
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
    const registry = createRegistryRepository(fx.sql);
    await registry.upsertFederation(federation());
    const stamps = () => fx.sql.query('select client_id, updated_at from service_providers order by 1');
    const [before, fingerprint] = [await stamps(), await registry.fingerprint()];
    await registry.upsertFederation(federation());
    expect(await stamps()).toEqual(before);
    expect(await registry.fingerprint()).toBe(fingerprint);
  });

  it('disabling an IdP by hand in the active column takes effect', async () => {
    const registry = createRegistryRepository(fx.sql);
    await registry.upsertFederation(federation());
    const before = await registry.fingerprint();
    await fx.sql.query("update identity_providers set active = false where uid = 'mock-idp'");
    expect((await registry.listIdentityProviders())[0]?.active).toBe(false);
    expect(await registry.fingerprint()).not.toBe(before);
  });

  it('upsertFederation() is one transaction: a failing entry leaves nothing behind', async () => {
    const registry = createRegistryRepository(fx.sql);
    const fed = federation();
    // A value JSON cannot encode makes the second entry fail after the first was written.
    (fed.serviceProviders[1] as Record<string, unknown>)['broken'] = 10n;
    await expect(registry.upsertFederation(fed)).rejects.toThrow();
    expect(await registry.listServiceProviders()).toEqual([]);
  });

  it('a hand-edited invalid row is reported with its table and id', async () => {
    const registry = createRegistryRepository(fx.sql);
    await registry.upsertFederation(federation());
    await fx.sql.query(
      `update service_providers set config = config || '{"redirect_uris": []}'::jsonb where client_id = 'second-sp'`,
    );
    await expect(registry.listServiceProviders()).rejects.toThrow(
      /service_providers row "second-sp" is invalid: redirect_uris/,
    );
  });

  it('signing keys: only the ones not retired, oldest first, each JWK carrying its kid', async () => {
    const keys = createKeyRepository(fx.sql);
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
