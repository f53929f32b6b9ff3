import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../../src/store/kv.ts';
import { createVault, seal, unseal } from '../../../src/store/vault.ts';

describe('the vault', () => {
  const key = randomBytes(32);

  it('stores identity data sealed, never in clear', async () => {
    const kv = createMemoryKv('test:');
    const vault = createVault(kv, key);
    await vault.put('citizen:1', { given_name: 'Camille' }, 60);
    expect(await kv.get('citizen:1')).not.toContain('Camille');
    expect(await vault.get('citizen:1')).toEqual({ given_name: 'Camille' });
  });

  it('gives a one-time item once', async () => {
    const vault = createVault(createMemoryKv('test:'), key);
    await vault.put('tx:1', { nonce: 'n' }, 60);
    expect(await vault.take('tx:1')).toEqual({ nonce: 'n' });
    expect(await vault.take('tx:1')).toBeUndefined();
  });

  it('refuses a value moved under another key, or opened with another key', () => {
    const sealed = seal(key, 'citizen:1', { a: 1 });
    expect(() => unseal(key, 'citizen:2', sealed)).toThrow();
    expect(() => unseal(randomBytes(32), 'citizen:1', sealed)).toThrow();
    expect(unseal(key, 'citizen:1', sealed)).toEqual({ a: 1 });
  });
});
