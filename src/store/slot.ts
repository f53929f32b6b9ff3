// Typed store slots: each key prefix has one schema and one TTL rule, and what is read back is
// parsed, never cast. What the hub keeps about a citizen is sealed (store/seal.ts) under its key.
import type { z } from 'zod';
import type { Kv } from './kv.ts';
import { seal, unseal } from './seal.ts';

/** What a slot holds under one key prefix. */
export interface SlotSpec<T> {
  /** The key prefix, `<prefix>:<id>`. */
  prefix: string;
  schema: z.ZodType<T>;
  /** How long a value lives, in seconds: one rule per prefix. */
  ttl(value: T): number;
  /**
   * Sealed with the encryption key (anything about a citizen), or plain JSON; per value where a
   * record keeps nothing of the citizen in some states. A plain value is only ever accepted where
   * this says it may be plain.
   */
  sealed: boolean | ((value: T) => boolean);
}

/** A value as read, with the stored form a compare-and-set compares against. */
export interface Stored<T> {
  value: T;
  raw: string;
}

export interface Slot<T> {
  key(id: string): string;
  /** The stored form of a value, for a write that rides with another (oidc-adapter's companions). */
  encode(id: string, value: T): string;
  read(id: string): Promise<Stored<T> | undefined>;
  get(id: string): Promise<T | undefined>;
  put(id: string, value: T): Promise<void>;
  /** One-time read: the value is gone afterwards. */
  take(id: string): Promise<T | undefined>;
  /** Replaces `previous` (keeping its TTL) unless another writer replaced it first: false then. */
  swap(id: string, previous: Stored<T>, next: T): Promise<boolean>;
  del(ids: readonly string[]): Promise<void>;
}

/** A stored value that does not fit its schema is a bug or a foreign writer: never used as is. */
export class StoredValueError extends Error {
  constructor(prefix: string, cause: unknown) {
    super(`the value stored under ${prefix}: does not match its schema`, { cause });
    this.name = 'StoredValueError';
  }
}

export function createSlot<T>(kv: Kv, encryptionKey: Buffer, spec: SlotSpec<T>): Slot<T> {
  if (encryptionKey.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const key = (id: string) => `${spec.prefix}:${id}`;
  const sealed = (value: T) => (typeof spec.sealed === 'function' ? spec.sealed(value) : spec.sealed);
  const encode = (id: string, value: T) =>
    sealed(value) ? seal(encryptionKey, key(id), value) : JSON.stringify(value);
  const decode = (id: string, raw: string): T => {
    // A sealed value is base64url: it never starts with the brace of a JSON object.
    const plain = raw.startsWith('{');
    const parsed = spec.schema.safeParse(plain ? JSON.parse(raw) : unseal(encryptionKey, key(id), raw));
    if (!parsed.success) throw new StoredValueError(spec.prefix, parsed.error);
    if (plain && sealed(parsed.data)) throw new StoredValueError(spec.prefix, 'stored plain, must be sealed');
    return parsed.data;
  };
  return {
    key,
    encode,
    async read(id) {
      const raw = await kv.get(key(id));
      return raw === null ? undefined : { value: decode(id, raw), raw };
    },
    async get(id) {
      const raw = await kv.get(key(id));
      return raw === null ? undefined : decode(id, raw);
    },
    put: (id, value) => kv.set(key(id), encode(id, value), spec.ttl(value)),
    async take(id) {
      const raw = await kv.take(key(id));
      return raw === null ? undefined : decode(id, raw);
    },
    swap: (id, previous, next) => kv.swap(key(id), previous.raw, encode(id, next)),
    del: (ids) => kv.del(ids.map(key)),
  };
}
