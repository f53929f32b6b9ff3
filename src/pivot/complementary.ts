// The claims beside the pivot: seed 004's "données complémentaires" (`email`, and
// `preferred_username`, the nom d'usage) and the IdP's `amr` and `auth_time`. Untrusted input like
// the pivot, but none of them says who the citizen is: FranceConnect fails a login on an invalid
// pivot only (R3001); a malformed claim beside it is dropped (`auth_time`: replaced by the time of
// the callback), so the citizen still gets in and no SP ever receives what these rules refuse.
// Reasons name the rule, never the value: they are logged.
import { z } from 'zod';
import { normaliseEmail } from './email.ts';
import { type PivotProblem, personName } from './validate.ts';

export const COMPLEMENTARY_CLAIMS = ['email', 'preferred_username'] as const;
export type ComplementaryClaim = (typeof COMPLEMENTARY_CLAIMS)[number];

/** A checked value, and why the IdP's was dropped or replaced (claim and rule, never the value). */
export interface Checked<T> {
  value: T;
  problem?: PivotProblem;
}

const email = z
  .string({ error: 'not a string' })
  .trim()
  .refine((value) => normaliseEmail(value) !== undefined, 'must be a plausible email address');

const SCHEMAS: Record<ComplementaryClaim, z.ZodType<string, unknown>> = {
  email,
  // The nom d'usage is a name: the pivot's rules for names (seed 004).
  preferred_username: personName,
};

const absent = (value: unknown) => value == null || (typeof value === 'string' && value.trim() === '');

/**
 * `email` and `preferred_username` as the IdP sent them (trimmed) when valid; a malformed one is
 * left out and named in `dropped`. Absent (or empty) is no problem: the IdP may not know them.
 */
export function validateComplementaryClaims(claims: Record<string, unknown>): {
  claims: Partial<Record<ComplementaryClaim, string>>;
  dropped: PivotProblem[];
} {
  const valid: Partial<Record<ComplementaryClaim, string>> = {};
  const dropped: PivotProblem[] = [];
  for (const claim of COMPLEMENTARY_CLAIMS) {
    if (absent(claims[claim])) continue;
    const result = SCHEMAS[claim].safeParse(claims[claim]);
    if (result.success) valid[claim] = result.data;
    else dropped.push({ claim, reason: result.error.issues[0]?.message ?? 'invalid' });
  }
  return { claims: valid, dropped };
}

/** RFC 8176 names are 2–6 letters; room for an IdP's own (`urn:…`-like) names, not for a payload. */
const AMR_VALUE = /^[\x21-\x7e]{1,32}$/;
export const AMR_MAX_VALUES = 10;

/**
 * `amr`: a list of short printable tokens (RFC 8176's `pwd`, `mfa`, `otp`… and the like), without
 * repeats. A value that is not one is dropped alone (less is never more assurance); a list longer
 * than AMR_MAX_VALUES, or not a list, is dropped whole; an empty list is no amr.
 */
export function validateAmr(amr: unknown): Checked<string[] | undefined> {
  if (amr == null) return { value: undefined };
  if (!Array.isArray(amr)) return { value: undefined, problem: { claim: 'amr', reason: 'must be a list' } };
  const valid = [
    ...new Set(amr.filter((value): value is string => typeof value === 'string' && AMR_VALUE.test(value))),
  ];
  if (valid.length > AMR_MAX_VALUES) {
    return {
      value: undefined,
      problem: { claim: 'amr', reason: `must hold at most ${AMR_MAX_VALUES} values` },
    };
  }
  const malformed = amr.some((value) => typeof value !== 'string' || !AMR_VALUE.test(value));
  return {
    value: valid.length ? valid : undefined,
    ...(malformed
      ? { problem: { claim: 'amr', reason: 'values must be 1 to 32 printable ASCII characters' } }
      : {}),
  };
}

/** Clocks differ: an IdP a little ahead of the hub is not lying (OpenID Connect's usual 5 minutes). */
export const AUTH_TIME_SKEW = 300;

/**
 * `auth_time`: integer epoch seconds, no later than `now` (the callback), give or take
 * AUTH_TIME_SKEW. A later one, or one that is no time at all, becomes the callback's time (as when
 * the IdP sends none: the latest the authentication can have been). One older than `maxAge`
 * (when given) is `stale`: the caller refuses it, never passes it off as fresh.
 */
export function validateAuthTime(
  authTime: unknown,
  window: { now: number; maxAge?: number | undefined },
): Checked<number> & { stale?: true } {
  const { now, maxAge } = window;
  const replaced = (reason: string): Checked<number> => ({
    value: now,
    problem: { claim: 'auth_time', reason },
  });
  if (typeof authTime !== 'number' || !Number.isSafeInteger(authTime)) {
    return replaced('must be an integer number of seconds');
  }
  if (authTime > now + AUTH_TIME_SKEW) return replaced('must not be in the future');
  if (maxAge !== undefined && authTime < now - maxAge - AUTH_TIME_SKEW) {
    return {
      value: authTime,
      stale: true,
      problem: { claim: 'auth_time', reason: `more than ${maxAge} s old` },
    };
  }
  return { value: authTime };
}
