// bench/drill/report.ts: the figures of a fault (counts, in flight, recovery, what was lost) and
// the targets judged from them; bench/drill/checks.ts: what counts as lost data.
import { describe, expect, it } from 'vitest';
import { compareSnapshots, type DataSnapshot } from '../../bench/drill/checks.ts';
import type { LoginOutcome } from '../../bench/drill/citizen.ts';
import {
  count,
  judge,
  markdown,
  type PhaseInput,
  recoverySeconds,
  summarise,
  table,
} from '../../bench/drill/report.ts';

function login(
  startedAt: number,
  result: LoginOutcome['result'],
  extra: Partial<LoginOutcome> = {},
): LoginOutcome {
  return {
    result,
    kind:
      result === 'completed'
        ? 'completed'
        : result === 'clear'
          ? 'mire: no IdP offered (R2002)'
          : 'HTTP 502 at hub.authorize: a page without a way back',
    address: '127.0.0.20',
    startedAt,
    endedAt: startedAt + 500,
    sentToDeadIdp: false,
    sso: false,
    longestWaitMs: 40,
    ...extra,
  };
}

function phase(overrides: Partial<PhaseInput> = {}): PhaseInput {
  return {
    id: 'hub',
    title: 'One hub instance killed, then restarted',
    injection: 'hub B killed',
    injectedAt: 10_000,
    restoredAt: 20_000,
    endedAt: 30_000,
    logins: [login(5000, 'completed'), login(12_000, 'completed'), login(25_000, 'completed')],
    sessions: { mustSurvive: true, established: 0, during: [], after: [] },
    dataChanges: [],
    eventsNotStored: 0,
    front: { retried: 0, badGateway: 0 },
    crashes: [],
    notes: [],
    ...overrides,
  };
}

const sso = (startedAt: number) => login(startedAt, 'completed', { sso: true });

describe('recoverySeconds', () => {
  it('is 0 when every login completed', () => {
    expect(recoverySeconds([login(1, 'completed'), login(2, 'completed')], 10)).toBe(0);
  });

  it('counts from the restoration to the first completed login after the last failed one', () => {
    const logins = [
      login(9000, 'completed'),
      login(11_000, 'stranded'),
      login(21_000, 'clear'),
      login(22_500, 'completed'),
    ];
    expect(recoverySeconds(logins, 20_000)).toBe(2.5);
  });

  it('is 0 when logins completed again before the restoration (the other instance took over)', () => {
    expect(recoverySeconds([login(11_000, 'stranded'), login(12_000, 'completed')], 20_000)).toBe(0);
  });

  it('is null when no login completed after the last failed one', () => {
    expect(recoverySeconds([login(1000, 'completed'), login(25_000, 'stranded')], 20_000)).toBeNull();
  });
});

describe('summarise', () => {
  it('counts logins by how they ended', () => {
    expect(count([login(1, 'completed'), login(2, 'clear')])).toEqual({
      attempted: 2,
      completed: 1,
      clear: 1,
      stranded: 0,
    });
  });

  it('counts the logins in flight when the fault struck and those started during it', () => {
    const logins = [
      login(9_800, 'clear'), // in flight: started before, ended after the fault began
      login(8_000, 'completed'), // over before the fault
      login(15_000, 'stranded'),
      login(16_000, 'completed'),
      login(24_000, 'completed'),
    ];
    const summary = summarise(phase({ id: 'redis', logins }));
    expect(summary.all).toEqual({ attempted: 5, completed: 3, clear: 1, stranded: 1 });
    expect(summary.inFlight).toEqual({ attempted: 1, completed: 0, clear: 1, stranded: 0 });
    expect(summary.during).toEqual({ attempted: 2, completed: 1, clear: 0, stranded: 1 });
    expect(summary.endings).toEqual({
      'mire: no IdP offered (R2002)': 1,
      'HTTP 502 at hub.authorize: a page without a way back': 1,
    });
    expect(summary.firstFailureSeconds).toBe(0.3);
  });

  it('counts a hub session lost when a probe’s next login, during or after the fault, went through the mire', () => {
    const kept = summarise(
      phase({
        sessions: {
          mustSurvive: true,
          established: 2,
          during: [sso(15_000), sso(15_000)],
          after: [sso(31_000), sso(31_000)],
        },
      }),
    );
    expect(kept.lost).toEqual([]);
    const lost = summarise(
      phase({
        sessions: {
          mustSurvive: true,
          established: 2,
          during: [sso(15_000), login(15_000, 'completed')],
          after: [sso(31_000), sso(31_000)],
        },
      }),
    );
    expect(lost.lost).toEqual([
      '1 of 2 hub sessions (SSO) made before the fault did not work during it (1 did) or after it (2 did)',
    ]);
  });

  it('does not count sessions lost where they need not survive (a Redis without persistence)', () => {
    const summary = summarise(
      phase({
        id: 'redis',
        sessions: { mustSurvive: false, why: 'no persistence', established: 2, during: [], after: [] },
      }),
    );
    expect(summary.lost).toEqual([]);
  });
});

describe('judge', () => {
  it('meets every target of a fault that stranded nobody and lost nothing', () => {
    const targets = judge([summarise(phase())]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ['zero stranded citizens', true],
      ['zero lost data', true],
      ['no process crashes (the one the fault kills aside)', true],
      ['logins complete again once the fault is over', true],
    ]);
  });

  it('misses zero stranded, counting the probe citizens too, and says how they were stranded', () => {
    const summary = summarise(
      phase({
        logins: [login(12_000, 'stranded'), login(25_000, 'completed')],
        sessions: {
          mustSurvive: true,
          established: 1,
          during: [sso(15_000)],
          after: [login(31_000, 'stranded', { kind: 'no answer: timeout at hub.mire' })],
        },
      }),
    );
    const stranded = judge([summary]).find((t) => t.target === 'zero stranded citizens');
    expect(stranded?.met).toBe(false);
    expect(stranded?.detail).toBe(
      '2 stranded: 1× HTTP 502 at hub.authorize: a page without a way back; 1× no answer: timeout at hub.mire',
    );
  });

  it('misses zero lost data on a registry change and a crash on an unasked exit', () => {
    const targets = judge([
      summarise(
        phase({ dataChanges: ['signing_keys: 2 rows before, 1 after'], crashes: ['hub A: exit code 1'] }),
      ),
    ]);
    expect(targets.find((t) => t.target === 'zero lost data')?.met).toBe(false);
    expect(targets.find((t) => t.target.startsWith('no process crashes'))?.detail).toBe('hub A: exit code 1');
  });

  it('asks, during a Redis loss, that the logins in flight end on a clear page', () => {
    const logins = [login(9_800, 'stranded'), login(15_000, 'clear'), login(25_000, 'completed')];
    const target = judge([summarise(phase({ id: 'redis', logins }))]).find((t) =>
      t.target.startsWith('logins in flight'),
    );
    expect(target?.met).toBe(false);
    expect(target?.detail).toBe(
      '2 in flight or started during it: 0 completed, 1 on a clear page, 1 stranded',
    );
  });

  it('asks that every login started while PostgreSQL is down completes', () => {
    const judged = (logins: LoginOutcome[]) =>
      judge([summarise(phase({ id: 'postgres', logins }))]).find((t) => t.target.includes('registry cache'));
    expect(judged([login(12_000, 'completed'), login(13_000, 'completed')])?.met).toBe(true);
    expect(
      judged([login(12_000, 'completed'), login(13_000, 'clear'), login(25_000, 'completed')])?.met,
    ).toBe(false);
    expect(judged([login(25_000, 'completed')])?.met).toBe(false); // none started during it: nothing shown
  });

  it('asks that the flood be refused with Retry-After while the other addresses log in', () => {
    const flood = {
      address: '127.0.0.9',
      sent: 800,
      byStatus: { '303': 300, '429': 500 },
      tooMany: 500,
      withRetryAfter: 500,
      unanswered: 0,
      firstRefusalAt: 12_000,
      windows: [{ window: 1, accepted: 300, refused: 500 }],
    };
    const met = judge([summarise(phase({ id: 'flood', flood }))]).filter(
      (t) => t.phase === 'One hub instance killed, then restarted',
    );
    expect(met.find((t) => t.target.startsWith('the flood is refused'))?.met).toBe(true);
    expect(met.find((t) => t.target === 'other addresses keep logging in')?.met).toBe(true);
    const accepted = { ...flood, byStatus: { '303': 800 }, tooMany: 0, withRetryAfter: 0 };
    const missed = judge([summarise(phase({ id: 'flood', flood: accepted }))]);
    expect(missed.find((t) => t.target.startsWith('the flood is refused'))).toMatchObject({
      met: false,
      detail: '127.0.0.9: 800 requests, 0 answered 429 (0 with Retry-After); 800× 303',
    });
    const noRetryAfter = { ...flood, withRetryAfter: 499 };
    expect(
      judge([summarise(phase({ id: 'flood', flood: noRetryAfter }))]).find((t) =>
        t.target.startsWith('the flood'),
      )?.met,
    ).toBe(false);
  });
});

describe('the table', () => {
  it('has one row per fault, stranded and losses in bold', () => {
    const rows = table([
      summarise(phase()),
      summarise(
        phase({
          id: 'redis',
          title: 'Redis stopped, then restarted',
          logins: [login(12_000, 'stranded')],
          crashes: ['hub A: exit code 1'],
        }),
      ),
    ]);
    expect(rows[2]).toBe(
      '| One hub instance killed, then restarted | 3 | 3 | 0 | 0 | no interruption | nothing |',
    );
    expect(rows[3]).toBe(
      '| Redis stopped, then restarted | 1 | 0 | 0 | **1** | **not recovered** (**crashed: hub A: exit code 1**) | nothing |',
    );
  });

  it('counts the stranded SSO probes apart from the steady logins', () => {
    const stranded = login(31_000, 'stranded', { kind: 'no answer: timeout at hub.mire' });
    const [, , row] = table([
      summarise(phase({ sessions: { mustSurvive: false, established: 1, during: [], after: [stranded] } })),
    ]);
    expect(row).toBe(
      '| One hub instance killed, then restarted | 3 | 3 | 0 | **0** (+1 SSO probes) | no interruption | nothing |',
    );
  });

  it('goes into a markdown report that says how many targets were missed', () => {
    const phases = [summarise(phase({ logins: [login(12_000, 'stranded')] }))];
    const text = markdown({
      date: '2026-01-01T00:00:00.000Z',
      quick: true,
      durationSeconds: 90,
      setup: {},
      phases,
      targets: judge(phases),
      failedLogins: [],
      notes: [],
    });
    expect(text).toContain('**2 of 4 targets missed.**');
    expect(text).toContain('- 1× HTTP 502 at hub.authorize: a page without a way back');
  });
});

describe('compareSnapshots', () => {
  const before: DataSnapshot = {
    tables: { signing_keys: { rows: 2, digest: 'a' }, service_providers: { rows: 1, digest: 'b' } },
    jwks: { 'hub A': ['k1', 'k2'], 'hub B': ['k1', 'k2'] },
  };

  it('finds nothing when rows and published keys are the same', () => {
    expect(compareSnapshots(before, structuredClone(before))).toEqual([]);
  });

  it('names rows gone, rows altered, and an instance publishing other keys or none', () => {
    const after: DataSnapshot = {
      tables: { signing_keys: { rows: 1, digest: 'c' }, service_providers: { rows: 1, digest: 'z' } },
      jwks: { 'hub A': ['k1'], 'hub B': null },
    };
    expect(compareSnapshots(before, after)).toEqual([
      'signing_keys: 2 rows before, 1 after',
      'service_providers: rows altered',
      'hub A: publishes 1 keys, not the 2 published before',
      'hub B: /jwks did not answer',
    ]);
  });
});
