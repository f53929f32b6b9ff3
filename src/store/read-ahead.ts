// Read-ahead over a Kv: a caller that knows which keys a request will read next asks for them all
// at once (one round trip, the commands leaving in one write), and the later reads are served
// from those answers. oidc-provider reads a token, then its session, its grant and the identity
// sealed for it one after the other: three round trips become one.
//
// A prefetched answer serves one read only, and only within READ_AHEAD_MS of being asked for;
// any write to the key through this Kv drops it. What it can miss is a write made by another
// instance in that window, the same as if the read had simply happened a moment earlier.
import type { Kv } from './kv.ts';

export const READ_AHEAD_MS = 1000;
/** Prefetched answers never read are dropped past this many (and once older than the window). */
const MAX_PENDING = 10_000;

export interface ReadAheadKv extends Kv {
  /** Reads these keys now; the next get() of each, soon, is served from this read. */
  prefetch(keys: readonly string[]): void;
}

interface Pending {
  value: Promise<string | null>;
  at: number;
}

export function withReadAhead(kv: Kv, now: () => number = Date.now): ReadAheadKv {
  const pending = new Map<string, Pending>();
  const forget = (key: string) => pending.delete(key);
  const sweep = (at: number) => {
    // Insertion order is age order: stop at the first one still fresh.
    for (const [key, entry] of pending) {
      if (at - entry.at < READ_AHEAD_MS && pending.size <= MAX_PENDING) break;
      pending.delete(key);
    }
  };
  return {
    prefetch(keys) {
      const at = now();
      sweep(at);
      for (const key of keys) {
        if (pending.has(key)) continue;
        const value = kv.get(key);
        // A failed read-ahead fails nobody: the caller reads again.
        value.catch(() => forget(key));
        pending.set(key, { value, at });
      }
    },
    get(key) {
      const entry = pending.get(key);
      if (entry) {
        pending.delete(key);
        if (now() - entry.at < READ_AHEAD_MS) return entry.value.catch(() => kv.get(key));
      }
      return kv.get(key);
    },
    set(key, value, ttlSeconds) {
      forget(key);
      return kv.set(key, value, ttlSeconds);
    },
    take(key) {
      forget(key);
      return kv.take(key);
    },
    replaceKeepTtl(key, value) {
      forget(key);
      return kv.replaceKeepTtl(key, value);
    },
    del(keys) {
      for (const key of keys) forget(key);
      return kv.del(keys);
    },
    addToSet(setKey, member, ttlSeconds) {
      forget(setKey);
      return kv.addToSet(setKey, member, ttlSeconds);
    },
    members: (setKey) => kv.members(setKey),
    consumeOnce(key) {
      forget(key);
      return kv.consumeOnce(key);
    },
    ping: () => kv.ping(),
    close() {
      pending.clear();
      return kv.close();
    },
  };
}
