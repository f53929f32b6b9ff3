// Where a lone login's cost goes, request by request: the server's CPU (every thread's time on a
// CPU, /proc/<pid>/task/*/schedstat, in ns) and the Redis server's read events (one per batch a
// client sends, ≈ one round trip) read just before and just after each request of a login, at
// concurrency 1. What the server does between two requests (work left after a response, timers)
// falls in no hop: it is reported apart, as the login's total less the hops' sum.
import { readdir, readFile } from 'node:fs/promises';
import { HOP_ORDER, type HopMeter, newTrace, type Trace } from './driver.ts';
import type { RedisProbe } from './probes.ts';

export interface HopCost {
  hop: string;
  /** Requests of this hop per login (a hop may repeat: a redirect chain). */
  perLogin: number;
  /** Medians over the logins, per login (a hop's requests summed). */
  cpuUs: number;
  redisTrips: number | null;
}

export interface HopCosts {
  server: string;
  logins: number;
  hops: HopCost[];
  /** Medians per login: the whole login (first request's start to last request's end). */
  totalCpuUs: number;
  totalRedisTrips: number | null;
  /** Median of (the whole login − its hops): the server's work between requests. */
  betweenCpuUs: number;
}

/** Every thread's CPU time of a process, in µs (schedstat: ns on a CPU). */
export async function threadsCpuUs(pid: number): Promise<number> {
  let ns = 0;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    try {
      ns += Number((await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8')).split(' ')[0]);
    } catch {
      // A thread that ended meanwhile: its time is lost to this reading, not to the next.
    }
  }
  return ns / 1000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

interface Reading {
  cpuUs: number;
  reads: number | null;
}

/** `logins` logins one after the other, each request metered; medians per hop. */
export async function measureHopCosts(spec: {
  server: string;
  pid: number;
  /** Hops of this server only (`hub.`, `idp.`): the others are the other party's. */
  side: string;
  redis: RedisProbe | undefined;
  logins: number;
  login: (trace: Trace) => Promise<Trace>;
}): Promise<HopCosts> {
  const read = async (): Promise<Reading> => {
    // The INFO's own read event counts in its answer: subtracted below, once per reading pair.
    const [cpuUs, counters] = await Promise.all([threadsCpuUs(spec.pid), spec.redis?.counters()]);
    return { cpuUs, reads: counters ? counters.reads : null };
  };
  const perLogin: Array<Map<string, { cpuUs: number; trips: number | null; count: number }>> = [];
  const totals: Array<{ cpuUs: number; trips: number | null; between: number }> = [];
  for (let i = 0; i < spec.logins; i += 1) {
    const hops = new Map<string, { cpuUs: number; trips: number | null; count: number }>();
    let before: Reading | undefined;
    let first: Reading | undefined;
    let last: Reading | undefined;
    const meter: HopMeter = {
      async start() {
        before = await read();
        first ??= before;
      },
      async stop(hop) {
        const after = await read();
        last = after;
        if (!before || !hop.startsWith(spec.side)) return;
        const entry = hops.get(hop) ?? { cpuUs: 0, trips: 0, count: 0 };
        entry.cpuUs += after.cpuUs - before.cpuUs;
        entry.trips =
          entry.trips === null || after.reads === null || before.reads === null
            ? null
            : entry.trips + (after.reads - before.reads - 1);
        entry.count += 1;
        hops.set(hop, entry);
      },
    };
    const trace = newTrace();
    trace.meter = meter;
    await spec.login(trace);
    if (!first || !last) continue;
    const hopsCpu = [...hops.values()].reduce((sum, hop) => sum + hop.cpuUs, 0);
    const requests = trace.hops.length;
    totals.push({
      cpuUs: last.cpuUs - first.cpuUs,
      // Every request's two readings but the last's count once each in the whole.
      trips:
        last.reads === null || first.reads === null ? null : last.reads - first.reads - (2 * requests - 1),
      between: last.cpuUs - first.cpuUs - hopsCpu,
    });
    perLogin.push(hops);
  }
  const names = [...new Set(perLogin.flatMap((hops) => [...hops.keys()]))].sort(
    (a, b) => HOP_ORDER.indexOf(a) - HOP_ORDER.indexOf(b),
  );
  const round = (value: number) => Math.round(value);
  return {
    server: spec.server,
    logins: perLogin.length,
    hops: names.map((hop) => {
      const samples = perLogin.map((hops) => hops.get(hop)).filter((entry) => entry !== undefined);
      const trips = samples.map((entry) => entry.trips);
      return {
        hop,
        perLogin: median(samples.map((entry) => entry.count)),
        cpuUs: round(median(samples.map((entry) => entry.cpuUs))),
        redisTrips: trips.includes(null) ? null : median(trips as number[]),
      };
    }),
    totalCpuUs: round(median(totals.map((t) => t.cpuUs))),
    totalRedisTrips: totals.some((t) => t.trips === null)
      ? null
      : median(totals.map((t) => t.trips as number)),
    betweenCpuUs: round(median(totals.map((t) => t.between))),
  };
}
