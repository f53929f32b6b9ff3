import { describe, expect, it } from 'vitest';
import { ExpiringMap, newSessionId } from '../../../src/demo-sp/sessions.ts';

describe('ExpiringMap', () => {
  it('forgets an entry once its time to live has passed', () => {
    let now = 1_000;
    const map = new ExpiringMap<string>(600_000, { now: () => now });
    map.set('id', 'pending');
    now += 599_999;
    expect(map.get('id')).toBe('pending');
    now += 1;
    expect(map.get('id')).toBeUndefined();
  });

  it('gives a taken entry once only', () => {
    const map = new ExpiringMap<string>(60_000);
    map.set('id', 'pending');
    expect(map.take('id')).toBe('pending');
    expect(map.take('id')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const map = new ExpiringMap<number>(60_000, { maxEntries: 2 });
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect(map.size).toBe(2);
    expect(map.get('a')).toBeUndefined();
    expect(map.get('c')).toBe(3);
  });
});

describe('newSessionId', () => {
  it('makes 256-bit base64url ids that do not repeat', () => {
    const ids = new Set(Array.from({ length: 100 }, newSessionId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[\w-]{43}$/);
  });
});
