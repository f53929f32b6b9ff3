// npm run bench [-- --quick] [--profile] [--instances 1|2] [--idp-hint] [--schema name] [--embedded]
//                [--hops] [--jwe]
//
// Complete brokered logins against the hub as its own process (real PostgreSQL and Redis from
// DATABASE_URL and REDIS_URL; the embedded stores only with --embedded, which the report says),
// the mock IdP as another process, and this process as the load driver: each virtual citizen does
// SP authorize → mire (or idp_hint) → mock IdP login → hub callback → consent → code → /token →
// /userinfo, every request timed as its own hop (bench/driver.ts).
//
// Stages (bench/stage.ts): a ramp of concurrency (1, 2, 4, 8, 16; --quick: 2, 6) that stops when
// logins/s grows by 5 % or less or errors appear; a lone login (concurrency 1: the ramp's first
// stage, in --quick a short stage of its own); a paced stage at 70 % of the best zero-error
// rate (open loop), whose per-hop latencies are the report's (run once more at 70 % of what it
// managed if the shared machine could not keep up); the reference, the same driver doing
// single-leg logins against a bare oidc-provider (the mock IdP alone, on Redis, ES256 id_token and
// userinfo as the hub's SP leg); and the scale-out: two hub instances behind a round-robin
// (tools/round-robin.ts) sharing PostgreSQL, Redis and secrets, next to one instance behind the same
// round-robin at the same per-instance concurrency. The scale-out runs in the default run AND in
// --quick (short stages); --instances 1 leaves it out.
//
// The JWE leg (bench/jwe.ts): the hubs also know two SPs that ask for their id_token and userinfo
// encrypted (ECDH-ES with a P-256 key, RSA-OAEP-256 with a 2048-bit one, A256GCM), fresh keys
// every run, written with the demo federation into a FEDERATION_FILE the hubs are given (demo mode
// stays on: the file only stands in for the demo federation the hub would build). Brokered logins
// in closed loop at the reference's concurrency run against the plain demo SP and each of them in
// short windows, one per SP per round, the order rotated each round, the driver's decryptions
// balanced between the legs; the encryption's cost per login is the JWE window's hub CPU per login
// less the plain one's of the same round, median over the rounds, judged against "< 1 ms of hub
// CPU per login"; beside it, lone logins of each SP metered request by request
// (/token and /userinfo, where the encryption happens) and the encryption timed in-process with
// jose as oidc-provider calls it, step by step (bench/jwe-cost.ts). --jwe runs only that leg (at
// c = 6), in about 80 s, to try a change; --profile leaves it out (its encrypting logins would
// weigh in the hub's profile).
//
// Hub CPU comes from the hub process's own CPU time (/proc), so the driver's share of the cores
// does not distort it. Redis round trips and commands come from the Redis server (INFO), and from
// the hub's own counters on /metrics (null when a counter is not there); PostgreSQL queries from
// the hub's counter, cross-checked by pg_stat_database. With --profile the hub runs under
// --cpu-prof and the report says where its CPU goes (bench/profile.ts). No thresholds fail the
// run: the targets are reported as met or not met. Every run ends with a lone login metered
// request by request, the hub's beside the bare leg's (bench/hop-costs.ts); --hops runs only that,
// in seconds, to try a change.
//
// The hubs use their own schema of DATABASE_URL's database (search_path, as the tests do; default
// relais_bench, --schema to change it): the demo registry they upsert (the mock IdP at a random
// port) must not overwrite a developer's demo, nor tests rewrite the bench's under its feet.
//
// Secrets: with SUB_SECRET, ENCRYPTION_KEY and COOKIE_KEYS in the environment, as production gives
// them, every hub instance gets those. The registry's client secrets and the signing keys are sealed
// with ENCRYPTION_KEY, so a schema opens only with the key that sealed it: such a run gets a fresh
// schema (the named one with a random suffix), dropped at the end, as a new deployment starts.
// Without them, the first hub generates its own and keeps them in its schema (hub_secrets), which
// lasts from run to run, and the other instances are given those.
//
// Output: bench/results/bench-<date>.json and .md (git-ignored); the markdown on stdout.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEMO_DP, demoFederation } from '../src/config/demo-federation.ts';
import { freePort } from '../test/support/net.ts';
import { type RoundRobin, startRoundRobin } from '../tools/round-robin.ts';
import { errorKind, type LoginTarget, login, newTrace, spConfiguration } from './driver.ts';
import { measureHopCosts } from './hop-costs.ts';
import {
  checkingSignatures,
  driverBallast,
  type JweLegResult,
  jweFederation,
  jweServiceProviders,
  runJweLeg,
  writeFederationFile,
} from './jwe.ts';
import { measureEncryptionCosts } from './jwe-cost.ts';
import {
  dropSchema,
  ensureSchema,
  givenSecrets,
  keptDemoSecrets,
  type PgProbe,
  pgProbe,
  type RedisProbe,
  redisProbe,
  schemaUrl,
} from './probes.ts';
import { summariseFile } from './profile.ts';
import {
  hopCostsTable,
  introspectionTarget,
  judge,
  jweSection,
  jweTargets,
  keyFigures,
  markdown,
  type Report,
  type ScaleOut,
} from './report.ts';
import { type Probes, runStage, type Server, type StageResult, type StageSpec } from './stage.ts';

const began = performance.now();
const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const embedded = args.has('--embedded');
const profiling = args.has('--profile');
const idpHint = args.has('--idp-hint');
const hopsOnly = args.has('--hops');
const jweOnly = args.has('--jwe');
const flagValue = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const instances = Number(flagValue('--instances') ?? 2);
if (instances !== 1 && instances !== 2) {
  process.stderr.write('bench: --instances 1 (no scale-out stage) or 2 (the default)\n');
  process.exit(2);
}
const namedSchema = flagValue('--schema') ?? 'relais_bench';
// Up to 54 characters: room for the suffix of a fresh schema within PostgreSQL's 63.
if (!/^[a-z_][a-z0-9_]{0,53}$/.test(namedSchema)) {
  process.stderr.write(
    `bench: --schema ${namedSchema}: a lower-case SQL identifier of at most 54 characters, please\n`,
  );
  process.exit(2);
}
const { DATABASE_URL, REDIS_URL } = process.env;
if (!embedded && (!DATABASE_URL || !REDIS_URL)) {
  process.stderr.write(
    'bench: DATABASE_URL and REDIS_URL are required (or --embedded for PGlite and the in-process store, reported as such)\n',
  );
  process.exit(2);
}
let environmentSecrets: Record<string, string> | undefined;
try {
  environmentSecrets = givenSecrets(process.env);
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exit(2);
}
const freshSchema = environmentSecrets !== undefined && !embedded;
const schema = freshSchema ? `${namedSchema}_${randomBytes(4).toString('hex')}` : namedSchema;
const scaleOut = instances === 2 && !embedded; // two instances need the shared stores

const file = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const resultsDir = file('./results/');
const profilesDir = file('./results/profiles/');
const STAGE_SECONDS = quick ? 4 : 15;
const PACED_SECONDS = quick ? 5 : 20;
/** Lone logins metered request by request (bench/hop-costs.ts): medians of these. */
const HOP_COST_LOGINS = quick ? 15 : 40;
const SCALE_SECONDS = quick ? 4 : 15;
const WARM_UP_SECONDS = quick ? 2.5 : 10;
const LEVELS = quick ? [2, 6] : [1, 2, 4, 8, 16];
/** The JWE leg: rounds of one window per SP (plain, ECDH-ES, RSA-OAEP-256), seconds per window. */
const JWE_ROUNDS = 12;
const JWE_SECONDS = quick ? 1.5 : 2.5;
/** --jwe alone: the --quick reference's concurrency. */
const JWE_ONLY_CONCURRENCY = 6;
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const SP_REDIRECT = 'http://localhost:9/callback';
const DEMO_SP_SECRET = 'demo-sp-secret-at-least-32-characters-long!';
const IDP_SECRET = 'relais-demo-secret-at-least-32-characters!!';
const BARE_SECRET = 'bench-bare-sp-secret-at-least-32-characters';

// ---- processes ----------------------------------------------------------------------------

interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  spawnedAt: number;
  exited: Promise<number | null>;
  /** The last lines it wrote, shown if it dies. */
  tail: string[];
}

const children: Child[] = [];
/** Thrown to end a run early (--hops), through the clean-up below. */
class Finished extends Error {}
let stopping = false;

// Every process runs as `npm start` runs the hub (package.json): AsyncLocalStorage on async
// context frames, which oidc-provider (the hub's and the mock IdP's alike) relies on.
const NODE_ARGS = ['--experimental-async-context-frame'];

function start(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...NODE_ARGS, ...nodeArgs, file(script)], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const entry: Child = {
    name,
    process: child,
    pid: child.pid ?? 0,
    spawnedAt: performance.now(),
    exited,
    tail,
  };
  void exited.then((code) => {
    if (!stopping) process.stderr.write(`bench: ${name} exited (${code}):\n  ${tail.join('\n  ')}\n`);
  });
  children.push(entry);
  return entry;
}

function alive(child: Child): void {
  if (child.process.exitCode !== null || child.process.signalCode !== null)
    throw new Error(`${child.name} is not running`);
}

async function until(url: string, child: Child): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    alive(child);
    if (
      await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} never answered`);
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  // Not ref'd: a pending timer would keep the bench alive once everything has stopped.
  const code = await Promise.race([child.exited, sleep(8000, 'timeout' as const, { ref: false })]);
  if (code === 'timeout') {
    child.process.kill('SIGKILL');
    await child.exited;
  }
}

// ---- the run --------------------------------------------------------------------------------

const host = '127.0.0.1';
const ports = {
  hub: await freePort(host),
  idp: await freePort(host),
  bare: await freePort(host),
  roundRobin: await freePort(host),
  hubB: await freePort(host),
  hubC: await freePort(host),
};
const origin = (port: number) => `http://localhost:${port}`;
const issuer = origin(ports.hub);
const idpIssuer = origin(ports.idp);
const bareIssuer = origin(ports.bare);
const sharedIssuer = origin(ports.roundRobin);
const notes: string[] = [];
let roundRobin: RoundRobin | undefined;
let redis: RedisProbe | undefined;
let pgStats: PgProbe | undefined;

const pgliteDir = join(tmpdir(), `relais-bench-${process.pid}`);
// The demo federation plus the JWE leg's SPs, given to every hub instance.
const federationFile = join(tmpdir(), `relais-bench-${process.pid}-federation.json`);
const jweSps = await jweServiceProviders();
const hubDatabase = embedded ? '' : schemaUrl(DATABASE_URL as string, schema);
const hubEnv = (
  port: number,
  hubIssuer: string,
  secrets: Record<string, string>,
): Record<string, string> => ({
  PORT: String(port),
  HOST: host,
  ISSUER: hubIssuer,
  DEMO: 'true',
  DEMO_SERVICES: 'false',
  MOCK_IDP_URL: idpIssuer,
  DEMO_SP_URL: 'http://localhost:9',
  METRICS_TOKEN,
  // One address drives every login: the limits count (their cost is measured) but never refuse.
  RATE_LIMIT_PER_ADDRESS: '1000000',
  RATE_LIMIT_PER_CLIENT: '10000000',
  FEDERATION_FILE: federationFile,
  ...secrets,
  ...(embedded ? { DATABASE_URL: '', REDIS_URL: '', PGLITE_DIR: pgliteDir } : { DATABASE_URL: hubDatabase }),
});

try {
  // The brokered stages' IdP stays in memory, so that the Redis server's counters are the hub's.
  const idp = start('mock IdP', '../src/mock-idp/main.ts', {
    MOCK_IDP_ISSUER: idpIssuer,
    MOCK_IDP_CLIENTS: JSON.stringify([
      {
        client_id: 'relais',
        client_secret: IDP_SECRET,
        redirect_uris: [`${issuer}/idp/callback`, `${sharedIssuer}/idp/callback`],
      },
    ]),
    MOCK_IDP_REDIS_URL: '',
  });
  // The reference: the mock IdP alone, on Redis as the hub is, signing as the hub signs for its SP.
  const bare = start('bare oidc-provider', '../src/mock-idp/main.ts', {
    MOCK_IDP_ISSUER: bareIssuer,
    MOCK_IDP_CLIENTS: JSON.stringify([
      {
        client_id: 'bench-sp',
        client_secret: BARE_SECRET,
        redirect_uris: [SP_REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ]),
    MOCK_IDP_ID_TOKEN_ALG: 'ES256',
    MOCK_IDP_USERINFO_ALG: 'ES256',
    MOCK_IDP_REDIS_URL: embedded ? '' : (REDIS_URL ?? ''),
  });
  // Every instance is given the same secrets explicitly: the environment's, or those a demo hub
  // keeps in PostgreSQL. On a fresh database the first hub creates those, then the others are
  // started with them.
  if (!embedded) await ensureSchema(DATABASE_URL as string, schema);
  await writeFederationFile(
    federationFile,
    jweFederation(demoFederation({ hub: issuer, mockIdp: idpIssuer, demoSp: 'http://localhost:9' }), jweSps),
  );
  let secrets = environmentSecrets ?? (embedded ? {} : await keptDemoSecrets(DATABASE_URL as string, schema));
  const profileArgs = profiling ? ['--cpu-prof', '--cpu-prof-dir', profilesDir] : [];
  if (profiling) await mkdir(profilesDir, { recursive: true });
  const hub = start('hub', '../src/main.ts', hubEnv(ports.hub, issuer, secrets ?? {}), profileArgs);
  if (!secrets) {
    await until(`${issuer}/readyz`, hub);
    secrets = await keptDemoSecrets(DATABASE_URL as string, schema);
    if (!secrets) throw new Error('the hub kept no secrets in hub_secrets: cannot start a second instance');
  }
  const shared = secrets;
  const hubB = scaleOut
    ? start('hub B', '../src/main.ts', hubEnv(ports.hubB, sharedIssuer, shared))
    : undefined;
  const hubC = scaleOut
    ? start('hub C', '../src/main.ts', hubEnv(ports.hubC, sharedIssuer, shared))
    : undefined;
  await Promise.all([
    until(`${issuer}/readyz`, hub),
    until(`${idpIssuer}/.well-known/openid-configuration`, idp),
    until(`${bareIssuer}/.well-known/openid-configuration`, bare),
    ...(hubB ? [until(`${origin(ports.hubB)}/readyz`, hubB)] : []),
    ...(hubC ? [until(`${origin(ports.hubC)}/readyz`, hubC)] : []),
  ]);
  const startedIn = Math.round(performance.now() - began);
  if (!embedded) {
    redis = await redisProbe(REDIS_URL as string);
    pgStats = await pgProbe(DATABASE_URL as string);
  }
  const probes: Probes = {
    metricsToken: METRICS_TOKEN,
    ...(redis ? { redis } : {}),
    ...(pgStats ? { pg: pgStats } : {}),
  };

  const spLeg = { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' };
  const brokered = (config: LoginTarget['config'], hubOrigin: string): LoginTarget => ({
    config,
    origins: { hub: hubOrigin, idp: idpIssuer },
    redirectUri: SP_REDIRECT,
    scope: 'openid identite_pivot email',
    prompt: 'login consent',
    forms: [
      ...(idpHint ? [] : [['name="idp"', { idp: 'mock-idp' }] as const]),
      ['name="identity"', { identity: 'standard' }],
      ['name="decision"', { decision: 'accept' }],
    ],
    ...(idpHint ? { extra: { idp_hint: 'mock-idp' } } : {}),
  });
  const hubTarget = brokered(await spConfiguration(issuer, 'demo-sp', spLeg, DEMO_SP_SECRET), issuer);
  const bareTarget: LoginTarget = {
    config: await spConfiguration(bareIssuer, 'bench-sp', spLeg, BARE_SECRET),
    origins: { hub: '', idp: bareIssuer },
    redirectUri: SP_REDIRECT,
    scope: 'openid identite_pivot email',
    prompt: 'login',
    forms: [['name="identity"', { identity: 'standard' }]],
  };
  const hubServer: Server = { name: 'hub', pid: hub.pid, metricsOrigin: issuer };
  const idpServer: Server = { name: 'mock IdP', pid: idp.pid };

  // Logins two at a time for a few seconds: the JIT's steady state (its compiler threads count in
  // the process's CPU), the SP's JWKS cached. A failure here is a broken setup, not a measure: the
  // run stops with it.
  const warmUp = async (target: LoginTarget, seconds: number) => {
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      [1, 2].map(async () => {
        while (performance.now() < until) {
          const trace = newTrace();
          await login(target, trace).catch((error: unknown) => {
            throw new Error(`warm-up failed: ${errorKind(error, trace.at)}`);
          });
        }
      }),
    );
  };
  await warmUp(hubTarget, WARM_UP_SECONDS);
  const hubWarmAt = performance.now();
  // The metered lone logins also have the demo data provider introspect the SP's token, after
  // /userinfo (the issue's "an introspection costs no more than a /userinfo"); the stages do not.
  const introspecting: LoginTarget = {
    ...hubTarget,
    scope: `${hubTarget.scope} ${DEMO_DP.scope}`,
    dataProvider: await spConfiguration(issuer, DEMO_DP.clientId, {}, DEMO_DP.clientSecret),
  };
  const meterHub = () =>
    measureHopCosts({
      server: 'hub',
      pid: hub.pid,
      side: 'hub.',
      redis,
      logins: HOP_COST_LOGINS,
      login: (trace) => login(introspecting, trace),
    });
  const meterBare = async () => {
    alive(bare);
    await warmUp(bareTarget, WARM_UP_SECONDS / 2);
    return measureHopCosts({
      server: 'bare oidc-provider',
      pid: bare.pid,
      side: 'idp.',
      redis,
      logins: HOP_COST_LOGINS,
      login: (trace) => login(bareTarget, trace),
    });
  };
  if (hopsOnly) {
    const hubHops = await meterHub();
    const table = hopCostsTable(hubHops, await meterBare());
    process.stdout.write(`${table.join('\n')}\n`);
    throw new Finished();
  }

  // The JWE leg: the demo SP (plain) and the two encrypting SPs, each SP checking the hub's
  // signatures (its own Configuration: the other stages' SP is left as it was).
  const jweLeg = async (concurrency: number): Promise<JweLegResult> => {
    const legs = [
      {
        leg: 'plain' as const,
        clientId: 'demo-sp',
        key: null,
        target: brokered(
          checkingSignatures(await spConfiguration(issuer, 'demo-sp', spLeg, DEMO_SP_SECRET)),
          issuer,
        ),
        ballast: await driverBallast(jweSps),
      },
      ...(await Promise.all(
        jweSps.map(async (sp) => ({
          leg: sp.alg,
          clientId: sp.clientId,
          key: sp.key,
          target: brokered(
            checkingSignatures(await spConfiguration(issuer, sp.clientId, spLeg, sp.secret), sp),
            issuer,
          ),
          ballast: await driverBallast(jweSps, sp),
        })),
      )),
    ];
    for (const { target } of legs) await warmUp(target, WARM_UP_SECONDS / 2);
    return runJweLeg({
      legs,
      concurrency,
      rounds: JWE_ROUNDS,
      seconds: JWE_SECONDS,
      hubPid: hub.pid,
      login,
      meter: (target, logins) =>
        measureHopCosts({
          server: 'hub',
          pid: hub.pid,
          side: 'hub.',
          redis,
          logins,
          login: (trace) => login(target, trace),
        }),
      meteredLogins: HOP_COST_LOGINS,
      micro: () => measureEncryptionCosts({ quick }),
      alive: () => alive(hub),
    });
  };
  if (jweOnly) {
    const jwe = await jweLeg(JWE_ONLY_CONCURRENCY);
    const lines = [
      ...jweSection(jwe),
      '',
      '| target | measured | stage | met? |',
      '|---|---|---|---|',
      ...jweTargets(jwe).map(
        (t) =>
          `| ${t.target} | ${t.measured} | ${t.stage} | ${t.met === null ? 'n/a' : t.met ? 'met' : 'not met'} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    throw new Finished();
  }

  const stages: StageResult[] = [];
  const brokeredSpec = (concurrency: number, seconds: number, rate?: number): StageSpec => ({
    run: rate ? 'paced 70 %' : 'ramp',
    kind: 'brokered',
    instances: 1,
    concurrency,
    ...(rate ? { rate } : {}),
    seconds,
    login: (trace) => login(hubTarget, trace),
    servers: [hubServer],
    others: [idpServer],
    // The keys' memory is judged on the paced stage only: a SCAN of the whole keyspace costs ~1 s
    // per 100 000 keys, and the hub's sessions (30 min) pile up over a few runs.
    ...(rate ? { redisPrefix: 'relais:v1:' } : {}),
  });

  // The ramp: the highest rate with zero errors.
  const ramp: StageResult[] = [];
  for (const concurrency of LEVELS) {
    alive(hub);
    const result = await runStage(brokeredSpec(concurrency, STAGE_SECONDS), probes);
    ramp.push(result);
    stages.push(result);
    const previous = ramp.at(-2);
    if (result.errors > 0) break;
    if (previous && result.loginsPerSecond <= previous.loginsPerSecond * 1.05) break;
  }
  const peak = ramp.filter((s) => s.errors === 0).sort((a, b) => b.loginsPerSecond - a.loginsPerSecond)[0];
  if (!peak) notes.push("No ramp stage was free of errors: the paced stage uses the first stage's rate.");
  const peakLike = peak ?? (ramp[0] as StageResult);

  // A lone login (concurrency 1): what a citizen on their own costs the hub, no other login to
  // share its Redis writes and event-loop wake-ups. The default ramp starts there; --quick measures
  // it apart, as briefly as its ramp stages.
  let lone = ramp.find((s) => s.concurrency === 1);
  if (!lone) {
    alive(hub);
    lone = await runStage({ ...brokeredSpec(1, STAGE_SECONDS), run: 'lone login' }, probes);
    stages.push(lone);
  }

  // The lone login again, each request metered: where its hub CPU and round trips go.
  alive(hub);
  const hubHops = await meterHub();

  // At 70 % of the peak, open loop: the per-hop latencies of the report.
  alive(hub);
  const pacedRate = Math.max(0.5, 0.7 * peakLike.loginsPerSecond);
  const cap = Math.max(4, 4 * peakLike.concurrency);
  let paced = await runStage(brokeredSpec(cap, PACED_SECONDS, pacedRate), probes);
  stages.push(paced);
  if (paced.loginsPerSecond < 0.9 * pacedRate) {
    // The machine got slower than during the ramp (it is shared): once more, at 70 % of what it
    // managed, so that the hop latencies are not those of an overload.
    notes.push(
      `The first paced stage fell behind (${paced.loginsPerSecond}/s done of ${Number(pacedRate.toFixed(1))}/s asked): it ran again at 70 % of what it managed; the second one is judged.`,
    );
    alive(hub);
    const again = brokeredSpec(cap, PACED_SECONDS, Math.max(0.5, 0.7 * paced.loginsPerSecond));
    paced = await runStage({ ...again, run: 'paced 70 % (again)' }, probes);
    stages.push(paced);
  }

  // The reference: single legs against the bare oidc-provider, at the peak's concurrency.
  alive(bare);
  await warmUp(bareTarget, WARM_UP_SECONDS / 2);
  const reference = await runStage(
    {
      run: 'reference: bare oidc-provider leg',
      kind: 'bare',
      instances: 1,
      concurrency: peakLike.concurrency,
      seconds: STAGE_SECONDS,
      login: (trace) => login(bareTarget, trace),
      servers: [{ name: 'bare oidc-provider', pid: bare.pid }],
      ...(embedded ? {} : { redisPrefix: 'mock-idp:v1:' }),
    },
    probes,
  );
  stages.push(reference);
  const bareHops = await meterBare();

  // Encryption to the SPs: the plain, ECDH-ES and RSA-OAEP-256 legs at the reference's concurrency.
  // Not under --profile: its encrypting logins would weigh in the hub's profile of a login.
  alive(hub);
  const jwe = profiling ? null : await jweLeg(peakLike.concurrency);

  // Scale-out: one instance, then two, behind the same round-robin at the shared issuer.
  let scale: ScaleOut | null = null;
  if (hubB && hubC) {
    const servers: Server[] = [
      { name: 'hub B', pid: hubB.pid, metricsOrigin: origin(ports.hubB) },
      { name: 'hub C', pid: hubC.pid, metricsOrigin: origin(ports.hubC) },
    ];
    const through = async (targets: number[]) => {
      await roundRobin?.close();
      roundRobin = await startRoundRobin(host, ports.roundRobin, targets);
      return roundRobin;
    };
    await through([ports.hubB, ports.hubC]);
    const sharedTarget = brokered(
      await spConfiguration(sharedIssuer, 'demo-sp', spLeg, DEMO_SP_SECRET),
      sharedIssuer,
    );
    await warmUp(sharedTarget, WARM_UP_SECONDS);
    const c = peakLike.concurrency;
    const scaled = async (count: 1 | 2) => {
      const rr = await through(count === 1 ? [ports.hubB] : [ports.hubB, ports.hubC]);
      alive(hubB);
      alive(hubC);
      return runStage(
        {
          run: `scale-out ×${count}`,
          kind: 'brokered',
          instances: count,
          concurrency: c * count,
          seconds: SCALE_SECONDS,
          login: (trace) => login(sharedTarget, trace),
          servers: servers.slice(0, count),
          others: [idpServer],
          hits: () => [...rr.hits],
        },
        probes,
      );
    };
    const one = await scaled(1);
    const two = await scaled(2);
    stages.push(one, two);
    scale = {
      perInstanceConcurrency: c,
      one,
      two,
      perInstanceThroughputRatio: one.loginsPerSecond
        ? Number((two.loginsPerSecond / 2 / one.loginsPerSecond).toFixed(2))
        : null,
    };
    await roundRobin?.close();
    roundRobin = undefined;
  }

  // The hub's profile: written when it exits (SIGTERM → process.exit(0)).
  let profile: Report['profile'] = null;
  if (profiling) {
    stopping = true;
    await stop(hub);
    const files = await Promise.all(
      (await readdir(profilesDir))
        .filter((name) => name.endsWith('.cpuprofile'))
        .map(async (name) => ({ name, mtime: (await stat(`${profilesDir}/${name}`)).mtimeMs })),
    );
    const newest = files.sort((a, b) => b.mtime - a.mtime)[0];
    if (newest) {
      const skippedStartupMs = Math.round(hubWarmAt - hub.spawnedAt);
      profile = {
        file: `bench/results/profiles/${newest.name}`,
        skippedStartupMs,
        ...(await summariseFile(`${profilesDir}/${newest.name}`, 15, skippedStartupMs)),
      };
    } else notes.push('--profile: the hub wrote no .cpuprofile');
  }

  notes.push(
    `Processes started in ${startedIn} ms (the hub${scaleOut ? ', hubs B and C' : ''}, the mock IdP, the bare oidc-provider).`,
    'CPU per login: user + system time of the server process(es) from /proc/<pid>/stat (10 ms ticks) over the stage and the 1.1 s after it (the hub flushes its business events every second), divided by the logins completed.',
    `Lone login (${lone.run}, concurrency 1, ${lone.seconds} s): the hub's CPU, Redis round trips and commands per login of a citizen on their own, the key figures' Redis ones. The ratio to the bare leg is at the peak's concurrency, at which the reference runs.`,
    'Brokered stages: the hub on ' +
      (embedded ? 'PGlite and its in-process store' : 'PostgreSQL and Redis') +
      ", the mock IdP on its in-memory store, so that the Redis server's counters are the hub's alone (any other client of the same Redis, e.g. tests running meanwhile, would be counted too).",
    `Redis round trips = delta of total_reads_processed (one read event on the server per batch a client sends), commands = delta of total_commands_processed, both over the stage, minus the probe's own INFO. With auto-pipelining, concurrent logins share read events: the lone login (concurrency 1) is the one judged, the paced stage's figure beside it. "hub Kv ops" = the hub's relais_redis_commands_total.`,
    "Redis memory per live login (the paced stage; the reference's mock-idp:v1:* for the bare leg): SCAN of relais:v1:* before and after the stage, MEMORY USAGE of the keys summed by kind; the keys created during the stage and alive at its end, divided by the logins. Short-lived keys (authorization code, access token, grant: 60–120 s) are counted while still alive, so this is the footprint of a login just completed; the long-lived ones (hub session, oidc Session and its uid index, the way back to the SP: up to 30 min) stay for the session's or the interaction's lifetime. rawDeltaBytesPerLogin is the plain after − before, which older keys expiring meanwhile lower.",
    "PostgreSQL: the hub's relais_sql_queries_total (a transaction counts once), cross-checked by xact_commit + xact_rollback of pg_stat_database (every backend of the database, flushed by each backend at most once a second and, when idle, up to 10 s later: it can shift up to a second's worth between adjacent stages).",
    "Hop latencies: each request as the citizen sees it, headers and body received, redirects followed by the driver; hub.token and hub.userinfo are the SP's back-channel calls (openid-client), timed by its customFetch. The hub-side mean comes from relais_hop_duration_seconds (the hub's own measure, no network, no queueing in the driver).",
    "The paced stage is an open loop: logins start at a fixed rate (70 % of the best zero-error logins/s of the ramp), at most 4× the peak's concurrency in flight.",
    `Reference: the same driver doing complete single-leg logins (authorize → login page → login → resume → /token → /userinfo, PKCE, client_secret_post, ES256 id_token and userinfo as the hub's SP leg) against the mock IdP alone, ${embedded ? 'in memory' : "on Redis (keys mock-idp:v1:*, the hub's own Kv adapter)"}, at the peak's concurrency.`,
    `JWE leg${jwe ? '' : ' (not run: --profile)'}: the hubs were given a FEDERATION_FILE (written by the bench: the demo federation plus ${jweSps.map((sp) => `${sp.clientId}, ${sp.alg} with a fresh ${sp.key} key`).join(', and ')}, each asking for its id_token and userinfo encrypted with A256GCM), demo mode on as before. Its windows are lean (no settle, no probe but the hub's CPU): they are in jwe.stages, not in stages.`,
    ...(scaleOut
      ? [
          `Scale-out: hubs B and C (same ISSUER = the round-robin's origin, same SUB_SECRET, ENCRYPTION_KEY and COOKIE_KEYS, same PostgreSQL and Redis) behind tools/round-robin.ts in the driver's process; one instance at concurrency c, then two at 2c (c = the peak's concurrency). Per-instance logins/s and CPU per login use each instance's share of the requests. On ${cpus().length} CPUs shared with the driver, the mock IdP, PostgreSQL and Redis, total throughput cannot double: what is checked is that the per-instance CPU per login does not grow (no shared lock, no hot key).`,
        ]
      : [
          `Scale-out: not run (${embedded ? '--embedded: the in-process store is one instance only' : '--instances 1'}).`,
        ]),
    ...(profiling
      ? [
          'Profile: the hub ran under --cpu-prof for the whole run (it cannot be started mid-run); the summary leaves out the samples before the end of the warm-up (start-up), idle is excluded; the hub is idle during the reference and scale-out stages.',
        ]
      : []),
    ...(idpHint
      ? ['--idp-hint: the SP sends idp_hint=mock-idp, so the mire is skipped (hub.mire redirects).']
      : []),
  );

  const report: Report = {
    date: new Date().toISOString(),
    quick,
    keyFigures: keyFigures({ peak, lone, paced, reference }),
    stores: {
      hub: embedded
        ? 'embedded PGlite and in-process store (--embedded)'
        : `PostgreSQL (schema ${schema}${freshSchema ? ', fresh for the run' : ''}) and Redis`,
      brokeredMockIdp: 'in memory',
      reference: embedded ? 'in memory (--embedded)' : 'Redis (mock-idp:v1:)',
    },
    secrets: environmentSecrets
      ? 'from the environment (SUB_SECRET, ENCRYPTION_KEY, COOKIE_KEYS)'
      : 'generated by the first hub, kept in its database (hub_secrets)',
    machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadavg() },
    stages,
    peak: peak
      ? { run: peak.run, concurrency: peak.concurrency, loginsPerSecond: peak.loginsPerSecond }
      : null,
    reference,
    scaleOut: scale,
    hopCosts: { hub: hubHops, bare: bareHops },
    jwe,
    targets: [
      ...judge({ peak, lone, paced, reference }),
      ...introspectionTarget(hubHops),
      ...jweTargets(jwe),
    ],
    profile,
    notes,
    durationSeconds: 0,
  };
  report.durationSeconds = Number(((performance.now() - began) / 1000).toFixed(1));
  const table = markdown(report);
  await mkdir(resultsDir, { recursive: true });
  const stamp = report.date.replaceAll(':', '-');
  await writeFile(`${resultsDir}/bench-${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${resultsDir}/bench-${stamp}.md`, `${table}\n`);
  process.stdout.write(`${table}\n\n(bench/results/bench-${stamp}.json and .md)\n`);
} catch (error) {
  if (!(error instanceof Finished)) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
} finally {
  stopping = true;
  await roundRobin?.close();
  await Promise.allSettled([redis?.close(), pgStats?.close()]);
  await Promise.all(children.map(stop));
  if (embedded) await rm(pgliteDir, { recursive: true, force: true });
  await rm(federationFile, { force: true });
  if (freshSchema)
    await dropSchema(DATABASE_URL as string, schema).catch((error: unknown) =>
      process.stderr.write(`bench: schema ${schema} not dropped: ${(error as Error).message}\n`),
    );
}
