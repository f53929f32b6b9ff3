// The identité pivot arrives from an IdP: untrusted input. Reasons name the rule, never the value,
// because they end up in logs.
import { z } from 'zod';
import type { Pivot, PivotClaim } from './claims.ts';

export const FRANCE = '99100';
const EARLIEST_BIRTHDATE = '1850-01-01';

export type PivotProblem = { claim: string; reason: string };
export type PivotValidation = { ok: true; pivot: Pivot } | { ok: false; problems: PivotProblem[] };

const claimString = () =>
  z.string({ error: (issue) => (issue.input == null ? 'missing' : 'not a string') }).trim();

// Letters (accented or not, composed or decomposed), spaces, apostrophes, hyphens/dashes, dots.
const NAME_CHARACTERS = /^[\p{L}\p{M}\p{Zs}'’‘ʼ`.\-‐‑‒–—]+$/u;
/** A name as an IdP writes it: the pivot's names, and the nom d'usage beside them. */
export const personName = claimString()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(NAME_CHARACTERS, 'may hold only letters, spaces, apostrophes, hyphens and dots')
  .regex(/\p{L}/u, 'must contain a letter');

function isRealDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return (
    parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day
  );
}

// "Today" as late as it is anywhere on Earth (UTC+14), so a baby born today in any time zone passes.
function latestToday(now: Date): string {
  return new Date(now.getTime() + 14 * 3600_000).toISOString().slice(0, 10);
}

// Built once, as every schema here (building a zod schema costs more than using it); the one
// rule that depends on the day is checked after it.
const birthdate = claimString()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((date) => !/^\d{4}-\d{2}-\d{2}$/.test(date) || isRealDate(date), 'not a real date')
  .refine((date) => date >= EARLIEST_BIRTHDATE, `must not be before ${EARLIEST_BIRTHDATE}`);

const gender = claimString().refine(
  (value) => value === 'male' || value === 'female',
  'must be male or female',
);
// Every INSEE country code is 99xxx; 99100 is France.
const birthcountry = claimString().regex(/^99\d{3}$/, 'must be a 5-digit INSEE country code (99xxx)');
// A commune code: 5 digits, or 2A/2B and 3 digits for Corsica.
const frenchBirthplace = claimString().regex(/^(\d{5}|2[AB]\d{3})$/i, 'must be a 5-digit INSEE code');
const foreignBirthplace = z
  .union([z.null(), z.undefined(), claimString()], { error: 'not a string' })
  .transform((value) => value ?? '')
  .refine((value) => value === '', 'must be empty when born abroad');

/** Checks the six pivot claims; extra claims are ignored. `now` is injectable for tests. */
export function validatePivot(
  claims: Record<string, unknown>,
  options: { now?: Date } = {},
): PivotValidation {
  const now = options.now ?? new Date();
  const problems: PivotProblem[] = [];
  const pivot: Partial<Pivot> = {};
  const check = (claim: PivotClaim, schema: z.ZodType<string, unknown>): void => {
    const result = schema.safeParse(claims[claim]);
    if (result.success) pivot[claim] = result.data;
    else problems.push({ claim, reason: result.error.issues[0]?.message ?? 'invalid' });
  };
  check('given_name', personName);
  check('family_name', personName);
  check('birthdate', birthdate);
  if (pivot.birthdate !== undefined && pivot.birthdate > latestToday(now)) {
    delete pivot.birthdate;
    problems.push({ claim: 'birthdate', reason: 'must not be in the future' });
  }
  check('gender', gender);
  check('birthcountry', birthcountry);
  // Which birthplace is right depends on birthcountry; without a valid one, that problem is enough.
  if (pivot.birthcountry !== undefined) {
    check('birthplace', pivot.birthcountry === FRANCE ? frenchBirthplace : foreignBirthplace);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, pivot: pivot as Pivot };
}
