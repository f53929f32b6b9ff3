// The ProConnect identity an IdP asserts: SIRET/SIREN keys, required and optional claims, email
// plausibility, which IdP may vouch for which address, and the key behind the agent's `sub`.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveSub } from '../../../src/pivot/index.ts';
import {
  domainMatches,
  emailDomain,
  luhnValid,
  mayAssertEmail,
  normaliseEmail,
  PRO_OPTIONAL_CLAIMS,
  PRO_REQUIRED_CLAIMS,
  proIdentityKey,
  validateProIdentity,
  validSiren,
  validSiret,
} from '../../../src/pro/identity.ts';

/** Appends the Luhn key to a string of digits: builds fictitious identifiers. */
function withLuhnKey(digits: string): string {
  const key = [...'0123456789'].find((k) => luhnValid(`${digits}${k}`));
  if (key === undefined) throw new Error('no Luhn key');
  return `${digits}${key}`;
}

const FICTITIOUS_SIREN = withLuhnKey('12345678'); // 123456782
const FICTITIOUS_SIRET = withLuhnKey(`${FICTITIOUS_SIREN}0001`);

const camille = {
  sub: 'agent-4f2a9c',
  given_name: 'Camille',
  usual_name: 'Delacour',
  email: 'camille.delacour@exemple.fr',
  uid: 'cdelacour',
  siret: FICTITIOUS_SIRET,
};

/** The problems, asserting each reason leaves the rejected value out (reasons end up in logs). */
function problemsOf(raw: Record<string, unknown>): Record<string, string> {
  const result = validateProIdentity(raw);
  if (result.ok) throw new Error('expected the identity to be rejected');
  for (const { claim, reason } of result.problems) {
    const value = raw[claim];
    if (typeof value === 'string' && value.trim().length > 0) expect(reason).not.toContain(value.trim());
  }
  return Object.fromEntries(result.problems.map(({ claim, reason }) => [claim, reason]));
}

describe('Luhn, SIREN and SIRET', () => {
  it('computes the Luhn key', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('1234a')).toBe(false);
  });

  it('accepts known-valid public SIREN and SIRET', () => {
    expect(validSiren('552100554')).toBe(true);
    expect(validSiret('55210055400013')).toBe(true);
    expect(FICTITIOUS_SIREN).toBe('123456782');
    expect(validSiren(FICTITIOUS_SIREN)).toBe(true);
    expect(validSiret(FICTITIOUS_SIRET)).toBe(true);
  });

  it.each([
    ['a wrong key', '55210055400014'],
    ['13 digits', '5521005540001'],
    ['15 digits', '552100554000130'],
    ['a letter', '5521005540001A'],
    ['spaces', '552 100 554 00013'],
    ['non-ASCII digits', '５５２１００５５４０００１３'],
    ['surrounding spaces', ' 55210055400013'],
  ])('rejects a SIRET with %s', (_, siret) => {
    expect(validSiret(siret)).toBe(false);
  });

  it('rejects a SIRET or SIREN that is not a string', () => {
    expect(validSiret(55210055400013)).toBe(false);
    expect(validSiren(552100554)).toBe(false);
    expect(validSiret(undefined)).toBe(false);
  });

  it.each(['552100555', '55210055', '5521005540', '55210055A'])('rejects the SIREN %j', (siren) => {
    expect(validSiren(siren)).toBe(false);
  });

  it("accepts La Poste's SIRETs, whose digits add up to a multiple of 5, and its Luhn head office", () => {
    expect(validSiren('356000000')).toBe(true);
    // 3+5+6+4+9+8+3+7 = 45, and no Luhn key.
    expect(luhnValid('35600000049837')).toBe(false);
    expect(validSiret('35600000049837')).toBe(true);
    expect(validSiret('35600000000048')).toBe(true);
    // Neither rule: sum 46, no Luhn key.
    expect(validSiret('35600000049838')).toBe(false);
  });

  it('keeps the multiple-of-5 rule to La Poste', () => {
    // Digits add up to 45 but SIREN 356000001 is not La Poste, and the Luhn key is wrong.
    const notLaPoste = '35600000149836';
    expect(luhnValid(notLaPoste)).toBe(false);
    expect(validSiret(notLaPoste)).toBe(false);
  });
});

describe('validateProIdentity: accepted identities', () => {
  it('accepts the required claims, trimmed, and ignores extra claims', () => {
    const result = validateProIdentity({ ...camille, given_name: '  Camille ', family_name: 'X' });
    expect(result).toEqual({ ok: true, claims: camille, dropped: [] });
  });

  it('passes every valid optional claim on', () => {
    const optional = {
      siren: FICTITIOUS_SIREN,
      phone: '+33 (0)1 23 45 67 89',
      organizational_unit: 'Bureau des essais',
      belonging_population: 'agents',
      chorusdt: 'Fictive SA',
    };
    expect(Object.keys(optional)).toEqual([...PRO_OPTIONAL_CLAIMS]);
    expect(validateProIdentity({ ...camille, ...optional })).toEqual({
      ok: true,
      claims: { ...camille, ...optional },
      dropped: [],
    });
  });

  it('lowercases the email domain and keeps the local part', () => {
    const result = validateProIdentity({ ...camille, email: ' Camille.Delacour@EXEMPLE.FR ' });
    expect(result.ok && result.claims['email']).toBe('Camille.Delacour@exemple.fr');
  });

  it('treats a null optional claim as absent', () => {
    expect(validateProIdentity({ ...camille, phone: null })).toEqual({
      ok: true,
      claims: camille,
      dropped: [],
    });
  });

  it('drops an invalid optional claim instead of passing it on', () => {
    const result = validateProIdentity({
      ...camille,
      siren: '123456789',
      phone: '12345',
      organizational_unit: 'Bureau\u0000',
      belonging_population: '   ',
      chorusdt: 42,
    });
    expect(result).toEqual({
      ok: true,
      claims: camille,
      dropped: ['siren', 'phone', 'organizational_unit', 'belonging_population', 'chorusdt'],
    });
  });

  it.each(['01 23 45 67 89', '+33.1.23.45.67.89', '(01) 23-45-67-89', '123456'])(
    'accepts the phone %j',
    (phone) => {
      const result = validateProIdentity({ ...camille, phone });
      expect(result.ok && result.claims['phone']).toBe(phone);
    },
  );

  it.each(['12345', '01 23 45 67 89 ext', '0'.repeat(33), '+33/1/23/45/67/89'])(
    'drops the phone %j',
    (phone) => {
      expect(validateProIdentity({ ...camille, phone })).toMatchObject({ ok: true, dropped: ['phone'] });
    },
  );
});

describe('validateProIdentity: rejected identities', () => {
  it('reports every missing required claim as missing', () => {
    expect(problemsOf({})).toEqual(
      Object.fromEntries(PRO_REQUIRED_CLAIMS.map((claim) => [claim, 'missing'])),
    );
    expect(problemsOf({ ...camille, siret: null })).toEqual({ siret: 'missing' });
  });

  it('reports required claims that are not strings, a numeric SIRET included', () => {
    expect(problemsOf({ ...camille, siret: 55210055400013, uid: 7, sub: ['x'] })).toEqual({
      siret: 'not a string',
      uid: 'not a string',
      sub: 'not a string',
    });
  });

  it('rejects an invalid SIRET without quoting it', () => {
    expect(problemsOf({ ...camille, siret: '55210055400014' })).toEqual({
      siret: 'must be 14 digits with a valid SIRET key',
    });
  });

  it('rejects an implausible email without quoting it', () => {
    expect(problemsOf({ ...camille, email: 'camille.delacour@exemple' })).toEqual({
      email: 'must be a plausible email address',
    });
  });

  it.each(['', '   '])('rejects the empty name %j', (name) => {
    expect(problemsOf({ ...camille, usual_name: name })).toEqual({ usual_name: 'must not be empty' });
  });

  it('rejects names and uid longer than 256 characters, and accepts 256', () => {
    expect(problemsOf({ ...camille, given_name: 'A'.repeat(257), uid: 'u'.repeat(257) })).toEqual({
      given_name: 'must be at most 256 characters',
      uid: 'must be at most 256 characters',
    });
    expect(validateProIdentity({ ...camille, given_name: 'A'.repeat(256), uid: 'u'.repeat(256) }).ok).toBe(
      true,
    );
  });

  it.each(['Cam\u0000ille', 'Camille\nDelacour', 'Cam\u001fille', 'Cam\u007fille'])(
    'rejects the control characters in %j',
    (name) => {
      expect(problemsOf({ ...camille, given_name: name, uid: name })).toEqual({
        given_name: 'must not contain control characters',
        uid: 'must not contain control characters',
      });
    },
  );

  it('accepts a sub of 255 characters and rejects one of 256, or an empty one', () => {
    expect(validateProIdentity({ ...camille, sub: 's'.repeat(255) }).ok).toBe(true);
    expect(problemsOf({ ...camille, sub: 's'.repeat(256) })).toEqual({
      sub: 'must be at most 255 characters',
    });
    expect(problemsOf({ ...camille, sub: '' })).toEqual({ sub: 'must not be empty' });
  });

  it.each(['agent\u001f1', 'agent\u00001', 'agent\u200b1', 'agent\n'])('rejects the sub %j', (sub) => {
    expect(problemsOf({ ...camille, sub })).toEqual({ sub: 'must hold only printable characters' });
  });

  it('rejects a sub with surrounding spaces rather than trimming it into another agent', () => {
    expect(problemsOf({ ...camille, sub: ' agent-4f2a9c' })).toEqual({
      sub: 'must not start or end with a space',
    });
  });

  it('never puts a value in a reason', () => {
    const secret = 'ZZ-secret-value-ZZ';
    const result = validateProIdentity({
      sub: `${secret}\u0000`,
      given_name: `${secret}\n${secret}`,
      usual_name: `${secret}${'x'.repeat(300)}`,
      email: secret,
      uid: `${secret}\u0007`,
      siret: secret,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map(({ claim }) => claim)).toEqual([...PRO_REQUIRED_CLAIMS]);
      expect(JSON.stringify(result.problems)).not.toContain('ZZ');
    }
  });
});

describe('normaliseEmail', () => {
  it.each([
    ['a@exemple.fr', 'a@exemple.fr'],
    ["o'brien+test@sub.exemple.fr", "o'brien+test@sub.exemple.fr"],
    ['Jean.Dupont@Exemple.GOUV.fr', 'Jean.Dupont@exemple.gouv.fr'],
    ['  x@exemple.fr\t', 'x@exemple.fr'],
    ['x@xn--exemple-9ua.fr', 'x@xn--exemple-9ua.fr'],
    ['x@a-b.c1.fr', 'x@a-b.c1.fr'],
    [`${'l'.repeat(64)}@exemple.fr`, `${'l'.repeat(64)}@exemple.fr`],
  ])('accepts %j', (email, normalised) => {
    expect(normaliseEmail(email)).toBe(normalised);
  });

  it.each([
    ['no @', 'exemple.fr'],
    ['an empty local part', '@exemple.fr'],
    ['two @', 'a@b@exemple.fr'],
    ['a local part of 65 characters', `${'l'.repeat(65)}@exemple.fr`],
    ['a leading dot', '.a@exemple.fr'],
    ['a trailing dot', 'a.@exemple.fr'],
    ['two dots', 'a..b@exemple.fr'],
    ['a space inside', 'a b@exemple.fr'],
    ['a quoted local part', '"a"@exemple.fr'],
    ['a single label', 'a@localhost'],
    ['an empty label', 'a@exemple..fr'],
    ['a trailing dot in the domain', 'a@exemple.fr.'],
    ['a label starting with a hyphen', 'a@-exemple.fr'],
    ['a label ending with a hyphen', 'a@exemple-.fr'],
    ['a label of 64 characters', `a@${'d'.repeat(64)}.fr`],
    ['a numeric top-level label', 'a@exemple.123'],
    ['a one-letter top-level label', 'a@exemple.f'],
    ['an underscore in the domain', 'a@exe_mple.fr'],
    ['a non-ASCII domain', 'a@exemplé.fr'],
    ['an IP literal', 'a@[192.0.2.1]'],
    [
      'more than 254 characters',
      `ab@${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(63)}.fr`,
    ],
  ])('rejects %s', (_, email) => {
    expect(normaliseEmail(email)).toBeUndefined();
  });

  it('rejects what is not a string', () => {
    expect(normaliseEmail(42)).toBeUndefined();
    expect(normaliseEmail(null)).toBeUndefined();
  });

  it('accepts exactly 254 characters', () => {
    const email = `a@${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(61)}.${'d'.repeat(63)}.fr`;
    expect(email).toHaveLength(254);
    expect(normaliseEmail(email)).toBe(email);
  });
});

describe('email domains', () => {
  it('takes the domain after the last @, lowercased', () => {
    expect(emailDomain('Camille@Exemple.FR')).toBe('exemple.fr');
    expect(emailDomain('exemple.fr')).toBe('');
  });

  it('matches a domain and its subdomains, whatever the case', () => {
    expect(domainMatches('gouv.fr', 'gouv.fr')).toBe(true);
    expect(domainMatches('interieur.GOUV.fr', 'gouv.fr')).toBe(true);
    expect(domainMatches('police.interieur.gouv.fr', 'Interieur.Gouv.Fr')).toBe(true);
  });

  it('does not match a domain that only ends with the same letters, nor a parent', () => {
    expect(domainMatches('evil-gouv.fr', 'gouv.fr')).toBe(false);
    expect(domainMatches('evilgouv.fr', 'gouv.fr')).toBe(false);
    expect(domainMatches('gouv.fr', 'interieur.gouv.fr')).toBe(false);
    expect(domainMatches('gouv.fr.evil.com', 'gouv.fr')).toBe(false);
    expect(domainMatches('fr', '')).toBe(false);
  });

  it('lets a fallback IdP assert any email, another only its listed domains', () => {
    const ministry = { email_domains: ['interieur.gouv.fr'] };
    expect(mayAssertEmail(ministry, 'a@police.interieur.gouv.fr')).toBe(true);
    expect(mayAssertEmail(ministry, 'a@interieur.gouv.fr')).toBe(true);
    expect(mayAssertEmail(ministry, 'a@justice.gouv.fr')).toBe(false);
    expect(mayAssertEmail(ministry, 'a@evil-interieur.gouv.fr')).toBe(false);
    expect(mayAssertEmail({ email_domains: ['gouv.fr'] }, 'a@evil-gouv.fr')).toBe(false);
    expect(mayAssertEmail({}, 'a@exemple.fr')).toBe(false);
    expect(mayAssertEmail({ email_domains: [], fallback: false }, 'a@exemple.fr')).toBe(false);
    expect(mayAssertEmail({ fallback: true }, 'a@exemple.fr')).toBe(true);
  });
});

describe('proIdentityKey', () => {
  it('joins the IdP uid and sub so deriveSub hashes sector ␟ uid ␟ sub', () => {
    const secret = 'x'.repeat(32);
    expect(proIdentityKey('idp-a', 'agent-1')).toBe('idp-a\u001fagent-1');
    expect(deriveSub(secret, 'sp.exemple.fr', proIdentityKey('idp-a', 'agent-1'))).toBe(
      createHmac('sha256', secret).update('sp.exemple.fr\u001fidp-a\u001fagent-1').digest('hex'),
    );
  });

  it('gives the same IdP sub at two IdPs two keys', () => {
    expect(proIdentityKey('idp-a', 'agent-1')).not.toBe(proIdentityKey('idp-b', 'agent-1'));
  });

  it.each([
    ['', 'agent-1'],
    ['idp-a', ''],
    ['idp\u001fa', 'agent-1'],
    ['idp-a', 'agent\u001f1'],
  ])('refuses the uid %j and sub %j', (uid, sub) => {
    expect(() => proIdentityKey(uid, sub)).toThrow(/U\+001F/);
  });
});
