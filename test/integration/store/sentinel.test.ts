// REDIS_URL may name Redis Sentinels instead of a server: the Kv finds the master through them.
// Runs a real sentinel (redis-server --sentinel) watching the local Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kv } from '../../../src/store/kv.ts';
import { createRedisKv, redisConnection } from '../../../src/store/kv-redis.ts';
import { freePort } from '../../support/net.ts';

describe('Redis Sentinel URLs', () => {
  it('name the sentinels, the master and the password', () => {
    expect(redisConnection('redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/relais-master')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
      ],
      name: 'relais-master',
      password: 's3cret',
    });
    expect(redisConnection('redis://127.0.0.1:6379')).toEqual({ url: 'redis://127.0.0.1:6379' });
  });
});

const redisUrl = process.env.REDIS_URL;

describe.runIf(redisUrl?.startsWith('redis://'))('a Kv through a real sentinel', () => {
  let sentinel: ChildProcess | undefined;
  let dir = '';
  let port = 0;
  let kv: Kv | undefined;

  beforeAll(async () => {
    const master = new URL(redisUrl as string);
    port = await freePort('127.0.0.1');
    dir = await mkdtemp(join(tmpdir(), 'relais-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      `port ${port}\nbind 127.0.0.1\nsentinel monitor relais ${master.hostname} ${master.port || 6379} 1\n`,
    );
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    const started = Date.now();
    for (;;) {
      try {
        kv = await createRedisKv(
          `redis+sentinel://127.0.0.1:${port}/relais`,
          `relais:test:${randomBytes(4).toString('hex')}:`,
        );
        break;
      } catch (error) {
        if (Date.now() - started > 5000) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  afterAll(async () => {
    await kv?.close();
    sentinel?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('stores and takes values on the master the sentinel names', async () => {
    await kv?.set('k', 'v', 10);
    expect(await kv?.take('k')).toBe('v');
    expect(await kv?.take('k')).toBeNull();
  });
});
