import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { describe, expect, it, vi } from 'vitest';
import { ERRORS } from '../../../src/errors.ts';
import { formatDate, LOCALES, type Locale, loadCatalogues, negotiateLocale } from '../../../src/http/i18n.ts';

const VIEWS = fileURLToPath(new URL('../../../views/', import.meta.url));
/** Renders missing keys as themselves instead of throwing, so a test can ask whether a key exists. */
const lenient = loadCatalogues(VIEWS, { onMissing: () => {} });
const exists = (locale: Locale, key: string) => lenient.translator(locale)(key) !== key;

/** A views dir holding the given catalogues, for the failure cases. */
function viewsWith(catalogues: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'relais-i18n-'));
  mkdirSync(join(dir, 'messages'));
  for (const [locale, messages] of Object.entries(catalogues)) {
    writeFileSync(join(dir, 'messages', `${locale}.json`), JSON.stringify(messages));
  }
  return dir;
}

describe('negotiateLocale', () => {
  it('defaults to French when nothing is said', () => {
    expect(negotiateLocale({})).toBe('fr');
  });

  it('prefers the explicit choice over ui_locales and Accept-Language', () => {
    expect(negotiateLocale({ explicit: 'en', uiLocales: 'fr', acceptLanguage: 'fr' })).toBe('en');
    expect(negotiateLocale({ explicit: 'fr', uiLocales: 'en', acceptLanguage: 'en' })).toBe('fr');
  });

  it('ignores an unsupported explicit choice and falls through to the next source', () => {
    expect(negotiateLocale({ explicit: 'de', uiLocales: 'en' })).toBe('en');
    expect(negotiateLocale({ explicit: '', acceptLanguage: 'en' })).toBe('en');
  });

  it('takes an explicit choice (?lang=, the language cookie) only when it is exactly a known locale', () => {
    for (const explicit of ['FR-ca', 'EN', 'en-GB', 'fr;', ' en', '<fr>']) {
      expect(negotiateLocale({ explicit, acceptLanguage: 'en' })).toBe('en');
      expect(negotiateLocale({ explicit })).toBe('fr');
    }
  });

  it('takes the first supported tag of ui_locales, before Accept-Language', () => {
    expect(negotiateLocale({ uiLocales: 'de es en-GB fr', acceptLanguage: 'fr' })).toBe('en');
    expect(negotiateLocale({ uiLocales: 'de it', acceptLanguage: 'en' })).toBe('en');
  });

  it('orders Accept-Language by q-value, keeping header order on ties', () => {
    expect(negotiateLocale({ acceptLanguage: 'fr;q=0.5, en;q=0.8' })).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'de, en;q=0.7, fr;q=0.7' })).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'en-US,en;q=0.9,fr;q=0.8' })).toBe('en');
  });

  it('drops ranges with q=0 or a malformed q-value', () => {
    expect(negotiateLocale({ acceptLanguage: 'en;q=0, de' })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'en;q=2, de' })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'en;q=abc' })).toBe('fr');
  });

  it('matches region tags and case-insensitively', () => {
    expect(negotiateLocale({ acceptLanguage: 'EN-gb' })).toBe('en');
    expect(negotiateLocale({ uiLocales: 'FR-ca', acceptLanguage: 'en' })).toBe('fr');
  });

  it('falls back to French for unknown locales and the wildcard', () => {
    expect(negotiateLocale({ uiLocales: 'de', acceptLanguage: 'es, it;q=0.5' })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: '*, en;q=0.5' })).toBe('fr');
  });
});

describe('the real catalogues', () => {
  const catalogues = loadCatalogues(VIEWS);
  const t = Object.fromEntries(LOCALES.map((locale) => [locale, catalogues.translator(locale)]));

  it('have the same keys and placeholders in fr and en (loading would throw otherwise)', () => {
    expect(() => loadCatalogues(VIEWS)).not.toThrow();
  });

  it.each(Object.keys(ERRORS))('explain error %s in both languages, with a next step', (code) => {
    for (const locale of LOCALES) {
      for (const part of ['title', 'message', 'next']) {
        expect(exists(locale, `errors.${code}.${part}`), `errors.${code}.${part}`).toBe(true);
      }
    }
  });

  it('hold the keys the route logic relies on', () => {
    const keys = [
      'languages.fr',
      'languages.en',
      'mire.title',
      'consent.title',
      'error.title',
      'logout.title',
      'loggedOut.title',
      'errorCodes.title',
      'about.title',
      ...['inactive', 'insufficient_level', 'excluded', 'temporarily_unavailable'].map(
        (r) => `mire.reason.${r}`,
      ),
      ...['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email'].map(
        (claim) => `claims.${claim}`,
      ),
      'claims.preferred_username',
    ];
    for (const locale of LOCALES) for (const key of keys) expect(exists(locale, key), key).toBe(true);
    expect(t.fr?.('languages.en')).toBe('English');
    expect(t.en?.('languages.fr')).toBe('Français');
    expect(t.fr?.('claims.family_name')).toBe('Nom de naissance');
  });

  it('fill placeholders', () => {
    expect(t.fr?.('mire.cancel', { sp: 'Démo FS' })).toBe('Revenir à Démo FS');
    expect(t.en?.('mire.failure.heading', { idp: 'Mock IdP' })).toBe('Signing in with Mock IdP did not work');
    expect(t.fr?.('consent.person.female', { name: 'Camille MARTIN', birthdate: '12 avril 1987' })).toBe(
      'Vous allez vous connecter en tant que Camille MARTIN, née le 12 avril 1987.',
    );
  });
});

describe('the hub templates', () => {
  const templates = readdirSync(VIEWS).filter((file) => file.endsWith('.njk'));
  const catalogues = loadCatalogues(VIEWS);

  it.each(templates)('%s holds no text of its own: every word comes from t()', (file) => {
    const stripped = readFileSync(join(VIEWS, file), 'utf8')
      .replace(/\{#[\s\S]*?#\}/g, '')
      .replace(/\{%[\s\S]*?%\}/g, '')
      .replace(/\{\{[\s\S]*?\}\}/g, '')
      .replace(/<!DOCTYPE html>/i, '')
      .replace(/<[^>]*>/g, '');
    expect(stripped.trim()).toBe('');
  });

  it.each(templates)('%s puts no text of its own in attributes people hear or read', (file) => {
    const source = readFileSync(join(VIEWS, file), 'utf8');
    for (const [, value = ''] of source.matchAll(/\b(?:aria-label|alt|title|placeholder|value)="([^"]*)"/g)) {
      expect(value.replace(/\{\{[\s\S]*?\}\}/g, '').replace(/^(yes|accept|refuse)$/, ''), value).toBe('');
    }
  });

  it.each(templates)('%s only names keys that exist', (file) => {
    const source = readFileSync(join(VIEWS, file), 'utf8');
    const keys = [...source.matchAll(/\bt\(\s*'([\w.]+)'\s*[,)]/g)].map((m) => m[1] ?? '');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(exists('en', key), key).toBe(true);
  });

  const environment = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: true });
  const render = (locale: Locale, template: string, model: Record<string, unknown>) =>
    environment.render(template, { lang: locale, t: catalogues.translator(locale), languages: [], ...model });
  const mire = {
    titleKey: 'mire.title',
    uid: 'u1',
    csrf: 'c1',
    spName: 'Démo <FS>',
    identityProviders: [
      { uid: 'idp-a', name: 'Compte A', logo: undefined, available: true, reason: undefined },
      { uid: 'idp-b', name: 'Compte B', logo: '/assets/b.svg', available: false, reason: 'excluded' },
    ],
    failure: { idpName: 'Compte A', code: 'R2002' },
  };

  it.each(LOCALES)('render the mire in %s with greyed IdPs that cannot be submitted', (locale) => {
    const html = render(locale, 'mire.njk', mire);
    expect(html).toContain(`<html lang="${locale}">`);
    expect([...html.matchAll(/name="idp" value="([^"]+)"/g)].map((m) => m[1])).toEqual(['idp-a']);
    expect(html).toMatch(/<button type="button" class="idp-choice" disabled aria-describedby="([\w-]+)">/);
    const reasonId = /disabled aria-describedby="([\w-]+)"/.exec(html)?.[1];
    expect(html).toContain(`id="${reasonId}"`);
    expect(html).toContain('role="alert"');
    expect(html).toContain('Compte A');
    expect(html).toContain('Démo &lt;FS&gt;');
    expect(html.match(/<h1[\s>]/g)).toHaveLength(1);
  });

  it('marks a missing agreement on the consent checkbox', () => {
    const html = render('fr', 'consent.njk', {
      titleKey: 'consent.title',
      uid: 'u1',
      csrf: 'c1',
      spName: 'Banque',
      anonymous: false,
      person: { givenName: 'Camille', familyName: 'MARTIN', birthdate: '12 avril 1987', gender: 'female' },
      claims: ['given_name', 'email'],
      requireAgreement: true,
      agreementMissing: true,
    });
    expect(html).toMatch(
      /name="agree" value="yes" required\s+aria-invalid="true" aria-describedby="agree-error/,
    );
    expect(html).toContain('id="agree-error"');
    expect(html).toContain('<label for="agree">');
    expect(html).toContain('née le 12 avril 1987');
    expect(html).toContain('<title>Erreur\u00a0: Transmission de vos données — Relais</title>');
  });

  it('shows the code and the error id on the error page, and the way back when given', () => {
    const html = render('en', 'error.njk', {
      titleKey: 'error.title',
      code: 'R2002',
      errorId: 'abc123',
      status: 502,
      backToSp: { action: '/interaction/u1/back', csrf: 'c1', spName: 'Démo FS' },
    });
    expect(html).toContain('<code>R2002</code>');
    expect(html).toContain('<code>abc123</code>');
    expect(html).toContain('action="/interaction/u1/back"');
    expect(html).toContain('Back to Démo FS');
  });
});

describe('loadCatalogues', () => {
  it('refuses catalogues whose keys differ, naming the key', () => {
    const dir = viewsWith({ fr: { a: { b: 'x', c: 'y' } }, en: { a: { b: 'x' }, d: 'z' } });
    expect(() => loadCatalogues(dir)).toThrow(/a\.c missing in en.*d missing in fr/);
  });

  it('refuses catalogues whose placeholders differ', () => {
    const dir = viewsWith({ fr: { a: 'Revenir à {sp}' }, en: { a: 'Back to {idp}' } });
    expect(() => loadCatalogues(dir)).toThrow(/a has other placeholders in en/);
  });

  it('refuses a catalogue holding something other than strings', () => {
    const dir = viewsWith({ fr: { a: 1 }, en: { a: 1 } });
    expect(() => loadCatalogues(dir)).toThrow(/nested objects of strings/);
  });

  it('throws on a missing key or parameter by default', () => {
    const t = loadCatalogues(viewsWith({ fr: { a: 'À {sp}' }, en: { a: 'To {sp}' } })).translator('fr');
    expect(t('a', { sp: 'X', unused: 1 })).toBe('À X');
    expect(() => t('nope')).toThrow(/no message "nope"/);
    expect(() => t('a')).toThrow(/needs the parameter \{sp\}/);
  });

  it('renders the key and reports it once when told how to report', () => {
    const onMissing = vi.fn();
    const dir = viewsWith({ fr: { a: 'À {sp}' }, en: { a: 'To {sp}' } });
    const t = loadCatalogues(dir, { onMissing }).translator('en');
    expect(t('nope')).toBe('nope');
    expect(t('nope')).toBe('nope');
    expect(t('a')).toBe('To {sp}');
    expect(onMissing.mock.calls).toEqual([
      ['nope', 'en'],
      ['a', 'en'],
    ]);
  });
});

describe('formatDate', () => {
  it('writes a birthdate the way each language does', () => {
    expect(formatDate('fr', '1987-04-12')).toBe('12 avril 1987');
    expect(formatDate('en', '1987-04-12')).toBe('12 April 1987');
  });

  it('writes the first of the month as an ordinal in French', () => {
    expect(formatDate('fr', '1975-06-01')).toBe('1er juin 1975');
    expect(formatDate('en', '1975-06-01')).toBe('1 June 1975');
  });

  it('does not shift the day, whatever the time zone', () => {
    expect(formatDate('fr', '2000-12-31')).toBe('31 décembre 2000');
  });

  it('refuses a date that is not a real YYYY-MM-DD', () => {
    for (const bad of ['1987-02-30', '12/04/1987', '1987-4-12', '']) {
      expect(() => formatDate('fr', bad)).toThrow(RangeError);
    }
  });
});
