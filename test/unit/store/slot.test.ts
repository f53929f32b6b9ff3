import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { seal, unseal } from '../../../src/store/seal.ts';
import { createSlot, type SlotSpec, StoredValueError } from '../../../src/store/slot.ts';

const person = z.object({ given_name: z.string() });
const spec = (sealed: boolean): SlotSpec<z.infer<typeof person>> => ({
  prefix: 'citizen',
  schema: person,
  ttl: () => 60,
  sealed,
});

describe('a store slot', () => {
  const key = randomBytes(32);

  it('stores identity data sealed, never in clear', async () => {
    const kv = createMemoryKv('test:');
    const slot = createSlot(kv, key, spec(true));
    await slot.put('1', { given_name: 'Camille' });
    expect(await kv.get('citizen:1')).not.toContain('Camille');
    expect(await slot.get('1')).toEqual({ given_name: 'Camille' });
  });

  it('gives a one-time item once', async () => {
    const slot = createSlot(createMemoryKv('test:'), key, spec(false));
    await slot.put('1', { given_name: 'Camille' });
    expect(await slot.take('1')).toEqual({ given_name: 'Camille' });
    expect(await slot.take('1')).toBeUndefined();
  });

  it('parses what it reads: a value that does not fit the schema is refused, not cast', async () => {
    const kv = createMemoryKv('test:');
    const slot = createSlot(kv, key, spec(false));
    await kv.set('citizen:1', JSON.stringify({ given_name: 42 }), 60);
    await expect(slot.get('1')).rejects.toBeInstanceOf(StoredValueError);
  });

  it('swaps only the value it read: a second writer from the same read loses', async () => {
    const slot = createSlot(createMemoryKv('test:'), key, spec(true));
    await slot.put('1', { given_name: 'Camille' });
    const read = await slot.read('1');
    if (!read) throw new Error('no value');
    expect(await slot.swap('1', read, { given_name: 'Dominique' })).toBe(true);
    expect(await slot.swap('1', read, { given_name: 'Eden' })).toBe(false);
    expect(await slot.get('1')).toEqual({ given_name: 'Dominique' });
  });

  it('refuses a value moved under another key, or opened with another key', () => {
    const sealed = seal(key, 'citizen:1', { a: 1 });
    expect(() => unseal(key, 'citizen:2', sealed)).toThrow();
    expect(() => unseal(randomBytes(32), 'citizen:1', sealed)).toThrow();
    expect(unseal(key, 'citizen:1', sealed)).toEqual({ a: 1 });
  });
});
