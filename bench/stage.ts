// One stage of the bench: logins at a concurrency (closed loop) or at a fixed arrival rate (open
// loop, concurrency-capped), with everything measured around it: the servers' CPU from /proc, the
// hub's own counters, the Redis and PostgreSQL servers' counters, the Redis keys' memory.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorKind, HOP_ORDER, HOP_REQUESTS, HopError, newTrace, type Trace } from './driver.ts';
import { cpuMs, type KeySizes, machineTicks, type PgProbe, type RedisProbe, scrape } from './probes.ts';

/** A process whose CPU the stage measures; a hub also has its /metrics. */
export interface Server {
  name: string;
  pid: number;
  /** The hub's own origin (not the round-robin's), for /metrics. */
  metricsOrigin?: string;
}

export interface StageSpec {
  run: string;
  kind: 'brokered' | 'bare';
  instances: number;
  /** Workers (closed loop), or the cap on logins in flight when `rate` is set. */
  concurrency: number;
  /** Logins started per second (open loop). */
  rate?: number;
  seconds: number;
  login: (trace: Trace) => Promise<Trace>;
  /** The servers under test: their CPU is the stage's CPU per login. */
  servers: Server[];
  /** Other processes, for context (the mock IdP during brokered stages). */
  others?: Server[];
  /** Requests each server received (the round-robin's hits), for the per-instance shares. */
  hits?: () => number[];
  /** The Redis keys of the servers under test. */
  redisPrefix?: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface HopStats extends Percentiles {
  hop: string;
  request: string;
  n: number;
  /** The hub's own measure of the hop (relais_hop_duration_seconds), mean over the stage. */
  hubSideMeanMs: number | null;
}

export interface StageResult {
  run: string;
  kind: 'brokered' | 'bare';
  instances: number;
  concurrency: number;
  targetRate: number | null;
  seconds: number;
  logins: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** The first error of each kind: what the page said, or the error's message. */
  errorSamples: Record<string, string>;
  /** Open loop only: arrivals not started because `concurrency` logins were in flight. */
  skipped: number;
  loginsPerSecond: number;
  /** CPU of the servers under test (summed), per completed login. */
  cpuMsPerLogin: number | null;
  perInstance: Array<{
    name: string;
    cpuMs: number;
    requestShare: number | null;
    loginsPerSecond: number | null;
    cpuMsPerLogin: number | null;
  }>;
  /** How busy the whole machine's CPUs were during the stage (0–1, all CPUs; /proc/stat). */
  machineBusy: number | null;
  /** CPU per login of the other processes and of the driver (this process), for context. */
  otherCpuMsPerLogin: Record<string, number | null>;
  redis: {
    /** The Redis server's counters went backwards during the stage (CONFIG RESETSTAT by someone). */
    serverStatsReset: boolean;
    roundTripsPerLogin: number | null;
    commandsPerLogin: number | null;
    commandsPerLoginByType: Record<string, number>;
    hubKvOpsPerLogin: number | null;
    memory: {
      /** Keys created by the stage and still alive at its end, per login. */
      bytesPerLogin: number | null;
      /** Of those, the keys that live on with the citizen's session (more than 5 min to live). */
      sessionBytesPerLogin: number | null;
      byKindPerLogin: Record<string, { keys: number; bytes: number }>;
      /** All the prefix's keys, after minus before, per login (expiries of older keys included). */
      rawDeltaBytesPerLogin: number | null;
      before: KeySizes;
      after: KeySizes;
    } | null;
  } | null;
  postgres: {
    hubQueriesPerLogin: number | null;
    serverTransactionsPerLogin: number | null;
  } | null;
  latencyMs: Percentiles;
  hops: HopStats[];
  /** The hub's mean time per call to the IdP at the callback (relais_idp_call_duration_seconds). */
  hubIdpCallMeanMs: number | null;
}

export interface Probes {
  redis?: RedisProbe;
  pg?: PgProbe;
  metricsToken: string;
}

const SETTLE_MS = 1100; // the hub flushes its business events to PostgreSQL every second

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Number(v.toFixed(1));
  return {
    p50: round(percentile(sorted, 0.5)),
    p95: round(percentile(sorted, 0.95)),
    p99: round(percentile(sorted, 0.99)),
  };
}

const per = (value: number | null | undefined, logins: number, digits = 2): number | null =>
  value === null || value === undefined || logins === 0 ? null : Number((value / logins).toFixed(digits));

function delta(before: Map<string, number> | undefined, after: Map<string, number> | undefined, key: string) {
  const b = before?.get(key);
  const a = after?.get(key);
  return a === undefined || b === undefined ? null : a - b;
}

const sizes = ({ bytes, keys, sessionBytes, byKind }: KeySizes): KeySizes => ({
  bytes,
  keys,
  sessionBytes,
  byKind,
});

const sum = (values: Array<number | null>): number | null =>
  values.some((v) => v === null) ? null : values.reduce<number>((s, v) => s + (v ?? 0), 0);

/** The hub's hop labels (src/observability/metrics.ts Hop) for the driver's hub hops. */
const HUB_SIDE: Record<string, string> = {
  'hub.authorize': 'authorize',
  'hub.mire': 'mire',
  'hub.consent_page': 'mire',
  'hub.idp_redirect': 'idp_redirect',
  'hub.callback': 'callback',
  'hub.consent': 'consent',
  'hub.resume': 'resume',
  'hub.token': 'token',
  'hub.userinfo': 'userinfo',
};

export async function runStage(spec: StageSpec, probes: Probes): Promise<StageResult> {
  const hubs = spec.servers.filter((s) => s.metricsOrigin);
  const scrapeAll = () =>
    Promise.all(hubs.map((s) => scrape(s.metricsOrigin as string, probes.metricsToken)));
  const everyone = [...spec.servers, ...(spec.others ?? [])];

  // Before: the scan and the scrape first, outside the counted window.
  const footprintBefore =
    probes.redis && spec.redisPrefix ? await probes.redis.footprint(spec.redisPrefix) : undefined;
  const metricsBefore = await scrapeAll();
  const redisBefore = await probes.redis?.counters();
  const pgBefore = await probes.pg?.transactions();
  const hitsBefore = spec.hits?.() ?? [];
  const cpuBefore = await Promise.all(everyone.map((s) => cpuMs(s.pid)));
  const driverBefore = process.cpuUsage();
  const machineBefore = await machineTicks();

  const durations: number[] = [];
  const samples = new Map<string, number[]>();
  const errorsByKind: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  let errors = 0;
  let skipped = 0;
  const one = async () => {
    const trace = newTrace();
    try {
      await spec.login(trace);
      durations.push(trace.ms);
      for (const { hop, ms } of trace.hops) {
        const list = samples.get(hop) ?? [];
        list.push(ms);
        samples.set(hop, list);
      }
    } catch (error) {
      errors += 1;
      const kind = errorKind(error, trace.at);
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
      errorSamples[kind] ??=
        error instanceof HopError && error.detail ? error.detail : String((error as Error)?.message ?? error);
    }
  };

  const began = performance.now();
  const until = began + spec.seconds * 1000;
  if (spec.rate) {
    const interval = 1000 / spec.rate;
    const running = new Set<Promise<void>>();
    for (let i = 0; began + i * interval < until; i += 1) {
      const wait = began + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (running.size >= spec.concurrency) {
        skipped += 1;
        continue;
      }
      const login: Promise<void> = one().finally(() => running.delete(login));
      running.add(login);
    }
    await Promise.all(running);
  } else {
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        while (performance.now() < until) await one();
      }),
    );
  }
  const elapsed = (performance.now() - began) / 1000;
  const machineAfter = await machineTicks();

  // After: CPU once the hub has flushed what the stage left (events), then the counters.
  await sleep(SETTLE_MS);
  const cpuAfter = await Promise.all(everyone.map((s) => cpuMs(s.pid)));
  const driverCpu = process.cpuUsage(driverBefore);
  const hitsAfter = spec.hits?.() ?? [];
  const redisAfter = await probes.redis?.counters();
  const pgAfter = await probes.pg?.transactions();
  const metricsAfter = await scrapeAll();
  const footprintAfter =
    probes.redis && spec.redisPrefix && footprintBefore
      ? await probes.redis.footprint(spec.redisPrefix, footprintBefore.names)
      : undefined;

  const logins = durations.length;
  const cpu = everyone.map((_, i) => (cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0));
  const serversCpu = cpu.slice(0, spec.servers.length);
  const hits = hitsAfter.map((h, i) => h - (hitsBefore[i] ?? 0));
  const totalHits = hits.reduce((s, h) => s + h, 0);
  const hubCounter = (name: string) =>
    hubs.length === 0 ? null : sum(hubs.map((_, i) => delta(metricsBefore[i], metricsAfter[i], name)));

  const hopMean = (label: string) => {
    const s = sum(
      hubs.map((_, i) =>
        delta(metricsBefore[i], metricsAfter[i], `relais_hop_duration_seconds_sum{hop="${label}"}`),
      ),
    );
    const n = sum(
      hubs.map((_, i) =>
        delta(metricsBefore[i], metricsAfter[i], `relais_hop_duration_seconds_count{hop="${label}"}`),
      ),
    );
    return s === null || !n ? null : Number(((1000 * s) / n).toFixed(2));
  };
  const idpCall = (suffix: 'sum' | 'count') =>
    sum(
      hubs.map((_, i) => {
        let total = 0;
        for (const [key, value] of metricsAfter[i] ?? []) {
          if (!key.startsWith(`relais_idp_call_duration_seconds_${suffix}{`)) continue;
          total += value - (metricsBefore[i]?.get(key) ?? 0);
        }
        return metricsAfter[i] ? total : null;
      }),
    );
  const idpCallSum = idpCall('sum');
  const idpCallCount = idpCall('count');

  // Another client's CONFIG RESETSTAT (or a restart) during the stage: the server's deltas mean nothing.
  const server = redisBefore && redisAfter ? { before: redisBefore, after: redisAfter } : undefined;
  const reset =
    !!server && (server.after.commands < server.before.commands || server.after.reads < server.before.reads);
  const usable = server && !reset ? server : undefined;
  const byType: Record<string, number> = {};
  for (const [command, calls] of Object.entries(usable?.after.byCommand ?? {})) {
    const d = calls - (usable?.before.byCommand[command] ?? 0) - (command === 'info' ? 1 : 0);
    if (d > 0 && logins > 0) byType[command] = Number((d / logins).toFixed(2));
  }
  const hubKvOps = hubCounter('relais_redis_commands_total');
  const redis: StageResult['redis'] =
    server || hubKvOps !== null
      ? {
          serverStatsReset: reset,
          // The probe's own INFO counts once per window.
          roundTripsPerLogin: usable ? per(usable.after.reads - usable.before.reads - 1, logins, 1) : null,
          commandsPerLogin: usable
            ? per(usable.after.commands - usable.before.commands - 1, logins, 1)
            : null,
          commandsPerLoginByType: Object.fromEntries(Object.entries(byType).sort((a, b) => b[1] - a[1])),
          hubKvOpsPerLogin: per(hubKvOps, logins, 1),
          memory:
            footprintBefore && footprintAfter
              ? {
                  bytesPerLogin: per(footprintAfter.fresh.bytes, logins, 0),
                  sessionBytesPerLogin: per(footprintAfter.fresh.sessionBytes, logins, 0),
                  byKindPerLogin: Object.fromEntries(
                    Object.entries(footprintAfter.fresh.byKind)
                      .sort((a, b) => b[1].bytes - a[1].bytes)
                      .map(([kind, { keys, bytes }]) => [
                        kind,
                        { keys: per(keys, logins) ?? 0, bytes: per(bytes, logins, 0) ?? 0 },
                      ]),
                  ),
                  rawDeltaBytesPerLogin: per(footprintAfter.bytes - footprintBefore.bytes, logins, 0),
                  before: sizes(footprintBefore),
                  after: sizes(footprintAfter),
                }
              : null,
        }
      : null;

  const hubSql = hubCounter('relais_sql_queries_total');

  const hops: HopStats[] = [...samples.keys()]
    .sort((a, b) => {
      const ia = HOP_ORDER.indexOf(a);
      const ib = HOP_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    })
    .map((hop) => {
      const values = samples.get(hop) ?? [];
      const label = HUB_SIDE[hop];
      return {
        hop,
        request: HOP_REQUESTS[hop] ?? '',
        n: values.length,
        ...percentiles(values),
        hubSideMeanMs: spec.kind === 'brokered' && label ? hopMean(label) : null,
      };
    });

  return {
    run: spec.run,
    kind: spec.kind,
    instances: spec.instances,
    concurrency: spec.concurrency,
    targetRate: spec.rate ? Number(spec.rate.toFixed(1)) : null,
    seconds: Number(elapsed.toFixed(1)),
    logins,
    errors,
    errorsByKind,
    errorSamples,
    skipped,
    loginsPerSecond: Number((logins / elapsed).toFixed(1)),
    cpuMsPerLogin: per(
      serversCpu.reduce((s, c) => s + c, 0),
      logins,
    ),
    perInstance: spec.servers.map((server, i) => {
      const share = spec.servers.length === 1 ? 1 : totalHits > 0 ? (hits[i] ?? 0) / totalHits : null;
      return {
        name: server.name,
        cpuMs: serversCpu[i] ?? 0,
        requestShare: share === null ? null : Number(share.toFixed(3)),
        loginsPerSecond: share === null ? null : Number(((logins * share) / elapsed).toFixed(1)),
        cpuMsPerLogin: share === null ? null : per(serversCpu[i] ?? 0, logins * share),
      };
    }),
    machineBusy:
      machineAfter.total > machineBefore.total
        ? Number(
            ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)).toFixed(
              2,
            ),
          )
        : null,
    otherCpuMsPerLogin: {
      ...Object.fromEntries(
        (spec.others ?? []).map((s, i) => [s.name, per(cpu[spec.servers.length + i] ?? 0, logins)]),
      ),
      'driver (bench process, incl. round-robin)': per((driverCpu.user + driverCpu.system) / 1000, logins),
    },
    redis,
    postgres:
      pgBefore !== undefined || hubSql !== null
        ? {
            hubQueriesPerLogin: per(hubSql, logins, 1),
            // The probe's own query counts once per window.
            serverTransactionsPerLogin:
              pgBefore !== undefined && pgAfter !== undefined ? per(pgAfter - pgBefore - 1, logins, 1) : null,
          }
        : null,
    latencyMs: percentiles(durations),
    hops,
    hubIdpCallMeanMs:
      idpCallSum === null || !idpCallCount ? null : Number(((1000 * idpCallSum) / idpCallCount).toFixed(2)),
  };
}
