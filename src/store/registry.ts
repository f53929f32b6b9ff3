// Repositories over the registry tables: SPs and IdPs, signing keys, demo secrets.
import type { JsonWebKey } from 'node:crypto';
import { z } from 'zod';
import {
  type Federation,
  type IdentityProvider,
  identityProviderSchema,
  type ServiceProvider,
  serviceProviderSchema,
} from '../config/federation.ts';
import { inTransaction, type Sql } from './sql.ts';

interface RegistryRow {
  id: string;
  config: unknown;
  active: boolean;
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

export interface RegistryRepository {
  /** One transaction: inserts or updates every entry; updated_at moves only for changed rows. */
  upsertFederation(fed: Federation): Promise<void>;
  listServiceProviders(): Promise<ServiceProvider[]>;
  listIdentityProviders(): Promise<IdentityProvider[]>;
  /** Changes whenever any registry row changes (even by hand): a cheap cache validator. */
  fingerprint(): Promise<string>;
}

export function createRegistryRepository(sql: Sql): RegistryRepository {
  return {
    upsertFederation: (fed) =>
      inTransaction(sql, async (tx) => {
        for (const sp of fed.serviceProviders) {
          await tx.query(UPSERT('service_providers', 'client_id'), [
            sp.client_id,
            JSON.stringify(sp),
            sp.active,
          ]);
        }
        for (const idp of fed.identityProviders) {
          await tx.query(UPSERT('identity_providers', 'uid'), [idp.uid, JSON.stringify(idp), idp.active]);
        }
      }),
    listServiceProviders: async () => {
      const rows = await sql.query<RegistryRow>(
        'select client_id as id, config, active from service_providers order by client_id',
      );
      return rows.map((row) => parseRow(serviceProviderSchema, 'service_providers', row));
    },
    listIdentityProviders: async () => {
      const rows = await sql.query<RegistryRow>(
        'select uid as id, config, active from identity_providers order by uid',
      );
      return rows.map((row) => parseRow(identityProviderSchema, 'identity_providers', row));
    },
    fingerprint: async () => {
      const [row] = await sql.query<{ fingerprint: string }>(`select md5(
        coalesce((select string_agg(client_id || active::text || config::text, ',' order by client_id)
                  from service_providers), '') || '|' ||
        coalesce((select string_agg(uid || active::text || config::text, ',' order by uid)
                  from identity_providers), '')) as fingerprint`);
      return row?.fingerprint ?? '';
    },
  };
}

export type SigningAlg = 'ES256' | 'RS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateJwk: JsonWebKey & { kid: string };
  createdAt: Date;
}

const signingKeyRow = z.object({
  kid: z.string().min(1),
  alg: z.enum(['ES256', 'RS256']),
  private_jwk: z.record(z.string(), z.unknown()),
  created_at: z.date(),
});

export interface KeyRepository {
  /** Keys not retired, oldest first. */
  list(): Promise<SigningKey[]>;
  insert(key: { kid: string; alg: SigningAlg; privateJwk: JsonWebKey }): Promise<void>;
}

export function createKeyRepository(sql: Sql): KeyRepository {
  return {
    list: async () => {
      const rows = await sql.query(
        'select kid, alg, private_jwk, created_at from signing_keys where retired_at is null order by created_at, kid',
      );
      return rows.map((raw) => {
        const row = signingKeyRow.parse(raw);
        return {
          kid: row.kid,
          alg: row.alg,
          privateJwk: { ...(row.private_jwk as JsonWebKey), kid: row.kid },
          createdAt: row.created_at,
        };
      });
    },
    insert: async (key) => {
      await sql.query('insert into signing_keys (kid, alg, private_jwk) values ($1, $2, $3::jsonb)', [
        key.kid,
        key.alg,
        JSON.stringify({ ...key.privateJwk, kid: key.kid }),
      ]);
    },
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
