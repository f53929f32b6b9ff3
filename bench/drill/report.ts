// The drill's figures and judgement, from what each phase recorded: pure, so the unit tests can
// feed it outcomes (test/unit/drill-report.test.ts).
import type { LoginOutcome } from './citizen.ts';

export interface FloodTally {
  address: string;
  /** Requests sent (GET /authorize, no cookies), and how they were answered. */
  sent: number;
  byStatus: Record<string, number>;
  tooMany: number;
  /** 429s that carried a Retry-After (seconds or a date). */
  withRetryAfter: number;
  /** Requests that got no answer (refused, reset, timed out). */
  unanswered: number;
  /** Milliseconds on the drill's clock of the first 429, if any. */
  firstRefusalAt: number | null;
  /** Answers per rate-limit window (windows of the wall clock, as the hubs cut them), oldest first. */
  windows: Array<{ window: number; accepted: number; refused: number }>;
}

export interface SessionCheck {
  /** Whether SSO sessions made before the fault must still work during and after it. */
  mustSurvive: boolean;
  /** Why not, when they need not (Redis runs without persistence). */
  why?: string;
  /** Probe citizens whose first login completed: each holds a hub session. */
  established: number;
  /** Their next login, during the fault and after it. */
  during: LoginOutcome[];
  after: LoginOutcome[];
}

export interface PhaseInput {
  id: string;
  title: string;
  /** What was done, in a few words (`SIGKILL of redis-server, restarted 10 s later`). */
  injection: string;
  /** Milliseconds on the drill's clock. */
  injectedAt: number;
  restoredAt: number;
  endedAt: number;
  /** The steady logins started during the phase (the flood's requests are not logins). */
  logins: LoginOutcome[];
  sessions: SessionCheck;
  /** Registry rows and keys changed or gone (checks.ts compareSnapshots). */
  dataChanges: string[];
  /** Successful token requests the drill saw that the events table does not have; null when unknown. */
  eventsNotStored: number | null;
  flood?: FloodTally;
  front: { retried: number; badGateway: number };
  /** Processes that exited without being asked to (`hub A: exit code 1 at +2.3 s`). */
  crashes: string[];
  notes: string[];
}

export interface Counts {
  attempted: number;
  completed: number;
  clear: number;
  stranded: number;
}

export interface PhaseSummary {
  id: string;
  title: string;
  injection: string;
  faultSeconds: number;
  all: Counts;
  /** Started before the fault, ended after it began: the logins in flight when it struck. */
  inFlight: Counts;
  /** Started while the fault lasted. */
  during: Counts;
  /** Logins not completed, by how they ended. */
  endings: Record<string, number>;
  /** The stranded ones alone, the probe citizens' included. */
  strandedEndings: Record<string, number>;
  /** What the page said, the first time each ending was met. */
  samples: Record<string, string>;
  /** Where the ways back of the clear pages led. */
  wayBacks: Record<string, number>;
  sentToDeadIdp: number;
  /** Seconds after the restoration until logins completed again for good; 0 when none failed; null: never. */
  recoverySeconds: number | null;
  /** Seconds from the fault to the end of the first login that did not complete; null when none. */
  firstFailureSeconds: number | null;
  longestWaitMs: number;
  sessions: {
    mustSurvive: boolean;
    why?: string;
    established: number;
    /** Probes whose next login reused the hub session (no mire, no IdP). */
    ssoDuring: number;
    ssoAfter: number;
    /** Probe logins that ended stranded. */
    stranded: number;
  };
  /** Everything lost that should have survived, in words; empty: nothing. */
  lost: string[];
  eventsNotStored: number | null;
  flood?: FloodTally;
  front: { retried: number; badGateway: number };
  crashes: string[];
  notes: string[];
}

export interface Target {
  phase: string;
  target: string;
  met: boolean;
  detail: string;
}

export function count(logins: readonly LoginOutcome[]): Counts {
  return {
    attempted: logins.length,
    completed: logins.filter((l) => l.result === 'completed').length,
    clear: logins.filter((l) => l.result === 'clear').length,
    stranded: logins.filter((l) => l.result === 'stranded').length,
  };
}

/**
 * Recovery: once the last login that did not complete had started, how long after the restoration
 * the first login started that did complete. 0 when every login completed, or when logins
 * completed again before the restoration (the other instance took over); null when none did.
 */
export function recoverySeconds(logins: readonly LoginOutcome[], restoredAt: number): number | null {
  const failed = logins.filter((l) => l.result !== 'completed');
  if (failed.length === 0) return 0;
  const lastFailedStart = Math.max(...failed.map((l) => l.startedAt));
  const next = logins
    .filter((l) => l.result === 'completed' && l.startedAt > lastFailedStart)
    .reduce<number | null>((first, l) => (first === null || l.startedAt < first ? l.startedAt : first), null);
  if (next === null) return null;
  return Number((Math.max(0, next - restoredAt) / 1000).toFixed(1));
}

const tally = (keys: Array<string | undefined>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const key of keys) if (key !== undefined) out[key] = (out[key] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
};

export function summarise(phase: PhaseInput): PhaseSummary {
  const { logins, sessions } = phase;
  const notCompleted = logins.filter((l) => l.result !== 'completed');
  const failures = notCompleted.map((l) => l.endedAt);
  const reused = (list: LoginOutcome[]) => list.filter((l) => l.result === 'completed' && l.sso).length;
  const ssoAfter = reused(sessions.after);
  const ssoDuring = reused(sessions.during);
  const lost = [...phase.dataChanges];
  if (sessions.mustSurvive) {
    const gone = sessions.established - Math.min(ssoAfter, ssoDuring);
    if (gone > 0)
      lost.push(
        `${gone} of ${sessions.established} hub sessions (SSO) made before the fault did not work ` +
          `during it (${ssoDuring} did) or after it (${ssoAfter} did)`,
      );
  }
  return {
    id: phase.id,
    title: phase.title,
    injection: phase.injection,
    faultSeconds: Number(((phase.restoredAt - phase.injectedAt) / 1000).toFixed(1)),
    all: count(logins),
    inFlight: count(logins.filter((l) => l.startedAt < phase.injectedAt && l.endedAt >= phase.injectedAt)),
    during: count(logins.filter((l) => l.startedAt >= phase.injectedAt && l.startedAt <= phase.restoredAt)),
    endings: tally(notCompleted.map((l) => l.kind)),
    samples: Object.fromEntries(
      [...notCompleted, ...sessions.during, ...sessions.after]
        .filter((l) => l.detail)
        .reverse()
        .map((l) => [l.kind, l.detail as string]),
    ),
    strandedEndings: tally(
      [...logins, ...sessions.during, ...sessions.after]
        .filter((l) => l.result === 'stranded')
        .map((l) => l.kind),
    ),
    wayBacks: tally(logins.map((l) => l.wayBack)),
    sentToDeadIdp: logins.filter((l) => l.sentToDeadIdp).length,
    recoverySeconds: recoverySeconds(logins, phase.restoredAt),
    firstFailureSeconds:
      failures.length === 0 ? null : Number(((Math.min(...failures) - phase.injectedAt) / 1000).toFixed(1)),
    longestWaitMs: Math.max(0, ...logins.map((l) => l.longestWaitMs)),
    sessions: {
      mustSurvive: sessions.mustSurvive,
      ...(sessions.why ? { why: sessions.why } : {}),
      established: sessions.established,
      ssoDuring,
      ssoAfter,
      stranded: [...sessions.during, ...sessions.after].filter((l) => l.result === 'stranded').length,
    },
    lost,
    eventsNotStored: phase.eventsNotStored,
    ...(phase.flood ? { flood: phase.flood } : {}),
    front: phase.front,
    crashes: phase.crashes,
    notes: phase.notes,
  };
}

/** The issue's targets, per phase; a missed one makes the drill exit non-zero. */
export function judge(phases: readonly PhaseSummary[]): Target[] {
  const targets: Target[] = [];
  for (const p of phases) {
    const add = (target: string, met: boolean, detail: string) =>
      targets.push({ phase: p.title, target, met, detail });
    const stranded = p.all.stranded + p.sessions.stranded;
    add(
      'zero stranded citizens',
      stranded === 0,
      stranded === 0
        ? `${p.all.attempted} logins, none stranded`
        : `${stranded} stranded: ${Object.entries(p.strandedEndings)
            .map(([kind, n]) => `${n}× ${kind}`)
            .join('; ')}`,
    );
    add('zero lost data', p.lost.length === 0, p.lost.length === 0 ? 'nothing lost' : p.lost.join('; '));
    add(
      'no process crashes (the one the fault kills aside)',
      p.crashes.length === 0,
      p.crashes.length === 0 ? 'none' : p.crashes.join('; '),
    );
    add(
      'logins complete again once the fault is over',
      p.recoverySeconds !== null,
      p.recoverySeconds === null
        ? 'no login completed after the last failed one'
        : `${p.recoverySeconds} s after the restoration`,
    );
    if (p.id === 'redis') {
      const caught = sum(p.inFlight, p.during);
      add(
        'logins in flight during the Redis loss end on a clear page',
        caught.stranded === 0,
        `${caught.attempted} in flight or started during it: ${caught.completed} completed, ${caught.clear} on a clear page, ${caught.stranded} stranded`,
      );
    }
    if (p.id === 'postgres') {
      add(
        'the hub serves from its registry cache while PostgreSQL is down',
        p.during.attempted > 0 && p.during.completed === p.during.attempted,
        `${p.during.completed} of ${p.during.attempted} logins started during the outage completed`,
      );
    }
    if (p.id === 'flood' && p.flood) {
      const f = p.flood;
      add(
        'the flood is refused (429 with Retry-After)',
        f.tooMany > 0 && f.withRetryAfter === f.tooMany,
        `${f.address}: ${f.sent} requests, ${f.tooMany} answered 429 (${f.withRetryAfter} with Retry-After); ${statusList(f.byStatus)}`,
      );
      const share = p.all.attempted === 0 ? 0 : p.all.completed / p.all.attempted;
      add(
        'other addresses keep logging in',
        p.all.attempted > 0 && share >= 0.95 && p.all.stranded === 0,
        `${p.all.completed} of ${p.all.attempted} logins from other addresses completed`,
      );
    }
  }
  return targets;
}

function sum(a: Counts, b: Counts): Counts {
  return {
    attempted: a.attempted + b.attempted,
    completed: a.completed + b.completed,
    clear: a.clear + b.clear,
    stranded: a.stranded + b.stranded,
  };
}

function statusList(byStatus: Record<string, number>): string {
  const entries = Object.entries(byStatus).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'no answer at all' : entries.map(([s, n]) => `${n}× ${s}`).join(', ');
}

export interface DrillReport {
  date: string;
  quick: boolean;
  durationSeconds: number;
  setup: Record<string, string | number>;
  phases: PhaseSummary[];
  targets: Target[];
  /** Non-completed logins, one line each, for the evidence. */
  failedLogins: Array<LoginOutcome & { phase: string }>;
  notes: string[];
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function recoveredCell(p: PhaseSummary): string {
  const crashed = p.crashes.length ? ` (**crashed: ${p.crashes.join('; ')}**)` : '';
  if (p.recoverySeconds === null) return `**not recovered**${crashed}`;
  if (p.all.attempted === p.all.completed) return `no interruption${crashed}`;
  return `${p.recoverySeconds} s${crashed}`;
}

function lostCell(p: PhaseSummary): string {
  const lost = p.lost.length === 0 ? 'nothing' : `**${p.lost.join('; ')}**`;
  return p.eventsNotStored ? `${lost} (${p.eventsNotStored} business events not stored)` : lost;
}

/** The README's table: one row per fault. */
export function table(phases: readonly PhaseSummary[]): string[] {
  return [
    '| Fault | Logins attempted | Completed | Clear page, way back | Stranded | Recovered after restoration | Lost |',
    '|---|---:|---:|---:|---:|---|---|',
    ...phases.map((p) => {
      const probes = p.sessions.stranded ? ` (+${p.sessions.stranded} SSO probes)` : '';
      const stranded = p.all.stranded + p.sessions.stranded === 0 ? '0' : `**${p.all.stranded}**${probes}`;
      return `| ${cell(p.title)} | ${p.all.attempted} | ${p.all.completed} | ${p.all.clear} | ${stranded} | ${recoveredCell(p)} | ${cell(lostCell(p))} |`;
    }),
  ];
}

export function markdown(report: DrillReport): string {
  const missed = report.targets.filter((t) => !t.met);
  const lines = [
    `# npm run drill — ${report.date}${report.quick ? ' (--quick)' : ''}`,
    '',
    ...Object.entries(report.setup).map(([k, v]) => `- ${k}: ${v}`),
    '',
    ...table(report.phases),
    '',
    missed.length === 0
      ? `**Every target met** (${report.targets.length}).`
      : `**${missed.length} of ${report.targets.length} targets missed.**`,
    '',
    '| Fault | Target | Met | Detail |',
    '|---|---|---|---|',
    ...report.targets.map(
      (t) => `| ${cell(t.phase)} | ${t.target} | ${t.met ? 'yes' : '**no**'} | ${cell(t.detail)} |`,
    ),
  ];
  for (const p of report.phases) {
    lines.push('', `## ${p.title}`, '', `${p.injection} (fault lasted ${p.faultSeconds} s).`, '');
    lines.push(
      `- In flight when it struck: ${describe(p.inFlight)}; started during it: ${describe(p.during)}.`,
      `- First login that did not complete: ${p.firstFailureSeconds === null ? 'none' : `ended ${p.firstFailureSeconds} s after the fault began`}; longest single wait for an answer ${(p.longestWaitMs / 1000).toFixed(1)} s.`,
    );
    for (const [kind, n] of Object.entries(p.endings))
      lines.push(`- ${n}× ${kind}${p.samples[kind] ? ` — the page said: “${p.samples[kind]}”` : ''}`);
    if (Object.keys(p.wayBacks).length)
      lines.push(
        `- Ways back followed: ${Object.entries(p.wayBacks)
          .map(([where, n]) => `${n}× ${where}`)
          .join(', ')}`,
      );
    if (p.sentToDeadIdp)
      lines.push(`- ${p.sentToDeadIdp} citizens were sent to an IdP that did not answer, and went back.`);
    const s = p.sessions;
    lines.push(
      `- Hub sessions (SSO) made before: ${s.established}; reused during the fault ${s.ssoDuring}, after it ${s.ssoAfter}` +
        (s.mustSurvive ? '' : ` (not expected to survive: ${s.why ?? 'see notes'})`) +
        '.',
    );
    if (p.flood) {
      const f = p.flood;
      lines.push(
        `- Flood from ${f.address}: ${f.sent} requests; ${statusList(f.byStatus)}; ${f.unanswered} unanswered; 429 with Retry-After: ${f.withRetryAfter}. Per rate-limit window: ${f.windows
          .map((w) => `${w.accepted} accepted / ${w.refused} refused`)
          .join(', ')}.`,
      );
    }
    for (const crash of p.crashes)
      lines.push(`- **Crashed**: ${crash} (restarted by the drill after the phase, as a supervisor would).`);
    if (p.front.retried || p.front.badGateway)
      lines.push(
        `- Front: ${p.front.retried} requests retried on the other instance, ${p.front.badGateway} answered 502.`,
      );
    if (p.eventsNotStored !== null)
      lines.push(
        `- Business events: ${p.eventsNotStored} successful token requests missing from the events table.`,
      );
    for (const note of p.notes) lines.push(`- ${note}`);
  }
  if (report.notes.length) lines.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

function describe(c: Counts): string {
  return c.attempted === 0
    ? 'none'
    : `${c.attempted} (${c.completed} completed, ${c.clear} clear page, ${c.stranded} stranded)`;
}
