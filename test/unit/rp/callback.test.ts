import { describe, expect, it } from 'vitest';
import { identityProviderSchema } from '../../../src/config/federation.ts';
import { checkSignedUserinfo } from '../../../src/rp/callback.ts';

// A fictitious IdP: only its issuer and client_id matter here.
const idp = identityProviderSchema.parse({
  uid: 'idp-a',
  name: 'FI A',
  issuer: 'https://idp-a.example',
  client_id: 'relais',
  client_secret: 'an-idp-secret',
});
const now = 1_800_000_000;
const check = (claims: Record<string, unknown>) => () =>
  checkSignedUserinfo(idp, { sub: 's', ...claims }, now);
const refused = { code: 'R2003' };

describe('checkSignedUserinfo', () => {
  it('accepts a userinfo without iss, aud or exp (OIDC Core §5.3.2: SHOULD, not MUST)', () => {
    expect(check({})).not.toThrow();
  });

  it('accepts the right iss and aud (a string or a list holding the hub)', () => {
    expect(check({ iss: idp.issuer, aud: 'relais' })).not.toThrow();
    expect(check({ iss: idp.issuer, aud: ['other', 'relais'] })).not.toThrow();
  });

  it('refuses another iss or an aud without the hub (R2003)', () => {
    expect(check({ iss: 'https://evil.example' })).toThrow(expect.objectContaining(refused));
    expect(check({ aud: 'someone-else' })).toThrow(expect.objectContaining(refused));
    expect(check({ aud: ['a', 'b'] })).toThrow(expect.objectContaining(refused));
  });

  it('accepts an exp to come, or gone by less than the 60 s of skew', () => {
    expect(check({ exp: now + 300 })).not.toThrow();
    expect(check({ exp: now - 60 })).not.toThrow();
  });

  it('refuses an exp gone by more than 60 s, or not a number (R2003)', () => {
    expect(check({ exp: now - 61 })).toThrow(
      expect.objectContaining({ code: 'R2003', detail: 'idp-a: userinfo expired' }),
    );
    expect(check({ exp: String(now + 300) })).toThrow(expect.objectContaining(refused));
    expect(check({ exp: null })).toThrow(expect.objectContaining(refused));
  });
});
