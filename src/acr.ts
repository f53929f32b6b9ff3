// The eIDAS levels (acr), in one place: how a request names them, which one it needs, which an
// IdP can deliver and is asked for, whether its answer reached it, and when an SSO may stand in.
import { z } from 'zod';

export const ACR_LEVELS = ['eidas1', 'eidas2', 'eidas3'] as const;
export type Acr = (typeof ACR_LEVELS)[number];
export const acrSchema = z.enum(ACR_LEVELS);

/** eIDAS levels are ordered: eidas3 satisfies a request for eidas1. */
export function acrRank(acr: Acr): number {
  return ACR_LEVELS.indexOf(acr);
}

/** Splits an `acr_values` parameter into the eIDAS levels we know and the values we do not. */
export function parseAcrValues(value: string | undefined): { levels: Acr[]; unknown: string[] } {
  const levels: Acr[] = [];
  const unknown: string[] = [];
  for (const v of (value ?? '').split(' ').filter(Boolean)) {
    const level = acrSchema.safeParse(v);
    if (level.success) levels.push(level.data);
    else unknown.push(v);
  }
  return { levels, unknown };
}

/** The weakest of the requested levels: what the citizen must at least reach. */
export function requiredAcr(requested: readonly Acr[]): Acr | undefined {
  return [...requested].sort((a, b) => acrRank(a) - acrRank(b))[0];
}

/**
 * The level a request asks for, from `acr_values` and an essential `acr` in `claims` (id_token or
 * userinfo: `value` or `values`). Each names the levels it accepts, the weakest of them being its
 * floor; the login must satisfy both, so the stronger floor counts (an essential eidas3 beside
 * acr_values=eidas1 needs eidas3). Undefined when neither names a level.
 */
export function requestedLevel(acrValues: string | undefined, claims: string | undefined): Acr | undefined {
  const floors = [requiredAcr(parseAcrValues(acrValues).levels), requiredAcr(essentialAcr(claims).levels)];
  return floors
    .filter((level): level is Acr => level !== undefined)
    .sort((a, b) => acrRank(b) - acrRank(a))[0];
}

/** The levels an essential `acr` in `claims` names, known or not (an unknown one is the caller's to refuse). */
export function essentialAcr(claims: string | undefined): { levels: Acr[]; unknown: string[] } {
  const levels: Acr[] = [];
  const unknown: string[] = [];
  for (const member of essentialAcrValues(claims)) {
    const level = acrSchema.safeParse(member);
    if (level.success) levels.push(level.data);
    else unknown.push(member);
  }
  return { levels, unknown };
}

function essentialAcrValues(claims: string | undefined): string[] {
  if (!claims) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return [];
  }
  const values: string[] = [];
  for (const where of ['id_token', 'userinfo']) {
    const acr = (parsed as Record<string, Record<string, unknown> | undefined> | null)?.[where]?.['acr'] as
      | { essential?: unknown; value?: unknown; values?: unknown }
      | null
      | undefined;
    if (acr?.essential !== true) continue;
    if (typeof acr.value === 'string') values.push(acr.value);
    if (Array.isArray(acr.values))
      values.push(...acr.values.filter((v): v is string => typeof v === 'string'));
  }
  return values;
}

/**
 * ProConnect's levels: eidas1 needs no second factor; eidas2 and eidas3 need one, shown by the
 * IdP's `acr` (a level at least the one asked) or its `amr` holding `mfa`. The level established
 * (what the SP's `acr` says): the IdP's when it is a known level, at least the one asked when the
 * second factor made it; undefined when the login falls short.
 */
export function establishedLevel(
  required: Acr,
  answeredAcr: unknown,
  amr: readonly string[] | undefined,
): Acr | undefined {
  const answered = acrSchema.safeParse(answeredAcr);
  const reached = answered.success ? answered.data : undefined;
  if (reached && acrRank(reached) >= acrRank(required)) return reached;
  if (required === 'eidas1') return 'eidas1';
  return amr?.includes('mfa') ? required : undefined;
}

/** An IdP can serve a request when it declares a level at least the required one. */
export function canDeliver(idp: { acr_values: readonly Acr[] }, required: Acr): boolean {
  return idp.acr_values.some((acr) => acrRank(acr) >= acrRank(required));
}

/** What the hub asks the IdP: the weakest level it declares that satisfies the SP; it may exceed it. */
export function levelToAsk(idp: { acr_values: readonly Acr[] }, required: Acr): Acr {
  return (
    [...idp.acr_values]
      .filter((level) => acrRank(level) >= acrRank(required))
      .sort((a, b) => acrRank(a) - acrRank(b))[0] ?? required
  );
}

/** The IdP's answer: a level it declares, at least the one required; undefined otherwise. */
export function deliveredLevel(
  idp: { acr_values: readonly Acr[] },
  answered: unknown,
  required: Acr,
): Acr | undefined {
  const acr = acrSchema.safeParse(answered);
  if (!acr.success || !idp.acr_values.includes(acr.data) || acrRank(acr.data) < acrRank(required)) {
    return undefined;
  }
  return acr.data;
}

/**
 * FranceConnect's SSO: an earlier authentication stands in for a new one only for eidas1, and only
 * when it reached the level asked. eidas2 and eidas3 always need a fresh IdP login.
 */
export function ssoSatisfies(reached: string, required: Acr): boolean {
  if (required !== 'eidas1') return false;
  const level = acrSchema.safeParse(reached);
  return level.success && acrRank(level.data) >= acrRank(required);
}
