import { describe, expect, it } from 'vitest';
import { agentsAt, MOCK_AGENTS, type MockAgent } from '../../../src/mock-idp/agents.ts';

const OPTIONAL = ['siren', 'phone', 'organizational_unit', 'belonging_population', 'chorusdt'] as const;

/** The Luhn key that SIREN and SIRET numbers carry. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (const [position, char] of [...digits].reverse().entries()) {
    const digit = Number(char) * (position % 2 === 1 ? 2 : 1);
    sum += digit > 9 ? digit - 9 : digit;
  }
  return sum % 10 === 0;
}

function claimProblems({ claims }: MockAgent): string[] {
  const problems: string[] = [];
  if (!claims.given_name.trim() || !claims.usual_name.trim()) problems.push('empty name');
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(claims.email)) problems.push('email must be a local part');
  if (!claims.uid.trim()) problems.push('uid');
  if (!/^\d{14}$/.test(claims.siret) || !luhn(claims.siret)) problems.push('siret');
  if (claims.siren !== undefined) {
    if (!/^\d{9}$/.test(claims.siren) || !luhn(claims.siren)) problems.push('siren');
    if (claims.siret.slice(0, 9) !== claims.siren) problems.push('siren is not the siret’s');
  }
  for (const name of OPTIONAL) if (claims[name] === '') problems.push(`empty ${name}`);
  return problems;
}

const byId = (id: string): MockAgent => MOCK_AGENTS.find((agent) => agent.id === id)!;

describe('MOCK_AGENTS', () => {
  it('checks Luhn keys the way SIRENE computes them', () => {
    expect(luhn('55210055400013')).toBe(true);
    expect(luhn('55210055400014')).toBe(false);
    expect(luhn('552100554')).toBe(true);
  });

  it('holds a handful of agents with unique ids, subs, uids and emails', () => {
    expect(MOCK_AGENTS.length).toBeGreaterThanOrEqual(4);
    for (const key of ['id', 'sub'] as const) {
      expect(new Set(MOCK_AGENTS.map((agent) => agent[key])).size).toBe(MOCK_AGENTS.length);
    }
    for (const claim of ['uid', 'email'] as const) {
      expect(new Set(MOCK_AGENTS.map((agent) => agent.claims[claim])).size).toBe(MOCK_AGENTS.length);
    }
    for (const agent of MOCK_AGENTS) {
      expect(agent.id).toMatch(/^[a-z0-9-]+$/);
      expect(agent.sub).toMatch(/^[0-9a-f]{64}v1$/);
    }
  });

  it.each(MOCK_AGENTS.map((agent) => [agent.id, agent] as const))(
    '%s carries valid ProConnect claims',
    (_id, agent) => {
      expect(claimProblems(agent)).toEqual([]);
    },
  );

  it('has a standard agent with every optional claim, a minimal one, and one with siren and phone', () => {
    const standard = byId('agent');
    for (const name of OPTIONAL) expect(standard.claims[name], name).toBeTruthy();
    expect(Object.keys(byId('agent-minimal').claims).sort()).toEqual(
      ['email', 'given_name', 'siret', 'uid', 'usual_name'].sort(),
    );
    const sirenPhone = byId('agent-siren-phone').claims;
    expect(sirenPhone.siren).toBe(sirenPhone.siret.slice(0, 9));
    expect(sirenPhone.phone).toBeTruthy();
  });
});

describe('agentsAt', () => {
  it('completes every email with the domain, leaving the fixtures as they are', () => {
    const agents = agentsAt('employeur-fictif.example');
    expect(agents.map((agent) => agent.claims.email)).toEqual(
      MOCK_AGENTS.map((agent) => `${agent.claims.email}@employeur-fictif.example`),
    );
    expect(agents.map((agent) => agent.sub)).toEqual(MOCK_AGENTS.map((agent) => agent.sub));
    expect(byId('agent').claims.email).toBe('camille.dupont');
  });
});
