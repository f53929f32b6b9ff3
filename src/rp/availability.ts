// Measured IdP availability (issue 3 §2): every hub instance probes each active IdP in the
// background and hears about real logins that hit an outage, so the mire greys an IdP that is
// down ("Temporairement indisponible") and offers it again by itself once it answers.
// A per-instance cache of observations: no shared state, no I/O on a login's path.
import { z } from 'zod';
import type { IdentityProvider } from '../config/federation.ts';
import type { Registry } from '../store/registry-cache.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from './back-channel.ts';

export interface AvailabilityOptions {
  /** Which IdPs exist: the active ones are probed. */
  registry: Registry;
  intervalMs?: number;
  /** How often a greyed IdP is probed again; default 2 s. */
  recheckMs?: number;
  probeTimeoutMs?: number;
  /** Consecutive failed probes, or outage-type login failures within the window, that grey an IdP. */
  failuresToMarkDown?: number;
  loginFailureWindowMs?: number;
  /** Injectable (tests); the global fetch otherwise. */
  fetch?: typeof fetch;
  /** A probe reads no more of an answer than a login would (IDP_RESPONSE_MAX_BYTES). */
  maxResponseBytes?: number | undefined;
  /** Injectable clock for the login failure window. */
  now?: () => number;
  /** Called on every transition, never twice in a row with the same value (logs, metrics). */
  onChange?: (uid: string, available: boolean) => void;
}

export interface Availability {
  /** Unknown or never probed = available: the hub is optimistic until it has seen a failure. */
  isAvailable(uid: string): boolean;
  /** A real login failed on an outage (R2002): greys the IdP without waiting for a probe. */
  recordLoginFailure(uid: string): void;
  /** A real login went through: forgets the login failures (failing probes still count). */
  recordLoginSuccess(uid: string): void;
  /** One probe round over the active IdPs; never rejects. Joins a probe of an IdP still running. */
  probeNow(): Promise<void>;
  /** Probes at once, then every intervalMs; the timer does not keep the process alive. */
  start(): void;
  /** Stops the timer and abandons the probes in flight (their results are ignored). */
  stop(): void;
}

/**
 * Worst case to grey a dead IdP, counted from its last good probe:
 *   failuresToMarkDown × intervalMs + probeTimeoutMs   (a refused connection fails at once)
 * = 2 × 10 s + 3 s = 23 s with these defaults, under the 30 s of issue 3 §2.
 * Failed real logins grey it sooner. It comes back at the first good probe, a greyed IdP being
 * probed every recheckMs: ≤ recheckMs + answer.
 */
export const AVAILABILITY_DEFAULTS = {
  intervalMs: 10_000,
  probeTimeoutMs: 3_000,
  failuresToMarkDown: 2,
  loginFailureWindowMs: 60_000,
  recheckMs: 2_000,
} as const;

interface Observation {
  /** What isAvailable last answered: onChange fires when it flips. */
  down: boolean;
  failedProbes: number;
  /** The times of the last failuresToMarkDown outage-type login failures, oldest first. */
  failedLogins: number[];
}

export function createAvailability(options: AvailabilityOptions): Availability {
  const { intervalMs, probeTimeoutMs, failuresToMarkDown, loginFailureWindowMs } = settings(options);
  const recheckMs = options.recheckMs ?? AVAILABILITY_DEFAULTS.recheckMs;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const now = options.now ?? Date.now;
  const observations = new Map<string, Observation>();
  const inFlight = new Map<string, Promise<void>>();
  let stopping = new AbortController();
  let timer: ReturnType<typeof setInterval> | undefined;
  let recheck: ReturnType<typeof setInterval> | undefined;

  const observe = (uid: string): Observation => {
    let observation = observations.get(uid);
    if (!observation) {
      observation = { down: false, failedProbes: 0, failedLogins: [] };
      observations.set(uid, observation);
    }
    return observation;
  };

  // Derived on every read, so login failures that leave the window ungrey the IdP even without probes.
  const evaluate = (uid: string, observation: Observation): boolean => {
    const since = now() - loginFailureWindowMs;
    const recentLogins = observation.failedLogins.filter((at) => at > since).length;
    const down = observation.failedProbes >= failuresToMarkDown || recentLogins >= failuresToMarkDown;
    if (down !== observation.down) {
      observation.down = down;
      try {
        options.onChange?.(uid, !down);
      } catch {
        // A listener's bug must not break a probe round or a login.
      }
    }
    return !down;
  };

  const recordProbe = (uid: string, up: boolean): void => {
    const observation = observe(uid);
    if (up) {
      observation.failedProbes = 0;
      observation.failedLogins = [];
    } else {
      observation.failedProbes += 1;
    }
    evaluate(uid, observation);
  };

  const probeOne = (idp: IdentityProvider): Promise<void> => {
    const running = inFlight.get(idp.uid);
    if (running) return running;
    const stopped = stopping.signal;
    const signal = AbortSignal.any([AbortSignal.timeout(probeTimeoutMs), stopped]);
    // Each IdP's state is written when its own probe ends: a slow IdP never delays another.
    const run = probe(idp, fetchFn, maxBytes, signal)
      .then((up) => {
        if (!stopped.aborted) recordProbe(idp.uid, up);
      })
      .finally(() => {
        if (inFlight.get(idp.uid) === run) inFlight.delete(idp.uid);
      });
    inFlight.set(idp.uid, run);
    return run;
  };

  /** Only the IdPs greyed now (their probes are cheap: an IdP that refuses fails at once). */
  const probeDown = async (): Promise<void> => {
    const down = activeIdentityProviders(options.registry).filter((idp) => observations.get(idp.uid)?.down);
    await Promise.allSettled(down.map(probeOne));
  };

  const probeNow = async (): Promise<void> => {
    try {
      const active = activeIdentityProviders(options.registry);
      const uids = new Set(active.map((idp) => idp.uid));
      // An IdP that left the registry, or was deactivated, is forgotten: it starts afresh if it returns.
      for (const uid of observations.keys()) if (!uids.has(uid)) observations.delete(uid);
      await Promise.allSettled(active.map(probeOne));
    } catch {
      // A probe round never throws: the next one tries again.
    }
  };

  return {
    isAvailable(uid) {
      const observation = observations.get(uid);
      return observation ? evaluate(uid, observation) : true;
    },
    recordLoginFailure(uid) {
      const observation = observe(uid);
      observation.failedLogins = [...observation.failedLogins, now()].slice(-failuresToMarkDown);
      evaluate(uid, observation);
    },
    recordLoginSuccess(uid) {
      const observation = observations.get(uid);
      if (!observation) return;
      observation.failedLogins = [];
      evaluate(uid, observation);
    },
    probeNow,
    start() {
      if (timer) return;
      void probeNow();
      timer = setInterval(() => void probeNow(), intervalMs);
      timer.unref();
      // A greyed IdP is probed more often: it comes back within seconds of answering again.
      recheck = setInterval(() => void probeDown(), recheckMs);
      recheck.unref();
    },
    stop() {
      clearInterval(timer);
      clearInterval(recheck);
      timer = undefined;
      recheck = undefined;
      stopping.abort();
      stopping = new AbortController();
      inFlight.clear();
    },
  };
}

function settings(options: AvailabilityOptions) {
  const chosen = {
    intervalMs: options.intervalMs ?? AVAILABILITY_DEFAULTS.intervalMs,
    probeTimeoutMs: options.probeTimeoutMs ?? AVAILABILITY_DEFAULTS.probeTimeoutMs,
    failuresToMarkDown: options.failuresToMarkDown ?? AVAILABILITY_DEFAULTS.failuresToMarkDown,
    loginFailureWindowMs: options.loginFailureWindowMs ?? AVAILABILITY_DEFAULTS.loginFailureWindowMs,
  };
  for (const [name, value] of Object.entries(chosen)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`availability ${name} must be ≥ 1`);
  }
  return chosen;
}

function activeIdentityProviders(registry: Registry): IdentityProvider[] {
  return registry.identityProviders().filter((idp) => idp.active);
}

const discoverySchema = z.object({ issuer: z.string() });
const jwksSchema = z.object({ keys: z.array(z.unknown()) });

/**
 * Asks the IdP what a login needs from it first (as identity-providers.ts does): its discovery
 * document, or for an IdP with static endpoints (FC v1 style) its JWKS, else its authorization
 * endpoint. True when it answered well; never throws.
 */
async function probe(
  idp: IdentityProvider,
  fetchFn: typeof fetch,
  maxBytes: number,
  signal: AbortSignal,
): Promise<boolean> {
  // redirect: 'manual' as openid-client's discovery: a redirect there fails a login, so here too.
  const get = (url: string) =>
    fetchFn(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal });
  try {
    if (!(idp.authorization_endpoint && idp.token_endpoint && idp.userinfo_endpoint)) {
      const response = await get(discoveryUrl(idp.issuer));
      if (response.status !== 200) return discard(response);
      const metadata = discoverySchema.safeParse(await jsonCapped(response, maxBytes));
      // The same comparison as openid-client's discovery, so the probe fails when a login would.
      return metadata.success && new URL(metadata.data.issuer).href === new URL(idp.issuer).href;
    }
    if (idp.jwks_uri) {
      const response = await get(idp.jwks_uri);
      if (response.status !== 200) return discard(response);
      return jwksSchema.safeParse(await jsonCapped(response, maxBytes)).success;
    }
    const response = await get(idp.authorization_endpoint);
    await response.body?.cancel();
    // Without parameters an authorization endpoint answers 400 or a redirect: it is alive.
    return response.status < 500;
  } catch {
    return false;
  }
}

/** `{issuer}/.well-known/openid-configuration`, appended to the issuer's path (OIDC Discovery §4). */
function discoveryUrl(issuer: string): string {
  const url = new URL(issuer);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  return url.href;
}

async function discard(response: Response): Promise<false> {
  await response.body?.cancel();
  return false;
}

/** The answer as JSON, read up to the cap; past it (or not JSON) undefined, and the rest unread. */
async function jsonCapped(response: Response, maxBytes: number): Promise<unknown> {
  if (Number(response.headers.get('content-length')) > maxBytes) return discard(response);
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    length += read.value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(read.value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks, length).toString('utf8'));
  } catch {
    return undefined;
  }
}
