import { describe, expect, it } from 'vitest';
import { fields, MASK, redact, table } from '../../../src/cli/output.ts';

describe('output', () => {
  it('redact() masks client_secret and drops private JWK members', () => {
    const shown = redact({
      client_id: 'fs',
      client_secret: 'a-secret-that-must-not-be-printed-ever',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] },
    });
    expect(shown).toEqual({
      client_id: 'fs',
      client_secret: MASK,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
    });
    expect(redact({ client_id: 'jwt-sp' })).not.toHaveProperty('client_secret');
  });

  it('table() aligns columns under capitalised headers', () => {
    expect(table(['uid', 'active'], [{ uid: 'a-long-uid', active: true }, { uid: 'b' }])).toBe(
      'UID         ACTIVE\na-long-uid  true\nb           -',
    );
  });

  it('fields() aligns names and prints lists as JSON', () => {
    expect(fields({ uid: 'a', acr_values: ['eidas1'], logo: undefined })).toBe(
      'uid         a\nacr_values  ["eidas1"]',
    );
  });
});
