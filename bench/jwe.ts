// The JWE leg: what encrypting the id_token and the userinfo to an SP costs the hub per login.
//
// The bench's hubs get, beside the demo SP, two SPs that ask for both encrypted (signed by the
// hub, then encrypted to the SP's key, A256GCM): one with an ECDH-ES P-256 key, one with an
// RSA-OAEP-256 2048-bit key, fresh every run. They are the demo SP's entry with a client_id, a
// secret, the public key (inline jwks) and the four *_encrypted_response_* fields, written with
// the demo federation into a FEDERATION_FILE (jweFederation) that every hub instance is given: the
// demo mode stays on, the file only replaces the demo federation the hub would build itself (the
// same entries plus these two), upserted into the bench's own schema.
//
// The driver's SP (openid-client) decrypts with the SP's private key (enableDecryptingResponses)
// and, in this leg only, checks the hub's signature inside (enableNonRepudiationChecks: openid-
// client checks the id_token's and the userinfo's claims but not their signature unless asked);
// the plain leg's SP (the demo SP) is given the same signature checks, so that the legs differ by
// the encryption alone.
//
// The leg: brokered logins in closed loop at the reference's concurrency (the driver's login, as
// in the stages), against the plain SP, the ECDH-ES SP and the RSA-OAEP-256 SP in short windows,
// one per SP per round, many rounds, the order rotated from round to round (so that each SP comes
// first, second and third as often). A window is lean (runWindow): no settle and no probe but the
// hub's CPU (every thread, schedstat, in ns), so that the windows follow each other within a
// second or two, and the machine, whose speed drifts by tens of percent within a minute, is about
// the same for the windows that are compared. The driver's decryptions are balanced
// (driverBallast): every leg's SP decrypts two ECDH-ES and two RSA-OAEP-256 JWEs per login, its
// own or samples, so that the closed loops run at the rate the hub allows, not at the rate the
// driver's decryption allows (the driver shares the CPUs with the hub).
// The encryption cost per login is, per round, the JWE window's hub CPU per login less the plain
// window's of the same round, and the median over the rounds (with its quartiles); each leg's CPU
// per login is the median of its windows. Beside it, a lone login of each SP metered
// request by request (bench/hop-costs.ts, in alternating chunks): the hub CPU of /token (the
// id_token) and /userinfo, where the encryption happens, free of any throughput effect. And the
// in-process micro-measure of the encryption itself (bench/jwe-cost.ts).
import { writeFile } from 'node:fs/promises';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as client from 'openid-client';
import type { FederationInput } from '../src/config/federation.ts';
import { errorKind, type LoginTarget, newTrace, type Trace } from './driver.ts';
import { type HopCosts, threadsCpuUs } from './hop-costs.ts';
import type { EncryptionCosts } from './jwe-cost.ts';
import { machineTicks } from './probes.ts';

export type JweAlg = 'ECDH-ES' | 'RSA-OAEP-256';

/** An SP of the JWE leg: its registry entry's part and the private key the driver decrypts with. */
export interface JweSp {
  clientId: string;
  secret: string;
  alg: JweAlg;
  /** P-256 or RSA 2048. */
  key: string;
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

const JWE_SPS: ReadonlyArray<{ clientId: string; alg: JweAlg; key: string }> = [
  { clientId: 'bench-jwe-ecdh-es', alg: 'ECDH-ES', key: 'P-256' },
  { clientId: 'bench-jwe-rsa-oaep-256', alg: 'RSA-OAEP-256', key: 'RSA 2048' },
];

/** The two SPs, with fresh keys (ECDH-ES: P-256, jose's default; RSA-OAEP-256: 2048 bits). */
export async function jweServiceProviders(): Promise<JweSp[]> {
  return Promise.all(
    JWE_SPS.map(async ({ clientId, alg, key }) => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { modulusLength: 2048 });
      const kid = `${clientId}-enc`;
      return {
        clientId,
        secret: `${clientId}-secret-0123456789-0123456789`,
        alg,
        key,
        kid,
        privateKey,
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'enc' },
      };
    }),
  );
}

/** The demo federation with the JWE SPs beside its SP (copies of it, asking for encryption). */
export function jweFederation(demo: FederationInput, sps: JweSp[]): FederationInput {
  const [demoSp, ...others] = demo.serviceProviders ?? [];
  if (!demoSp) throw new Error('the demo federation has no SP to copy');
  return {
    ...demo,
    serviceProviders: [
      demoSp,
      ...others,
      ...sps.map((sp) => ({
        ...demoSp,
        client_id: sp.clientId,
        client_secret: sp.secret,
        client_name: `Bench JWE (${sp.alg}, ${sp.key})`,
        jwks: { keys: [sp.publicJwk as Record<string, unknown>] },
        id_token_encrypted_response_alg: sp.alg,
        id_token_encrypted_response_enc: 'A256GCM' as const,
        userinfo_encrypted_response_alg: sp.alg,
        userinfo_encrypted_response_enc: 'A256GCM' as const,
      })),
    ],
  };
}

export async function writeFederationFile(path: string, federation: FederationInput): Promise<void> {
  await writeFile(path, `${JSON.stringify(federation, null, 2)}\n`, { mode: 0o600 });
}

/** The SP's view decrypts with its key (JWE SPs) and checks the hub's signatures inside (every leg). */
export function checkingSignatures(config: client.Configuration, sp?: JweSp): client.Configuration {
  if (sp)
    client.enableDecryptingResponses(config, ['A256GCM'], { key: sp.privateKey, alg: sp.alg, kid: sp.kid });
  client.enableNonRepudiationChecks(config);
  return config;
}

/**
 * The driver's decryptions balanced across the legs: after each login, the SP decrypts sample JWEs
 * (an id_token's and a userinfo's size) of the algorithms its own leg does not receive, so that the
 * driver spends the same CPU per login in every leg (two ECDH-ES and two RSA-OAEP-256 decryptions,
 * real or not). Without it the JWE legs' closed loop runs slower (the driver shares the two CPUs
 * with the hub), and the hub's CPU per login grows as its rate falls, which would count as the
 * encryption's cost.
 */
export async function driverBallast(sps: JweSp[], own?: JweSp): Promise<() => Promise<void>> {
  const sample = Buffer.from(`${'e'.repeat(120)}.${'p'.repeat(450)}.${'s'.repeat(86)}`);
  const jwes = await Promise.all(
    sps
      .filter((sp) => sp !== own)
      .flatMap((sp) =>
        [1, 2].map(async () => ({
          sp,
          jwe: await new CompactEncrypt(sample)
            .setProtectedHeader({ alg: sp.alg, enc: 'A256GCM', cty: 'JWT', kid: sp.kid })
            .encrypt(sp.publicJwk),
        })),
      ),
  );
  return async () => {
    for (const { sp, jwe } of jwes) await compactDecrypt(jwe, sp.privateKey);
  };
}

export interface JweLegSpec {
  /** The plain leg first, then one per JWE SP; `ballast` runs after each login (driverBallast). */
  legs: Array<{
    leg: 'plain' | JweAlg;
    clientId: string;
    key: string | null;
    target: LoginTarget;
    ballast: () => Promise<void>;
  }>;
  concurrency: number;
  rounds: number;
  /** Each window's logins (then the logins in flight finish). */
  seconds: number;
  /** The hub's process. */
  hubPid: number;
  login: (target: LoginTarget, trace: Trace) => Promise<Trace>;
  /** Lone logins of one SP, metered request by request. */
  meter: (target: LoginTarget, logins: number) => Promise<HopCosts>;
  meteredLogins: number;
  /** The in-process measure, run once the stages are over. */
  micro: () => Promise<EncryptionCosts>;
  /** Checked between stages: the run stops if the hub died. */
  alive: () => void;
}

/** One window of the leg: one SP, closed loop. */
export interface JweRoundStage {
  round: number;
  leg: 'plain' | JweAlg;
  /** Its place in the round (0 = first). */
  position: number;
  seconds: number;
  logins: number;
  errors: number;
  errorsByKind: Record<string, number>;
  loginsPerSecond: number;
  hubCpuMsPerLogin: number | null;
  driverCpuMsPerLogin: number | null;
  /** How busy the machine's CPUs were (0–1, all CPUs). */
  machineBusy: number | null;
}

export interface Spread {
  median: number | null;
  /** First and third quartiles. */
  q1: number | null;
  q3: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

export interface JweLegResult {
  concurrency: number;
  rounds: number;
  secondsPerWindow: number;
  legs: Array<{
    leg: 'plain' | JweAlg;
    clientId: string;
    key: string | null;
    hubCpuMsPerLogin: Spread;
    loginsPerSecond: Spread;
    driverCpuMsPerLogin: Spread;
    logins: number;
    errors: number;
    /** Lone logins metered request by request: hub CPU of /token and /userinfo, ms (medians). */
    metered: { logins: number; tokenMs: number | null; userinfoMs: number | null; wholeLoginMs: number };
  }>;
  /** Per JWE leg: its hub CPU per login less the plain leg's, round by round. */
  costs: Array<{
    alg: JweAlg;
    key: string | null;
    perRoundMs: Array<number | null>;
    /** Median of the rounds' differences. */
    msPerLogin: Spread;
    /** The metered lone logins: (/token + /userinfo) of the JWE SP less the plain SP's. */
    meteredMs: number | null;
    /** In-process: one id_token and one userinfo encrypted (jose), ms: back to back, and cold. */
    inProcessMs: number | null;
    inProcessColdMs: number | null;
  }>;
  stages: JweRoundStage[];
  micro: EncryptionCosts;
  durationSeconds: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** The p-quantile, linear between the two nearest. */
const quantile = (sorted: number[], p: number) => {
  const at = (sorted.length - 1) * p;
  const low = sorted[Math.floor(at)] ?? 0;
  const high = sorted[Math.ceil(at)] ?? low;
  return low + (high - low) * (at - Math.floor(at));
};

const spread = (values: Array<number | null>, digits = 2): Spread => {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const round = (v: number) => Number(v.toFixed(digits));
  return known.length
    ? {
        median: round(quantile(known, 0.5)),
        q1: round(quantile(known, 0.25)),
        q3: round(quantile(known, 0.75)),
        min: round(known[0] ?? 0),
        max: round(known.at(-1) ?? 0),
        n: known.length,
      }
    : { median: null, q1: null, q3: null, min: null, max: null, n: 0 };
};

const per = (value: number, logins: number) => (logins ? Number((value / logins).toFixed(2)) : null);

/**
 * One window: `concurrency` SPs log in (and decrypt their ballast) one login after another until
 * `seconds` are up, then the logins in flight finish; the hub's CPU (every thread, schedstat ns)
 * read before and after. No settle and no other probe: the windows follow each other closely,
 * which is what makes the difference of adjacent ones meaningful on a machine whose speed drifts.
 */
async function runWindow(
  spec: JweLegSpec,
  leg: JweLegSpec['legs'][number],
  round: number,
  position: number,
): Promise<JweRoundStage> {
  let logins = 0;
  let errors = 0;
  const errorsByKind: Record<string, number> = {};
  const machineBefore = await machineTicks();
  const driverBefore = process.cpuUsage();
  const hubBefore = await threadsCpuUs(spec.hubPid);
  const began = performance.now();
  const until = began + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < until) {
        const trace = newTrace();
        try {
          await spec.login(leg.target, trace);
          await leg.ballast();
          logins += 1;
        } catch (error) {
          errors += 1;
          const kind = errorKind(error, trace.at);
          errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
        }
      }
    }),
  );
  const hubAfter = await threadsCpuUs(spec.hubPid);
  const elapsed = (performance.now() - began) / 1000;
  const driver = process.cpuUsage(driverBefore);
  const machineAfter = await machineTicks();
  return {
    round,
    leg: leg.leg,
    position,
    seconds: Number(elapsed.toFixed(2)),
    logins,
    errors,
    errorsByKind,
    loginsPerSecond: Number((logins / elapsed).toFixed(1)),
    hubCpuMsPerLogin: per((hubAfter - hubBefore) / 1000, logins),
    driverCpuMsPerLogin: per((driver.user + driver.system) / 1000, logins),
    machineBusy:
      machineAfter.total > machineBefore.total
        ? Number(
            ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)).toFixed(
              2,
            ),
          )
        : null,
  };
}

export async function runJweLeg(spec: JweLegSpec): Promise<JweLegResult> {
  const began = performance.now();
  const stages: JweRoundStage[] = [];
  const legCount = spec.legs.length;
  for (let round = 0; round < spec.rounds; round += 1) {
    for (let position = 0; position < legCount; position += 1) {
      // Rotated: round 0 plain, ECDH-ES, RSA; round 1 ECDH-ES, RSA, plain; …
      const leg = spec.legs[(round + position) % legCount];
      if (!leg) continue;
      spec.alive();
      stages.push(await runWindow(spec, leg, round + 1, position));
    }
  }

  // Lone logins metered request by request, the SPs in turn, in three chunks (a slower minute
  // of the machine then weighs on every SP alike); the medians of the chunks' medians.
  const chunks = 3;
  const perChunk = Math.max(3, Math.ceil(spec.meteredLogins / chunks));
  const metered = new Map<string, HopCosts[]>();
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    for (let i = 0; i < legCount; i += 1) {
      const leg = spec.legs[(chunk + i) % legCount];
      if (!leg) continue;
      spec.alive();
      const costs = await spec.meter(leg.target, perChunk);
      metered.set(leg.leg, [...(metered.get(leg.leg) ?? []), costs]);
    }
  }
  const micro = await spec.micro();

  const meteredOf = (leg: string) => {
    const runs = metered.get(leg) ?? [];
    const hopMs = (hop: string) => {
      const values = runs.map((r) => r.hops.find((h) => h.hop === hop)?.cpuUs).filter((v) => v !== undefined);
      return values.length ? Number((median(values) / 1000).toFixed(2)) : null;
    };
    return {
      logins: runs.reduce((sum, r) => sum + r.logins, 0),
      tokenMs: hopMs('hub.token'),
      userinfoMs: hopMs('hub.userinfo'),
      wholeLoginMs: Number((median(runs.map((r) => r.totalCpuUs)) / 1000).toFixed(2)),
    };
  };
  const legs: JweLegResult['legs'] = spec.legs.map((leg) => {
    const own = stages.filter((s) => s.leg === leg.leg);
    return {
      leg: leg.leg,
      clientId: leg.clientId,
      key: leg.key,
      hubCpuMsPerLogin: spread(own.map((s) => s.hubCpuMsPerLogin)),
      loginsPerSecond: spread(
        own.map((s) => s.loginsPerSecond),
        1,
      ),
      driverCpuMsPerLogin: spread(own.map((s) => s.driverCpuMsPerLogin)),
      logins: own.reduce((sum, s) => sum + s.logins, 0),
      errors: own.reduce((sum, s) => sum + s.errors, 0),
      metered: meteredOf(leg.leg),
    };
  });
  const plainMetered = legs.find((l) => l.leg === 'plain')?.metered;
  const requestsMs = (m: JweLegResult['legs'][number]['metered'] | undefined) =>
    m?.tokenMs === null || m?.tokenMs === undefined || m.userinfoMs === null
      ? null
      : m.tokenMs + m.userinfoMs;
  const costs: JweLegResult['costs'] = legs
    .filter((l): l is typeof l & { leg: JweAlg } => l.leg !== 'plain')
    .map((l) => {
      const perRoundMs = Array.from({ length: spec.rounds }, (_, r) => {
        const mine = stages.find((s) => s.round === r + 1 && s.leg === l.leg)?.hubCpuMsPerLogin;
        const plain = stages.find((s) => s.round === r + 1 && s.leg === 'plain')?.hubCpuMsPerLogin;
        return mine === null || mine === undefined || plain === null || plain === undefined
          ? null
          : Number((mine - plain).toFixed(2));
      });
      const mine = requestsMs(l.metered);
      const plain = requestsMs(plainMetered);
      const inProcess = micro.perLogin.find((p) => p.alg === l.leg && p.key === l.key);
      const toMs = (us: number | null | undefined) =>
        us === null || us === undefined ? null : Number((us / 1000).toFixed(2));
      return {
        alg: l.leg,
        key: l.key,
        perRoundMs,
        msPerLogin: spread(perRoundMs),
        meteredMs: mine === null || plain === null ? null : Number((mine - plain).toFixed(2)),
        inProcessMs: toMs(inProcess?.cpuUs),
        inProcessColdMs: toMs(inProcess?.coldCpuUs),
      };
    });
  return {
    concurrency: spec.concurrency,
    rounds: spec.rounds,
    secondsPerWindow: spec.seconds,
    legs,
    costs,
    stages,
    micro,
    durationSeconds: Number(((performance.now() - began) / 1000).toFixed(1)),
  };
}
