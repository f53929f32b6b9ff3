import { describe, expect, it } from 'vitest';
import { type Pivot, validatePivot } from '../../../src/pivot/index.ts';

const now = new Date('2025-06-01T12:00:00Z');
const marie: Pivot = {
  given_name: 'Marie Anne',
  family_name: 'DUPONT',
  birthdate: '1985-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
};
const carmen: Pivot = {
  given_name: 'Carmen',
  family_name: 'García López',
  birthdate: '1990-07-15',
  gender: 'female',
  birthplace: '',
  birthcountry: '99134',
};

const validate = (claims: Record<string, unknown>) => validatePivot(claims, { now });

/** The problems, asserting each reason leaves the rejected value out (reasons end up in logs). */
function problemsOf(claims: Record<string, unknown>): Record<string, string> {
  const result = validate(claims);
  if (result.ok) throw new Error('expected the pivot to be rejected');
  for (const { claim, reason } of result.problems) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim().length > 0) expect(reason).not.toContain(value.trim());
  }
  return Object.fromEntries(result.problems.map(({ claim, reason }) => [claim, reason]));
}

describe('validatePivot: accepted pivots', () => {
  it('accepts a person born in France with a commune code', () => {
    expect(validate(marie)).toEqual({ ok: true, pivot: marie });
  });

  it('accepts a person born abroad with an empty birthplace', () => {
    expect(validate(carmen)).toEqual({ ok: true, pivot: carmen });
  });

  it.each([undefined, null])(
    'accepts a %s birthplace for a person born abroad and returns ""',
    (birthplace) => {
      const result = validate({ ...carmen, birthplace });
      expect(result).toEqual({ ok: true, pivot: { ...carmen, birthplace: '' } });
    },
  );

  it.each(['2A004', '2B033', '2a004'])('accepts the Corsican commune code %s', (birthplace) => {
    expect(validate({ ...marie, birthplace }).ok).toBe(true);
  });

  it('accepts February 29 on a leap year', () => {
    expect(validate({ ...marie, birthdate: '2000-02-29' }).ok).toBe(true);
  });

  it('accepts the earliest date and today', () => {
    expect(validate({ ...marie, birthdate: '1850-01-01' }).ok).toBe(true);
    expect(validate({ ...marie, birthdate: '2025-06-01' }).ok).toBe(true);
  });

  it.each([
    'Jean-Pierre',
    'N’Diaye',
    "O'Brien",
    'Ange M.',
    'Éloïse',
    'E\u0301loi\u0308se',
    'Lætitia',
    'Straßer',
  ])('accepts the name %j', (name) => {
    expect(validate({ ...marie, given_name: name, family_name: name }).ok).toBe(true);
  });

  it('returns values trimmed only, as the IdP spelled them, and drops extra claims', () => {
    const result = validate({
      ...marie,
      given_name: '  marie anne ',
      family_name: 'Dupont',
      sub: 'x',
      email: 'a@b.fr',
    });
    expect(result).toEqual({
      ok: true,
      pivot: { ...marie, given_name: 'marie anne', family_name: 'Dupont' },
    });
  });
});

describe('validatePivot: rejected pivots', () => {
  it('reports every missing claim as missing', () => {
    expect(problemsOf({})).toEqual({
      given_name: 'missing',
      family_name: 'missing',
      birthdate: 'missing',
      gender: 'missing',
      birthcountry: 'missing',
    });
  });

  it('reports a missing birthplace for a person born in France', () => {
    const { birthplace: _, ...withoutBirthplace } = marie;
    expect(problemsOf(withoutBirthplace)).toEqual({ birthplace: 'missing' });
    expect(problemsOf({ ...marie, birthplace: null })).toEqual({ birthplace: 'missing' });
  });

  it('reports claims that are not strings', () => {
    expect(problemsOf({ ...marie, given_name: ['Marie'], birthdate: 19850412, gender: true })).toEqual({
      given_name: 'not a string',
      birthdate: 'not a string',
      gender: 'not a string',
    });
    expect(problemsOf({ ...carmen, birthplace: 0 })).toEqual({ birthplace: 'not a string' });
  });

  it.each(['', '   '])('rejects the empty name %j', (name) => {
    expect(problemsOf({ ...marie, family_name: name })).toEqual({ family_name: 'must not be empty' });
  });

  it('rejects a name longer than 256 characters', () => {
    expect(problemsOf({ ...marie, family_name: 'A'.repeat(257) })).toEqual({
      family_name: 'must be at most 256 characters',
    });
    expect(validate({ ...marie, family_name: 'A'.repeat(256) }).ok).toBe(true);
  });

  it.each(['Marie2', 'Marie<script>', 'Ma\u0000rie', 'Marie\nAnne', 'Ma\u001frie', 'Marie, Anne'])(
    'rejects the name %j',
    (name) => {
      expect(problemsOf({ ...marie, given_name: name })['given_name']).toBe(
        'may hold only letters, spaces, apostrophes, hyphens and dots',
      );
    },
  );

  it('rejects a name without a letter', () => {
    expect(problemsOf({ ...marie, family_name: "-.'" })).toEqual({ family_name: 'must contain a letter' });
  });

  it.each(['1985-4-12', '12/04/1985', '1985-04-12T00:00:00Z', '19850412'])(
    'rejects the date format %j',
    (birthdate) => {
      expect(problemsOf({ ...marie, birthdate })).toEqual({ birthdate: 'must be YYYY-MM-DD' });
    },
  );

  it.each(['2023-02-30', '2023-02-29', '1900-02-29', '1985-13-01', '1985-04-31', '1985-00-10'])(
    'rejects %j, not a real date',
    (birthdate) => {
      expect(problemsOf({ ...marie, birthdate })).toEqual({ birthdate: 'not a real date' });
    },
  );

  it('rejects a birthdate in the future', () => {
    expect(problemsOf({ ...marie, birthdate: '2025-06-03' })).toEqual({
      birthdate: 'must not be in the future',
    });
  });

  it('rejects a birthdate before 1850-01-01', () => {
    expect(problemsOf({ ...marie, birthdate: '1849-12-31' })).toEqual({
      birthdate: 'must not be before 1850-01-01',
    });
  });

  it.each(['M', 'F', 'Male', 'other', 'homme'])('rejects the gender %j', (gender) => {
    expect(problemsOf({ ...marie, gender })).toEqual({ gender: 'must be male or female' });
  });

  it.each(['9910', '991000', 'FR', '75056', '99l00'])('rejects the birthcountry %j', (birthcountry) => {
    expect(problemsOf({ ...marie, birthcountry })).toEqual({
      birthcountry: 'must be a 5-digit INSEE country code (99xxx)',
    });
  });

  it.each(['7505', '750560', 'Paris', '2C004', '2A04', ''])(
    'rejects the birthplace %j for a person born in France',
    (birthplace) => {
      expect(problemsOf({ ...marie, birthplace })).toEqual({ birthplace: 'must be a 5-digit INSEE code' });
    },
  );

  it('rejects a commune code for a person born abroad', () => {
    expect(problemsOf({ ...carmen, birthplace: '75056' })).toEqual({
      birthplace: 'must be empty when born abroad',
    });
  });

  it('reports only the birthcountry when it is invalid, since the birthplace rule depends on it', () => {
    expect(problemsOf({ ...marie, birthcountry: 'ES', birthplace: 'Madrid' })).toEqual({
      birthcountry: 'must be a 5-digit INSEE country code (99xxx)',
    });
  });

  it('never puts the rejected value in a reason', () => {
    const hostile = {
      given_name: 'Marie<img src=x>',
      family_name: 'DUPONT 1234567',
      birthdate: '2023-02-30',
      gender: 'secret-gender',
      birthplace: '987654321',
      birthcountry: '99100',
    };
    const result = validate(hostile);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(5);
    for (const { claim, reason } of result.problems) {
      expect(reason).not.toContain(hostile[claim as keyof typeof hostile]);
    }
  });
});
