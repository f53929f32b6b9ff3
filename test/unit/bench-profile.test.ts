// bench/profile.ts: a .cpuprofile summed by module, by function and by calling module.
import { describe, expect, it } from 'vitest';
import { type CpuProfile, moduleOf, summarise } from '../../bench/profile.ts';

const APP = 'file:///srv/relais';

describe('moduleOf', () => {
  it('names a package by its folder, a scoped one with its scope', () => {
    expect(moduleOf(`${APP}/node_modules/oidc-provider/lib/models/client.js`, 'find')).toBe('oidc-provider');
    expect(moduleOf(`${APP}/node_modules/@fastify/cookie/plugin.js`, 'sign')).toBe('@fastify/cookie');
  });

  it('takes the innermost node_modules (a package nested in another)', () => {
    expect(moduleOf(`${APP}/node_modules/openid-client/node_modules/jose/dist/jws.js`, 'verify')).toBe(
      'jose',
    );
    expect(moduleOf(`${APP}/node_modules/.pnpm/a@1/node_modules/@scope/b/index.js`, 'x')).toBe('@scope/b');
  });

  it('groups the project by the folder under src/, a file at its top by itself', () => {
    expect(moduleOf(`${APP}/src/op/provider.ts`, 'build')).toBe('src/op');
    expect(moduleOf(`${APP}/src/store/deep/nested.ts`, 'x')).toBe('src/store');
    expect(moduleOf(`${APP}/src/app.ts`, 'buildApp')).toBe('src/app.ts');
  });

  it('groups Node.js by area, the bundled deps by their own name', () => {
    expect(moduleOf('node:internal/streams/writable', 'write')).toBe('node:streams');
    expect(moduleOf('node:internal/deps/undici/undici', 'fetch')).toBe('node:undici');
    expect(moduleOf('node:net', 'Socket._write')).toBe('node:net');
  });

  it("keeps V8's buckets, and calls code without a script native", () => {
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(moduleOf('', 'writeUtf8String')).toBe('(native)');
    expect(moduleOf('file:///tmp/bench.ts', 'main')).toBe('/tmp/bench.ts');
  });
});

// (root) ─┬─ (idle)
//         ├─ (garbage collector)
//         └─ handle  src/http/routes.ts
//              ├─ sign  @fastify/cookie
//              └─ send  ioredis ── _write  node:net ── writeUtf8String  (native)
const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)', '') },
    { id: 3, callFrame: frame('(garbage collector)', '') },
    { id: 4, callFrame: frame('handle', `${APP}/src/http/routes.ts`, 9), children: [5, 6] },
    { id: 5, callFrame: frame('sign', `${APP}/node_modules/@fastify/cookie/plugin.js`, 41) },
    { id: 6, callFrame: frame('send', `${APP}/node_modules/ioredis/built/Redis.js`, 99), children: [7] },
    { id: 7, callFrame: frame('_write', 'node:net', 976), children: [8] },
    { id: 8, callFrame: frame('writeUtf8String', '') },
  ],
  // µs since the previous sample: handle 2 ms, sign 5, writeUtf8String 8, _write 2, GC 3, idle 14.
  samples: [4, 2, 4, 5, 8, 8, 7, 3, 2],
  timeDeltas: [1000, 5000, 1000, 5000, 4000, 4000, 2000, 3000, 9000],
};

describe('summarise', () => {
  const summary = summarise(PROFILE);
  const ms = (rows: Array<{ module: string; ms: number }>, module: string) =>
    rows.find((row) => row.module === module)?.ms;

  it('leaves idle out of the total and of every table', () => {
    // 34 ms sampled, 14 ms of it idle.
    expect(summary.totalMs).toBe(20);
    expect(summary.modules.map((m) => m.module)).not.toContain('(idle)');
    expect(summary.functions.map((f) => f.fn)).not.toContain('(idle)');
  });

  it('sums self time by module, native code counted for the JS that called it', () => {
    expect(summary.modules).toEqual([
      { module: 'node:net', ms: 10, share: 50 },
      { module: '@fastify/cookie', ms: 5, share: 25 },
      { module: '(garbage collector)', ms: 3, share: 15 },
      { module: 'src/http', ms: 2, share: 10 },
    ]);
  });

  it('names functions by name, file and 1-based line, native ones by name alone', () => {
    expect(summary.functions.slice(0, 2)).toEqual([
      { fn: 'writeUtf8String', module: 'node:net', ms: 8, share: 40 },
      { fn: 'sign plugin.js:42', module: '@fastify/cookie', ms: 5, share: 25 },
    ]);
    expect(summary.functions).toContainEqual({
      fn: 'handle routes.ts:10',
      module: 'src/http',
      ms: 2,
      share: 10,
    });
    expect(summary.functions).toContainEqual({
      fn: '_write node:net:977',
      module: 'node:net',
      ms: 2,
      share: 10,
    });
  });

  it('gives Node.js and native time to the package that caused it', () => {
    expect(ms(summary.callers, 'ioredis')).toBe(10);
    expect(ms(summary.callers, 'node:net')).toBeUndefined();
    expect(ms(summary.callers, '(garbage collector)')).toBe(3);
    expect(ms(summary.callers, 'src/http')).toBe(2);
    expect(summary.callers.reduce((total, row) => total + row.share, 0)).toBeCloseTo(100, 5);
  });

  it('keeps the top n rows only', () => {
    const two = summarise(PROFILE, 2);
    expect(two.modules.map((m) => m.module)).toEqual(['node:net', '@fastify/cookie']);
    expect(two.functions).toHaveLength(2);
    // Shares stay those of the whole profile.
    expect(two.modules[0]?.share).toBe(50);
  });

  it('leaves out the samples of the first skipMs (start-up)', () => {
    // The first sample (handle, at 1 ms) and the idle one (at 6 ms) fall in the first 6.5 ms.
    const late = summarise(PROFILE, 15, 6.5);
    expect(late.totalMs).toBe(19);
    expect(ms(late.modules, 'src/http')).toBe(1);
    expect(ms(late.modules, 'node:net')).toBe(10);
  });
});
