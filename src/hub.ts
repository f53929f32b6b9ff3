// The hub wired to its stores: PostgreSQL (or embedded PGlite) for the registry, Redis (or an
// in-process store) for everything short-lived. main.ts and the end-to-end tests both start here.
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { type App, buildApp } from './app.ts';
import { demoFederation } from './config/demo-federation.ts';
import { type Federation, federationSchema } from './config/federation.ts';
import { loadFederationFile, parseFederation } from './config/federation-file.ts';
import { type Config, ConfigError, type Secrets } from './config/index.ts';
import { createMetrics, observeKv, observeSql } from './observability/metrics.ts';
import { generateHubKey, HUB_KEY_ALGS, type KeySet, keySet } from './op/keys.ts';
import { assertClientsValid } from './op/validate-clients.ts';
import { insertEvents, pruneEvents } from './store/events.ts';
import { createMemoryKv, type Kv } from './store/kv.ts';
import { createRedisKv } from './store/kv-redis.ts';
import { migrate } from './store/migrations.ts';
import { createOidcAdapter } from './store/oidc-adapter.ts';
import { withReadAhead } from './store/read-ahead.ts';
import { createKeyRepository, createRegistryRepository, createSecretRepository } from './store/registry.ts';
import { createRegistry, type Registry } from './store/registry-cache.ts';
import { claimRevocation, pruneRevocations, recordRevocation } from './store/revocations.ts';
import { connectPostgres, openPglite, type Sql } from './store/sql.ts';
import { withStoreErrors } from './store/unavailable.ts';

/** How soon every instance sees a registry change made elsewhere. */
export const REGISTRY_REFRESH_MS = 2000;
/** How long a closing hub waits for the back-channel logouts under way. */
export const SHUTDOWN_BACKCHANNEL_MS = 3000;
/** How often business events past their retention are deleted. */
export const EVENTS_PRUNE_MS = 3600_000;

export interface HubOptions {
  config: Config;
  /** A federation given as data (tests); otherwise FEDERATION_FILE, otherwise the demo one. */
  federation?: unknown;
  /** Isolation for tests sharing one PostgreSQL and one Redis. */
  sqlSchema?: string;
  kvPrefix?: string;
  /** null keeps the embedded PostgreSQL in memory (tests). */
  pgliteDir?: string | null;
  logger?: { level: string; stream?: { write(line: string): void } };
  /** A Kv given as is (tests that break it); otherwise Redis or the in-process store. */
  kv?: Kv;
}

export interface Hub extends App {
  registry: Registry;
  sql: Sql;
  kv: Kv;
  close(): Promise<void>;
}

export async function createHub(options: HubOptions): Promise<Hub> {
  const { config } = options;
  const rawSql = config.databaseUrl
    ? await connectPostgres(config.databaseUrl, options.sqlSchema ? { schema: options.sqlSchema } : {})
    : await openPglite(options.pgliteDir === null ? undefined : (options.pgliteDir ?? config.pgliteDir));
  const rawKv =
    options.kv ??
    (config.redisUrl
      ? await createRedisKv(config.redisUrl, options.kvPrefix)
      : createMemoryKv(options.kvPrefix, Date.now, { budgetBytes: config.memoryStoreBudgetBytes }));
  const metrics = createMetrics();
  const sql = observeSql(rawSql, metrics);
  // Read-ahead is scoped to oidc-provider's request (its AsyncLocalStorage context).
  const kv = withReadAhead(observeKv(withStoreErrors(rawKv), metrics), { scope: () => Provider.ctx });
  const backgroundKv = observeKv(withStoreErrors(rawKv), metrics, { background: true });
  try {
    await migrate(sql);
    // The encryption key seals the registry's secrets: it must be known before the registry.
    const secrets = await resolveSecrets(config, sql);
    const repository = createRegistryRepository(sql, { encryptionKey: secrets.encryptionKey });
    const federation = await resolveFederation(options);
    if (federation) {
      // What oidc-provider would refuse at every login of an SP stops the start instead.
      await assertClientsValid(
        federation,
        config.profile,
        config.federationFile ? `FEDERATION_FILE ${config.federationFile}` : 'federation',
      );
      await repository.upsertFederation(federation);
    }
    const registry = await createRegistry(repository);
    let keys = await resolveSigningKeys(sql, secrets.encryptionKey);
    const signingKeys = keys.jwks;
    const built = await buildApp({
      issuer: config.issuer,
      profile: config.profile,
      accessTokenTtl: config.accessTokenTtlSeconds,
      registry,
      kv,
      backgroundKv,
      oidcAdapter: (clients, hooks) => createOidcAdapter(kv, clients, hooks),
      signingKeys,
      secrets,
      session: { idleSeconds: config.sessionTtlSeconds, maxSeconds: config.sessionMaxSeconds },
      idpTimeoutMs: config.idpTimeoutMs,
      idpResponseMaxBytes: config.idpResponseMaxBytes,
      encryptionRequiredFrom: config.encryptionRequiredFrom,
      allowInsecureHttp: config.allowInsecureHttp,
      logger: options.logger,
      viewsDir: config.viewsDir,
      assetsDir: config.assetsDir,
      metrics,
      eventSink: (events) => insertEvents(sql, events),
      readiness: { postgres: () => sql.query('select 1'), redis: () => kv.ping() },
      metricsToken: config.metricsToken,
      metricsPublic: config.metricsPublic,
      // Only where the demo SP runs in this process: `npm run stack` has no sandbox to link to.
      errorSandboxUrl: config.demo?.inProcess ? `${config.demo.demoSpUrl}/sandbox` : undefined,
      httpTimeouts: config.httpTimeouts,
      // Shared through Redis between instances; the in-process store's counts are this process's.
      rateLimits: { settings: config.rateLimits, shared: config.redisUrl || options.kv ? kv : undefined },
    });
    built.availability.start();
    built.sessionEnds.start();
    // Another instance, or an operator, may change the registry: no restart needed to see it.
    // Keys too: a rotated key is published, then signs once activated, on every instance.
    const keyRepository = createKeyRepository(sql, { encryptionKey: secrets.encryptionKey });
    const refreshKeys = async () => {
      const next = keySet(await keyRepository.list());
      if (next.fingerprint === keys.fingerprint) return;
      keys = next;
      built.useSigningKeys(next.jwks);
      built.app.log.info({ active: next.active, published: next.jwks.length }, 'hub keys changed');
    };
    // Operators' `relais sessions revoke`: whichever instance claims a request ends the session.
    const handleRevocations = async () => {
      for (let claimed = 0; claimed < 20; claimed += 1) {
        const request = await claimRevocation(sql);
        if (!request) return;
        try {
          await recordRevocation(sql, request.id, await built.sessionEnds.revoke(request.subject));
        } catch (error) {
          // Said to the operator, who may ask again; the rest of the requests wait for the next tick.
          await recordRevocation(sql, request.id, { failed: true });
          throw error;
        }
      }
    };
    const watch = setInterval(() => {
      registry
        .refreshIfChanged()
        .catch((error) => built.app.log.warn({ err: error }, 'registry refresh failed'));
      refreshKeys().catch((error) => built.app.log.warn({ err: error }, 'signing keys refresh failed'));
      handleRevocations().catch((error) =>
        built.app.log.warn({ err: error }, 'session revocation requests failed'),
      );
    }, REGISTRY_REFRESH_MS);
    watch.unref();
    const prune = () =>
      Promise.all([
        pruneEvents(sql, config.eventsRetentionDays),
        pruneRevocations(sql, config.eventsRetentionDays),
      ]).catch((error) => built.app.log.warn({ err: error }, 'events retention failed'));
    void prune();
    const retention = setInterval(prune, EVENTS_PRUNE_MS);
    retention.unref();
    return {
      ...built,
      registry,
      sql,
      kv,
      async close() {
        clearInterval(watch);
        clearInterval(retention);
        built.availability.stop();
        built.sessionEnds.stop();
        // Logout tokens on their way get a moment (their retries would outlive a shutdown), before
        // the app closes: their events are then written with the others.
        await built.backChannel.drain(SHUTDOWN_BACKCHANNEL_MS);
        await built.app.close();
        await Promise.allSettled([kv.close(), sql.close()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([rawKv.close(), rawSql.close()]);
    throw error;
  }
}

/** What to upsert at start; nothing outside demo mode without a file (the registry stays as it is). */
async function resolveFederation(options: HubOptions): Promise<Federation | undefined> {
  const { config } = options;
  if (options.federation !== undefined) return parseFederation(options.federation, config.allowInsecureHttp);
  if (config.federationFile) return loadFederationFile(config.federationFile, config.allowInsecureHttp);
  if (!config.demo) return undefined;
  // The demo's own URLs (localhost, or compose's service names): the schema only, no https rule.
  return federationSchema.parse(
    demoFederation(
      {
        hub: config.issuer,
        mockIdp: config.demo.mockIdpUrl,
        demoSp: config.demo.demoSpUrl,
        fallbackIdp: config.demo.fallbackIdpUrl,
      },
      config.profile,
    ),
  );
}

/** Secrets come from the environment; only an embedded or demo hub generates and keeps its own. */
async function resolveSecrets(config: Config, sql: Sql): Promise<Secrets> {
  const given = config.secrets;
  if (given.subSecret && given.encryptionKey && given.cookieKeys?.length) {
    return { subSecret: given.subSecret, encryptionKey: given.encryptionKey, cookieKeys: given.cookieKeys };
  }
  if (sql.kind !== 'pglite' && !config.demo) {
    throw new ConfigError('SUB_SECRET, ENCRYPTION_KEY and COOKIE_KEYS are required outside demo mode');
  }
  const kept = createSecretRepository(sql);
  const generate = () => randomBytes(32).toString('base64url');
  return {
    subSecret: given.subSecret ?? (await kept.getOrCreate('sub_secret', generate)),
    encryptionKey:
      given.encryptionKey ?? Buffer.from(await kept.getOrCreate('encryption_key', generate), 'base64url'),
    cookieKeys: given.cookieKeys ?? [await kept.getOrCreate('cookie_key', generate)],
  };
}

/** The signing keys in the registry; an ES256 and an RS256 key are created on first start. */
async function resolveSigningKeys(sql: Sql, encryptionKey: Buffer): Promise<KeySet> {
  // Instances starting together on a fresh database must agree on one key set: the first creates
  // the keys under a lock, the others find them.
  const stored = await sql.withClient(async (client) => {
    await client.query('select pg_advisory_lock($1)', [SIGNING_KEYS_LOCK]);
    try {
      return await ensureSigningKeys(createKeyRepository(client, { encryptionKey }));
    } finally {
      await client.query('select pg_advisory_unlock($1)', [SIGNING_KEYS_LOCK]);
    }
  });
  return keySet(stored);
}

const SIGNING_KEYS_LOCK = 7_312_205_411;

async function ensureSigningKeys(keys: ReturnType<typeof createKeyRepository>) {
  const stored = await keys.list();
  for (const alg of HUB_KEY_ALGS) {
    if (!stored.some((key) => key.alg === alg)) await keys.insert(await generateHubKey(alg));
  }
  return keys.list();
}
