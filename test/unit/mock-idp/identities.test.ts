import { describe, expect, it } from 'vitest';
import { MOCK_IDENTITIES, type MockIdentity } from '../../../src/mock-idp/identities.ts';

const FRANCE = '99100';

function isRealDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function pivotProblems({ claims }: MockIdentity): string[] {
  const problems: string[] = [];
  if (!claims.given_name.trim() || !claims.family_name.trim()) problems.push('empty name');
  if (!isRealDate(claims.birthdate)) problems.push('birthdate');
  if (claims.gender !== 'male' && claims.gender !== 'female') problems.push('gender');
  if (!/^99\d{3}$/.test(claims.birthcountry)) problems.push('birthcountry');
  const bornInFrance = claims.birthcountry === FRANCE;
  if (bornInFrance && !/^(\d{5}|2[AB]\d{3})$/.test(claims.birthplace)) problems.push('birthplace');
  if (!bornInFrance && claims.birthplace !== '') problems.push('birthplace must be empty abroad');
  if (!/^[^@\s]+@[^@\s]+\.example$/.test(claims.email)) problems.push('email');
  return problems;
}

const some = (predicate: (identity: MockIdentity) => boolean): boolean => MOCK_IDENTITIES.some(predicate);

describe('MOCK_IDENTITIES', () => {
  it('holds about a dozen identities with unique ids and subs', () => {
    expect(MOCK_IDENTITIES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(MOCK_IDENTITIES.map((identity) => identity.id)).size).toBe(MOCK_IDENTITIES.length);
    expect(new Set(MOCK_IDENTITIES.map((identity) => identity.sub)).size).toBe(MOCK_IDENTITIES.length);
    for (const identity of MOCK_IDENTITIES) {
      expect(identity.id).toMatch(/^[a-z0-9-]+$/);
      expect(identity.sub).toMatch(/^[0-9a-f]{64}v1$/);
    }
  });

  it.each(MOCK_IDENTITIES.map((identity) => [identity.id, identity] as const))(
    '%s is a valid identité pivot',
    (_id, identity) => {
      expect(pivotProblems(identity)).toEqual([]);
    },
  );

  it('covers the edge cases a hub must carry unchanged', () => {
    expect(some((i) => i.claims.birthcountry === FRANCE && i.claims.birthplace === '75056')).toBe(true);
    expect(some((i) => i.claims.birthcountry === '99134' && i.claims.birthplace === '')).toBe(true);
    expect(some((i) => i.claims.given_name === 'Jean Pierre Marie')).toBe(true);
    expect(some((i) => /[ÉéèëïÏ]/.test(i.claims.given_name + i.claims.family_name))).toBe(true);
    expect(some((i) => i.claims.given_name.includes('-') && i.claims.family_name.includes('-'))).toBe(true);
    expect(some((i) => i.claims.family_name.includes('’'))).toBe(true);
    expect(some((i) => i.claims.family_name.includes("'"))).toBe(true);
    expect(some((i) => i.claims.family_name.length >= 60)).toBe(true);
    expect(some((i) => i.claims.birthplace === '2A004')).toBe(true);
    expect(some((i) => i.claims.birthdate.endsWith('-02-29'))).toBe(true);
    expect(some((i) => i.claims.gender === 'male') && some((i) => i.claims.gender === 'female')).toBe(true);
    expect(
      some(
        (i) =>
          i.claims.preferred_username !== undefined && i.claims.preferred_username !== i.claims.family_name,
      ),
    ).toBe(true);
  });
});
