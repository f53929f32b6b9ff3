// The claims beside the pivot: each rule lets a valid value through, and drops (or, for
// auth_time, replaces) each malformed form, with a reason that never holds the value.
import { describe, expect, it } from 'vitest';
import {
  AMR_MAX_VALUES,
  AUTH_TIME_SKEW,
  validateAmr,
  validateAuthTime,
  validateComplementaryClaims,
} from '../../../src/pivot/index.ts';

/** What was dropped, claim → reason, asserting no reason repeats the value it refused. */
function droppedOf(claims: Record<string, unknown>): Record<string, string> {
  const { dropped } = validateComplementaryClaims(claims);
  for (const { claim, reason } of dropped) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim()) expect(reason).not.toContain(value.trim());
  }
  return Object.fromEntries(dropped.map(({ claim, reason }) => [claim, reason]));
}

describe('validateComplementaryClaims: email', () => {
  it.each([
    'camille.martin@courriel.example',
    "o'brien+fc@sous.domaine.example.fr",
    `${'a'.repeat(64)}@example.fr`,
    `a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(56)}.fr`,
  ])('passes %s', (email) => {
    expect(email.length).toBeLessThanOrEqual(254);
    expect(validateComplementaryClaims({ email })).toEqual({ claims: { email }, dropped: [] });
  });

  it('passes the address trimmed, as the IdP wrote it otherwise', () => {
    expect(validateComplementaryClaims({ email: '  Camille@Courriel.Example ' }).claims).toEqual({
      email: 'Camille@Courriel.Example',
    });
  });

  it.each([
    ['no @', 'camille.courriel.example'],
    ['two @', 'camille@martin@courriel.example'],
    ['a domain without a dot', 'camille@localhost'],
    ['a space inside', 'camille martin@courriel.example'],
    ['a control character', 'camille\u0000@courriel.example'],
    ['a newline', 'camille@courriel.example\nBcc: x@y.example'],
    ['an empty local part', '@courriel.example'],
    ['a local part over 64 characters', `${'a'.repeat(65)}@example.fr`],
    [
      'more than 254 characters',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.fr`,
    ],
    ['a numeric top-level domain', 'camille@10.0.0.1'],
    ['a dot at the end of the local part', 'camille.@courriel.example'],
  ])('drops an email with %s', (_, email) => {
    const result = validateComplementaryClaims({ email });
    expect(result.claims).toEqual({});
    expect(droppedOf({ email })).toEqual({ email: 'must be a plausible email address' });
  });

  it('drops an email that is not a string', () => {
    expect(droppedOf({ email: ['camille@courriel.example'] })).toEqual({ email: 'not a string' });
    expect(droppedOf({ email: 42 })).toEqual({ email: 'not a string' });
  });

  it('treats an absent, null or empty email as none, without a problem', () => {
    for (const email of [undefined, null, '', '   ']) {
      expect(validateComplementaryClaims({ email })).toEqual({ claims: {}, dropped: [] });
    }
  });
});

describe("validateComplementaryClaims: preferred_username (the nom d'usage)", () => {
  it.each(['Martin', "N'Diaye-Durand", 'de La Fontaine', 'Müller', 'St. Clair'])('passes %s', (name) => {
    expect(validateComplementaryClaims({ preferred_username: name }).claims).toEqual({
      preferred_username: name,
    });
  });

  it.each([
    ['digits', 'Martin2'],
    ['markup', '<b>Martin</b>'],
    ['no letter', "-'-"],
    ['a control character', 'Mar\u0007tin'],
    ['more than 256 characters', 'a'.repeat(257)],
  ])('drops a usage name with %s', (_, name) => {
    expect(validateComplementaryClaims({ preferred_username: name }).claims).toEqual({});
    expect(Object.keys(droppedOf({ preferred_username: name }))).toEqual(['preferred_username']);
  });

  it('keeps a valid email when the usage name is dropped, and the other way round', () => {
    const result = validateComplementaryClaims({ email: 'a@b.example', preferred_username: '123' });
    expect(result.claims).toEqual({ email: 'a@b.example' });
    expect(result.dropped.map((p) => p.claim)).toEqual(['preferred_username']);
  });

  it('ignores every other claim', () => {
    expect(validateComplementaryClaims({ given_name: 'Camille', phone: '0102030405' })).toEqual({
      claims: {},
      dropped: [],
    });
  });
});

describe('validateAmr', () => {
  it('passes RFC 8176 values and the like, in order', () => {
    expect(validateAmr(['pwd', 'mfa', 'otp'])).toEqual({ value: ['pwd', 'mfa', 'otp'] });
    expect(validateAmr(['urn:idp:method:card'])).toEqual({ value: ['urn:idp:method:card'] });
  });

  it('removes repeats without calling them a problem', () => {
    expect(validateAmr(['pwd', 'mfa', 'pwd'])).toEqual({ value: ['pwd', 'mfa'] });
  });

  it('is none when absent or empty', () => {
    expect(validateAmr(undefined)).toEqual({ value: undefined });
    expect(validateAmr(null)).toEqual({ value: undefined });
    expect(validateAmr([])).toEqual({ value: undefined });
  });

  it.each([
    ['longer than 32 characters', 'x'.repeat(33)],
    ['empty', ''],
    ['with a space', 'pass word'],
    ['with a control character', 'pwd\u0000'],
    ['not ASCII', 'mot-de-passé'],
    ['not a string', 7],
  ])('drops a value %s, keeping the others', (_, bad) => {
    const checked = validateAmr(['pwd', bad, 'mfa']);
    expect(checked.value).toEqual(['pwd', 'mfa']);
    expect(checked.problem).toEqual({
      claim: 'amr',
      reason: 'values must be 1 to 32 printable ASCII characters',
    });
    if (typeof bad === 'string' && bad) expect(checked.problem?.reason).not.toContain(bad);
  });

  it('is none when every value is dropped', () => {
    expect(validateAmr(['x'.repeat(40)]).value).toBeUndefined();
  });

  it(`passes ${AMR_MAX_VALUES} values and drops a list of more`, () => {
    const values = Array.from({ length: AMR_MAX_VALUES + 1 }, (_, i) => `m${i}`);
    expect(validateAmr(values.slice(0, AMR_MAX_VALUES)).value).toHaveLength(AMR_MAX_VALUES);
    expect(validateAmr(values)).toEqual({
      value: undefined,
      problem: { claim: 'amr', reason: `must hold at most ${AMR_MAX_VALUES} values` },
    });
  });

  it('drops an amr that is not a list', () => {
    expect(validateAmr('pwd')).toEqual({
      value: undefined,
      problem: { claim: 'amr', reason: 'must be a list' },
    });
    expect(validateAmr({ 0: 'pwd' }).value).toBeUndefined();
  });
});

describe('validateAuthTime', () => {
  const now = 1_750_000_000;
  const window = { now, maxAge: 1800 };

  it('passes an integer time from the window, skew included', () => {
    for (const authTime of [now, now - 60, now - 1800, now - 1800 - AUTH_TIME_SKEW, now + AUTH_TIME_SKEW]) {
      expect(validateAuthTime(authTime, window)).toEqual({ value: authTime });
    }
  });

  it.each([
    ['in the future beyond the skew', now + AUTH_TIME_SKEW + 1, 'must not be in the future'],
    ['in milliseconds', now * 1000, 'must not be in the future'],
    ['fractional', now - 0.5, 'must be an integer number of seconds'],
    ['not a number', String(now), 'must be an integer number of seconds'],
    ['NaN', Number.NaN, 'must be an integer number of seconds'],
    ['infinite', Number.POSITIVE_INFINITY, 'must be an integer number of seconds'],
  ])('replaces a time %s by the callback time', (_, authTime, reason) => {
    const checked = validateAuthTime(authTime, window);
    expect(checked).toEqual({ value: now, problem: { claim: 'auth_time', reason } });
    if (String(authTime).length > 4) expect(reason).not.toContain(String(authTime));
  });

  it.each([
    ['older than the window', now - 1800 - AUTH_TIME_SKEW - 1],
    ['zero', 0],
    ['negative', -1],
  ])('marks a time %s stale, keeping it: never passed off as fresh', (_, authTime) => {
    expect(validateAuthTime(authTime, window)).toEqual({
      value: authTime,
      stale: true,
      problem: { claim: 'auth_time', reason: 'more than 1800 s old' },
    });
  });

  it('without a window, keeps any past time', () => {
    expect(validateAuthTime(0, { now })).toEqual({ value: 0 });
    expect(validateAuthTime(now - 30 * 86_400, { now })).toEqual({ value: now - 30 * 86_400 });
  });
});
