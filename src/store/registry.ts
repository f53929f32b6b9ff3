// Repositories over the registry tables: SPs and IdPs, signing keys, demo secrets. Client secrets
// and private keys are sealed at rest (AES-256-GCM) with the hub's encryption key.
import type { JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import {
  type DataProvider,
  dataProviderSchema,
  type Federation,
  HUB_KEY_ALGS,
  type HubKeyAlg,
  type IdentityProvider,
  identityProviderSchema,
  type ServiceProvider,
  serviceProviderSchema,
} from '../config/federation.ts';
import { seal, unseal } from './seal.ts';
import { inTransaction, type Sql } from './sql.ts';

interface RegistryRow {
  id: string;
  config: unknown;
  active: boolean;
}

export interface RegistryCrypto {
  /** AES-256-GCM key sealing client secrets and private keys at rest (the hub's ENCRYPTION_KEY). */
  encryptionKey: Buffer;
}

/** Marks a sealed value: rows written before sealing (plain secrets) still read as they are. */
export const SEALED_PREFIX = 'sealed:v1:';

const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(SEALED_PREFIX);

/** The table and id are the additional data: a sealed secret copied to another row no longer opens. */
function sealValue(key: Buffer, table: string, id: string, value: unknown): string {
  return SEALED_PREFIX + seal(key, `${table}:${id}`, value);
}

function unsealValue(key: Buffer, table: string, id: string, value: string): unknown {
  try {
    return unseal(key, `${table}:${id}`, value.slice(SEALED_PREFIX.length));
  } catch {
    throw new Error(`${table} row "${id}": sealed value does not open with this ENCRYPTION_KEY`);
  }
}

function openConfig(key: Buffer, table: string, row: RegistryRow): unknown {
  if (typeof row.config !== 'object' || row.config === null) return row.config;
  const config = row.config as Record<string, unknown>;
  if (!isSealed(config.client_secret)) return config;
  return { ...config, client_secret: unsealValue(key, table, row.id, config.client_secret) };
}

/** A hand-edited row is untrusted input: one line naming the table, the row and the fields. */
function parseRow<T>(schema: z.ZodType<T>, table: string, row: RegistryRow): T {
  const config = typeof row.config === 'object' && row.config !== null ? row.config : {};
  // The column wins, so `update identity_providers set active = false` disables an IdP.
  const result = schema.safeParse({ ...config, active: row.active });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${table} row "${row.id}" is invalid: ${problems.join('; ')}`);
}

const UPSERT = (table: string, idColumn: string) => `
  insert into ${table} (${idColumn}, config, active) values ($1, $2::jsonb, $3)
  on conflict (${idColumn}) do update set config = excluded.config, active = excluded.active, updated_at = now()
  where ${table}.config is distinct from excluded.config or ${table}.active is distinct from excluded.active`;

type RegistryTable = 'service_providers' | 'identity_providers' | 'data_providers';
const ID_COLUMN = {
  service_providers: 'client_id',
  identity_providers: 'uid',
  data_providers: 'client_id',
} as const;

/** What an upsert takes: a whole federation, or some entries of it (the CLI's). */
export type FederationEntries = Pick<Federation, 'serviceProviders' | 'identityProviders'> & {
  dataProviders?: DataProvider[];
};

export interface RegistryRepository {
  /** One transaction: inserts or updates every entry; updated_at moves only for changed rows. */
  upsertFederation(fed: FederationEntries): Promise<void>;
  listServiceProviders(): Promise<ServiceProvider[]>;
  listIdentityProviders(): Promise<IdentityProvider[]>;
  listDataProviders(): Promise<DataProvider[]>;
  /** Sets the active column (and the config's copy); false when no such entry. */
  setActive(table: RegistryTable, id: string, active: boolean): Promise<boolean>;
  /** Marks an IdP's metadata to be fetched again (rp/identity-providers.ts); false when unknown. */
  refreshMetadata(uid: string): Promise<boolean>;
  /** Changes whenever any registry row changes (even by hand): a cheap cache validator. */
  fingerprint(): Promise<string>;
}

export function createRegistryRepository(sql: Sql, crypto: RegistryCrypto): RegistryRepository {
  const key = crypto.encryptionKey;
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');

  /** Seals client_secret; an unchanged secret keeps its stored ciphertext so the row stays equal. */
  const sealedConfig = async (tx: Sql, table: RegistryTable, id: string, entry: Record<string, unknown>) => {
    if (typeof entry.client_secret !== 'string') return entry;
    const [stored] = await tx.query<{ secret: unknown }>(
      `select config->'client_secret' as secret from ${table} where ${ID_COLUMN[table]} = $1`,
      [id],
    );
    const kept = stored?.secret;
    const reuse = isSealed(kept) && unsealValue(key, table, id, kept) === entry.client_secret;
    return { ...entry, client_secret: reuse ? kept : sealValue(key, table, id, entry.client_secret) };
  };
  const list = async <T>(table: RegistryTable, schema: z.ZodType<T>) => {
    const id = ID_COLUMN[table];
    const rows = await sql.query<RegistryRow>(
      `select ${id} as id, config, active from ${table} order by ${id}`,
    );
    return rows.map((row) => parseRow(schema, table, { ...row, config: openConfig(key, table, row) }));
  };

  return {
    upsertFederation: (fed) =>
      inTransaction(sql, async (tx) => {
        for (const sp of fed.serviceProviders) {
          const config = await sealedConfig(tx, 'service_providers', sp.client_id, sp);
          await tx.query(UPSERT('service_providers', 'client_id'), [
            sp.client_id,
            JSON.stringify(config),
            sp.active,
          ]);
        }
        for (const idp of fed.identityProviders) {
          const config = await sealedConfig(tx, 'identity_providers', idp.uid, idp);
          await tx.query(UPSERT('identity_providers', 'uid'), [idp.uid, JSON.stringify(config), idp.active]);
        }
        for (const dp of fed.dataProviders ?? []) {
          const config = await sealedConfig(tx, 'data_providers', dp.client_id, dp);
          await tx.query(UPSERT('data_providers', 'client_id'), [
            dp.client_id,
            JSON.stringify(config),
            dp.active,
          ]);
        }
      }),
    listServiceProviders: () => list('service_providers', serviceProviderSchema),
    listIdentityProviders: () => list('identity_providers', identityProviderSchema),
    listDataProviders: () => list('data_providers', dataProviderSchema),
    setActive: async (table, id, active) => {
      const rows = await sql.query(
        `update ${table} set active = $2, config = jsonb_set(config, '{active}', to_jsonb($2::boolean)),
           updated_at = now() where ${ID_COLUMN[table]} = $1 returning 1`,
        [id, active],
      );
      return rows.length > 0;
    },
    refreshMetadata: async (uid) => {
      const rows = await sql.query(
        `update identity_providers set config = jsonb_set(config, '{metadata_refreshed_at}', to_jsonb($2::text)),
           updated_at = now() where uid = $1 returning 1`,
        [uid, new Date().toISOString()],
      );
      return rows.length > 0;
    },
    fingerprint: async () => {
      const [row] = await sql.query<{ fingerprint: string }>(`select md5(
        coalesce((select string_agg(client_id || active::text || config::text, ',' order by client_id)
                  from service_providers), '') || '|' ||
        coalesce((select string_agg(uid || active::text || config::text, ',' order by uid)
                  from identity_providers), '') || '|' ||
        coalesce((select string_agg(client_id || active::text || config::text, ',' order by client_id)
                  from data_providers), '')) as fingerprint`);
      return row?.fingerprint ?? '';
    },
  };
}

export type SigningAlg = HubKeyAlg;

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateJwk: JsonWebKey & { kid: string };
  createdAt: Date;
  /** Published from its creation, active (signs, or is encrypted to) only from this instant. */
  activatesAt: Date;
}

const signingKeyRow = z.object({
  kid: z.string().min(1),
  alg: z.enum(HUB_KEY_ALGS),
  // A sealed JWK is a JSON string; rows written before sealing hold the JWK object.
  private_jwk: z.union([z.record(z.string(), z.unknown()), z.string().startsWith(SEALED_PREFIX)]),
  created_at: z.date(),
  activates_at: z.date(),
});

export interface KeyRepository {
  /** Keys not retired, oldest first. */
  list(): Promise<SigningKey[]>;
  insert(key: { kid: string; alg: SigningAlg; privateJwk: JsonWebKey; activatesAt?: Date }): Promise<void>;
  /** No longer published; false when the key is unknown or already retired. */
  retire(kid: string): Promise<boolean>;
}

export function createKeyRepository(sql: Sql, crypto: RegistryCrypto): KeyRepository {
  const key = crypto.encryptionKey;
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const openJwk = (row: z.infer<typeof signingKeyRow>): JsonWebKey => {
    if (typeof row.private_jwk !== 'string') return row.private_jwk as JsonWebKey;
    const jwk = unsealValue(key, 'signing_keys', row.kid, row.private_jwk);
    return z.record(z.string(), z.unknown()).parse(jwk) as JsonWebKey;
  };
  return {
    list: async () => {
      const rows = await sql.query(
        'select kid, alg, private_jwk, created_at, activates_at from signing_keys where retired_at is null order by created_at, kid',
      );
      return rows.map((raw) => {
        const row = signingKeyRow.parse(raw);
        return {
          kid: row.kid,
          alg: row.alg,
          privateJwk: { ...openJwk(row), kid: row.kid },
          createdAt: row.created_at,
          activatesAt: row.activates_at,
        };
      });
    },
    insert: async (signingKey) => {
      const jwk = { ...signingKey.privateJwk, kid: signingKey.kid };
      await sql.query(
        'insert into signing_keys (kid, alg, private_jwk, activates_at) values ($1, $2, $3::jsonb, coalesce($4, now()))',
        [
          signingKey.kid,
          signingKey.alg,
          JSON.stringify(sealValue(key, 'signing_keys', signingKey.kid, jwk)),
          signingKey.activatesAt ?? null,
        ],
      );
    },
    retire: async (kid) =>
      (
        await sql.query(
          'update signing_keys set retired_at = now() where kid = $1 and retired_at is null returning kid',
          [kid],
        )
      ).length > 0,
  };
}

export interface SecretRepository {
  /** The stored value, or generate()'s once: concurrent callers all get the one that landed. */
  getOrCreate(name: string, generate: () => string): Promise<string>;
}

export function createSecretRepository(sql: Sql): SecretRepository {
  const read = async (name: string) =>
    (await sql.query<{ value: string }>('select value from hub_secrets where name = $1', [name]))[0]?.value;
  return {
    getOrCreate: async (name, generate) => {
      const existing = await read(name);
      if (existing !== undefined) return existing;
      await sql.query('insert into hub_secrets (name, value) values ($1, $2) on conflict (name) do nothing', [
        name,
        generate(),
      ]);
      const value = await read(name);
      if (value === undefined) throw new Error(`secret "${name}" could not be stored`);
      return value;
    },
  };
}
