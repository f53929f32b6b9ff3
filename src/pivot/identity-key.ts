// The canonical identity key: the same person gives the same key whatever IdP spelled the names.
// Frozen by test/unit/pivot/golden-vectors.json: changing anything here changes every `sub`.
import { PIVOT_CLAIMS, type Pivot } from './claims.ts';

export const IDENTITY_KEY_VERSION = 'v1';
const SEPARATOR = '\u001f';

// Letters NFKD leaves whole (after uppercasing; ß has already become SS, ẞ has not).
const WHOLE_LETTERS: Record<string, string> = { Œ: 'OE', Æ: 'AE', ẞ: 'SS', Ø: 'O', Ł: 'L', Đ: 'D' };
const WHOLE_LETTER = /[ŒÆẞØŁĐ]/gu;
// Apostrophe-like, hyphen/dash-like, and the dot: word separators, spelled differently by each IdP.
const SEPARATOR_LIKE = /['’‘ʼ`\-‐‑‒–—.]/gu;

/** Normalisation v1 of a name: no accents, uppercase, punctuation as spaces, single spaces. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(WHOLE_LETTER, (letter) => WHOLE_LETTERS[letter] ?? letter)
    .replace(SEPARATOR_LIKE, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** `v1` ␟ the six normalised claims in PIVOT_CLAIMS order, ␟ being U+001F. */
export function identityKey(pivot: Pivot): string {
  const normalised: Pivot = {
    ...pivot,
    given_name: normaliseName(pivot.given_name),
    family_name: normaliseName(pivot.family_name),
    birthplace: pivot.birthplace.toUpperCase(),
  };
  const fields = PIVOT_CLAIMS.map((claim) => normalised[claim]);
  // A validated pivot never holds the separator; one that does would let two people share a key.
  if (fields.some((field) => field.includes(SEPARATOR))) {
    throw new Error('identityKey: a pivot claim contains the U+001F separator');
  }
  return [IDENTITY_KEY_VERSION, ...fields].join(SEPARATOR);
}
