import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryKv, type Kv } from '../../../src/store/kv.ts';
import { createRedisKv } from '../../../src/store/kv-redis.ts';
import { freePort } from '../../support/net.ts';
import { type KvFixture, kvBackends } from './kv-backends.ts';

describe.each(kvBackends)('Kv on $name', (backend) => {
  let fx: KvFixture;
  let kv: Kv;
  beforeEach(async () => {
    fx = await backend.open();
    kv = fx.kv;
  });
  afterEach(() => fx.cleanup());

  it('returns a value until its TTL runs out, then behaves as absent', async () => {
    await kv.set('a', 'one', 1);
    expect(await kv.get('a')).toBe('one');
    await fx.advance(1200);
    expect(await kv.get('a')).toBeNull();
    expect(await kv.take('a')).toBeNull();
    expect(await kv.swap('a', 'one', 'two')).toBe(false);
    expect(await kv.get('a')).toBeNull();
  });

  it('refuses a value without a positive TTL', async () => {
    await expect(kv.set('a', 'one', 0)).rejects.toThrow(/TTL/);
    await expect(kv.set('a', 'one', -5)).rejects.toThrow(/TTL/);
    await expect(kv.addToSet('s', 'm', 0)).rejects.toThrow(/TTL/);
    expect(await kv.get('a')).toBeNull();
  });

  it('take() returns the value once, then null', async () => {
    await kv.set('tx', 'state', 60);
    expect(await kv.take('tx')).toBe('state');
    expect(await kv.take('tx')).toBeNull();
    expect(await kv.get('tx')).toBeNull();
  });

  it('concurrent take() hands the value to exactly one caller', async () => {
    await kv.set('tx', 'state', 60);
    const other = await fx.second();
    const results = await Promise.all([kv.take('tx'), other.take('tx'), kv.take('tx')]);
    expect(results.filter((r) => r === 'state')).toHaveLength(1);
  });

  it('swap() replaces the value it was given without extending its life', async () => {
    await kv.set('k', 'v1', 1);
    expect(await kv.swap('k', 'v1', 'v2')).toBe(true);
    expect(await kv.get('k')).toBe('v2');
    await fx.advance(1200);
    expect(await kv.get('k')).toBeNull();
  });

  it('swap() refuses when the value changed since it was read, or is missing', async () => {
    await kv.set('k', 'v1', 60);
    expect(await kv.swap('k', 'v0', 'v2')).toBe(false);
    expect(await kv.get('k')).toBe('v1');
    expect(await kv.swap('nope', 'v', 'w')).toBe(false);
    expect(await kv.get('nope')).toBeNull();
  });

  it('of concurrent swap() from one value, exactly one wins', async () => {
    await kv.set('k', 'v1', 60);
    const other = await fx.second();
    const results = await Promise.all([
      kv.swap('k', 'v1', 'a'),
      other.swap('k', 'v1', 'b'),
      kv.swap('k', 'v1', 'c'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('del() removes every key given and accepts an empty list', async () => {
    await kv.set('x', '1', 60);
    await kv.set('y', '2', 60);
    await kv.set('z', '3', 60);
    await kv.del([]);
    await kv.del(['x', 'y', 'missing']);
    expect([await kv.get('x'), await kv.get('y'), await kv.get('z')]).toEqual([null, null, '3']);
  });

  it('a set keeps its members and its TTL only grows', async () => {
    await kv.addToSet('s', 'long', 2);
    await kv.addToSet('s', 'short', 1);
    expect((await kv.members('s')).sort()).toEqual(['long', 'short']);
    await fx.advance(1300);
    // The 1 s member must not have shortened the set's 2 s life.
    expect((await kv.members('s')).sort()).toEqual(['long', 'short']);
    await fx.advance(1000);
    expect(await kv.members('s')).toEqual([]);
  });

  it("a set's TTL grows to cover a later, longer-lived member", async () => {
    await kv.addToSet('s', 'short', 1);
    await kv.addToSet('s', 'long', 2);
    await fx.advance(1300);
    expect((await kv.members('s')).sort()).toEqual(['long', 'short']);
    await fx.advance(1000);
    expect(await kv.members('s')).toEqual([]);
  });

  it('members() of a missing set is empty', async () => {
    expect(await kv.members('none')).toEqual([]);
  });

  it('consumeOnce() marks the JSON item consumed, keeps the rest and the TTL', async () => {
    await kv.set('code', JSON.stringify({ jti: 'c1', scope: 'openid', amr: [] }), 1);
    expect(await kv.consumeOnce('code')).toBe('ok');
    const item = JSON.parse((await kv.get('code')) ?? '{}');
    expect(item).toMatchObject({ jti: 'c1', scope: 'openid', amr: [] });
    expect(item.consumed).toEqual(expect.any(Number));
    expect(await kv.consumeOnce('code')).toBe('already');
    await fx.advance(1200);
    expect(await kv.consumeOnce('code')).toBe('missing');
  });

  it('consumeOnce() works on an empty object', async () => {
    await kv.set('e', '{}', 60);
    expect(await kv.consumeOnce('e')).toBe('ok');
    expect(Object.keys(JSON.parse((await kv.get('e')) ?? '{}'))).toEqual(['consumed']);
  });

  it('consumeOnce() refuses a value that is not a JSON object', async () => {
    await kv.set('s', '"text"', 60);
    await expect(kv.consumeOnce('s')).rejects.toThrow(/not a JSON object/);
  });

  it('two parallel consumeOnce() calls: exactly one gets ok', async () => {
    await kv.set('code', JSON.stringify({ jti: 'c2' }), 60);
    const other = await fx.second();
    const results = await Promise.all([kv.consumeOnce('code'), other.consumeOnce('code')]);
    expect(results.sort()).toEqual(['already', 'ok']);
  });

  it('count() adds to counters, answers their totals in order, and lets them expire', async () => {
    const { kv } = fx;
    expect(
      await kv.count(
        [
          ['c:a', 2],
          ['c:b', 1],
        ],
        10,
      ),
    ).toEqual([2, 1]);
    expect(
      await kv.count(
        [
          ['c:b', 5],
          ['c:a', 1],
        ],
        10,
      ),
    ).toEqual([6, 3]);
    // Counted from the creation: a later count does not extend the life.
    await fx.advance(6000);
    expect(await kv.count([['c:a', 1]], 10)).toEqual([4]);
    await fx.advance(4500);
    expect(await kv.count([['c:a', 1]], 10)).toEqual([1]);
  });

  it('ping() answers', async () => {
    await expect(kv.ping()).resolves.toBeUndefined();
  });
});

describe('Kv prefixes', () => {
  it('two prefixes on one memory store do not see each other', async () => {
    const a = createMemoryKv('a:');
    await a.set('k', 'v', 60);
    const b = createMemoryKv('b:');
    expect(await b.get('k')).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });

  it.runIf(process.env.REDIS_URL)('Redis keys carry the prefix', async () => {
    const url = process.env.REDIS_URL!;
    const prefix = `relais:test:${Date.now()}:`;
    const a = await createRedisKv(url, prefix);
    const b = await createRedisKv(url, `${prefix}other:`);
    await a.set('k', 'v', 60);
    expect(await b.get('k')).toBeNull();
    await a.del(['k']);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('createRedisKv', () => {
  it('fails with an error naming the host when Redis is unreachable', async () => {
    await expect(createRedisKv('redis://:hunter2-not-logged@127.0.0.1:1')).rejects.toThrow(
      /cannot connect to Redis at 127\.0\.0\.1:1/,
    );
    await createRedisKv('redis://:hunter2-not-logged@127.0.0.1:1').catch((error: Error) =>
      expect(error.message).not.toContain('hunter2'),
    );
  });
});

describe.runIf(process.env.REDIS_URL)('a Redis that goes away', () => {
  it('rejects count() once, leaving no rejection unhandled (the process must not die)', async () => {
    const port = await freePort('127.0.0.1');
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    try {
      let kv: Kv | undefined;
      for (let i = 0; i < 50 && !kv; i++) {
        kv = await createRedisKv(`redis://127.0.0.1:${port}`).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      if (!kv) throw new Error('the throwaway Redis did not start');
      expect(
        await kv.count(
          [
            ['c', 1],
            ['d', 2],
          ],
          10,
        ),
      ).toEqual([1, 2]);
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      await expect(
        kv.count(
          [
            ['c', 1],
            ['d', 1],
            ['e', 1],
          ],
          10,
        ),
      ).rejects.toThrow();
      await kv.close().catch(() => {});
    } finally {
      server.kill('SIGKILL');
    }
  });
});

describe('the in-process store’s budget', () => {
  it('makes room from expired entries before refusing, without waiting for the sweep', async () => {
    let clock = 1_700_000_000_000;
    // Two such entries fit, not three.
    const kv = createMemoryKv('budget:', () => clock, { budgetBytes: 3000 });
    const value = 'v'.repeat(500);
    await kv.set('short', value, 1);
    await kv.set('long', value, 60);
    await expect(kv.set('third', value, 60)).rejects.toMatchObject({ code: 'R5002' });
    clock += 2000;
    await kv.set('third', value, 60);
    expect(await kv.get('third')).toBe(value);
    await kv.close();
  });

  it('refuses a write that grows it past its budget (R5002), and takes writes again once room is freed', async () => {
    const kv = createMemoryKv('budget:', Date.now, { budgetBytes: 4096 });
    const value = 'v'.repeat(500);
    let stored = 0;
    await expect(
      (async () => {
        for (;;) {
          await kv.set(`k${stored}`, value, 60);
          stored += 1;
        }
      })(),
    ).rejects.toMatchObject({ code: 'R5002' });
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(5);
    // What is held stays readable; a smaller write over an existing key still passes.
    expect(await kv.get('k0')).toBe(value);
    await kv.set('k0', 'small', 60);
    await kv.del(['k1']);
    await kv.set('again', value, 60);
    expect(await kv.get('again')).toBe(value);
    await kv.close();
  });
});
