// The drill's traffic: logins started at a steady rate (an open loop: a fault does not slow the
// arrivals down, as citizens do not wait for each other), spread over several loopback addresses;
// and a flood of authorization requests from one address.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, fetch } from 'undici';
import type { LoginOutcome } from './citizen.ts';
import type { FloodTally } from './report.ts';

export interface SteadyLoad {
  /** Stops starting logins, and resolves with every outcome once those in flight have ended. */
  stop(): Promise<LoginOutcome[]>;
  /** Logins not started because `cap` were already in flight. */
  readonly skipped: number;
}

export function steadyLoad(options: {
  rate: number;
  addresses: readonly string[];
  /** Logins in flight at most (a hung hub must not make the driver start thousands). */
  cap: number;
  login: (address: string) => Promise<LoginOutcome>;
}): SteadyLoad {
  const outcomes: LoginOutcome[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;
  let skipped = 0;
  const loop = (async () => {
    const began = performance.now();
    const interval = 1000 / options.rate;
    for (let i = 0; !stopped; i += 1) {
      const wait = began + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) break;
      if (running.size >= options.cap) {
        skipped += 1;
        continue;
      }
      const address = options.addresses[i % options.addresses.length] ?? '127.0.0.1';
      const one: Promise<void> = options
        .login(address)
        .then((outcome) => void outcomes.push(outcome))
        .finally(() => running.delete(one));
      running.add(one);
    }
  })();
  return {
    get skipped() {
      return skipped;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(running);
      return outcomes.sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}

export interface Flood {
  stop(): Promise<FloodTally>;
}

/** GET /authorize as fast as `rate` allows from one address, no cookies, redirects not followed. */
export function flood(options: {
  address: string;
  /** The hubs' RATE_LIMIT_WINDOW_SECONDS: answers are tallied per window. */
  windowSeconds: number;
  agent: Agent;
  rate: number;
  concurrency: number;
  url: () => Promise<URL>;
  now: () => number;
}): Flood {
  const tally: FloodTally = {
    address: options.address,
    sent: 0,
    byStatus: {},
    tooMany: 0,
    withRetryAfter: 0,
    unanswered: 0,
    firstRefusalAt: null,
    windows: [],
  };
  const inWindow = () => {
    const window = Math.floor(Date.now() / (options.windowSeconds * 1000));
    let entry = tally.windows.find((w) => w.window === window);
    if (!entry) {
      entry = { window, accepted: 0, refused: 0 };
      tally.windows.push(entry);
    }
    return entry;
  };
  const running = new Set<Promise<void>>();
  let stopped = false;
  const one = async () => {
    tally.sent += 1;
    try {
      const response = await fetch(await options.url(), {
        redirect: 'manual',
        dispatcher: options.agent,
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      const status = String(response.status);
      tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
      if (response.status === 429) inWindow().refused += 1;
      else inWindow().accepted += 1;
      if (response.status === 429) {
        tally.tooMany += 1;
        tally.firstRefusalAt ??= options.now();
        if (response.headers.get('retry-after')) tally.withRetryAfter += 1;
      }
    } catch {
      tally.unanswered += 1;
    }
  };
  const loop = (async () => {
    const began = performance.now();
    const interval = 1000 / options.rate;
    for (let i = 0; !stopped; i += 1) {
      const wait = began + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped || running.size >= options.concurrency) continue;
      const request: Promise<void> = one().finally(() => running.delete(request));
      running.add(request);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(running);
      return tally;
    },
  };
}
