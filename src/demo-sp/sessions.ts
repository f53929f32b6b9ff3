// Server-side session state, in memory: the browser only ever holds an opaque random id.
import { randomBytes } from 'node:crypto';

/** 256 random bits, base64url: unguessable, so the cookie needs no signature. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/** A Map whose entries expire, bounded so that a flood of /login cannot exhaust memory. */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(ttlMs: number, options: { maxEntries?: number; now?: () => number } = {}) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  set(key: string, value: V): void {
    this.#sweep();
    // Maps iterate in insertion order: the first key is the oldest entry.
    const oldest = this.#entries.keys().next();
    if (this.#entries.size >= this.#maxEntries && !oldest.done) this.#entries.delete(oldest.value);
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Get and delete: a one-time item is gone once read, so a replay finds nothing. */
  take(key: string): V | undefined {
    const value = this.get(key);
    this.#entries.delete(key);
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}

/**
 * Which session ids belong to a key (here the hub's `sid`, or the citizen's `sub`): what a
 * back-channel logout names, turned into this SP's sessions. An entry lives as long as a session
 * recorded under it would; ids of sessions ended meanwhile are the caller's to skip.
 */
export class SessionIndex {
  readonly #ids: ExpiringMap<Set<string>>;

  constructor(ttlMs: number, options: { maxEntries?: number; now?: () => number } = {}) {
    this.#ids = new ExpiringMap(ttlMs, options);
  }

  /** `isLive` prunes the ids already gone, so that one key's set cannot grow without end. */
  add(key: string, sessionId: string, isLive: (sessionId: string) => boolean): void {
    const ids = new Set([...(this.#ids.get(key) ?? [])].filter(isLive));
    ids.add(sessionId);
    // Deleted and set again: the entry lives as long as its newest session, and is the newest
    // when the map, full, drops its oldest.
    this.#ids.delete(key);
    this.#ids.set(key, ids);
  }

  get(key: string): string[] {
    return [...(this.#ids.get(key) ?? [])];
  }
}
