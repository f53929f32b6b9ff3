// The Kv backends every Kv/adapter test runs on: memory always, Redis when REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMemoryKv, type Kv } from '../../../src/store/kv.ts';
import { createRedisKv } from '../../../src/store/kv-redis.ts';

export interface KvFixture {
  kv: Kv;
  /** Lets time pass: the fake clock for memory, a real wait for Redis. */
  advance(ms: number): Promise<void>;
  /** Kv plus a second client on the same store, as a second hub instance would have. */
  second(): Promise<Kv>;
  cleanup(): Promise<void>;
}

export interface KvBackend {
  name: string;
  open(): Promise<KvFixture>;
}

const randomPrefix = () => `relais:test:${randomBytes(6).toString('hex')}:`;

const memory: KvBackend = {
  name: 'memory',
  open: async () => {
    let clock = 1_700_000_000_000;
    const kv = createMemoryKv(randomPrefix(), () => clock);
    return {
      kv,
      advance: async (ms) => {
        clock += ms;
      },
      // One process: the same instance is the whole store.
      second: async () => kv,
      cleanup: () => kv.close(),
    };
  },
};

function redisBackend(url: string): KvBackend {
  return {
    name: 'redis',
    open: async () => {
      const prefix = randomPrefix();
      const opened: Kv[] = [await createRedisKv(url, prefix)];
      return {
        kv: opened[0]!,
        advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        second: async () => {
          const kv = await createRedisKv(url, prefix);
          opened.push(kv);
          return kv;
        },
        cleanup: async () => {
          await Promise.all(opened.map((kv) => kv.close()));
          const raw = new Redis(url);
          const keys = await raw.keys(`${prefix}*`);
          if (keys.length > 0) await raw.del(...keys);
          await raw.quit();
        },
      };
    },
  };
}

export const kvBackends: KvBackend[] = [
  memory,
  ...(process.env.REDIS_URL ? [redisBackend(process.env.REDIS_URL)] : []),
];
