import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryKv, type Kv } from '../../../src/store/kv.ts';
import { createOidcAdapter } from '../../../src/store/oidc-adapter.ts';
import { READ_AHEAD_MS, type ReadAheadKv, withReadAhead } from '../../../src/store/read-ahead.ts';
import { type KvFixture, kvBackends } from './kv-backends.ts';

/** The reads that reach the store underneath. */
function countingGets(kv: Kv): { kv: Kv; gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    kv: {
      ...kv,
      get: (key) => {
        gets.push(key);
        return kv.get(key);
      },
    },
  };
}

describe('withReadAhead', () => {
  let clock = 1_700_000_000_000;
  let store: Kv;
  let gets: string[];
  let kv: ReadAheadKv;
  /** The current request, as oidc-provider's context would be. */
  let request: object | undefined;
  beforeEach(() => {
    const base = createMemoryKv('relais:test:ra:', () => clock);
    ({ kv: store, gets } = countingGets(base));
    request = {};
    kv = withReadAhead(store, { scope: () => request, now: () => clock });
  });
  afterEach(() => kv.close());

  it('serves the next read of a prefetched key from the prefetch, once', async () => {
    await kv.set('a', '1', 60);
    kv.prefetch(['a', 'missing']);
    expect(gets).toEqual(['a', 'missing']);
    expect(await kv.get('a')).toBe('1');
    expect(await kv.get('missing')).toBeNull();
    expect(gets).toHaveLength(2);
    // Served once: the next read goes to the store.
    expect(await kv.get('a')).toBe('1');
    expect(gets).toEqual(['a', 'missing', 'a']);
  });

  it('never serves a prefetched value over a write made through it', async () => {
    await kv.set('a', 'old', 60);
    kv.prefetch(['a', 'b', 'c', 'd']);
    await kv.set('a', 'new', 60);
    await kv.del(['b']);
    await kv.set('c', JSON.stringify({ x: 1 }), 60);
    await kv.consumeOnce('c');
    expect(await kv.take('d')).toBeNull();
    expect(await kv.get('a')).toBe('new');
    expect(await kv.get('b')).toBeNull();
    expect(JSON.parse((await kv.get('c')) ?? '{}')).toMatchObject({ consumed: expect.any(Number) });
  });

  it('reads again once the prefetch is older than the window', async () => {
    await kv.set('a', '1', 60);
    kv.prefetch(['a']);
    clock += READ_AHEAD_MS;
    await store.set('a', '2', 60); // another instance's write, after the window
    expect(await kv.get('a')).toBe('2');
  });

  it("another request never sees a request's prefetch, even one never read", async () => {
    await kv.set('grant', 'live', 60);
    kv.prefetch(['grant']);
    await store.del(['grant']); // revoked by another instance, after the first request read ahead
    request = {}; // a second request, started after the revocation
    expect(await kv.get('grant')).toBeNull();
    // The same holds for its own prefetch of the key.
    kv.prefetch(['grant']);
    expect(await kv.get('grant')).toBeNull();
  });

  it('outside a request, prefetch reads nothing and get reads the store', async () => {
    request = undefined;
    await kv.set('a', '1', 60);
    kv.prefetch(['a']);
    expect(gets).toEqual([]);
    expect(await kv.get('a')).toBe('1');
    expect(gets).toEqual(['a']);
  });

  it('a failed prefetch fails no reader: the read goes to the store', async () => {
    let failing = true;
    const flaky = withReadAhead(
      {
        ...store,
        get: (key) => (failing ? Promise.reject(new Error('down')) : store.get(key)),
      },
      { scope: () => request },
    );
    await store.set('a', '1', 60);
    flaky.prefetch(['a']);
    failing = false;
    expect(await flaky.get('a')).toBe('1');
  });
});

describe.each(kvBackends)('oidc adapter read-ahead on $name', (backend) => {
  let fx: KvFixture;
  const request = {};
  beforeEach(async () => {
    fx = await backend.open();
  });
  afterEach(() => fx.cleanup());

  it("finding a token reads its session, grant and the caller's keys in one go", async () => {
    const { kv: counted, gets } = countingGets(fx.kv);
    const kv = withReadAhead(counted, { scope: () => request });
    const adapter = createOidcAdapter(
      kv,
      { find: async () => undefined },
      {
        readAhead: (grantId) => [`extra:${grantId}`],
      },
    );
    await adapter('Session').upsert('s1', { jti: 's1', uid: 'u1', accountId: 'a1' }, 60);
    await adapter('Grant').upsert('g1', { jti: 'g1', accountId: 'a1' }, 60);
    await kv.set('extra:g1', 'sealed', 60);
    await adapter('AccessToken').upsert('t1', { jti: 't1', grantId: 'g1', sessionUid: 'u1' }, 60);
    gets.length = 0;

    expect(await adapter('AccessToken').find('t1')).toMatchObject({ grantId: 'g1' });
    expect(gets).toEqual(['oidc:AccessToken:t1', 'oidc:session:u1', 'oidc:Grant:g1', 'extra:g1']);
    expect(await adapter('Session').findByUid('u1')).toMatchObject({ jti: 's1', accountId: 'a1' });
    expect(await adapter('Grant').find('g1')).toMatchObject({ jti: 'g1' });
    expect(await kv.get('extra:g1')).toBe('sealed');
    // Nothing was read again: the session is kept under the uid the token names. Two round trips.
    expect(gets).toHaveLength(4);
  });

  it('finding a finished interaction reads its grant ahead (resume loads it next)', async () => {
    const { kv: counted, gets } = countingGets(fx.kv);
    const kv = withReadAhead(counted, { scope: () => request });
    const adapter = createOidcAdapter(kv, { find: async () => undefined });
    await adapter('Grant').upsert('g1', { jti: 'g1' }, 60);
    await adapter('Interaction').upsert('i1', { jti: 'i1', result: { consent: { grantId: 'g1' } } }, 60);
    await adapter('Interaction').upsert('i2', { jti: 'i2' }, 60);
    expect(await adapter('Interaction').find('i2')).toMatchObject({ jti: 'i2' });
    expect(await adapter('Interaction').find('i1')).toMatchObject({ jti: 'i1' });
    expect(gets).toEqual(['oidc:Interaction:i2', 'oidc:Interaction:i1', 'oidc:Grant:g1']);
    await adapter('Interaction').destroy('i1');
    expect(await adapter('Grant').find('g1')).toMatchObject({ jti: 'g1' });
    expect(gets).toHaveLength(3);
  });

  it('writes the companions of an item with it, for as long', async () => {
    const adapter = createOidcAdapter(
      fx.kv,
      { find: async () => undefined },
      {
        companions: (model, id) => (model === 'Interaction' ? [{ key: `with:${id}`, value: 'v' }] : []),
      },
    );
    await adapter('Interaction').upsert('i1', { jti: 'i1' }, 1);
    await adapter('Grant').upsert('g1', { jti: 'g1' }, 60);
    expect(await fx.kv.get('with:i1')).toBe('v');
    expect(await fx.kv.get('with:g1')).toBeNull();
    await fx.advance(1100);
    expect(await fx.kv.get('with:i1')).toBeNull();
  });
});
