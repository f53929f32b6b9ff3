// Prometheus metrics, on a registry of this hub's own (tests run several hubs in one process).
// Login counters and IdP figures derive from the business events; hop durations come from the
// HTTP layer; store errors from wrappers around the Kv and the Sql.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Kv } from '../store/kv.ts';
import type { Sql } from '../store/sql.ts';
import type { BusinessEvent } from './events.ts';

/** The steps whose duration is measured (one request each). */
export type Hop =
  | 'authorize'
  | 'mire'
  /** ProConnect: the agent's email, routed. */
  | 'email'
  | 'idp_redirect'
  | 'callback'
  | 'consent'
  | 'resume'
  | 'token'
  | 'userinfo';

export interface Metrics {
  readonly registry: Registry;
  onEvent(event: BusinessEvent): void;
  observeHop(hop: Hop, seconds: number): void;
  /** relais_profile_info{profile}: which federation this instance serves. */
  serveProfile(profile: string): void;
  storeError(store: 'redis' | 'postgres', operation: string): void;
  /**
   * One operation sent to a store (the benchmark divides these by logins); `background` for the
   * hub's own periodic work (the sweep of ended sessions), counted apart from the requests'.
   */
  storeCall(store: 'redis' | 'postgres', background?: boolean): void;
  /** A request refused by the rate limits (429): which limit, on which kind of route. */
  rateLimited(scope: 'address' | 'client', route: string): void;
  /** Read at every scrape: 1 = the mire offers the IdP, 0 = greyed. */
  watchAvailability(read: () => Array<{ idp: string; available: boolean }>): void;
  text(): Promise<string>;
  readonly contentType: string;
}

const label = (value: string | undefined) => value ?? 'unknown';

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const started = new Counter({
    name: 'relais_logins_started_total',
    help: 'Authorization requests received, by SP',
    labelNames: ['sp'],
    registers,
  });
  const completed = new Counter({
    name: 'relais_logins_completed_total',
    help: 'Logins completed (consent given, code sent to the SP), by SP and IdP',
    labelNames: ['sp', 'idp'],
    registers,
  });
  const failed = new Counter({
    name: 'relais_logins_failed_total',
    help: 'Logins ended with an error sent to the SP, by SP, IdP (when known) and Relais error code',
    labelNames: ['sp', 'idp', 'code'],
    registers,
  });
  const hops = new Histogram({
    name: 'relais_hop_duration_seconds',
    help: 'Duration of each hop of a login, as the hub serves it',
    labelNames: ['hop'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const idpCalls = new Histogram({
    name: 'relais_idp_call_duration_seconds',
    help: "The hub's calls to an IdP at its callback (token, id_token checks, userinfo), by IdP and outcome",
    labelNames: ['idp', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });
  const idpErrors = new Counter({
    name: 'relais_idp_errors_total',
    help: 'IdP-side failures that sent the citizen back to the mire, by IdP and Relais error code',
    labelNames: ['idp', 'code'],
    registers,
  });
  const storeErrors = new Counter({
    name: 'relais_store_errors_total',
    help: 'Failed Redis (Kv) and PostgreSQL operations',
    labelNames: ['store', 'operation'],
    registers,
  });
  const redisCommands = new Counter({
    name: 'relais_redis_commands_total',
    help: 'Kv operations sent to Redis, one round trip each at most (operations of one tick share a write; the in-process store when REDIS_URL is unset)',
    registers,
  });
  const backgroundRedisCommands = new Counter({
    name: 'relais_redis_background_commands_total',
    help: 'Kv operations of the hub’s periodic work, not of a request: the sweep of hub sessions past their end, operators’ revocations',
    registers,
  });
  const sqlQueries = new Counter({
    name: 'relais_sql_queries_total',
    help: 'Queries sent to PostgreSQL (a transaction counts once)',
    registers,
  });
  const emailRoutes = new Counter({
    name: 'relais_email_routes_total',
    help: "ProConnect: where agents' emails routed them (domain, several, fallback, none, public_only, typo)",
    labelNames: ['outcome'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'relais_rate_limited_total',
    help: 'Requests refused with 429 by the rate limits, by limit (address, client) and route',
    labelNames: ['limit', 'route'],
    registers,
  });
  const profileInfo = new Gauge({
    name: 'relais_profile_info',
    help: 'The federation this instance serves (1 for its profile)',
    labelNames: ['profile'],
    registers,
  });
  let readAvailability: () => Array<{ idp: string; available: boolean }> = () => [];
  new Gauge({
    name: 'relais_idp_available',
    help: 'Measured IdP availability: 1 offered on the mire, 0 greyed',
    labelNames: ['idp'],
    registers,
    collect() {
      this.reset();
      for (const { idp, available } of readAvailability()) this.set({ idp }, available ? 1 : 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    onEvent(event) {
      const sp = label(event.clientId);
      switch (event.name) {
        case 'authorize.received':
          started.inc({ sp });
          break;
        case 'consent.given':
          completed.inc({ sp, idp: label(event.idpUid) });
          break;
        case 'login.failed':
          failed.inc({ sp, idp: label(event.idpUid), code: label(event.errorCode) });
          break;
        case 'idp.callback':
          if (typeof event.data?.['ms'] === 'number') {
            const outcome = event.errorCode ? 'error' : 'ok';
            idpCalls.observe({ idp: label(event.idpUid), outcome }, event.data['ms'] / 1000);
          }
          break;
        case 'idp.failed':
          idpErrors.inc({ idp: label(event.idpUid), code: label(event.errorCode) });
          break;
        case 'email.routed':
          emailRoutes.inc({ outcome: String(event.data?.['outcome'] ?? 'unknown') });
          break;
        default:
      }
    },
    observeHop: (hop, seconds) => hops.observe({ hop }, seconds),
    serveProfile: (profile) => {
      profileInfo.reset();
      profileInfo.set({ profile }, 1);
    },
    storeError: (store, operation) => storeErrors.inc({ store, operation }),
    storeCall: (store, background) =>
      (store === 'redis' ? (background ? backgroundRedisCommands : redisCommands) : sqlQueries).inc(),
    rateLimited: (limit, route) => rateLimited.inc({ limit, route }),
    watchAvailability(read) {
      readAvailability = read;
    },
    text: () => registry.metrics(),
  };
}

/** The Kv, counting its operations and its failures (the error still reaches the caller). */
export function observeKv(kv: Kv, metrics: Metrics, options: { background?: boolean } = {}): Kv {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(kv) as Array<
    [string, (...args: unknown[]) => Promise<unknown>]
  >) {
    const counted = name !== 'close';
    wrapped[name] = (...args: unknown[]) => {
      if (counted) metrics.storeCall('redis', options.background);
      return method.apply(kv, args).catch((error: unknown) => {
        metrics.storeError('redis', name);
        throw error;
      });
    };
  }
  return wrapped as unknown as Kv;
}

/** The Sql, counting queries and failed ones (a transaction inside withClient counts as one). */
export function observeSql(sql: Sql, metrics: Metrics): Sql {
  const count =
    (operation: string) =>
    (error: unknown): never => {
      metrics.storeError('postgres', operation);
      throw error;
    };
  return {
    kind: sql.kind,
    query: <T>(text: string, params?: unknown[]) => {
      metrics.storeCall('postgres');
      return sql.query<T>(text, params).catch(count('query'));
    },
    exec: (text) => {
      metrics.storeCall('postgres');
      return sql.exec(text).catch(count('exec'));
    },
    withClient: (fn) => {
      metrics.storeCall('postgres');
      return sql.withClient(fn).catch(count('withClient'));
    },
    close: () => sql.close(),
  };
}
