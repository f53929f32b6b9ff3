import { describe, expect, it } from 'vitest';
import { createRateLimiter, MAX_SUBJECTS_PER_WINDOW } from '../../../src/http/rate-limit.ts';
import { createMemoryKv, type Kv } from '../../../src/store/kv.ts';

const settings = { windowSeconds: 10, limits: { address: 3, client: 5 } };

describe('the rate limiter', () => {
  it('admits the limit per subject and window, then refuses with the seconds left in the window', () => {
    let now = 1_000_000_000_000 + 2500; // 2.5 s into a 10 s window
    const limiter = createRateLimiter({ ...settings, now: () => now });
    for (let i = 0; i < 3; i++) expect(limiter.take('address', '192.0.2.1')).toEqual({ allowed: true });
    expect(limiter.take('address', '192.0.2.1')).toEqual({ allowed: false, retryAfterSeconds: 8 });
    // Another address, and another scope, count apart.
    expect(limiter.take('address', '192.0.2.2')).toEqual({ allowed: true });
    expect(limiter.take('client', '192.0.2.1')).toEqual({ allowed: true });
    // The next window starts afresh.
    now += 8000;
    expect(limiter.take('address', '192.0.2.1')).toEqual({ allowed: true });
  });

  it('does not limit a scope without a limit', () => {
    const limiter = createRateLimiter({ windowSeconds: 10, limits: { address: 1 } });
    for (let i = 0; i < 50; i++) expect(limiter.take('client', 'sp').allowed).toBe(true);
  });

  it('shares counts between instances through the store: a flood split over two is refused', async () => {
    const kv = createMemoryKv('rl:');
    const now = () => 1_000_000_000_000;
    const a = createRateLimiter({ ...settings, shared: kv, now, flushMs: 5 });
    const b = createRateLimiter({ ...settings, shared: kv, now, flushMs: 5 });
    expect(a.take('address', '198.51.100.7').allowed).toBe(true);
    expect(a.take('address', '198.51.100.7').allowed).toBe(true);
    await a.flush();
    // b has counted nothing itself, but learns a's counts with its own first flush.
    expect(b.take('address', '198.51.100.7').allowed).toBe(true);
    await b.flush();
    expect(b.take('address', '198.51.100.7')).toMatchObject({ allowed: false });
    // a learns b's count when it next shares its own: one more request, at most one flush late.
    expect(a.take('address', '198.51.100.7').allowed).toBe(true);
    await a.flush();
    expect(a.take('address', '198.51.100.7')).toMatchObject({ allowed: false });
    await Promise.all([a.close(), b.close(), kv.close()]);
  });

  it('keeps limiting on its own counts while the store is down', async () => {
    const failures: unknown[] = [];
    const down: Pick<Kv, 'count'> = { count: () => Promise.reject(new Error('ECONNREFUSED')) };
    const limiter = createRateLimiter({ ...settings, shared: down, onShareFailure: (e) => failures.push(e) });
    for (let i = 0; i < 3; i++) expect(limiter.take('address', '203.0.113.5').allowed).toBe(true);
    await limiter.flush();
    expect(failures).toHaveLength(1);
    expect(limiter.take('address', '203.0.113.5').allowed).toBe(false);
    await limiter.close();
  });
});

describe('peek and count', () => {
  it('judges without counting, and counts what was judged apart', () => {
    const limiter = createRateLimiter({ windowSeconds: 10, limits: { client: 2 } });
    for (let i = 0; i < 5; i++) expect(limiter.peek('client', 'id:sp').allowed).toBe(true);
    limiter.count('client', 'id:sp');
    limiter.count('client', 'id:sp');
    expect(limiter.peek('client', 'id:sp')).toMatchObject({ allowed: false });
  });
});

describe('a flood from very many addresses', () => {
  it('keeps the table bounded: past its size, new subjects share one overflow counter', () => {
    const limiter = createRateLimiter({ windowSeconds: 10, limits: { address: 2 } });
    for (let i = 0; i < MAX_SUBJECTS_PER_WINDOW; i++) limiter.take('address', `ip:${i}`);
    // The known ones keep their own counts…
    expect(limiter.take('address', 'ip:7').allowed).toBe(true);
    // …and the newcomers are judged together.
    expect(limiter.take('address', 'ip:new-1').allowed).toBe(true);
    expect(limiter.take('address', 'ip:new-2').allowed).toBe(true);
    expect(limiter.take('address', 'ip:new-3').allowed).toBe(false);
  });
});
