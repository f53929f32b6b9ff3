import { describe, expect, it } from 'vitest';
import { allowedScope, inForce, parisDay, registerOf } from '../../../src/config/habilitations.ts';
import { createRegistry } from '../../../src/store/registry-cache.ts';
import { serviceProvider } from '../../support/fixtures.ts';

const until = (expires_at: string) => ({ id: 'datapass-1', scopes: ['birth'], expires_at });

describe('a habilitation in force', () => {
  it('is in force through the whole of its last day in Paris, summer time (UTC+2)', () => {
    const habilitation = until('2025-07-01');
    // 23:30 UTC on the eve is already 01:30 on the last day in Paris.
    expect(parisDay(new Date('2025-06-30T23:30:00Z'))).toBe('2025-07-01');
    expect(inForce(habilitation, new Date('2025-06-30T23:30:00Z'))).toBe(true);
    expect(inForce(habilitation, new Date('2025-07-01T21:59:59Z'))).toBe(true);
    // 22:00 UTC on the last day is midnight in Paris: the UTC date still says 1 July, Paris does not.
    expect(inForce(habilitation, new Date('2025-07-01T22:00:00Z'))).toBe(false);
    expect(inForce(habilitation, new Date('2025-07-01T23:30:00Z'))).toBe(false);
  });

  it('ends at midnight Paris time in winter too (UTC+1)', () => {
    const habilitation = until('2025-12-31');
    expect(inForce(habilitation, new Date('2025-12-31T22:59:59Z'))).toBe(true);
    expect(inForce(habilitation, new Date('2025-12-31T23:00:00Z'))).toBe(false);
  });

  it('is in force on any earlier day', () => {
    expect(inForce(until('2026-01-01'), new Date('2025-03-15T12:00:00Z'))).toBe(true);
  });
});

describe('the scope an SP may ask for', () => {
  const now = new Date('2025-06-15T10:00:00Z');

  it('is its own scope plus the scopes of its habilitations in force, distinct, in order', () => {
    const sp = serviceProvider({
      scope: 'openid  email',
      habilitations: [
        { id: 'datapass-1', scopes: ['birth', 'email'], expires_at: '2025-06-15' },
        { id: 'datapass-2', scopes: ['given_name'], expires_at: '2025-06-14' },
        { id: 'datapass-3', scopes: ['family_name', 'birth'], expires_at: '2030-01-01' },
      ],
    });
    expect(allowedScope(sp, now)).toBe('openid email birth family_name');
  });

  it('is its own scope when it has no habilitation, or none in force', () => {
    expect(allowedScope(serviceProvider({ scope: 'openid email' }), now)).toBe('openid email');
    const expired = serviceProvider({
      scope: 'openid email',
      habilitations: [{ id: 'datapass-1', scopes: ['birth'], expires_at: '2025-06-14' }],
    });
    expect(allowedScope(expired, now)).toBe('openid email');
  });
});

describe('the register', () => {
  it('lists each SP by name with its own scope and every habilitation with its state, and no secret', () => {
    const sps = [
      serviceProvider({
        client_id: 'sp-b',
        client_name: 'Bibliothèque',
        scope: 'openid email',
        habilitations: [
          { id: 'datapass-2', scopes: ['birth'], expires_at: '2025-06-14' },
          { id: 'datapass-3', scopes: ['given_name'], expires_at: '2025-06-15' },
        ],
      }),
      serviceProvider({ client_id: 'sp-a', client_name: 'Archives', scope: 'openid' }),
    ];
    const register = registerOf(sps, new Date('2025-06-15T10:00:00Z'));
    expect(register).toEqual([
      { client_id: 'sp-a', name: 'Archives', scope: 'openid', habilitations: [] },
      {
        client_id: 'sp-b',
        name: 'Bibliothèque',
        scope: 'openid email',
        habilitations: [
          { id: 'datapass-2', scopes: ['birth'], expires_at: '2025-06-14', in_force: false },
          { id: 'datapass-3', scopes: ['given_name'], expires_at: '2025-06-15', in_force: true },
        ],
      },
    ]);
    expect(JSON.stringify(register)).not.toContain('secret');
  });
});

describe('the registry cache', () => {
  it('applies habilitations at each read, so one stops at the first request past its day, unreloaded', async () => {
    let now = new Date('2025-07-01T21:59:00Z');
    const sp = serviceProvider({ scope: 'openid email', habilitations: [until('2025-07-01')] });
    const registry = await createRegistry(
      {
        listServiceProviders: async () => [sp],
        listIdentityProviders: async () => [],
        fingerprint: async () => 'f1',
      },
      { now: () => now },
    );
    expect(registry.serviceProvider('sp')?.scope).toBe('openid email birth');
    now = new Date('2025-07-01T22:00:00Z');
    expect(registry.serviceProvider('sp')?.scope).toBe('openid email');
    // The register keeps the entry as the federation has it.
    expect(registry.serviceProviders()).toEqual([sp]);
  });
});
