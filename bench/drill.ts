// npm run drill [-- --quick] [--rate 5] [--only redis,postgres,hub,idp-down,idp-slow,flood] [--out file.json]
//
// Faults under load (issue 13): logins at a steady rate against TWO hub instances (each its own
// process, so that SIGKILL is real) on a real PostgreSQL and a real Redis, while the drill injects,
// one after another: Redis stopped then restarted, PostgreSQL stopped then restarted, one hub
// instance killed and restarted, the IdP down, the IdP answering slowly, a flood from one address.
// For each fault: logins attempted, completed, ended on a clear page with a way back, STRANDED; the
// time to recover; what was lost (registry rows, signing keys, hub sessions that had to survive).
// Exits non-zero when a target is missed.
//
// Everything it starts is its own and on loopback: a redis-server and a PostgreSQL cluster (the
// machine's binaries, spare ports, a temporary directory; initdb and pg_ctl as the `postgres` user
// when run as root), the two hubs, the mock IdP behind its gate, the front. It stops them all at
// the end, on Ctrl-C and on failure. It never touches another PostgreSQL or Redis.
//
// The front (bench/drill/front.ts) is a reverse proxy on the hubs' one ISSUER origin, as a load
// balancer: round robin over the live instances, the other one on a refused connection, and
// X-Forwarded-For set to the client's address (the hubs run with TRUST_PROXY=127.0.0.1). Citizens
// (bench/drill/citizen.ts) come from 127.0.0.20–27, the SSO probes from 127.0.0.40–42, the flood
// from 127.0.0.9: a per-address rate limit must refuse the flood and nobody else.
//
// Output: the markdown on stdout and in .relais/drill-<date>.md, the JSON in .relais/drill-<date>.json
// (or --out), each process's log in .relais/drill-<date>/.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEMO_IDP, DEMO_SP } from '../src/config/demo-federation.ts';
import { ROUTES } from '../src/mock-idp/provider.ts';
import { CookieJar } from '../test/support/browser.ts';
import { freePort } from '../test/support/net.ts';
import { compareSnapshots, type DataSnapshot, snapshot, storedTokenEvents } from './drill/checks.ts';
import {
  addressAgent,
  authorizationUrl,
  citizenLogin,
  type LoginOutcome,
  type SpSide,
} from './drill/citizen.ts';
import { type HubFront, type IdpGate, startHubFront, startIdpGate } from './drill/front.ts';
import { flood as startFlood, steadyLoad } from './drill/load.ts';
import { type Child, nodeChild } from './drill/processes.ts';
import {
  type DrillReport,
  type FloodTally,
  judge,
  markdown,
  type PhaseSummary,
  summarise,
} from './drill/report.ts';
import {
  type OwnPostgres,
  type OwnRedis,
  ownPostgres,
  ownRedis,
  removeScratch,
  scratchDirectory,
} from './drill/stores.ts';
import { spConfiguration } from './driver.ts';
import { scrape } from './probes.ts';

const began = performance.now();
const clock = () => Math.round(performance.now() - began);
const argv = process.argv.slice(2);
const flagValue = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const quick = argv.includes('--quick');
const rate = Number(flagValue('--rate') ?? 5);
const FAULT_IDS = ['redis', 'postgres', 'hub', 'idp-down', 'idp-slow', 'flood'] as const;
type FaultId = (typeof FAULT_IDS)[number];
const only = (flagValue('--only') ?? FAULT_IDS.join(',')).split(',') as FaultId[];
if (!(rate > 0 && rate <= 50) || only.some((id) => !FAULT_IDS.includes(id))) {
  process.stderr.write(
    `drill: --rate 0–50 logins/s; --only a comma-separated list of ${FAULT_IDS.join(', ')}\n`,
  );
  process.exit(2);
}

// ---- the run's shape -----------------------------------------------------------------------

/** Seconds of load before each fault (the SSO probes log in meanwhile). */
const LEAD_SECONDS = quick ? 2 : 5;
/** How long each fault lasts. The flood outlasts any 10 s window's half at its rate (see FLOOD_RATE). */
const HOLD_SECONDS: Record<FaultId, number> = quick
  ? { redis: 5, postgres: 6, hub: 5, 'idp-down': 8, 'idp-slow': 6, flood: 7 }
  : { redis: 15, postgres: 20, hub: 15, 'idp-down': 30, 'idp-slow': 25, flood: 15 };
/**
 * Seconds of load after the restoration. A greyed IdP is offered again at the hubs' next good
 * probe (every 10 s): the IdP faults that grey it need a probe round after the restoration.
 */
const TAIL_SECONDS: Record<FaultId, number> = quick
  ? { redis: 5, postgres: 5, hub: 5, 'idp-down': 5, 'idp-slow': 11, flood: 5 }
  : { redis: 20, postgres: 20, hub: 20, 'idp-down': 20, 'idp-slow': 20, flood: 20 };
/** Past the hub's IDP_TIMEOUT_MS (5 s) and its probe's time-out (3 s). */
const IDP_SLOW_MS = 6000;
/** Past the default limit (300 per 10 s per address) within 3.5 s: a 7 s flood overflows a window however they align. */
const FLOOD_RATE = 100;
/** The hubs' window (their default, unless the environment sets it). */
const RATE_LIMIT_WINDOW_SECONDS = Number(process.env['RATE_LIMIT_WINDOW_SECONDS'] ?? 10);
const PROBES = quick ? 2 : 3;
/** A browser waits minutes; a citizen gives up well before. Longer than this is a timeout: stranded. */
const PATIENCE_MS = 30_000;
/** A citizen reads each page a while: logins last seconds, so many are in flight when a fault strikes. */
const THINK_MS = quick ? 500 : 1500;
const STEADY_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${20 + i}`);
const PROBE_ADDRESSES = Array.from({ length: PROBES }, (_, i) => `127.0.0.${40 + i}`);
const FLOOD_ADDRESS = '127.0.0.9';
const SP_REDIRECT_ORIGIN = 'http://127.0.0.1:9';
const METRICS_TOKEN = `drill-${randomBytes(12).toString('hex')}`;

const stamp = new Date()
  .toISOString()
  .replaceAll(':', '-')
  .replace(/\.\d+Z$/, 'Z');
const repository = fileURLToPath(new URL('..', import.meta.url));
const outPath = flagValue('--out') ?? join(repository, '.relais', `drill-${stamp}.json`);
const logDir = join(repository, '.relais', `drill-${stamp}`);
const say = (line: string) =>
  process.stderr.write(`drill [${(clock() / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

// ---- what it starts, and stops whatever happens --------------------------------------------

let scratch: string | undefined;
let redis: OwnRedis | undefined;
let postgres: OwnPostgres | undefined;
let front: HubFront | undefined;
let gate: IdpGate | undefined;
const children: Child[] = [];
const agents = new Map<string, ReturnType<typeof addressAgent>>();
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
    await Promise.allSettled([front?.close(), gate?.close(), ...[...agents.values()].map((a) => a.close())]);
    await Promise.allSettled([redis?.stop(), postgres?.stop()]);
    if (scratch) await removeScratch(scratch);
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything the drill started`);
    void cleanUp().finally(() => process.exit(130));
  });
}
// Last resort if the process ends without the clean-up (a crash): nothing keeps running.
process.once('exit', () => {
  for (const child of children) child.killNow();
  redis?.killNow();
  postgres?.killNow();
});

const agentFor = (address: string) => {
  let agent = agents.get(address);
  if (!agent) {
    agent = addressAgent(address);
    agents.set(address, agent);
  }
  return agent;
};

// ---- the run --------------------------------------------------------------------------------

interface Fault {
  id: FaultId;
  title: string;
  injection: string;
  sessions: { mustSurvive: boolean; why?: string };
  inject(): Promise<void>;
  restore(): Promise<void>;
  /** Said about the phase once it is over. */
  notes(logins: LoginOutcome[], injectedAt: number, restoredAt: number): string[];
}

async function main(): Promise<number> {
  await mkdir(logDir, { recursive: true });
  scratch = await scratchDirectory();
  const ports = {
    redis: await freePort('127.0.0.1'),
    postgres: await freePort('127.0.0.1'),
    hubA: await freePort('127.0.0.1'),
    hubB: await freePort('127.0.0.1'),
    front: await freePort('127.0.0.1'),
    // The gate on 127.0.0.3, the mock IdP behind it on 127.0.0.4, same port (it listens on its issuer's).
    idp: await freePort('127.0.0.3'),
  };
  const issuer = `http://127.0.0.1:${ports.front}`;
  const idpIssuer = `http://127.0.0.3:${ports.idp}`;
  const hubOrigins = { 'hub A': `http://127.0.0.1:${ports.hubA}`, 'hub B': `http://127.0.0.1:${ports.hubB}` };

  say(`own Redis on ${ports.redis}, own PostgreSQL on ${ports.postgres} (in ${scratch})`);
  redis = ownRedis(ports.redis, join(logDir, 'redis.log'), join(scratch, 'redis'));
  await redis.start();
  postgres = await ownPostgres(ports.postgres, scratch);
  await postgres.start();

  const idp = nodeChild(
    'mock IdP',
    '../../src/mock-idp/main.ts',
    {
      MOCK_IDP_ISSUER: idpIssuer,
      MOCK_IDP_HOST: '127.0.0.4',
      MOCK_IDP_CLIENTS: JSON.stringify([
        {
          client_id: DEMO_IDP.clientId,
          client_secret: DEMO_IDP.clientSecret,
          redirect_uris: [`${issuer}/idp/callback`],
        },
      ]),
      MOCK_IDP_REDIS_URL: '',
    },
    `http://127.0.0.4:${ports.idp}/.well-known/openid-configuration`,
    join(logDir, 'mock-idp.log'),
    clock,
  );
  children.push(idp);
  await idp.start();
  await idp.ready();
  gate = await startIdpGate({ host: '127.0.0.3', port: ports.idp }, { host: '127.0.0.4', port: ports.idp });

  // Generated for the run, as production gives them: every instance the same.
  const secrets = {
    SUB_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
  };
  const hubEnv = (port: number): Record<string, string> => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: issuer,
    DEMO: 'true',
    DEMO_SERVICES: 'false',
    MOCK_IDP_URL: idpIssuer,
    DEMO_SP_URL: SP_REDIRECT_ORIGIN,
    DATABASE_URL: postgres?.url ?? '',
    REDIS_URL: redis?.url ?? '',
    TRUST_PROXY: '127.0.0.1',
    METRICS_TOKEN,
    ...secrets,
  });
  const hubA = nodeChild(
    'hub A',
    '../../src/main.ts',
    hubEnv(ports.hubA),
    `${hubOrigins['hub A']}/readyz`,
    join(logDir, 'hub-a.log'),
    clock,
  );
  const hubB = nodeChild(
    'hub B',
    '../../src/main.ts',
    hubEnv(ports.hubB),
    `${hubOrigins['hub B']}/readyz`,
    join(logDir, 'hub-b.log'),
    clock,
  );
  children.push(hubA, hubB);
  await Promise.all([hubA.start(), hubB.start()]);
  await Promise.all([hubA.ready(), hubB.ready()]);
  front = await startHubFront('127.0.0.1', ports.front, [ports.hubA, ports.hubB]);
  const startedIn = clock();
  say(
    `two hubs behind ${issuer}, the mock IdP behind ${idpIssuer}: ready in ${(startedIn / 1000).toFixed(1)} s`,
  );

  const sp: SpSide = {
    config: await spConfiguration(
      issuer,
      DEMO_SP.clientId,
      { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
      DEMO_SP.clientSecret,
    ),
    redirectUri: `${SP_REDIRECT_ORIGIN}/callback`,
    scope: 'openid identite_pivot email',
  };
  /** Token requests the citizens saw succeed, against the events table's sp.token rows. */
  let tokensSeen = 0;
  let eventsGap = 0;
  const citizen = async (address: string, jar?: CookieJar) => {
    const outcome = await citizenLogin(
      {
        sp,
        origins: { hub: issuer, idp: idpIssuer },
        idpUid: 'mock-idp',
        agent: agentFor(address),
        address,
        patienceMs: PATIENCE_MS,
        thinkMs: THINK_MS,
        now: clock,
      },
      jar,
    );
    if (outcome.result === 'completed') tokensSeen += 1;
    return outcome;
  };

  // Warm-up: a broken setup stops here, not as a fault's figures.
  for (const outcome of await Promise.all(STEADY_ADDRESSES.slice(0, 4).map((a) => citizen(a)))) {
    if (outcome.result !== 'completed') throw new Error(`warm-up login failed: ${outcome.kind}`);
  }
  await sleep(1500); // the hubs flush their events every second
  eventsGap = tokensSeen - (await storedTokenEvents(postgres.url));
  const jwksOf = () => ({ ...hubOrigins, front: issuer });
  const baseline: DataSnapshot = await snapshot(postgres.url, jwksOf());

  const backChannel = ['/.well-known/openid-configuration', ROUTES.jwks, ROUTES.token, ROUTES.userinfo];
  let floodRunning: ReturnType<typeof startFlood> | undefined;
  let floodTally: FloodTally | undefined;
  let hubBReadyIn = 0;
  const greyed = (logins: LoginOutcome[], injectedAt: number, restoredAt: number) => {
    const seen = logins.flatMap((l) => (l.idpGreyedAt === undefined ? [] : [l.idpGreyedAt]));
    if (seen.length === 0) return ['No mire showed the IdP greyed.'];
    const s = (ms: number) => `${((ms - injectedAt) / 1000).toFixed(1)} s`;
    return [
      `Mires showed the IdP greyed from ${s(Math.min(...seen))} to ${s(Math.max(...seen))} after the fault began (restored at ${s(restoredAt)}).`,
    ];
  };
  /** Each instance's 429s so far (relais_rate_limited_total), to tell how the refusals were shared. */
  const refusedBy = async () => {
    const out: Record<string, number> = {};
    for (const [name, origin] of Object.entries(hubOrigins)) {
      const metrics = await scrape(origin, METRICS_TOKEN);
      out[name] = [...(metrics ?? new Map<string, number>())]
        .filter(([series]) => series.startsWith('relais_rate_limited_total'))
        .reduce((total, [, value]) => total + value, 0);
    }
    return out;
  };
  let refusedBefore: Record<string, number> = {};
  let refusedAfter: Record<string, number> = {};
  const refusals = () =>
    `Refused by each instance (relais_rate_limited_total): ${Object.entries(refusedAfter)
      .map(([name, n]) => `${name} ${n - (refusedBefore[name] ?? 0)}`)
      .join(', ')}.`;
  const faults: Fault[] = [
    {
      id: 'redis',
      title: 'Redis stopped, then restarted',
      injection: `redis-server killed (SIGKILL: it keeps nothing, no RDB nor AOF), started again on the same port ${HOLD_SECONDS.redis} s later`,
      sessions: { mustSurvive: false, why: 'Redis runs without persistence here: its restart empties it' },
      inject: () => redis?.kill() ?? Promise.resolve(),
      restore: () => redis?.start() ?? Promise.resolve(),
      notes: () => [],
    },
    {
      id: 'postgres',
      title: 'PostgreSQL stopped, then restarted',
      injection: `pg_ctl stop -m immediate (no shutdown checkpoint, as a crash), pg_ctl start ${HOLD_SECONDS.postgres} s later (WAL recovery)`,
      sessions: { mustSurvive: true },
      inject: () => postgres?.crash() ?? Promise.resolve(),
      restore: () => postgres?.start() ?? Promise.resolve(),
      notes: () => [],
    },
    {
      id: 'hub',
      title: 'One hub instance killed, then restarted',
      injection: `hub B killed (SIGKILL), started again ${HOLD_SECONDS.hub} s later; the front sends everything to hub A meanwhile`,
      sessions: { mustSurvive: true },
      inject: () => hubB.kill('SIGKILL'),
      restore: async () => {
        const at = clock();
        await hubB.start();
        await hubB.ready();
        hubBReadyIn = clock() - at;
      },
      notes: () => [`Hub B answered /readyz ${(hubBReadyIn / 1000).toFixed(1)} s after its restart.`],
    },
    {
      id: 'idp-down',
      title: 'IdP down',
      injection: `the IdP's address stops accepting connections (those open are cut) for ${HOLD_SECONDS['idp-down']} s`,
      sessions: { mustSurvive: true },
      inject: () => gate?.set({ state: 'down' }) ?? Promise.resolve(),
      restore: () => gate?.set({ state: 'open' }) ?? Promise.resolve(),
      notes: (logins, injectedAt, restoredAt) => greyed(logins, injectedAt, restoredAt),
    },
    {
      id: 'idp-slow',
      title: 'IdP answering slowly',
      injection: `the IdP's back channel (discovery, JWKS, token, userinfo: what the hub waits for) answers ${IDP_SLOW_MS / 1000} s late for ${HOLD_SECONDS['idp-slow']} s; its pages for the browser stay fast`,
      sessions: { mustSurvive: true },
      inject: () => gate?.set({ state: 'slow', ms: IDP_SLOW_MS, paths: backChannel }) ?? Promise.resolve(),
      restore: () => gate?.set({ state: 'open' }) ?? Promise.resolve(),
      notes: (logins, injectedAt, restoredAt) => greyed(logins, injectedAt, restoredAt),
    },
    {
      id: 'flood',
      title: 'Flood from one address',
      injection: `${FLOOD_RATE} GET /authorize per second from ${FLOOD_ADDRESS} for ${HOLD_SECONDS.flood} s (no cookies, redirects not followed)`,
      sessions: { mustSurvive: true },
      inject: async () => {
        refusedBefore = await refusedBy();
        floodRunning = startFlood({
          address: FLOOD_ADDRESS,
          windowSeconds: RATE_LIMIT_WINDOW_SECONDS,
          agent: agentFor(FLOOD_ADDRESS),
          rate: FLOOD_RATE,
          concurrency: 32,
          url: () => authorizationUrl(sp),
          now: clock,
        });
      },
      restore: async () => {
        floodTally = await floodRunning?.stop();
        refusedAfter = await refusedBy();
      },
      notes: () => [refusals()],
    },
  ];

  const summaries: PhaseSummary[] = [];
  const failedLogins: DrillReport['failedLogins'] = [];
  for (const fault of faults.filter((f) => only.includes(f.id))) {
    say(`${fault.title}: ${fault.injection}`);
    const frontBefore = { retried: front.stats.retried, badGateway: front.stats.badGateway };
    const crashesBefore = new Map(children.map((child) => [child, child.crashes.length]));
    const leadEnds = performance.now() + LEAD_SECONDS * 1000;
    const load = steadyLoad({
      rate,
      addresses: STEADY_ADDRESSES,
      cap: 400,
      login: (address) => citizen(address),
    });
    const probes = await Promise.all(
      PROBE_ADDRESSES.map(async (address) => {
        const jar = new CookieJar();
        return { address, jar, first: await citizen(address, jar) };
      }),
    );
    const established = probes.filter((p) => p.first.result === 'completed');
    await sleep(Math.max(0, leadEnds - performance.now()));

    const injectedAt = clock();
    await fault.inject();
    await sleep((HOLD_SECONDS[fault.id] * 1000) / 2);
    const during = Promise.all(established.map((p) => citizen(p.address, p.jar)));
    await sleep((HOLD_SECONDS[fault.id] * 1000) / 2);
    await fault.restore();
    const restoredAt = clock();
    say(`${fault.title}: restored after ${((restoredAt - injectedAt) / 1000).toFixed(1)} s`);
    await sleep(TAIL_SECONDS[fault.id] * 1000);
    const logins = await load.stop();
    const endedAt = clock();
    const duringOutcomes = await during;
    // A process that crashed is started again, as a supervisor would, so the next fault finds two hubs.
    const crashes = children.flatMap((child) =>
      child.crashes
        .slice(crashesBefore.get(child) ?? 0)
        .map(
          (c) => `${child.name}: ${c.how} ${((c.at - injectedAt) / 1000).toFixed(1)} s after the fault began`,
        ),
    );
    for (const child of children.filter((c) => !c.running())) {
      say(`${child.name} is not running (${child.crashes.at(-1)?.how ?? 'stopped'}): starting it again`);
      await child.start();
      await child.ready();
    }
    const after = await Promise.all(established.map((p) => citizen(p.address, p.jar)));

    await sleep(1500); // the events of the last logins
    let dataChanges: string[];
    try {
      dataChanges = compareSnapshots(baseline, await snapshot(postgres.url, jwksOf()));
    } catch (error) {
      dataChanges = [`registry not readable after the fault: ${(error as Error).message}`];
    }
    let eventsNotStored: number | null = null;
    try {
      const gap = tokensSeen - (await storedTokenEvents(postgres.url));
      eventsNotStored = Math.max(0, gap - eventsGap);
      eventsGap = Math.max(gap, eventsGap);
    } catch {
      // Reported as unknown.
    }
    const summary = summarise({
      id: fault.id,
      title: fault.title,
      injection: fault.injection,
      injectedAt,
      restoredAt,
      endedAt,
      logins,
      sessions: {
        ...fault.sessions,
        established: established.length,
        during: duringOutcomes,
        after,
      },
      dataChanges,
      eventsNotStored,
      ...(fault.id === 'flood' && floodTally ? { flood: floodTally } : {}),
      front: {
        retried: front.stats.retried - frontBefore.retried,
        badGateway: front.stats.badGateway - frontBefore.badGateway,
      },
      crashes,
      notes: [
        ...fault.notes(logins, injectedAt, restoredAt),
        ...(load.skipped ? [`${load.skipped} logins not started: 400 were in flight.`] : []),
        ...(probes.length > established.length
          ? [`${probes.length - established.length} SSO probes could not log in before the fault.`]
          : []),
      ],
    });
    summaries.push(summary);
    const probeLogins = [...duringOutcomes, ...after].map((l) => ({ ...l, kind: `SSO probe: ${l.kind}` }));
    for (const login of [...logins, ...probeLogins])
      if (login.result !== 'completed') failedLogins.push({ ...login, phase: fault.id });
    say(
      `${fault.title}: ${summary.all.attempted} logins, ${summary.all.completed} completed, ${summary.all.clear} clear page, ${summary.all.stranded} stranded`,
    );
  }

  const targets = judge(summaries);
  const report: DrillReport = {
    date: new Date().toISOString(),
    quick,
    durationSeconds: Number((clock() / 1000).toFixed(1)),
    setup: {
      'hub instances':
        '2 processes behind the drill’s front (one ISSUER), same secrets, same PostgreSQL and Redis',
      'steady logins': `${rate}/s, open loop, from ${STEADY_ADDRESSES[0]}–${STEADY_ADDRESSES.at(-1)}; SSO probes ${PROBES} from ${PROBE_ADDRESSES[0]}…`,
      citizens: `read each page ${THINK_MS / 1000} s before answering it, wait ${PATIENCE_MS / 1000} s at most for an answer`,
      stores: `own redis-server (no persistence) and PostgreSQL (${postgres.url.replace(/^postgres:\/\/[^@]*@/, '')})`,
      machine: `${cpus().length} CPUs, load average at the end ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}, Node ${process.version}`,
      'process logs': logDir.replace(`${repository}`, ''),
    },
    phases: summaries,
    targets,
    failedLogins,
    notes: [
      'A login is COMPLETED when the SP got a code, redeemed it at /token and read /userinfo; on a CLEAR PAGE when it ended on the hub’s error page with its “Revenir à …” form, on the mire (which always has its way back), or at the SP with an error (an error redirect, or the hub’s back channel failing once the citizen is back at the SP); STRANDED otherwise: no answer, a timeout, a page without a way back (whatever its status).',
      'The citizen tries its IdP twice at most from the mire, and goes back (the browser’s Back) to the mire when the IdP does not answer; where it ends on a clear page, it follows the way back and the report says where that led.',
      'Recovery: from the restoration to the start of the first login that completed after the last login that did not (0 when the other instance took over before the restoration).',
      'Lost: the rows of service_providers, identity_providers, data_providers, signing_keys and hub_secrets (count and digest, updated_at aside) and the keys each instance publishes, compared with the start; and the hub sessions made before the fault that had to survive, probed during and after it (a next login must skip the mire and the IdP).',
      'Business events: the successful token requests the citizens saw that the events table does not have (informative, not a target).',
    ],
  };
  const text = markdown(report);
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, `${JSON.stringify(report, null, 2)}\n`);
  const mdPath = outPath.endsWith('.json') ? outPath.replace(/\.json$/, '.md') : `${outPath}.md`;
  await writeFile(mdPath, `${text}\n`);
  process.stdout.write(`${text}\n\n(${outPath} and ${mdPath})\n`);
  return targets.every((t) => t.met) ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`drill: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
