// REDIS_URL may name a Redis Cluster (redis+cluster://h1:p1,h2:p2): the Kv works across slots.
// Starts a real three-node cluster (redis-server --cluster-enabled) for the test.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kv } from '../../../src/store/kv.ts';
import { clusterNodes, createRedisKv } from '../../../src/store/kv-redis.ts';
import { freePort } from '../../support/net.ts';

describe('Redis Cluster URLs', () => {
  it('name the seed nodes', () => {
    expect(clusterNodes('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(clusterNodes('redis://127.0.0.1:6379')).toBeUndefined();
  });
});

const hasRedis = spawnSync('redis-server', ['--version']).status === 0 && Boolean(process.env.REDIS_URL);

describe.runIf(hasRedis)('a Kv on a real three-node Redis Cluster', () => {
  const servers: ChildProcess[] = [];
  let dir = '';
  let kv: Kv | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relais-cluster-'));
    const ports: number[] = [];
    for (let i = 0; i < 3; i += 1) ports.push(await freePort('127.0.0.1'));
    for (const port of ports) {
      servers.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout} ${created.stderr}`);
    const started = Date.now();
    for (;;) {
      const info = spawnSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], {
        encoding: 'utf8',
      }).stdout;
      if (info.includes('cluster_state:ok')) break;
      if (Date.now() - started > 10_000) throw new Error('cluster never became ok');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    kv = await createRedisKv(
      `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
      `relais:test:${randomBytes(4).toString('hex')}:`,
    );
  }, 30_000);

  afterAll(async () => {
    await kv?.close();
    for (const server of servers) server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rm(dir, { recursive: true, force: true });
  });

  it('sets, takes and deletes keys spread over several slots', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    for (const key of keys) await kv?.set(key, key, 30);
    expect(await kv?.get('key-7')).toBe('key-7');
    expect(await kv?.take('key-8')).toBe('key-8');
    expect(await kv?.take('key-8')).toBeNull();
    await kv?.del(keys);
    for (const key of keys) expect(await kv?.get(key)).toBeNull();
  });

  it('keeps sets with their TTL and consumes a code once', async () => {
    await kv?.addToSet('grant:1', 'a', 30);
    await kv?.addToSet('grant:1', 'b', 30);
    expect((await kv?.members('grant:1'))?.sort()).toEqual(['a', 'b']);
    await kv?.set('code:1', JSON.stringify({ jti: '1' }), 30);
    const results = await Promise.all([kv?.consumeOnce('code:1'), kv?.consumeOnce('code:1')]);
    expect(results.sort()).toEqual(['already', 'ok']);
  });
});
