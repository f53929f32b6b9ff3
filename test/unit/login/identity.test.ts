// From the IdP's answer to the identity the hub keeps: an invalid pivot (or professional identity)
// fails the login; a malformed claim beside it is dropped or corrected and the login goes on.
import { describe, expect, it } from 'vitest';
import { type IdentityProvider, identityProviderSchema } from '../../../src/config/federation.ts';
import { RelaisError } from '../../../src/errors.ts';
import { toAgentIdentity, toCitizenIdentity } from '../../../src/login/identity.ts';
import { INTERACTION_TTL } from '../../../src/op/provider.ts';
import { AUTH_TIME_SKEW, type PivotProblem } from '../../../src/pivot/index.ts';
import type { IdpAuthentication } from '../../../src/rp/callback.ts';

const now = 1_750_000_000;
const idp: IdentityProvider = identityProviderSchema.parse({
  uid: 'idp-a',
  name: 'FI A',
  issuer: 'https://idp-a.example',
  client_id: 'relais',
  client_secret: 'an-idp-secret',
});
const proIdp: IdentityProvider = identityProviderSchema.parse({
  uid: 'idp-pro',
  name: 'FI pro',
  issuer: 'https://idp-pro.example',
  client_id: 'relais',
  client_secret: 'an-idp-secret',
  email_domains: ['ministere.example'],
});

// Fictitious people only.
const pivot = {
  given_name: 'Camille Anne',
  family_name: 'Martin',
  birthdate: '1985-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
};
const agent = {
  sub: 'agent-4f2a9c',
  given_name: 'Camille',
  usual_name: 'Delacour',
  email: 'camille.delacour@ministere.example',
  uid: 'cdelacour',
  siret: '55210055400013',
};

function answer(
  claims: Record<string, unknown>,
  context: Partial<IdpAuthentication> = {},
): IdpAuthentication {
  return {
    idpUid: 'idp-a',
    acr: 'eidas1',
    amr: ['pwd'],
    authTime: now - 30,
    claims: { sub: 'idp-sub', ...claims },
    idToken: 'header.payload.signature',
    idpAcr: 'eidas1',
    ...context,
  };
}

/** Maps as the login does at `now`, collecting what was dropped. */
function citizen(claims: Record<string, unknown>, context: Partial<IdpAuthentication> = {}) {
  const dropped: PivotProblem[] = [];
  const identity = toCitizenIdentity(idp, answer(claims, context), {
    now,
    onDropped: (problems) => dropped.push(...problems),
  });
  return { identity, dropped };
}

describe('toCitizenIdentity: the claims beside the pivot', () => {
  it('passes valid claims as the IdP sent them, and says nothing was dropped', () => {
    const { identity, dropped } = citizen(
      { ...pivot, email: 'camille.martin@courriel.example', preferred_username: 'Dupont' },
      { amr: ['pwd', 'otp'] },
    );
    expect(identity.claims).toEqual({
      ...pivot,
      email: 'camille.martin@courriel.example',
      preferred_username: 'Dupont',
    });
    expect(identity.amr).toEqual(['pwd', 'otp']);
    expect(identity.authTime).toBe(now - 30);
    expect(dropped).toEqual([]);
  });

  it('drops a malformed email and usage name, and the login goes on with the pivot', () => {
    const email = 'camille martin@courriel';
    const usage = '<script>';
    const { identity, dropped } = citizen({ ...pivot, email, preferred_username: usage });
    expect(identity.claims).toEqual(pivot);
    expect(dropped.map((problem) => problem.claim)).toEqual(['email', 'preferred_username']);
    // The reasons are logged: never the value.
    const reasons = JSON.stringify(dropped);
    expect(reasons).not.toContain('camille');
    expect(reasons).not.toContain('script');
  });

  it('cleans the amr: repeats removed, malformed values dropped, an oversized list dropped whole', () => {
    expect(citizen(pivot, { amr: ['pwd', 'pwd', 'x'.repeat(64), 'mfa'] }).identity.amr).toEqual([
      'pwd',
      'mfa',
    ]);
    const many = Array.from({ length: 11 }, (_, i) => `m${i}`);
    const { identity, dropped } = citizen(pivot, { amr: many });
    expect(identity).not.toHaveProperty('amr');
    expect(dropped).toEqual([{ claim: 'amr', reason: 'must hold at most 10 values' }]);
  });

  it('replaces an auth_time in the future, or no time at all, by the callback time', () => {
    const oldest = now - INTERACTION_TTL - AUTH_TIME_SKEW;
    expect(citizen(pivot, { authTime: oldest }).identity.authTime).toBe(oldest);
    expect(citizen(pivot, { authTime: now + AUTH_TIME_SKEW }).identity.authTime).toBe(now + AUTH_TIME_SKEW);
    for (const authTime of [now + 3600, now - 0.5]) {
      const { identity, dropped } = citizen(pivot, { authTime });
      expect(identity.authTime).toBe(now);
      expect(dropped.map((problem) => problem.claim)).toEqual(['auth_time']);
    }
  });

  it('refuses an auth_time older than the login (R2003): prompt=login was not honoured', () => {
    const oldest = now - INTERACTION_TTL - AUTH_TIME_SKEW;
    for (const authTime of [oldest - 1, 0]) {
      expect(() => citizen(pivot, { authTime })).toThrow(expect.objectContaining({ code: 'R2003' }));
    }
  });

  it('still fails the login on an invalid pivot (R3001), whatever the claims beside it', () => {
    const failure = (() => {
      try {
        citizen({ ...pivot, birthdate: '1985-13-45', email: 'camille.martin@courriel.example' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(failure).toBeInstanceOf(RelaisError);
    expect((failure as RelaisError).code).toBe('R3001');
  });
});

describe('toAgentIdentity: amr and auth_time', () => {
  const agentOf = (context: Partial<IdpAuthentication>) => {
    const dropped: PivotProblem[] = [];
    const identity = toAgentIdentity(proIdp, answer(agent, { idpUid: 'idp-pro', ...context }), {
      now,
      onDropped: (problems) => dropped.push(...problems),
    });
    return { identity, dropped };
  };

  it("believes an IdP's own session of a few days (no prompt=login was asked)", () => {
    const threeDays = now - 3 * 86_400;
    expect(agentOf({ authTime: threeDays }).identity.authTime).toBe(threeDays);
  });

  it("keeps an IdP session's auth_time however old (the SP's max_age judges it), replaces one in the future", () => {
    expect(agentOf({ authTime: now - 8 * 86_400 }).identity.authTime).toBe(now - 8 * 86_400);
    const { identity, dropped } = agentOf({ authTime: now + 3600 });
    expect(identity.authTime).toBe(now);
    expect(dropped).toEqual([expect.objectContaining({ claim: 'auth_time' })]);
  });

  it('drops a malformed amr value and names a dropped optional claim without its value', () => {
    const { identity, dropped } = agentOf({ amr: ['pwd', 'mfa', 'a b'] });
    expect(identity.amr).toEqual(['pwd', 'mfa']);
    expect(dropped.map((problem) => problem.claim)).toEqual(['amr']);
    const told: PivotProblem[] = [];
    const withPhone = toAgentIdentity(proIdp, answer({ ...agent, phone: 'call me' }), {
      now,
      onDropped: (problems) => told.push(...problems),
    });
    expect(withPhone.claims).not.toHaveProperty('phone');
    expect(told).toEqual([{ claim: 'phone', reason: 'invalid' }]);
  });
});
