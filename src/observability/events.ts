// The closed list of business events (FranceConnect's tracking): one per step of a login or a
// logout. Each is logged as JSON and handed to a sink (the PostgreSQL `events` table) in batches,
// off the login's path. An event carries ids only: never identité pivot data; a `sub` or a session
// id is hashed (hashId) before it gets here.
import { createHash } from 'node:crypto';

export const EVENT_NAMES = [
  /** oidc-provider accepted or refused an SP's authorization request (errorCode when refused). */
  'authorize.received',
  'mire.shown',
  /** ProConnect: the agent's email routed the login (data.outcome: domain, several, fallback, none, public_only, typo). */
  'email.routed',
  'idp.chosen',
  /** The IdP called back and the hub redeemed its code and read its userinfo (data.ms: that call). */
  'idp.callback',
  /** The IdP's side failed (callback error, outage, invalid identity): back to the mire. */
  'idp.failed',
  /** The identité pivot passed validation. */
  'identity.verified',
  'consent.shown',
  'consent.given',
  /** A code (or an error) left for the SP's redirect_uri. */
  'sp.redirected',
  /** The login ended with an error sent to the SP. */
  'login.failed',
  'sp.token',
  'sp.userinfo',
  'logout.started',
  'logout.idp_redirected',
  'logout.completed',
  /** A hub session ended without a logout (data.reason: expired, or revoked by an operator). */
  'session.ended',
  /** A logout_token sent to an SP (data.reason, outcome delivered or failed, attempts, status, ms). */
  'logout.backchannel',
] as const;

export type EventName = (typeof EVENT_NAMES)[number];

/** Only scalars: no nested object can smuggle claims in. */
export type EventData = Record<string, string | number | boolean>;

export interface BusinessEvent {
  name: EventName;
  clientId?: string | undefined;
  idpUid?: string | undefined;
  acr?: string | undefined;
  interactionId?: string | undefined;
  /** Already hashed (hashId). */
  sessionId?: string | undefined;
  errorCode?: string | undefined;
  data?: EventData | undefined;
}

export interface StoredEvent extends BusinessEvent {
  at: Date;
}

export interface Events {
  /** Never throws, never waits: the login goes on whatever happens to the event. */
  emit(event: BusinessEvent): void;
  /** Listeners (metrics) see every event synchronously; a listener's error is swallowed. */
  subscribe(listener: (event: BusinessEvent) => void): void;
  /** Writes what is queued; resolves when the sink has it (or failed, logged). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

export interface EventLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  /** pino's: the event's log line is not even built when `info` is off. */
  isLevelEnabled?(level: string): boolean;
}

export interface EventsOptions {
  log: EventLog;
  /** Where batches go (the `events` table); absent = logged only. */
  sink?: ((events: StoredEvent[]) => Promise<void>) | undefined;
  /** Batch cadence; default 1000 ms. A batch also leaves at once when it reaches maxBatch. */
  flushMs?: number;
  maxBatch?: number;
  /** Events kept while the sink fails (PostgreSQL down), retried at each flush; default 50,000. */
  maxPending?: number;
  onSinkError?: (error: unknown) => void;
  /** Added to every event's data: the profile a hub instance serves (ProConnect's events). */
  stamp?: EventData;
}

/** sha256, 16 hex characters: enough to correlate, nothing to recover. */
export function hashId(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** Rows an insert carries at most. */
const SINK_BATCH = 1000;

export function createEvents(options: EventsOptions): Events {
  const { log, sink } = options;
  const maxBatch = options.maxBatch ?? 100;
  const maxPending = options.maxPending ?? 50_000;
  const listeners: Array<(event: BusinessEvent) => void> = [];
  const queue: StoredEvent[] = [];
  let writing: Promise<void> = Promise.resolve();

  let warnedAt = Number.NEGATIVE_INFINITY;
  /** The last insert failed: only the timer retries (a burst of events does not hammer it). */
  let failing = false;
  const flush = (): Promise<void> => {
    if (!sink || queue.length === 0) return writing;
    // One batch at a time, in order: the table's ids follow the steps. Taken when its turn comes
    // (a failed one goes back to the front), at most SINK_BATCH rows an insert (PostgreSQL takes
    // 65,535 parameters a query).
    writing = writing.then(() => {
      const batch = queue.splice(0, SINK_BATCH);
      if (batch.length === 0) return;
      return sink(batch).then(
        () => {
          failing = false;
          // Catching up after an outage: the next batch at once.
          if (queue.length >= maxBatch) void flush();
        },
        (error: unknown) => {
          failing = true;
          options.onSinkError?.(error);
          // PostgreSQL down for a while: the batch waits for the next flush, ahead of the newer
          // events, up to maxPending; past it the oldest go (said in the log), never the process.
          queue.unshift(...batch);
          const lost = Math.max(0, queue.length - maxPending);
          if (lost) queue.splice(0, lost);
          if (lost || Date.now() - warnedAt > 60_000) {
            warnedAt = Date.now();
            log.warn({ err: describe(error), pending: queue.length, lost }, 'business events not stored yet');
          }
        },
      );
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();

  return {
    emit(given) {
      try {
        const event = options.stamp ? { ...given, data: { ...options.stamp, ...given.data } } : given;
        const stored: StoredEvent = { ...event, at: new Date() };
        if (log.isLevelEnabled?.('info') ?? true)
          log.info({ event: withoutUndefined(event) }, `event ${event.name}`);
        for (const listener of listeners) {
          try {
            listener(event);
          } catch {
            // A metric's bug must not break a login.
          }
        }
        if (!sink) return;
        queue.push(stored);
        if (queue.length >= maxBatch && !failing) void flush();
      } catch {
        // Never on the login's path.
      }
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
      // Still failing at the end: what is left goes with the process.
      if (sink && queue.length) log.warn({ lost: queue.length }, 'business events not stored');
    },
  };
}

function withoutUndefined(event: BusinessEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined));
}

function describe(error: unknown) {
  return error instanceof Error ? { name: error.name, message: error.message } : String(error);
}
