// "Did you mean …?" for an email domain: close to a known domain, unambiguous, never for a correct one.
import { describe, expect, it } from 'vitest';
import { COMMON_EMAIL_DOMAINS, osaDistance, suggestDomain } from '../../../src/pro/typo.ts';

const registry = ['interieur.gouv.fr', 'exemple-agence.fr'];
const known = [...registry, ...COMMON_EMAIL_DOMAINS];

describe('osaDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', 'abc', 0],
    ['gouv.rf', 'gouv.fr', 1],
    ['gmial.com', 'gmail.com', 1],
    ['gmail.com', 'gmal.com', 1],
    ['gmail.com', 'gmaiil.com', 1],
    ['ca', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%j → %j is %i', (a, b, distance) => {
    expect(osaDistance(a, b)).toBe(distance);
    expect(osaDistance(b, a)).toBe(distance);
  });
});

describe('suggestDomain', () => {
  it.each([
    ['gouv.rf', 'gouv.fr'],
    ['interieru.gouv.fr', 'interieur.gouv.fr'],
    ['police.interieru.gouv.fr', 'police.interieur.gouv.fr'],
    ['police.interieur.gouv.rf', 'police.interieur.gouv.fr'],
    ['gmial.com', 'gmail.com'],
    ['GMIAL.com', 'gmail.com'],
    ['hotmail.cm', 'hotmail.com'],
    ['outlok.fr', 'outlook.fr'],
    ['exmple-agnce.fr', 'exemple-agence.fr'],
  ])('suggests %j → %j', (typed, suggestion) => {
    expect(suggestDomain(typed, known)).toBe(suggestion);
  });

  it.each(['gmail.com', 'Gmail.COM', 'agent.gouv.fr', 'police.interieur.gouv.fr', 'interieur.gouv.fr'])(
    'suggests nothing for the correct domain %j',
    (domain) => {
      expect(suggestDomain(domain, known)).toBeUndefined();
    },
  );

  it.each(['example.org', 'exemple.fr', ''])('suggests nothing for the unrelated domain %j', (domain) => {
    expect(suggestDomain(domain, known)).toBeUndefined();
  });

  it('needs interieur.gouv.fr known to correct interieru.gouv.fr', () => {
    expect(suggestDomain('interieru.gouv.fr', COMMON_EMAIL_DOMAINS)).toBeUndefined();
  });

  it('allows one edit in a short domain, two in a long one', () => {
    expect(suggestDomain('gov.rf', known)).toBeUndefined();
    expect(suggestDomain('gmal.cmo', known)).toBe('gmail.com');
    expect(suggestDomain('gmaxl.cxm', known)).toBe('gmail.com');
    expect(suggestDomain('gmxxl.cxm', known)).toBeUndefined();
  });

  it('prefers the closest domain', () => {
    expect(suggestDomain('yahoo.cm', known)).toBe('yahoo.com');
  });

  it('suggests nothing when two different domains are equally close', () => {
    expect(suggestDomain('hotmail.fo', ['hotmail.fr', 'hotmail.co'])).toBeUndefined();
    expect(suggestDomain('hotmail.fo', ['hotmail.fr'])).toBe('hotmail.fr');
  });
});
