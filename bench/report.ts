// The bench's report: the targets judged (never failing the run), and the markdown tables printed
// on stdout and written next to the JSON.

import type { HopCosts } from './hop-costs.ts';
import type { JweLegResult, Spread } from './jwe.ts';
import type { ProfileSummary } from './profile.ts';
import type { StageResult } from './stage.ts';

export interface Target {
  target: string;
  measured: string;
  value: number | null;
  /** Where the value comes from. */
  stage: string;
  met: boolean | null;
}

export interface ScaleOut {
  perInstanceConcurrency: number;
  one: StageResult;
  two: StageResult;
  /** (logins/s of two instances / 2) / logins/s of one: 1 = per-instance throughput holds. */
  perInstanceThroughputRatio: number | null;
}

/** The figures the bench is read by, first in the report (markdown and JSON). */
export interface KeyFigures {
  /** Hub CPU per brokered login at the peak / the bare oidc-provider's CPU per leg, same run. */
  cpuRatioToBareLeg: number | null;
  hubCpuMsPerLogin: number | null;
  bareCpuMsPerLeg: number | null;
  /** The peak's, at which the reference runs too. */
  concurrency: number | null;
  /** Hub CPU of a lone login (concurrency 1): no other login shares its Redis writes or wake-ups. */
  loneLoginHubCpuMs: number | null;
  /** A lone login's: concurrent logins share the server's read events (auto-pipelining). */
  redisRoundTripsPerLogin: number | null;
  redisCommandsPerLogin: number | null;
  /** The Redis memory a login holds just after it (paced stage), and of that what its session keeps. */
  redisBytesPerLogin: number | null;
  redisSessionBytesPerLogin: number | null;
}

export interface Report {
  date: string;
  quick: boolean;
  keyFigures: KeyFigures;
  stores: Record<string, string>;
  /** Where the hubs' SUB_SECRET, ENCRYPTION_KEY and COOKIE_KEYS came from. */
  secrets: string;
  machine: { cpus: number; node: string; loadAverageAtStart: number[] };
  stages: StageResult[];
  peak: { run: string; concurrency: number; loginsPerSecond: number } | null;
  reference: StageResult | null;
  scaleOut: ScaleOut | null;
  /** A lone login metered request by request, the hub's and the bare leg's. */
  hopCosts: { hub: HopCosts; bare: HopCosts } | null;
  /** The JWE leg: plain vs encrypting SPs, and the in-process cost of the encryption. */
  jwe?: JweLegResult | null;
  targets: Target[];
  profile: (ProfileSummary & { file: string; skippedStartupMs: number }) | null;
  notes: string[];
  durationSeconds: number;
}

const show = (value: number | null | undefined) =>
  value === null || value === undefined ? 'n/a' : `${value}`;

const HUB_HOP_P99_MS = 20;
/** Encrypting an SP's id_token and userinfo: hub CPU per login, JWE leg less plain leg. */
const JWE_COST_MS = 1;
const HUB_CPU_MS = 3;
/** Hub CPU per brokered login over the bare leg's per leg: the target, and what is aimed at. */
const CPU_RATIO = 1.3;
const CPU_RATIO_AIM = 1;
const REDIS_ROUND_TRIPS = 12;
/** The Redis memory a login held before one login record (README, default run of 2026-12-01). */
const BYTES_BEFORE = { session: 2624, firstTwoMinutes: 5616 };

interface Judged {
  peak: StageResult | undefined;
  /** The stage at concurrency 1. */
  lone: StageResult | undefined;
  paced: StageResult | undefined;
  reference: StageResult | undefined;
}

/** Hub CPU per brokered login at the peak over the bare leg's CPU per leg. */
function cpuRatio(peak: StageResult | undefined, reference: StageResult | undefined): number | null {
  return peak?.cpuMsPerLogin && reference?.cpuMsPerLogin
    ? Number((peak.cpuMsPerLogin / reference.cpuMsPerLogin).toFixed(2))
    : null;
}

export function keyFigures({ peak, lone, paced, reference }: Judged): KeyFigures {
  return {
    cpuRatioToBareLeg: cpuRatio(peak, reference),
    hubCpuMsPerLogin: peak?.cpuMsPerLogin ?? null,
    bareCpuMsPerLeg: reference?.cpuMsPerLogin ?? null,
    concurrency: peak?.concurrency ?? null,
    loneLoginHubCpuMs: lone?.cpuMsPerLogin ?? null,
    redisRoundTripsPerLogin: lone?.redis?.roundTripsPerLogin ?? null,
    redisCommandsPerLogin: lone?.redis?.commandsPerLogin ?? null,
    redisBytesPerLogin: paced?.redis?.memory?.bytesPerLogin ?? null,
    redisSessionBytesPerLogin: paced?.redis?.memory?.sessionBytesPerLogin ?? null,
  };
}

/** The key figures in one line, the report's first. */
export function keyFiguresLine(k: KeyFigures): string {
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);
  const at = k.concurrency === null ? '' : `, both at concurrency ${k.concurrency}`;
  return [
    `**Hub CPU per brokered login: ${k.cpuRatioToBareLeg === null ? 'n/a' : `${k.cpuRatioToBareLeg}×`} the bare oidc-provider leg's** (${ms(k.hubCpuMsPerLogin)} vs ${ms(k.bareCpuMsPerLeg)} per leg${at}, same run).`,
    `Lone login (concurrency 1): ${ms(k.loneLoginHubCpuMs)} of hub CPU.`,
    `Redis per login: ${show(k.redisRoundTripsPerLogin)} round trips and ${show(k.redisCommandsPerLogin)} commands (lone login), ${show(k.redisBytesPerLogin)} bytes held (${show(k.redisSessionBytesPerLogin)} B of them for the session).`,
  ].join(' ');
}

/** Whether the per-instance throughput holds, and if not whether the CPUs or something shared limit it. */
function verdict(scale: ScaleOut, cpus: number): string {
  const { one, two, perInstanceThroughputRatio: ratio } = scale;
  const busy = (s: StageResult) => (s.machineBusy === null ? 'n/a' : `${Math.round(s.machineBusy * 100)} %`);
  const cpuRatio =
    one.cpuMsPerLogin && two.cpuMsPerLogin
      ? Number((two.cpuMsPerLogin / one.cpuMsPerLogin).toFixed(2))
      : null;
  const head = `Per instance with 2 instances: ${ratio === null ? 'n/a' : `${Math.round(ratio * 100)} %`} of one instance's logins/s, ${cpuRatio ?? 'n/a'}× its CPU per login; the machine's ${cpus} CPUs were ${busy(one)} busy with one instance, ${busy(two)} with two.`;
  if (ratio !== null && ratio >= 0.9) return `${head} Throughput per instance holds.`;
  if ((two.machineBusy ?? 0) >= 0.9)
    return `${head} The CPUs are saturated (the driver, the mock IdP, PostgreSQL and Redis share them): the total cannot grow on this machine, so the per-instance throughput is not what this checks; what it shows is ${two.errors === 0 ? 'no errors' : `${two.errors} errors`} with two instances on the same stores and each instance's CPU per login (which contention, and the smaller Redis batches of an instance at half the rate, raise). A shared lock or a hot key would show as idle CPUs with fewer logins, or as errors.`;
  return `${head} The CPUs were not saturated and the throughput did not follow: look for a shared lock or a hot key.`;
}

export function judge({ peak, lone, paced, reference }: Judged): Target[] {
  const name = (s: StageResult | undefined) => (s ? `${s.run} (c=${s.concurrency})` : 'n/a');
  const at = (value: number | null | undefined, ok: (v: number) => boolean) =>
    value === null || value === undefined ? null : ok(value);
  const cpu = peak?.cpuMsPerLogin ?? null;
  const ratio = cpuRatio(peak, reference);
  const ratioMeasured =
    ratio === null ? 'n/a' : `${ratio}× (${cpu} ms vs ${reference?.cpuMsPerLogin ?? 'n/a'} ms)`;
  // Judged on a lone login: concurrent logins share the server's read events, so that a loaded
  // stage counts fewer round trips than a citizen on their own costs.
  const trips = lone?.redis?.roundTripsPerLogin ?? null;
  const pacedTrips = paced?.redis?.roundTripsPerLogin ?? null;
  const bytes = paced?.redis?.memory?.bytesPerLogin ?? null;
  const sessionBytes = paced?.redis?.memory?.sessionBytesPerLogin ?? null;
  const hubHops = (paced?.hops ?? []).filter((h) => h.hop.startsWith('hub.'));
  const worst = hubHops.reduce<(typeof hubHops)[number] | undefined>(
    (w, h) => (!w || h.p99 > w.p99 ? h : w),
    undefined,
  );
  return [
    {
      target: `hub CPU per brokered login ≤ ${HUB_CPU_MS} ms`,
      measured: cpu === null ? 'n/a' : `${cpu} ms`,
      value: cpu,
      stage: name(peak),
      met: at(cpu, (v) => v <= HUB_CPU_MS),
    },
    {
      target: `hub CPU per brokered login ≤ ${CPU_RATIO}× the bare leg (same run)`,
      measured: ratioMeasured,
      value: ratio,
      stage: `${name(peak)} vs ${name(reference)}`,
      met: at(ratio, (v) => v <= CPU_RATIO),
    },
    {
      target: `aim: hub CPU per brokered login ≤ ${CPU_RATIO_AIM.toFixed(1)}× the bare leg (same run)`,
      measured: ratioMeasured,
      value: ratio,
      stage: `${name(peak)} vs ${name(reference)}`,
      met: at(ratio, (v) => v <= CPU_RATIO_AIM),
    },
    {
      target: `≤ ${REDIS_ROUND_TRIPS} Redis round trips per login (server read events)`,
      measured:
        trips === null
          ? 'n/a'
          : `${trips}${pacedTrips === null ? '' : ` (${pacedTrips} at 70 % of the peak)`}`,
      value: trips,
      stage: name(lone),
      met: at(trips, (v) => v <= REDIS_ROUND_TRIPS),
    },
    // Two figures: what a login holds for its session's life (30 min), and the peak right after
    // it, while its code, access token and grant (60–120 s) are still there.
    {
      target: `Redis per live login (MEMORY USAGE) no larger than before, for the session: ≤ ${BYTES_BEFORE.session} B`,
      measured: sessionBytes === null ? 'n/a' : `${sessionBytes} B`,
      value: sessionBytes,
      stage: name(paced),
      met: at(sessionBytes, (v) => v <= BYTES_BEFORE.session),
    },
    {
      target: `Redis per live login (MEMORY USAGE) no larger than before, its first 2 minutes: ≤ ${BYTES_BEFORE.firstTwoMinutes} B`,
      measured: bytes === null ? 'n/a' : `${bytes} B`,
      value: bytes,
      stage: name(paced),
      met: at(bytes, (v) => v <= BYTES_BEFORE.firstTwoMinutes),
    },
    {
      target: `p99 per hub hop < ${HUB_HOP_P99_MS} ms at 70 % of the peak rate`,
      measured: worst ? `worst ${worst.hop} ${worst.p99} ms` : 'n/a',
      value: worst?.p99 ?? null,
      stage: name(paced),
      met: worst ? worst.p99 < HUB_HOP_P99_MS : null,
    },
  ];
}

const yes = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'not met');

function stageRow(s: StageResult): string {
  const runName = s.targetRate ? `${s.run} (${s.targetRate}/s)` : s.run;
  const kv = s.redis?.hubKvOpsPerLogin;
  const commands = `${show(s.redis?.commandsPerLogin)}${kv === null || kv === undefined ? '' : ` (hub ${kv})`}`;
  const server = s.postgres?.serverTransactionsPerLogin;
  const pgCell =
    s.kind === 'bare'
      ? '–'
      : `${show(s.postgres?.hubQueriesPerLogin)}${server === null || server === undefined ? '' : ` (server ${server})`}`;
  const memory = s.redis?.memory;
  const bytes = memory ? `${show(memory.bytesPerLogin)} (${show(memory.sessionBytesPerLogin)})` : '–';
  return `| ${runName} | ${s.instances} | ${s.concurrency} | ${s.logins} | ${s.errors} | ${s.loginsPerSecond} | ${show(s.cpuMsPerLogin)} | ${show(s.redis?.roundTripsPerLogin)} | ${commands} | ${bytes} | ${pgCell} | ${s.latencyMs.p50} / ${s.latencyMs.p95} / ${s.latencyMs.p99} |`;
}

export function markdown(report: Report): string {
  const lines: string[] = [];
  const paced = report.stages.findLast((s) => s.targetRate !== null);
  lines.push(
    keyFiguresLine(report.keyFigures),
    '',
    `Relais bench, ${report.date}${report.quick ? ' (--quick)' : ''}: hub on ${report.stores['hub']}, secrets ${report.secrets}; bare leg on ${report.stores['reference']}; ${report.machine.cpus} CPUs (load average ${report.machine.loadAverageAtStart[0]?.toFixed(1)} at start), Node ${report.machine.node}, ${report.durationSeconds} s`,
    '',
    '| run | instances | concurrency | logins | errors | logins/s | CPU ms/login (server process) | Redis round trips/login | Redis commands/login (hub Kv ops) | Redis bytes held/login (session) | PG queries/login (hub; server xacts) | latency ms p50 / p95 / p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.stages.map(stageRow),
  );
  const failing = report.stages.filter((s) => s.errors > 0);
  if (failing.length) {
    lines.push('', 'Errors by kind:');
    for (const s of failing) {
      const kinds = Object.entries(s.errorsByKind)
        .map(([kind, n]) => `${kind} ×${n}`)
        .join('; ');
      lines.push(`- ${s.run} c=${s.concurrency}: ${kinds}`);
    }
  }
  const reset = report.stages.filter((s) => s.redis?.serverStatsReset);
  if (reset.length)
    lines.push(
      '',
      `Redis server counters reset during ${reset.map((s) => `${s.run} c=${s.concurrency}`).join(', ')} (CONFIG RESETSTAT by another client?): those figures are n/a.`,
    );
  // The hub's Kv ops plus the MULTI/EXEC around its sets make ~1.3× its ops on the server.
  const crowded = report.stages.filter(
    (s) =>
      s.redis?.commandsPerLogin &&
      s.redis.hubKvOpsPerLogin &&
      s.redis.commandsPerLogin > 1.6 * s.redis.hubKvOpsPerLogin,
  );
  if (crowded.length)
    lines.push(
      '',
      `Other Redis clients were busy during ${crowded.map((s) => `${s.run} c=${s.concurrency}`).join(', ')} (the server counted far more commands than the hub sent): its server-side Redis figures are inflated.`,
    );
  const behind = (s: StageResult) =>
    s.targetRate !== null && (s.skipped > 0 || s.loginsPerSecond < 0.9 * s.targetRate);
  for (const s of report.stages.filter(behind))
    lines.push(
      '',
      `${s.run} at ${s.targetRate}/s: ${s.skipped} arrivals skipped (at most ${s.concurrency} logins in flight), ${s.loginsPerSecond}/s done${s.loginsPerSecond < 0.9 * (s.targetRate ?? 0) ? `: the machine did not keep up (it was slower than during the ramp)${s === paced ? ', so the hop latencies below are those of an overload, not of 70 % of the peak; run again' : ', so it ran again at 70 % of what it managed'}` : ''}.`,
    );

  if (paced) {
    lines.push(
      '',
      `Hops at 70 % of the peak (${paced.targetRate}/s asked, ${paced.loginsPerSecond}/s done, ${paced.logins} logins), as the citizen (or the SP) sees them:`,
      '',
      '| hop | request | n | p50 ms | p95 ms | p99 ms | hub-side mean ms | p99 < 20 ms |',
      '|---|---|---|---|---|---|---|---|',
      ...paced.hops.map(
        (h) =>
          `| ${h.hop} | ${h.request} | ${h.n} | ${h.p50} | ${h.p95} | ${h.p99} | ${show(h.hubSideMeanMs)} | ${h.hop.startsWith('hub.') ? (h.p99 < 20 ? 'yes' : 'no') : '–'} |`,
      ),
    );
    if (paced.hubIdpCallMeanMs !== null)
      lines.push(
        '',
        `hub.callback includes the hub's calls to the IdP (token, id_token check, userinfo) and, since the login record, the consent page: ${paced.hubIdpCallMeanMs} ms on average for the IdP calls (relais_idp_call_duration_seconds).${paced.hops.some((h) => h.hop === 'hub.consent_page') ? ' hub-side means of hub.mire and hub.consent_page are the same figure (one route).' : ''}`,
      );
    const byType = Object.entries(paced.redis?.commandsPerLoginByType ?? {})
      .map(([command, n]) => `${command} ${n}`)
      .join(', ');
    if (byType) lines.push('', `Redis commands per login by type (${paced.run}): ${byType}`);
    const memory = paced.redis?.memory;
    if (memory) {
      const perLogin = Object.entries(memory.byKindPerLogin)
        .map(([kind, { keys, bytes }]) => `${kind} ${bytes} B (${keys} keys)`)
        .join(', ');
      lines.push(
        '',
        `Redis per live login (${paced.run}): ${show(memory.bytesPerLogin)} B = ${perLogin || 'nothing'}; of which ${show(memory.sessionBytesPerLogin)} B live on with the session (more than 5 min to live), the rest expires within 2 minutes; after the stage: ${memory.after.keys} hub keys, ${(memory.after.bytes / 1024).toFixed(0)} KiB.`,
      );
    }
  }

  if (report.hopCosts) lines.push('', ...hopCostsTable(report.hopCosts.hub, report.hopCosts.bare));
  if (report.jwe) lines.push('', ...jweSection(report.jwe));

  if (report.scaleOut) {
    const { one, two, perInstanceConcurrency } = report.scaleOut;
    const row = (s: StageResult) =>
      `| ${s.instances} | ${perInstanceConcurrency} | ${s.loginsPerSecond} | ${s.perInstance.map((i) => show(i.loginsPerSecond)).join(' + ')} | ${s.perInstance.map((i) => show(i.cpuMsPerLogin)).join(' + ')} | ${show(s.cpuMsPerLogin)} | ${s.machineBusy === null ? 'n/a' : `${Math.round(s.machineBusy * 100)} %`} | ${s.errors} |`;
    lines.push(
      '',
      'Scale-out (behind the round-robin, shared PostgreSQL and Redis):',
      '',
      '| instances | concurrency per instance | logins/s total | logins/s per instance | hub CPU ms/login per instance | hub CPU ms/login (all) | machine CPUs busy | errors |',
      '|---|---|---|---|---|---|---|---|',
      row(one),
      row(two),
      '',
      verdict(report.scaleOut, report.machine.cpus),
    );
  }

  lines.push(
    '',
    '| target | measured | stage | met? |',
    '|---|---|---|---|',
    ...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.stage} | ${yes(t.met)} |`),
  );

  if (report.profile) {
    const p = report.profile;
    lines.push(
      '',
      `Where the hub's time goes (${p.file}, ${p.totalMs} ms sampled, the first ${p.skippedStartupMs} ms of start-up left out):`,
      '',
      '| module | ms | % |',
      '|---|---|---|',
      ...p.modules.map((m) => `| ${m.module} | ${m.ms} | ${m.share} |`),
      '',
      '| function | module | ms | % |',
      '|---|---|---|---|',
      ...p.functions.map((f) => `| ${f.fn} | ${f.module} | ${f.ms} | ${f.share} |`),
      '',
      '| caller: package or src/ module that made the time be spent (Node.js and native code it called included) | ms | % |',
      '|---|---|---|',
      ...p.callers.map((c) => `| ${c.module} | ${c.ms} | ${c.share} |`),
    );
  } else if (report.targets.some((t) => t.met === false)) {
    lines.push(
      '',
      "Not profiled: run with --profile for where the hub's CPU goes (top modules and functions).",
    );
  }
  return lines.join('\n');
}

/** The hub's requests beside the bare leg's: CPU (every thread) and Redis round trips, lone login. */
export function hopCostsTable(hub: HopCosts, bare: HopCosts): string[] {
  const row = (h: HopCosts['hops'][number]) =>
    `${h.hop}${h.perLogin > 1 ? ` ×${h.perLogin}` : ''} | ${(h.cpuUs / 1000).toFixed(2)} | ${show(h.redisTrips)}`;
  const rows = Math.max(hub.hops.length, bare.hops.length);
  const lines = [
    `Where a lone login goes, request by request (medians of ${hub.logins} and ${bare.logins} logins at concurrency 1; CPU = every thread of the server process, /proc/<pid>/task/*/schedstat, read just before the request and just after its answer; round trips = the Redis server's read events meanwhile):`,
    '',
    '| hub request | CPU ms | Redis round trips | bare leg request | CPU ms | Redis round trips |',
    '|---|---|---|---|---|---|',
  ];
  for (let i = 0; i < rows; i += 1) {
    const left = hub.hops[i];
    const right = bare.hops[i];
    lines.push(`| ${left ? row(left) : ' | | '} | ${right ? row(right) : ' | | '} |`);
  }
  const total = (h: HopCosts) => `${(h.totalCpuUs / 1000).toFixed(2)} | ${show(h.totalRedisTrips)}`;
  const between = (h: HopCosts) => `${(h.betweenCpuUs / 1000).toFixed(2)} | `;
  lines.push(
    `| between requests (timers, work left after an answer, the other party's hops) | ${between(hub)} | | ${between(bare)} |`,
    `| **whole login** | ${total(hub)} | | ${total(bare)} |`,
  );
  return lines;
}

/** Issue 12: a data provider's introspection costs the hub no more CPU than the SP's /userinfo. */
export function introspectionTarget(hub: HopCosts): Target[] {
  const cpu = (hop: string) => hub.hops.find((h) => h.hop === hop)?.cpuUs;
  const introspect = cpu('hub.introspect');
  const userinfo = cpu('hub.userinfo');
  if (introspect === undefined || userinfo === undefined) return [];
  return [
    {
      target: 'an introspection costs the hub no more CPU than a /userinfo',
      measured: `${(introspect / 1000).toFixed(2)} ms vs ${(userinfo / 1000).toFixed(2)} ms`,
      value: Number((introspect / userinfo).toFixed(2)),
      stage: `lone login, request by request (medians of ${hub.logins})`,
      met: introspect <= userinfo,
    },
  ];
}

/** Median [first quartile – third quartile]. */
const range = (s: Spread, unit = '') =>
  s.median === null ? 'n/a' : `${s.median}${unit}${s.n > 1 ? ` [${s.q1}–${s.q3}]` : ''}`;

/** The issue's "under 1 ms of hub CPU per login" for each encryption, from the JWE leg. */
export function jweTargets(jwe: JweLegResult | null): Target[] {
  if (!jwe) return [];
  return jwe.costs.map((cost) => ({
    target: `encrypting id_token + userinfo < ${JWE_COST_MS} ms of hub CPU per login (${cost.alg}, ${cost.key})`,
    measured: `${range(cost.msPerLogin, ' ms')}, median [quartiles] of ${cost.msPerLogin.n} paired rounds; lone login metered: ${show(cost.meteredMs)} ms; in-process (jose): ${show(cost.inProcessMs)} ms hot, ${show(cost.inProcessColdMs)} ms cold`,
    value: cost.msPerLogin.median,
    stage: `JWE leg − plain leg (c=${jwe.concurrency}, ${jwe.rounds} rounds of ${jwe.secondsPerWindow} s windows)`,
    met: cost.msPerLogin.median === null ? null : cost.msPerLogin.median < JWE_COST_MS,
  }));
}

/** The JWE leg: each SP's hub CPU per login, the encryption's cost, round by round, and in-process. */
export function jweSection(jwe: JweLegResult): string[] {
  const plain = jwe.legs.find((l) => l.leg === 'plain');
  const lines = [
    `JWE leg: the id_token and the userinfo signed then encrypted (A256GCM) to the SP's key, against the plain demo SP, brokered closed loop at c = ${jwe.concurrency}, ${jwe.rounds} rounds of one ${jwe.secondsPerWindow} s window per SP (then the logins in flight finish), the order rotated each round, the hub's CPU read from every thread's schedstat (ns) around each window (${jwe.durationSeconds} s with the metered logins and the in-process measure). Every leg's SP checks the hub's signatures (inside the JWE for the encrypting SPs) and decrypts two ECDH-ES and two RSA-OAEP-256 JWEs per login, its own or samples, so that the driver's CPU per login is the same in every leg. Encryption cost = the JWE window's hub CPU per login − the plain window's of the same round; median [quartiles] over the rounds:`,
    '',
    '| SP | key | hub CPU ms/login, median [quartiles] | encryption cost ms/login, median [quartiles] | logins/s | driver CPU ms/login | lone login metered: /token + /userinfo hub CPU ms | metered cost ms | in-process jose ms, hot / cold | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const leg of jwe.legs) {
    const cost = jwe.costs.find((c) => c.alg === leg.leg);
    const m = leg.metered;
    const requests =
      m.tokenMs === null || m.userinfoMs === null
        ? 'n/a'
        : `${(m.tokenMs + m.userinfoMs).toFixed(2)} (${m.tokenMs} + ${m.userinfoMs})`;
    lines.push(
      `| ${leg.leg} (${leg.clientId}) | ${leg.key ?? '–'} | ${range(leg.hubCpuMsPerLogin)} | ${cost ? range(cost.msPerLogin) : '–'} | ${show(leg.loginsPerSecond.median)} | ${show(leg.driverCpuMsPerLogin.median)} | ${requests} | ${cost ? show(cost.meteredMs) : '–'} | ${cost ? `${show(cost.inProcessMs)} / ${show(cost.inProcessColdMs)}` : '–'} | ${leg.errors} |`,
    );
  }
  const jweLegs = jwe.legs.filter((l) => l.leg !== 'plain');
  lines.push(
    '',
    `Rounds, hub CPU ms/login (the window that ran first in each round in bold):`,
    '',
    `| round | ${jwe.legs.map((l) => l.leg).join(' | ')} | ${jweLegs.map((l) => `${l.leg} − plain`).join(' | ')} |`,
    `|---|${jwe.legs.map(() => '---|').join('')}${jweLegs.map(() => '---|').join('')}`,
  );
  for (let round = 1; round <= jwe.rounds; round += 1) {
    const cells = jwe.legs.map((l) => {
      const stage = jwe.stages.find((s) => s.round === round && s.leg === l.leg);
      const value = show(stage?.hubCpuMsPerLogin);
      return stage?.position === 0 ? `**${value}**` : value;
    });
    const differences = jwe.costs.map((c) => show(c.perRoundMs[round - 1]));
    lines.push(`| ${round} | ${cells.join(' | ')} | ${differences.join(' | ')} |`);
  }
  const failing = jwe.stages.filter((s) => s.errors > 0);
  if (failing.length)
    lines.push(
      '',
      `Errors: ${failing
        .map(
          (s) =>
            `round ${s.round} ${s.leg}: ${Object.entries(s.errorsByKind)
              .map(([kind, n]) => `${kind} ×${n}`)
              .join('; ')}`,
        )
        .join(' — ')}`,
    );
  if (plain?.metered.logins)
    lines.push(
      '',
      `Lone logins metered request by request (${plain.metered.logins} per SP, in three alternating chunks, medians): the whole login's hub CPU ${jwe.legs.map((l) => `${l.leg} ${l.metered.wholeLoginMs} ms`).join(', ')}. Unlike the closed loop, these do not depend on the throughput (the hub's CPU per login grows as its rate falls).`,
    );

  const micro = jwe.micro;
  const us = (value: number) => `${value} µs`;
  const ms = (value: number | null) => (value === null ? 'n/a' : `${(value / 1000).toFixed(2)} ms`);
  const { iterations: it } = micro;
  lines.push(
    '',
    `In-process (bench/jwe-cost.ts; jose ${micro.versions['jose']} as oidc-provider ${micro.versions['oidc-provider']} calls it, the SP's key imported once; Node ${micro.versions['node']}; process CPU, every thread): one id_token (${micro.bytes.idToken} B of JWS) and one userinfo (${micro.bytes.userinfo} B) encrypted cost per login ${micro.perLogin.map((p) => `${p.alg} (${p.key}) ${ms(p.cpuUs)} hot${p.coldCpuUs === null ? '' : `, ${ms(p.coldCpuUs)} cold`}`).join('; ')}. Hot: back to back, median of ${it.blocks} blocks of ${it.hot}; cold: one every ${it.coldGapMs} ms, median of ${it.cold} (after a pause everything costs more on this machine, a signature too: the lone login's requests are cold).`,
  );
  for (const [alg, steps] of Object.entries(micro.breakdown)) {
    const total = steps.reduce((sum, s) => sum + s.cpuUs, 0);
    lines.push(
      '',
      `One token, ${alg}, back to back: ${us(total)} = ${steps.map((s) => `${s.step} ${us(s.cpuUs)}`).join(' + ')} (steps: the CPU read between jose's WebCrypto calls replayed in its order, medians of ${it.steps}, each run after one of jose's whole encryption).`,
    );
  }
  const coldOf = (op: string) => micro.cold.find((c) => c.op === op)?.cpuUs;
  const both = (start: string) => {
    const op = micro.hot.find((o) => o.op.startsWith(start));
    return op ? `${us(op.cpuUs)} back to back, ${show(coldOf(op.op))} µs cold` : 'n/a';
  };
  lines.push(
    '',
    `In Node 22's WebCrypto, four of ECDH-ES's calls are thread-pool jobs (generateKey, deriveBits, digest, the AES-GCM encrypt; exportKey and importKey run on the main thread), two of RSA-OAEP-256's (the RSA and the AES-GCM encrypt), each a hop to a pool thread and back. The hub therefore encrypts with node:crypto's synchronous calls instead (src/op/jwe.ts: createECDH, hash, createCipheriv, publicEncrypt; checked to decrypt with jose), not through oidc-provider's jose path: an id_token costs it ${both('ECDH-ES: the whole id_token encryption with node:crypto')} with ECDH-ES, against jose's ${both('ECDH-ES: encrypt the id_token')}, and ${both('RSA-OAEP-256: the whole id_token encryption with node:crypto')} with RSA-OAEP-256, against jose's ${both('RSA-OAEP-256: encrypt the id_token')}. The JWE legs above measure the hub's own.`,
  );
  lines.push(
    '',
    `| operation (one token unless said) | hot: CPU µs | hot: wall µs | cold: CPU µs |`,
    '|---|---|---|---|',
    ...micro.hot.map((o) => `| ${o.op} | ${o.cpuUs} | ${show(o.wallUs)} | ${show(coldOf(o.op))} |`),
  );
  return lines;
}
