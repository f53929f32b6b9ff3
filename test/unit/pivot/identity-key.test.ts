import { describe, expect, it } from 'vitest';
import { IDENTITY_KEY_VERSION, identityKey, normaliseName, type Pivot } from '../../../src/pivot/index.ts';

const marie: Pivot = {
  given_name: 'Marie',
  family_name: 'DUPONT',
  birthdate: '1985-04-12',
  gender: 'female',
  birthplace: '75056',
  birthcountry: '99100',
};

describe('normaliseName', () => {
  it.each([
    ['Éloïse', 'ELOISE'],
    ['E\u0301loi\u0308se', 'ELOISE'],
    ['Jean-Pierre', 'JEAN PIERRE'],
    ['Jean Pierre', 'JEAN PIERRE'],
    ['Jean–Pierre', 'JEAN PIERRE'],
    ['N’Diaye', 'N DIAYE'],
    ["N'DIAYE", 'N DIAYE'],
    ['Lætitia', 'LAETITIA'],
    ['LAETITIA', 'LAETITIA'],
    ['Œuvray', 'OEUVRAY'],
    ['Straße', 'STRASSE'],
    ['STRAẞE', 'STRASSE'],
    ['Jean  Pierre', 'JEAN PIERRE'],
    ['  Jean \u00a0 Pierre  ', 'JEAN PIERRE'],
    ['Ange M.', 'ANGE M'],
    ['Søren Łukasz', 'SOREN LUKASZ'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseName(input)).toBe(expected);
  });

  it('keeps every given name, in order', () => {
    expect(normaliseName('Marie Anne Élise')).toBe('MARIE ANNE ELISE');
    expect(normaliseName('Anne Marie')).not.toBe(normaliseName('Marie Anne'));
  });
});

describe('identityKey', () => {
  it('is v1, then the six claims in PIVOT_CLAIMS order, separated by U+001F', () => {
    expect(IDENTITY_KEY_VERSION).toBe('v1');
    expect(identityKey(marie)).toBe(
      ['v1', 'MARIE', 'DUPONT', '1985-04-12', 'female', '75056', '99100'].join('\u001f'),
    );
  });

  it('gives the same key for two IdP spellings of one person', () => {
    const elsewhere = { ...marie, given_name: 'marie', family_name: 'Dupont ' };
    expect(identityKey(elsewhere)).toBe(identityKey(marie));
  });

  it('gives different keys when any claim differs', () => {
    const variants: Pivot[] = [
      { ...marie, given_name: 'Marie Anne' },
      { ...marie, family_name: 'DUPOND' },
      { ...marie, birthdate: '1985-04-13' },
      { ...marie, gender: 'male' },
      { ...marie, birthplace: '69123' },
    ];
    for (const variant of variants) expect(identityKey(variant)).not.toBe(identityKey(marie));
  });

  it('keeps an empty birthplace as an empty field and uppercases Corsican codes', () => {
    expect(identityKey({ ...marie, birthplace: '', birthcountry: '99134' }).split('\u001f')).toHaveLength(7);
    expect(identityKey({ ...marie, birthplace: '2a004' })).toBe(
      identityKey({ ...marie, birthplace: '2A004' }),
    );
  });

  it('refuses a pivot holding the separator rather than risk two people sharing a key', () => {
    expect(() => identityKey({ ...marie, family_name: 'DUPONT\u001fX' })).toThrow(/separator/);
  });
});
