// Read-ahead over a Kv: a request that knows which keys it will read next asks for them all at
// once (one round trip, the commands leaving in one write), and its later reads are served from
// those answers. oidc-provider reads a token, then its session, its grant and the identity sealed
// for it one after the other: three round trips become one.
//
// A prefetched answer belongs to the request that asked for it (its scope: oidc-provider's
// request context), serves one read, only within READ_AHEAD_MS, and is dropped when that request
// writes the key. Another request never sees it: what a request reads ahead is what it would have
// read a moment later, never an answer older than the request itself.
import type { Kv } from './kv.ts';

export const READ_AHEAD_MS = 1000;

export interface ReadAheadKv extends Kv {
  /** Reads these keys now, for the current request; no-op outside one. */
  prefetch(keys: readonly string[]): void;
}

export interface ReadAheadOptions {
  /** The current request (an object that lives as long as it), or undefined outside one. */
  scope: () => object | undefined;
  now?: () => number;
}

interface Pending {
  value: Promise<string | null>;
  at: number;
}

export function withReadAhead(kv: Kv, options: ReadAheadOptions): ReadAheadKv {
  const now = options.now ?? (() => performance.now());
  // Per request, gone with it: nothing to sweep.
  const byScope = new WeakMap<object, Map<string, Pending>>();
  const pendingHere = (create: boolean): Map<string, Pending> | undefined => {
    const scope = options.scope();
    if (!scope) return undefined;
    let pending = byScope.get(scope);
    if (!pending && create) {
      pending = new Map();
      byScope.set(scope, pending);
    }
    return pending;
  };
  const forget = (key: string) => pendingHere(false)?.delete(key);
  return {
    prefetch(keys) {
      const pending = pendingHere(true);
      if (!pending) return;
      const at = now();
      for (const key of keys) {
        const value = kv.get(key);
        // A failed read-ahead fails nobody: the reader reads again.
        value.catch(() => {});
        pending.set(key, { value, at });
      }
    },
    get(key) {
      const pending = pendingHere(false);
      const entry = pending?.get(key);
      if (entry) {
        pending?.delete(key);
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
    swap(key, expected, value) {
      forget(key);
      return kv.swap(key, expected, value);
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
    count: (increments, ttlSeconds) => kv.count(increments, ttlSeconds),
    ping: () => kv.ping(),
    close: () => kv.close(),
  };
}
