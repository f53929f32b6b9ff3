// bench/report.ts: the key figures, the first line of the report, and the targets judged.
import { describe, expect, it } from 'vitest';
import {
  introspectionTarget,
  judge,
  keyFigures,
  keyFiguresLine,
  markdown,
  type Report,
} from '../../bench/report.ts';
import type { StageResult } from '../../bench/stage.ts';

const NO_KEYS = { bytes: 0, keys: 0, sessionBytes: 0, byKind: {} };

/** A stage with the figures the report reads; everything else empty. */
function stage(
  run: string,
  concurrency: number,
  figures: { cpu: number | null; trips?: number; commands?: number; bytes?: number; sessionBytes?: number },
): StageResult {
  return {
    run,
    kind: run.startsWith('reference') ? 'bare' : 'brokered',
    instances: 1,
    concurrency,
    targetRate: run.startsWith('paced') ? 20 : null,
    seconds: 4,
    logins: 100,
    errors: 0,
    errorsByKind: {},
    errorSamples: {},
    skipped: 0,
    loginsPerSecond: 25,
    cpuMsPerLogin: figures.cpu,
    perInstance: [],
    machineBusy: null,
    otherCpuMsPerLogin: {},
    redis: {
      serverStatsReset: false,
      roundTripsPerLogin: figures.trips ?? null,
      commandsPerLogin: figures.commands ?? null,
      commandsPerLoginByType: {},
      hubKvOpsPerLogin: null,
      memory:
        figures.bytes === undefined
          ? null
          : {
              bytesPerLogin: figures.bytes,
              sessionBytesPerLogin: figures.sessionBytes ?? null,
              byKindPerLogin: {},
              rawDeltaBytesPerLogin: null,
              before: NO_KEYS,
              after: NO_KEYS,
            },
    },
    postgres: null,
    latencyMs: { p50: 0, p95: 0, p99: 0 },
    hops: [],
    hubIdpCallMeanMs: null,
  };
}

const peak = stage('ramp', 6, { cpu: 11.7, trips: 6.2, commands: 47 });
const lone = stage('lone login', 1, { cpu: 21.4, trips: 19.6, commands: 47.3 });
const paced = stage('paced 70 %', 24, {
  cpu: 14,
  trips: 15.1,
  commands: 47,
  bytes: 5400,
  sessionBytes: 2600,
});
const reference = stage('reference: bare oidc-provider leg', 6, { cpu: 9, trips: 4.2, commands: 31 });

describe('keyFigures', () => {
  it('takes the ratio at the peak, the Redis trips and commands of the lone login, the bytes of the paced stage', () => {
    expect(keyFigures({ peak, lone, paced, reference })).toEqual({
      cpuRatioToBareLeg: 1.3,
      hubCpuMsPerLogin: 11.7,
      bareCpuMsPerLeg: 9,
      concurrency: 6,
      loneLoginHubCpuMs: 21.4,
      redisRoundTripsPerLogin: 19.6,
      redisCommandsPerLogin: 47.3,
      redisBytesPerLogin: 5400,
      redisSessionBytesPerLogin: 2600,
    });
  });

  it('has no ratio without both CPU figures, nor figures of stages not run', () => {
    const noCpu = stage('reference: bare oidc-provider leg', 6, { cpu: null });
    expect(keyFigures({ peak, lone, paced, reference: noCpu }).cpuRatioToBareLeg).toBeNull();
    expect(keyFigures({ peak: undefined, lone: undefined, paced: undefined, reference })).toEqual({
      cpuRatioToBareLeg: null,
      hubCpuMsPerLogin: null,
      bareCpuMsPerLeg: 9,
      concurrency: null,
      loneLoginHubCpuMs: null,
      redisRoundTripsPerLogin: null,
      redisCommandsPerLogin: null,
      redisBytesPerLogin: null,
      redisSessionBytesPerLogin: null,
    });
  });
});

describe('keyFiguresLine', () => {
  it('says the ratio first, then the lone login, then Redis per login', () => {
    expect(keyFiguresLine(keyFigures({ peak, lone, paced, reference }))).toBe(
      "**Hub CPU per brokered login: 1.3× the bare oidc-provider leg's** (11.7 ms vs 9 ms per leg, both at concurrency 6, same run). " +
        'Lone login (concurrency 1): 21.4 ms of hub CPU. ' +
        'Redis per login: 19.6 round trips and 47.3 commands (lone login), 5400 bytes held (2600 B of them for the session).',
    );
  });

  it('says n/a for what was not measured', () => {
    const line = keyFiguresLine(keyFigures({ peak: undefined, lone, paced: undefined, reference }));
    expect(line).toMatch(
      /^\*\*Hub CPU per brokered login: n\/a the bare oidc-provider leg's\*\* \(n\/a vs 9 ms per leg, same run\)\./,
    );
    expect(line).toContain('n/a bytes held (n/a B of them for the session)');
  });
});

describe('judge', () => {
  const byTarget = (targets: ReturnType<typeof judge>) =>
    Object.fromEntries(targets.map((t) => [t.target, t]));

  it('holds the ratio to 1.3× and aims at 1.0×, both in the same run', () => {
    const targets = byTarget(judge({ peak, lone, paced, reference }));
    expect(targets['hub CPU per brokered login ≤ 1.3× the bare leg (same run)']).toMatchObject({
      value: 1.3,
      measured: '1.3× (11.7 ms vs 9 ms)',
      met: true,
    });
    expect(targets['aim: hub CPU per brokered login ≤ 1.0× the bare leg (same run)']?.met).toBe(false);
  });

  it("judges the round trips on the lone login, the paced stage's beside it", () => {
    const trips = byTarget(judge({ peak, lone, paced, reference }))[
      '≤ 12 Redis round trips per login (server read events)'
    ];
    expect(trips).toMatchObject({
      value: 19.6,
      measured: '19.6 (15.1 at 70 % of the peak)',
      stage: 'lone login (c=1)',
      met: false,
    });
    const fewer = stage('lone login', 1, { cpu: 20, trips: 11.5 });
    expect(judge({ peak, lone: fewer, paced, reference }).find((t) => t.value === 11.5)?.met).toBe(true);
  });

  it('holds the Redis memory of a login to what it was before, for the session and its first 2 minutes', () => {
    const memory = (bytes: number, sessionBytes: number) =>
      judge({
        peak,
        lone,
        paced: stage('paced 70 %', 24, { cpu: 14, bytes, sessionBytes }),
        reference,
      })
        .filter((t) => t.target.startsWith('Redis per live login'))
        .map((t) => [t.target, t.met]);
    expect(memory(5616, 2624)).toEqual([
      ['Redis per live login (MEMORY USAGE) no larger than before, for the session: ≤ 2624 B', true],
      ['Redis per live login (MEMORY USAGE) no larger than before, its first 2 minutes: ≤ 5616 B', true],
    ]);
    expect(memory(5617, 2625).map(([, met]) => met)).toEqual([false, false]);
  });

  it('judges nothing it has no figure for', () => {
    const targets = judge({ peak: undefined, lone: undefined, paced: undefined, reference: undefined });
    expect(targets.map((t) => t.met)).toEqual(targets.map(() => null));
  });
});

describe('markdown', () => {
  const figures = keyFigures({ peak, lone, paced, reference });
  const report: Report = {
    date: '2026-12-08T10:00:00.000Z',
    quick: true,
    keyFigures: figures,
    stores: { hub: 'PostgreSQL (schema relais_bench) and Redis', reference: 'Redis (mock-idp:v1:)' },
    secrets: 'from the environment (SUB_SECRET, ENCRYPTION_KEY, COOKIE_KEYS)',
    machine: { cpus: 2, node: 'v22.23.3', loadAverageAtStart: [1.5, 1, 1] },
    stages: [peak, lone, paced, reference],
    peak: { run: peak.run, concurrency: 6, loginsPerSecond: 25 },
    reference,
    scaleOut: null,
    hopCosts: {
      hub: {
        server: 'hub',
        logins: 15,
        hops: [
          { hop: 'hub.authorize', perLogin: 1, cpuUs: 1200, redisTrips: 1 },
          { hop: 'hub.callback', perLogin: 1, cpuUs: 4100, redisTrips: 2 },
        ],
        totalCpuUs: 5600,
        totalRedisTrips: 3,
        betweenCpuUs: 300,
      },
      bare: {
        server: 'bare oidc-provider',
        logins: 15,
        hops: [{ hop: 'idp.authorize', perLogin: 1, cpuUs: 900, redisTrips: 1 }],
        totalCpuUs: 1000,
        totalRedisTrips: 1,
        betweenCpuUs: 100,
      },
    },
    targets: judge({ peak, lone, paced, reference }),
    profile: null,
    notes: [],
    durationSeconds: 60,
  };
  const lines = markdown(report).split('\n');

  it('opens with the key figures, then says where the secrets came from', () => {
    expect(lines[0]).toBe(keyFiguresLine(figures));
    expect(lines[2]).toContain('secrets from the environment (SUB_SECRET, ENCRYPTION_KEY, COOKIE_KEYS)');
  });

  it('gives the bytes a login holds in the main table, where the stage measured them', () => {
    const row = (run: string) => lines.find((line) => line.startsWith(`| ${run}`))?.split(' | ');
    const column = lines[4]?.split(' | ').indexOf('Redis bytes held/login (session)') ?? -1;
    expect(column).toBeGreaterThan(0);
    expect(row('paced 70 %')?.[column]).toBe('5400 (2600)');
    expect(row('lone login')?.[column]).toBe('–');
  });

  it("sets the hub's requests beside the bare leg's, CPU and round trips, with the whole login", () => {
    const cells = (start: string) =>
      lines
        .find((line) => line.startsWith(start))
        ?.split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
    expect(cells('| hub.authorize')).toEqual(['hub.authorize', '1.20', '1', 'idp.authorize', '0.90', '1']);
    expect(cells('| hub.callback')).toEqual(['hub.callback', '4.10', '2', '', '', '']);
    expect(cells('| **whole login**')).toEqual(['**whole login**', '5.60', '3', '', '1.00', '1']);
  });
});

describe('the introspection target', () => {
  const costs = (introspect: number | undefined) => ({
    server: 'hub',
    logins: 40,
    hops: [
      { hop: 'hub.userinfo', perLogin: 1, cpuUs: 2400, redisTrips: 2 },
      ...(introspect === undefined
        ? []
        : [{ hop: 'hub.introspect', perLogin: 1, cpuUs: introspect, redisTrips: 2 }]),
    ],
    totalCpuUs: 0,
    totalRedisTrips: 0,
    betweenCpuUs: 0,
  });

  it('is met when an introspection costs no more than /userinfo, not otherwise', () => {
    expect(introspectionTarget(costs(2100))[0]).toMatchObject({ met: true, measured: '2.10 ms vs 2.40 ms' });
    expect(introspectionTarget(costs(2500))[0]?.met).toBe(false);
  });

  it('judges nothing without an introspection measured', () => {
    expect(introspectionTarget(costs(undefined))).toEqual([]);
  });
});
