// The professional identity (ProConnect profile) arrives from an IdP: untrusted input. Reasons
// name the rule, never the value, because they end up in logs.
import { z } from 'zod';
import { normaliseEmail } from '../pivot/email.ts';

// The email page routes with it too (login/flow.ts), beside the other email helpers here.
export { normaliseEmail };

export const PRO_REQUIRED_CLAIMS = ['sub', 'given_name', 'usual_name', 'email', 'uid', 'siret'] as const;
export const PRO_OPTIONAL_CLAIMS = [
  'siren',
  'phone',
  'organizational_unit',
  'belonging_population',
  'chorusdt',
] as const;
export type ProRequiredClaim = (typeof PRO_REQUIRED_CLAIMS)[number];
export type ProOptionalClaim = (typeof PRO_OPTIONAL_CLAIMS)[number];

export type ProProblem = { claim: string; reason: string };
export type ProValidation =
  | { ok: true; claims: Record<string, string>; dropped: string[] }
  | { ok: false; problems: ProProblem[] };

const SEPARATOR = '\u001f';

/** Luhn mod 10 over a string of ASCII digits; anything else (or an empty string) is invalid. */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right: every second digit is doubled, and 9 taken off when it passes 9.
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

const LA_POSTE_SIREN = '356000000';

function digitSum(digits: string): number {
  let sum = 0;
  for (const digit of digits) sum += Number(digit);
  return sum;
}

/**
 * A SIRET: 14 ASCII digits with a valid Luhn key. La Poste (SIREN 356000000) has more
 * establishments than a Luhn key leaves room for, so INSEE numbers them with another rule: the
 * sum of the 14 digits is a multiple of 5. Its head office (35600000000048) keeps a Luhn key.
 */
export function validSiret(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[0-9]{14}$/.test(value)) return false;
  if (luhnValid(value)) return true;
  return value.startsWith(LA_POSTE_SIREN) && digitSum(value) % 5 === 0;
}

/** A SIREN: 9 ASCII digits with a valid Luhn key (La Poste's 356000000 is one). */
export function validSiren(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9]{9}$/.test(value) && luhnValid(value);
}

/** The domain of an address, lowercased: what follows its last '@' ('' without one). */
export function emailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).toLowerCase();
}

/** `domain` is `listed` or one of its subdomains: `evil-gouv.fr` is not under `gouv.fr`. */
export function domainMatches(domain: string, listed: string): boolean {
  const d = domain.toLowerCase();
  const l = listed.toLowerCase();
  return l.length > 0 && (d === l || d.endsWith(`.${l}`));
}

/** A fallback IdP vouches for any address; any other only for the domains it lists. */
export function mayAssertEmail(
  idp: { email_domains?: readonly string[] | undefined; fallback?: boolean | undefined },
  email: string,
): boolean {
  if (idp.fallback === true) return true;
  const domain = emailDomain(email);
  return (idp.email_domains ?? []).some((listed) => domainMatches(domain, listed));
}

/** IdP uid ␟ IdP sub: with deriveSub, HMAC(secret, sector ␟ IdP uid ␟ IdP sub). */
export function proIdentityKey(idpUid: string, idpSub: string): string {
  // An empty part or the separator inside one would let two agents share a key.
  for (const part of [idpUid, idpSub]) {
    if (part.length === 0 || part.includes(SEPARATOR)) {
      throw new Error('proIdentityKey: the IdP uid and sub must be non-empty and free of U+001F');
    }
  }
  return `${idpUid}${SEPARATOR}${idpSub}`;
}

const CONTROL = /\p{Cc}/u;
// Controls, format characters (zero-width, bidi), private use, unassigned: not in an identifier.
const NOT_PRINTABLE = /\p{C}/u;

const claimString = () =>
  z.string({ error: (issue) => (issue.input == null ? 'missing' : 'not a string') }).trim();

const text = (max: number) =>
  claimString()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), 'must not contain control characters');

// Not trimmed: two IdP subs differing only by spaces would otherwise name the same agent.
const sub = z
  .string({ error: (issue) => (issue.input == null ? 'missing' : 'not a string') })
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((value) => !NOT_PRINTABLE.test(value), 'must hold only printable characters')
  .refine((value) => value === value.trim(), 'must not start or end with a space');

const email = claimString()
  .refine((value) => normaliseEmail(value) !== undefined, 'must be a plausible email address')
  .transform((value) => normaliseEmail(value) ?? value);

const siret = claimString().refine(validSiret, 'must be 14 digits with a valid SIRET key');
const siren = claimString().refine(validSiren, 'must be 9 digits with a valid SIREN key');
const phone = claimString()
  .max(32, 'must be at most 32 characters')
  .regex(/^[0-9 +().-]*$/, 'may hold only digits, spaces and + ( ) - .')
  .refine((value) => (value.match(/[0-9]/g) ?? []).length >= 6, 'must hold at least 6 digits');

const SCHEMAS: Record<ProRequiredClaim | ProOptionalClaim, z.ZodType<string, unknown>> = {
  sub,
  given_name: text(256),
  usual_name: text(256),
  email,
  uid: text(256),
  siret,
  siren,
  phone,
  organizational_unit: text(256),
  belonging_population: text(256),
  chorusdt: text(256),
};

/**
 * Checks the ProConnect claims: a missing or invalid required claim rejects the identity; an
 * invalid optional claim is dropped (named in `dropped`), never passed on. Extra claims are ignored.
 */
export function validateProIdentity(raw: Record<string, unknown>): ProValidation {
  const claims: Record<string, string> = {};
  const problems: ProProblem[] = [];
  const dropped: string[] = [];
  for (const claim of PRO_REQUIRED_CLAIMS) {
    const result = SCHEMAS[claim].safeParse(raw[claim]);
    if (result.success) claims[claim] = result.data;
    else problems.push({ claim, reason: result.error.issues[0]?.message ?? 'invalid' });
  }
  for (const claim of PRO_OPTIONAL_CLAIMS) {
    if (raw[claim] == null) continue;
    const result = SCHEMAS[claim].safeParse(raw[claim]);
    if (result.success) claims[claim] = result.data;
    else dropped.push(claim);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, claims, dropped };
}
