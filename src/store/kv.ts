// The short-lived store (Redis, or an in-process Map when REDIS_URL is unset). Every key has a TTL
// and a versioned prefix; one-time items are taken (GETDEL) so that a replay finds nothing. The
// interface and the in-process store are here; the Redis one, built on them, in kv-redis.ts.
import { RelaisError } from '../errors.ts';

export type ConsumeResult = 'ok' | 'missing' | 'already';

export interface Kv {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** GETDEL: the value once, then null. */
  take(key: string): Promise<string | null>;
  /**
   * Compare-and-set: replaces the value, keeping its TTL, only while it is still `expected` (the
   * value this caller read). false when another writer came first, or the key is gone.
   */
  swap(key: string, expected: string, value: string): Promise<boolean>;
  del(keys: string[]): Promise<void>;
  /** SADD, and the set's TTL grows to cover the member: never shortened. */
  addToSet(setKey: string, member: string, ttlSeconds: number): Promise<void>;
  members(setKey: string): Promise<string[]>;
  /**
   * Atomically sets `consumed` (epoch seconds) in the JSON object stored at key, keeping its TTL.
   * Exactly one of concurrent callers gets 'ok'.
   */
  consumeOnce(key: string): Promise<ConsumeResult>;
  /**
   * Adds each count to its counter (created at 0, kept ttlSeconds from its creation) and answers
   * every counter's new total, in order: the rate limits' shared counts (http/rate-limit.ts).
   */
  count(increments: ReadonlyArray<readonly [string, number]>, ttlSeconds: number): Promise<number[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_PREFIX = 'relais:v1:';

/** What the in-process store holds at most by default (MEMORY_STORE_BUDGET_MB). */
export const DEFAULT_MEMORY_BUDGET_BYTES = 256 * 1024 * 1024;

/** Every value must expire: a missing or zero TTL is a bug, not a default. */
export function assertTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`a TTL in seconds > 0 is required (got ${ttlSeconds})`);
  }
}

/** The in-memory rule of consumeOnce (Redis runs the same rule in Lua); null = already consumed. */
export function markConsumed(value: string, epochSeconds: number): string | null {
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('consumeOnce: the stored value is not a JSON object');
  }
  const item = parsed as Record<string, unknown>;
  if (item['consumed'] !== undefined && item['consumed'] !== null && item['consumed'] !== false) return null;
  return JSON.stringify({ ...item, consumed: epochSeconds });
}

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
  /** Estimated bytes held (key, value, overhead), counted against the budget. */
  size: number;
}

const SWEEP_EVERY_MS = 60_000;

/** A JS string is two bytes a character; a Map entry and its object cost about 100 more. */
const ENTRY_OVERHEAD = 100;
const sizeOf = (key: string, value: string | Set<string>) =>
  ENTRY_OVERHEAD +
  2 *
    (key.length +
      (typeof value === 'string' ? value.length : [...value].reduce((n, m) => n + m.length + 16, 0)));

/**
 * One process only (tests, the demo): expired keys behave as absent and are swept periodically.
 * It holds at most `budgetBytes` (estimated): a write that would grow it past fails with R5002 (a
 * 503 page: the hub is saturated), never with the process running out of memory; reads, deletes
 * and expiries go on, so it recovers as logins end.
 */
export function createMemoryKv(
  prefix: string = DEFAULT_PREFIX,
  now: () => number = Date.now,
  options: { budgetBytes?: number } = {},
): Kv {
  const budget = options.budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  const entries = new Map<string, Entry>();
  let used = 0;
  let lastFullSweep = Number.NEGATIVE_INFINITY;
  const remove = (fullKey: string) => {
    const entry = entries.get(fullKey);
    if (!entry) return;
    used -= entry.size;
    entries.delete(fullKey);
  };
  /** Stores (or replaces) an entry, unless that grows the store past its budget. */
  const put = (key: string, value: string | Set<string>, expiresAt: number) => {
    const fullKey = prefix + key;
    const size = sizeOf(fullKey, value);
    const previous = entries.get(fullKey)?.size ?? 0;
    // Full: expired entries may still hold room until the next sweep (swept now, once a second at most).
    if (size > previous && used - previous + size > budget && now() - lastFullSweep >= 1000) {
      lastFullSweep = now();
      sweepExpired();
    }
    if (size > previous && used - previous + size > budget) {
      throw new RelaisError('R5002', { detail: 'in-process store budget reached' });
    }
    used += size - previous;
    entries.set(fullKey, { value, expiresAt, size });
  };
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(prefix + key);
    if (entry && entry.expiresAt <= now()) {
      remove(prefix + key);
      return undefined;
    }
    return entry;
  };
  const liveString = (key: string): (Entry & { value: string }) | undefined => {
    const entry = live(key);
    if (entry && typeof entry.value !== 'string') throw new Error(`WRONGTYPE ${key} holds a set`);
    return entry as (Entry & { value: string }) | undefined;
  };
  function sweepExpired() {
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) remove(key);
  }
  const sweep = setInterval(sweepExpired, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    get: async (key) => liveString(key)?.value ?? null,
    set: async (key, value, ttlSeconds) => {
      assertTtl(ttlSeconds);
      put(key, value, now() + ttlSeconds * 1000);
    },
    take: async (key) => {
      const value = liveString(key)?.value ?? null;
      remove(prefix + key);
      return value;
    },
    swap: async (key, expected, value) => {
      const entry = liveString(key);
      if (entry?.value !== expected) return false;
      put(key, value, entry.expiresAt);
      return true;
    },
    del: async (keys) => {
      for (const key of keys) remove(prefix + key);
    },
    addToSet: async (setKey, member, ttlSeconds) => {
      assertTtl(ttlSeconds);
      const expiresAt = now() + ttlSeconds * 1000;
      const entry = live(setKey);
      if (!entry) {
        put(setKey, new Set([member]), expiresAt);
        return;
      }
      if (typeof entry.value === 'string') throw new Error(`WRONGTYPE ${setKey} holds a string`);
      if (entry.value.has(member)) {
        entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
        return;
      }
      put(setKey, new Set([...entry.value, member]), Math.max(entry.expiresAt, expiresAt));
    },
    members: async (setKey) => {
      const entry = live(setKey);
      if (entry && typeof entry.value === 'string') throw new Error(`WRONGTYPE ${setKey} holds a string`);
      return entry ? [...entry.value] : [];
    },
    consumeOnce: async (key) => {
      const entry = liveString(key);
      if (!entry) return 'missing';
      const marked = markConsumed(entry.value, Math.floor(now() / 1000));
      if (marked === null) return 'already';
      put(key, marked, entry.expiresAt);
      return 'ok';
    },
    count: async (increments, ttlSeconds) => {
      assertTtl(ttlSeconds);
      return increments.map(([key, by]) => {
        const entry = liveString(key);
        const total = Number(entry?.value ?? 0) + by;
        put(key, String(total), entry?.expiresAt ?? now() + ttlSeconds * 1000);
        return total;
      });
    },
    ping: async () => {},
    close: async () => {
      clearInterval(sweep);
      entries.clear();
      used = 0;
    },
  };
}
