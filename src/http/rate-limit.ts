// Abuse limits: so many requests per window per client address (the citizen's routes) and per
// client_id (the back channel), shared by every instance through the store, and decided without
// waiting for it. Each instance counts locally and adds its counts to the shared counters a few
// times a second (one pipelined write for every counter that moved), learning the totals of all
// instances in the same answer. A request is judged on the last known total plus what this
// instance counted since: no store round trip on any request, and a flood is seen by every
// instance within one flush (250 ms). If the store is down, each instance still limits on its own counts.
import type { Kv } from '../store/kv.ts';

export type LimitScope = 'address' | 'client';

export interface RateLimitSettings {
  windowSeconds: number;
  /** Requests per window; a scope absent from here is not limited. */
  limits: Partial<Record<LimitScope, number>>;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one request of this subject (an address, a client_id) and says whether it may go on. */
  take(scope: LimitScope, subject: string): Verdict;
  /** Whether this subject is over its limit, counting nothing. */
  peek(scope: LimitScope, subject: string): Verdict;
  /** Counts one request of this subject, judged before (peek) by the caller. */
  count(scope: LimitScope, subject: string): void;
  /** Sends what is counted and not yet shared (tests; the timer does it otherwise). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** How the counts are shared; absent = this process alone (the in-process store). */
export type SharedCounters = Pick<Kv, 'count'>;

export interface RateLimiterOptions extends RateLimitSettings {
  shared?: SharedCounters | undefined;
  /** How long counts wait before being shared; default 250 ms (at most 4 writes a second per instance). */
  flushMs?: number;
  now?: () => number;
  /** Called when sharing fails (the store is down): the limits hold per instance meanwhile. */
  onShareFailure?: (error: unknown) => void;
}

interface Counter {
  /** The shared total as last learned (every instance's counts, this one's included). */
  known: number;
  /** Counted here since the last flush. */
  pending: number;
}

/** Counters per window are bounded: past this many subjects, new ones share one overflow counter. */
export const MAX_SUBJECTS_PER_WINDOW = 200_000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const windowMs = options.windowSeconds * 1000;
  const flushMs = options.flushMs ?? 250;
  let window = Math.floor(now() / windowMs);
  let counters = new Map<string, Counter>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const rollOver = () => {
    const current = Math.floor(now() / windowMs);
    if (current !== window) {
      window = current;
      counters = new Map();
    }
  };

  const flush = async () => {
    timer = undefined;
    const shared = options.shared;
    if (!shared) return;
    const batchWindow = window;
    const batch = [...counters].filter(([, counter]) => counter.pending > 0);
    if (batch.length === 0) return;
    const sent = batch.map(([key, counter]) => {
      const count = counter.pending;
      counter.pending = 0;
      return [`rate:${batchWindow}:${key}`, count] as const;
    });
    try {
      // Kept past the window's end, so a late flush still lands in it.
      const totals = await shared.count(sent, options.windowSeconds * 2);
      if (batchWindow !== window) return;
      batch.forEach(([, counter], i) => {
        counter.known = Math.max(counter.known, totals[i] ?? 0);
      });
    } catch (error) {
      // Not shared: kept as this instance's own, so the local judgement still counts them.
      batch.forEach(([, counter], i) => {
        counter.known += sent[i]?.[1] ?? 0;
      });
      options.onShareFailure?.(error);
    }
  };

  const schedule = () => {
    if (timer || !options.shared) return;
    timer = setTimeout(() => {
      flushing = flushing.then(flush);
    }, flushMs);
    timer.unref();
  };

  /**
   * The subject's counter in this window. Past MAX_SUBJECTS_PER_WINDOW subjects (a flood from
   * very many addresses), every new one shares a single overflow counter: the table stays bounded
   * and the flood stays limited, while the subjects already known keep their own counts.
   */
  const counterOf = (scope: LimitScope, subject: string): Counter => {
    rollOver();
    const key = `${scope}:${subject}`;
    let counter = counters.get(key);
    if (counter) return counter;
    const overflow = `${scope}:overflow`;
    if (counters.size >= MAX_SUBJECTS_PER_WINDOW) counter = counters.get(overflow);
    if (!counter) {
      counter = { known: 0, pending: 0 };
      counters.set(counters.size >= MAX_SUBJECTS_PER_WINDOW ? overflow : key, counter);
    }
    return counter;
  };
  const judge = (counter: Counter, limit: number): Verdict => {
    if (counter.known + counter.pending < limit) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * windowMs - now()) / 1000)),
    };
  };
  const add = (counter: Counter) => {
    counter.pending += 1;
    schedule();
  };

  return {
    take(scope, subject) {
      const limit = options.limits[scope];
      if (limit === undefined) return { allowed: true };
      const counter = counterOf(scope, subject);
      const verdict = judge(counter, limit);
      if (verdict.allowed) add(counter);
      return verdict;
    },
    peek(scope, subject) {
      const limit = options.limits[scope];
      return limit === undefined ? { allowed: true } : judge(counterOf(scope, subject), limit);
    },
    count(scope, subject) {
      if (options.limits[scope] !== undefined) add(counterOf(scope, subject));
    },
    flush() {
      if (timer) clearTimeout(timer);
      flushing = flushing.then(flush);
      return flushing;
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flushing;
    },
  };
}
