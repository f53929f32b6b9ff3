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
