// The citizen pages' languages: which one a request gets, and the message catalogues the
// templates read through t(). Pure: files are read once at start, nothing touches the request.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export type Locale = 'fr' | 'en';
export const LOCALES: readonly Locale[] = Object.freeze(['fr', 'en']);
const DEFAULT_LOCALE: Locale = 'fr';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** 'en-GB' → 'en', 'FR' → 'fr', anything else → undefined. */
function supported(tag: string): Locale | undefined {
  const primary = tag.trim().toLowerCase().split('-')[0];
  return isLocale(primary) ? primary : undefined;
}

/** Accept-Language ranges by decreasing q (ties keep header order); q=0 and malformed q are dropped. */
function acceptedRanges(header: string): string[] {
  const ranges: Array<{ tag: string; q: number; index: number }> = [];
  // A header is short; a bound keeps a hostile one cheap.
  for (const [index, part] of header.split(',').slice(0, 32).entries()) {
    const [tag = '', ...params] = part.split(';').map((s) => s.trim());
    const qParam = params.find((p) => /^q\s*=/i.test(p));
    const q = qParam === undefined ? 1 : qValue(qParam.replace(/^q\s*=\s*/i, ''));
    if (tag && q !== undefined && q > 0) ranges.push({ tag, q, index });
  }
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index).map((r) => r.tag);
}

/** RFC 9110 qvalue: 0 to 1, at most three decimals. */
function qValue(text: string): number | undefined {
  return /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text) ? Number(text) : undefined;
}

/**
 * Explicit choice (?lang= or the relais_lang cookie) > ui_locales (space-separated, first supported)
 * > Accept-Language (q-values) > 'fr'. The explicit choice counts only when it is exactly one of
 * LOCALES (the hub never writes anything else), so a cookie planted with any other value is ignored.
 */
export function negotiateLocale(input: {
  explicit?: string | undefined;
  uiLocales?: string | undefined;
  acceptLanguage?: string | undefined;
}): Locale {
  if (isLocale(input.explicit)) return input.explicit;
  for (const tag of (input.uiLocales ?? '').split(' ').slice(0, 32)) {
    const locale = tag ? supported(tag) : undefined;
    if (locale) return locale;
  }
  for (const range of acceptedRanges(input.acceptLanguage ?? '')) {
    if (range === '*') return DEFAULT_LOCALE;
    const locale = supported(range);
    if (locale) return locale;
  }
  return DEFAULT_LOCALE;
}

/** t('mire.lead', { sp: 'Impôts' }). Values are plain text: nunjucks autoescapes them. */
export type Translate = (key: string, params?: Record<string, string | number>) => string;

export interface Catalogues {
  translator(locale: Locale): Translate;
}

export interface CatalogueOptions {
  /**
   * Absent: a missing key or placeholder throws (tests, development). Present: the page renders
   * the key (or leaves `{name}`) and this is called once per key, to log it.
   */
  onMissing?: (key: string, locale: Locale) => void;
}

interface Messages {
  [key: string]: string | Messages;
}
const messagesSchema: z.ZodType<Messages> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), messagesSchema])),
);

const PLACEHOLDER = /\{([A-Za-z_][\w]*)\}/g;

/** Loads `<viewsDir>/messages/<locale>.json` (nested JSON objects); throws if fr and en differ in keys or placeholders. */
export function loadCatalogues(viewsDir: string, options: CatalogueOptions = {}): Catalogues {
  const flat = new Map(LOCALES.map((locale) => [locale, readCatalogue(viewsDir, locale)]));
  checkSameShape(flat);
  const reported = new Set<string>();
  const missing = (key: string, locale: Locale, what: string): void => {
    if (!options.onMissing) throw new Error(`i18n: ${what} (${locale})`);
    if (!reported.has(`${locale}:${key}`)) options.onMissing(key, locale);
    reported.add(`${locale}:${key}`);
  };
  return {
    translator(locale) {
      const messages = flat.get(locale) ?? new Map<string, string>();
      return (key, params = {}) => {
        const message = messages.get(key);
        if (message === undefined) {
          missing(key, locale, `no message "${key}"`);
          return key;
        }
        return message.replace(PLACEHOLDER, (whole, name: string) => {
          const value = params[name];
          if (value !== undefined) return String(value);
          missing(key, locale, `message "${key}" needs the parameter {${name}}`);
          return whole;
        });
      };
    },
  };
}

function readCatalogue(viewsDir: string, locale: Locale): Map<string, string> {
  const file = join(viewsDir, 'messages', `${locale}.json`);
  const parsed = messagesSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`i18n: ${file} must hold nested objects of strings`);
  const flat = new Map<string, string>();
  const walk = (messages: Messages, prefix: string): void => {
    for (const [key, value] of Object.entries(messages)) {
      if (typeof value === 'string') flat.set(prefix + key, value);
      else walk(value, `${prefix}${key}.`);
    }
  };
  walk(parsed.data, '');
  return flat;
}

const placeholdersOf = (message: string) =>
  [...new Set([...message.matchAll(PLACEHOLDER)].map((m) => m[1]))].sort().join(',');

/** Every locale must have every key, with the same placeholders: a page never half-translates. */
function checkSameShape(flat: Map<Locale, Map<string, string>>): void {
  const reference = flat.get(DEFAULT_LOCALE) ?? new Map<string, string>();
  const problems: string[] = [];
  for (const [locale, messages] of flat) {
    if (locale === DEFAULT_LOCALE) continue;
    for (const key of reference.keys()) if (!messages.has(key)) problems.push(`${key} missing in ${locale}`);
    for (const [key, message] of messages) {
      const expected = reference.get(key);
      if (expected === undefined) problems.push(`${key} missing in ${DEFAULT_LOCALE}`);
      else if (placeholdersOf(expected) !== placeholdersOf(message))
        problems.push(`${key} has other placeholders in ${locale}`);
    }
  }
  if (problems.length > 0) throw new Error(`i18n: catalogues differ: ${problems.join('; ')}`);
}

const DATE_FORMATS: Record<Locale, Intl.DateTimeFormat> = {
  fr: new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
};

/** Formats a YYYY-MM-DD birthdate for the locale: fr "12 avril 1987" ("1er avril"), en "12 April 1987". */
export function formatDate(locale: Locale, isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  const [year, month, day] = (match?.slice(1) ?? []).map(Number);
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  if (!match || date.getUTCMonth() + 1 !== month || date.getUTCDate() !== day) {
    throw new RangeError('formatDate: not a real YYYY-MM-DD date');
  }
  date.setUTCFullYear(year ?? 0); // Date.UTC maps years 0-99 to 1900-1999.
  const text = DATE_FORMATS[locale].format(date);
  // French writes the first of the month as an ordinal: « 1er avril ».
  return locale === 'fr' && day === 1 ? text.replace(/^1(?=\s)/, '1er') : text;
}
